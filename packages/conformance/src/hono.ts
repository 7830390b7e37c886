import { auth, requireAuth, requireBearer } from '@oidc-hybrid/hono'
import { serveFetch } from '@oidc-hybrid/test-kit'
import { Hono } from 'hono'
import { type AppUnderTest, closeServer, serverFor, stateOf } from './apps.js'

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
      .get('/state', async (c) => c.json(await stateOf(c.var.oidc)))
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
