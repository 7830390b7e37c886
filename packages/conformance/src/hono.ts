/**
 * The Hono adapter under test: a Hono app with the routes of every app here (see apps.ts), the
 * same as the fetch adapter's — every route but `/api` behind `requireAuth()`, library errors
 * answered by the adapter — served by node:http the way the fetch adapter's app is.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { auth, requireAuth, requireBearer } from '@oidc-hybrid/hono'
import { Hono } from 'hono'
import { type AppUnderTest, closeServer, serverFor } from './apps.js'

/** A fetch handler served by node:http (as apps.ts serves the fetch adapter's). */
function serveFetch(server: Server, handler: (request: Request) => Promise<Response>): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const headers = new Headers()
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host}`), {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
      duplex: 'half',
    } as RequestInit)
    handler(request)
      .then(async (response) => {
        for (const [name, value] of response.headers) {
          if (name !== 'set-cookie') res.setHeader(name, value)
        }
        res.setHeader('set-cookie', response.headers.getSetCookie())
        res.writeHead(response.status)
        res.end(new Uint8Array(await response.arrayBuffer()))
      })
      .catch(() => {
        res.writeHead(500)
        res.end()
      })
  })
}

export const hono: AppUnderTest = {
  name: 'hono',
  async start(config, options) {
    const { server, url } = await serverFor(options)
    const app = new Hono()
    const api = options?.api
    if (api) {
      app.get('/api', requireBearer(api.bearer, { scopes: api.scopes }), (c) =>
        c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }),
      )
    }
    const pages = new Hono()
      .use(auth(config(url)))
      .use(requireAuth())
      .get('/me', (c) => c.json({ sub: c.var.oidc.user?.sub }))
      .get('/state', (c) => {
        const token = c.var.oidc.accessToken!
        return c.json({ claims: c.var.oidc.user, token: token.access_token, scope: token.scope })
      })
      .get('/token', async (c) => {
        const token = await c.var.oidc.getAccessToken()
        return c.json({ token: token.access_token, expired: token.isExpired() })
      })
      .get('/userinfo', async (c) => c.json(await c.var.oidc.fetchUserInfo()))
      .get('/refresh', async (c) => {
        const token = await c.var.oidc.getAccessToken({
          refresh: 'force',
          scope: c.req.query('scope'),
        })
        return c.json({ token: token.access_token, scope: token.scope })
      })
    if (api) {
      pages.get('/call-api', async (c) => {
        const response = await c.var.oidc.fetch(`${url}/api`)
        return c.json({ status: response.status, body: await response.json() })
      })
    }
    app.route('/', pages)
    serveFetch(server, async (request) => app.fetch(request))
    return { url, apiURL: api && url, close: () => closeServer(server) }
  },
}
