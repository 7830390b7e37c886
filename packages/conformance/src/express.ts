/**
 * The Express adapter (on Express 5) as an app under test, with the routes of apps.ts. Handlers
 * are async: Express 5 passes a rejection to `authErrorHandler()`, which answers this library's
 * errors as the other adapters do (their status, JSON).
 */
import { auth, authErrorHandler, requireBearer, requiresAuth } from '@oidc-hybrid/express'
import createExpressApp from 'express'
import { type AppUnderTest, closeServer, serverFor, stateOf } from './apps.js'

export const express: AppUnderTest = {
  name: 'express',
  async start(config, options) {
    const { server, url } = await serverFor(options)
    const app = createExpressApp()
    app.use(auth(config(url)))
    app.get('/me', requiresAuth(), (req, res) => {
      res.json({ sub: req.oidc.user?.sub })
    })
    app.get('/state', requiresAuth(), async (req, res) => {
      res.json(await stateOf(req.oidc))
    })
    app.get('/token', requiresAuth(), async (req, res) => {
      const token = await req.oidc.getAccessToken()
      res.json({ token: token.access_token, expired: token.isExpired() })
    })
    app.get('/userinfo', requiresAuth(), async (req, res) => {
      res.json(await req.oidc.fetchUserInfo())
    })
    app.get('/refresh', requiresAuth(), async (req, res) => {
      const scope = typeof req.query.scope === 'string' ? req.query.scope : undefined
      const token = await req.oidc.getAccessToken({ refresh: 'force', scope })
      res.json({ token: token.access_token, scope: token.scope })
    })
    if (options?.api) {
      app.get('/call-api', requiresAuth(), async (req, res) => {
        const response = await req.oidc.fetch(`${url}/api`)
        res.json({ status: response.status, body: await response.json() })
      })
      app.get(
        '/api',
        requireBearer(options.api.bearer, { scopes: options.api.scopes }),
        (req, res) => {
          res.json({ sub: req.auth?.claims.sub, scopes: req.auth?.scopes })
        },
      )
    }
    app.use(authErrorHandler())
    server.on('request', app)
    return { url, apiURL: options?.api && url, close: () => closeServer(server) }
  },
}
