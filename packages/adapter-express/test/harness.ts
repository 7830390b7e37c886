/**
 * An Express app using the adapter, an API protected with requireBearer, and the real dev
 * provider (oidc-provider), all on 127.0.0.1; the "browser" is the test kit's (fetch with a
 * cookie jar, the provider's login form completed by the dev provider's completeLogin helper).
 * The app runs on Express 5 by default, or on Express 4 (`express: 4`).
 */

import type { BackchannelLogoutHandler } from '@oidc-hybrid/core'
import type { DevProvider } from '@oidc-hybrid/dev-provider'
import {
  type Browser,
  closeServer,
  createBrowser,
  listen,
  startTestProvider,
} from '@oidc-hybrid/test-kit'
import express5, { type NextFunction, type Request, type Response } from 'express'
import express4 from 'express4'
import {
  auth,
  authErrorHandler,
  backchannelLogout,
  type ExpressAuthConfig,
  privateKeyJwt,
  requireAuth,
  requireBearer,
  requiresAuth,
  type SessionStore,
  serverSessions,
} from '../src/index.js'

export const AUDIENCE = 'https://api.example.com'
export const SECRET = 'express-adapter-test-cookie-secret-0123456789abcdef'
export const CLIENT_ID = 'express-app'

export interface HarnessOptions {
  /** The Express major the app and the API run on (default 5). */
  express?: 4 | 5
  responseType?: string
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  /**
   * A body parser mounted before auth(): `express.urlencoded()` (`'urlencoded'`, querystring;
   * `'extended'`, qs), one that keeps the raw bytes (`'raw'`, its `verify` hook), or a
   * middleware that reads the stream and keeps nothing (`'discarding'`).
   */
  bodyParser?: 'urlencoded' | 'extended' | 'raw' | 'discarding'
  /** `app.set('trust proxy', 1)`. */
  trustProxy?: boolean
  /** Keep sessions on the server (`session.store`). */
  sessionStore?: SessionStore
  /**
   * Register a `backchannel_logout_uri` at the provider and answer it (needs `sessionStore`);
   * a handler object replaces `backchannelLogout()`.
   */
  backchannelLogout?: boolean | BackchannelLogoutHandler
  /** The provider's access token lifetime in seconds, and the app's refresh leeway. */
  accessTokenTTL?: number
  refreshLeeway?: number
}

export interface Harness extends Browser {
  provider: DevProvider
  apiURL: string
  /** Token endpoint grants the provider answered (success or error). */
  grants: () => number
  /** While on, the app's requests to the provider fail as an unreachable host's do. */
  setOutage(on: boolean): void
  close(): Promise<void>
}

/** An async handler whose rejection reaches Express's error handlers on Express 4 too. */
const handler =
  (run: (req: Request, res: Response) => Promise<unknown>) =>
  (req: Request, res: Response, next: NextFunction) => {
    run(req, res).catch(next)
  }

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const express = options.express === 4 ? express4 : express5
  const { server: appServer, url: appURL } = await listen()
  const { server: apiServer, url: apiURL } = await listen()
  const clientAuth = options.clientAuth ?? 'client_secret_basic'
  const keys =
    clientAuth === 'private_key_jwt'
      ? await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
          'sign',
          'verify',
        ])
      : undefined
  const jwk = keys && { ...(await crypto.subtle.exportKey('jwk', keys.publicKey)), kid: 'k1' }
  const clientSecret = 'express-test-client-secret-0123456789abcdef0123'
  const { provider, grants } = await startTestProvider({
    ...(options.accessTokenTTL && { accessTokenTTL: options.accessTokenTTL }),
    client: {
      clientId: CLIENT_ID,
      appURLs: [appURL],
      authMethod: clientAuth,
      clientSecret,
      jwks: jwk && { keys: [{ ...jwk, use: 'sig', alg: 'ES256' } as never] },
      backchannelLogout: !!options.backchannelLogout,
    },
  })

  const api = express()
  api.use(
    requireBearer(
      { issuerBaseURL: provider.issuer, audience: AUDIENCE },
      { scopes: ['read:messages'] },
    ),
  )
  api.get('/', (req, res) => {
    res.json({ sub: req.auth?.claims.sub, scopes: req.auth?.scopes })
  })
  apiServer.on('request', api)

  let outage = false
  const app = express()
  if (options.trustProxy) app.set('trust proxy', 1)
  if (options.bodyParser === 'urlencoded') app.use(express.urlencoded({ extended: false }))
  if (options.bodyParser === 'extended') app.use(express.urlencoded({ extended: true }))
  if (options.bodyParser === 'raw') {
    app.use(
      express.urlencoded({
        extended: false,
        verify: (req, _res, raw) => {
          ;(req as unknown as { rawBody: Buffer }).rawBody = raw
        },
      }),
    )
  }
  if (options.bodyParser === 'discarding') {
    app.use((req, _res, next) => {
      if (req.method !== 'POST') return next()
      req.resume()
      req.on('end', () => next())
    })
  }
  const config: ExpressAuthConfig = {
    issuerBaseURL: provider.issuer,
    baseURL: appURL,
    clientID: CLIENT_ID,
    clientSecret: clientAuth === 'private_key_jwt' ? undefined : clientSecret,
    clientAuthMethod: clientAuth,
    // The library's privateKeyJwt from the private key as a JWK.
    clientAuth:
      keys &&
      privateKeyJwt({
        key: { ...(await crypto.subtle.exportKey('jwk', keys.privateKey)), kid: 'k1' },
      }),
    secret: SECRET,
    session: { store: options.sessionStore && serverSessions(options.sessionStore) },
    backchannelLogout:
      options.backchannelLogout === true
        ? backchannelLogout()
        : options.backchannelLogout || undefined,
    authorizationParams: {
      response_type: options.responseType ?? 'code id_token',
      scope: 'openid profile email offline_access read:messages',
      audience: AUDIENCE,
    },
    ...(options.refreshLeeway !== undefined && { refreshLeeway: options.refreshLeeway }),
    fetch: (input, init) =>
      outage ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init),
  }
  app.use(auth(config))
  app.get('/me', requireAuth(), (req, res) => {
    res.json({ claims: req.oidc.idTokenClaims, scope: req.oidc.accessToken?.scope })
  })
  app.get(
    '/call-api',
    requiresAuth(),
    handler(async (req, res) => {
      const response = await req.oidc.fetch(`${apiURL}/`)
      res.status(response.status).json(await response.json())
    }),
  )
  app.get(
    '/userinfo',
    requireAuth(),
    handler(async (req, res) => {
      res.json(await req.oidc.fetchUserInfo())
    }),
  )
  app.get(
    '/refresh',
    requireAuth(),
    handler(async (req, res) => {
      const scope = typeof req.query.scope === 'string' ? req.query.scope : undefined
      const token = await req.oidc.getAccessToken({ refresh: 'force', scope })
      res.json({ token: token.access_token, scope: token.scope })
    }),
  )
  app.get(
    '/token',
    requireAuth(),
    handler(async (req, res) => {
      const before = req.oidc.accessToken?.isExpired()
      const token = await req.oidc.getAccessToken()
      res.json({ token: token.access_token, expiredBefore: before })
    }),
  )
  app.get(
    '/start',
    handler(async (req) => {
      await req.oidc.login({ returnTo: '/me' })
    }),
  )
  app.get(
    '/bye',
    handler(async (req) => {
      await req.oidc.logout({ returnTo: '/goodbye' })
    }),
  )
  app.use(authErrorHandler())
  appServer.on('request', app)

  return {
    ...createBrowser(appURL),
    provider,
    apiURL,
    grants,
    setOutage: (on) => {
      outage = on
    },
    close: async () => {
      await Promise.all([closeServer(appServer), closeServer(apiServer)])
      await provider.close()
    },
  }
}
