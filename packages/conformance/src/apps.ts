/**
 * Each adapter under test, as a small app with the same routes: the adapter's login, callback
 * and logout, plus `/me`, `/userinfo` and `/refresh` that answer JSON (or the adapter's JSON
 * error). Every app listens on 127.0.0.1 with a free port.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import Router from '@koa/router'
import type { HybridAuthConfig } from '@oidc-hybrid/core'
import { createAuth } from '@oidc-hybrid/fetch'
import { auth, requiresAuth } from '@oidc-hybrid/koa'
import Koa from 'koa'

export interface RunningApp {
  url: string
  close(): Promise<void>
}

export interface AppUnderTest {
  name: string
  /** Starts the app; `config` receives the app's own base URL. */
  start(config: (baseURL: string) => HybridAuthConfig): Promise<RunningApp>
}

export async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://localhost:${(server.address() as AddressInfo).port}`
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

export const koa: AppUnderTest = {
  name: 'koa',
  async start(config) {
    const server = createServer()
    const url = await listen(server)
    const app = new Koa()
    app.use(auth(config(url)))
    const router = new Router()
    router.get('/me', requiresAuth(), (ctx) => {
      ctx.body = { sub: ctx.oidc.user?.sub }
    })
    router.get('/userinfo', requiresAuth(), async (ctx) => {
      ctx.body = await ctx.oidc.fetchUserInfo()
    })
    router.get('/refresh', requiresAuth(), async (ctx) => {
      const token = await ctx.oidc.getAccessToken({ refresh: 'force' })
      ctx.body = { scope: token.scope }
    })
    app.use(router.routes())
    server.on('request', app.callback())
    return { url, close: () => closeServer(server) }
  },
}

/** A fetch handler served by node:http, the way Node users without a framework run it. */
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

export const fetchAdapter: AppUnderTest = {
  name: 'fetch',
  async start(config) {
    const server = createServer()
    const url = await listen(server)
    const authentication = createAuth(config(url))
    serveFetch(
      server,
      authentication.wrap(async (request, oidc) => {
        const denied = await oidc.requireAuth()
        if (denied) return denied
        const path = new URL(request.url).pathname
        if (path === '/me') return Response.json({ sub: oidc.user?.sub })
        if (path === '/userinfo') return Response.json(await oidc.fetchUserInfo())
        if (path === '/refresh') {
          const token = await oidc.getAccessToken({ refresh: 'force' })
          return Response.json({ scope: token.scope })
        }
        return new Response('not found', { status: 404 })
      }),
    )
    return { url, close: () => closeServer(server) }
  },
}

export const APPS: readonly AppUnderTest[] = [koa, fetchAdapter]
