/**
 * A Koa app using the adapter, an API protected with requireBearer, and the real dev provider
 * (oidc-provider), all on 127.0.0.1; the "browser" is the test kit's (fetch with a cookie jar,
 * the provider's login form completed by the dev provider's completeLogin helper).
 */

import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { BackchannelLogoutHandler } from '@oidc-hybrid/core'
import type { DevProvider } from '@oidc-hybrid/dev-provider'
import {
  type Browser,
  closeServer,
  createBrowser,
  listen,
  startTestProvider,
} from '@oidc-hybrid/test-kit'
import Koa from 'koa'
import { type ClientAuth, PrivateKeyJwt } from 'oauth4webapi'
import {
  auth,
  backchannelLogout,
  type KoaAuthConfig,
  privateKeyJwt,
  requireAuth,
  requireBearer,
  type SessionStore,
  serverSessions,
} from '../src/index.js'

export const AUDIENCE = 'https://api.example.com'
export const SECRET = 'koa-adapter-test-cookie-secret-0123456789abcdef'

export interface HarnessOptions {
  responseType?: string
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  /**
   * With private_key_jwt, where the key comes from: oauth4webapi's `PrivateKeyJwt` with a
   * CryptoKey (default), or the library's `privateKeyJwt` from a private JWK or a PKCS#8 PEM.
   */
  privateKey?: 'cryptokey' | 'jwk' | 'pem'
  /** Mount a body parser before auth(): 'koa' (@koa/bodyparser, keeps rawBody) or 'lossy'. */
  bodyParser?: 'koa' | 'lossy'
  proxy?: boolean
  /** Keep sessions on the server (`session.store`). */
  sessionStore?: SessionStore
  /**
   * Register a `backchannel_logout_uri` at the provider and answer it (needs `sessionStore`);
   * a handler object replaces `backchannelLogout()`.
   */
  backchannelLogout?: boolean | BackchannelLogoutHandler
}

export interface Harness extends Browser {
  provider: DevProvider
  apiURL: string
  /** Token endpoint grants the provider answered (success or error). */
  grants: () => number
  close(): Promise<void>
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
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
  const publicJwk = keys && {
    ...(await crypto.subtle.exportKey('jwk', keys.publicKey)),
    kid: 'k1',
    use: 'sig',
    alg: 'ES256',
  }
  const clientSecret = 'koa-test-client-secret-0123456789abcdef0123'
  const { provider, grants } = await startTestProvider({
    client: {
      clientId: 'koa-app',
      appURLs: [appURL],
      authMethod: clientAuth,
      clientSecret,
      jwks: publicJwk && { keys: [publicJwk as never] },
      backchannelLogout: !!options.backchannelLogout,
    },
  })

  const api = new Koa()
  api.use(
    requireBearer(
      { issuerBaseURL: provider.issuer, audience: AUDIENCE },
      { scopes: ['read:messages'] },
    ),
  )
  api.use((ctx) => {
    ctx.body = { sub: ctx.state.auth.claims.sub, scopes: ctx.state.auth.scopes }
  })
  apiServer.on('request', api.callback())

  const app = new Koa()
  app.proxy = options.proxy ?? false
  if (options.bodyParser === 'koa') app.use(bodyParser())
  if (options.bodyParser === 'lossy') {
    // A parser that consumes the stream and keeps only the parsed object.
    app.use(async (ctx, next) => {
      if (ctx.is('application/x-www-form-urlencoded')) {
        let text = ''
        for await (const chunk of ctx.req) text += chunk
        const parsed: Record<string, string | string[]> = {}
        for (const [k, v] of new URLSearchParams(text)) {
          const prior = parsed[k]
          parsed[k] = prior === undefined ? v : ([] as string[]).concat(prior, v)
        }
        ;(ctx.request as unknown as { body: unknown }).body = parsed
      }
      await next()
    })
  }
  const config: KoaAuthConfig = {
    issuerBaseURL: provider.issuer,
    baseURL: appURL,
    clientID: 'koa-app',
    clientSecret: clientAuth === 'private_key_jwt' ? undefined : clientSecret,
    clientAuthMethod: clientAuth,
    clientAuth: keys && (await clientAuthOf(keys.privateKey, options.privateKey)),
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
  }
  app.use(auth(config))
  const router = new Router()
  router.get('/me', requireAuth(), (ctx) => {
    ctx.body = {
      claims: ctx.oidc.idTokenClaims,
      state: ctx.state.user?.sub,
      scope: ctx.oidc.accessToken?.scope,
    }
  })
  router.get('/call-api', requireAuth(), async (ctx) => {
    const response = await ctx.oidc.fetch(`${apiURL}/`)
    ctx.status = response.status
    ctx.body = await response.json()
  })
  router.get('/userinfo', requireAuth(), async (ctx) => {
    ctx.body = await ctx.oidc.fetchUserInfo()
  })
  router.get('/refresh', requireAuth(), async (ctx) => {
    const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope : undefined
    const token = await ctx.oidc.getAccessToken({ refresh: 'force', scope })
    ctx.body = { token: token.access_token, scope: token.scope, expires_in: token.expires_in }
  })
  router.get('/expired', requireAuth(), (ctx) => {
    ctx.body = { expired: ctx.oidc.accessToken?.isExpired() }
  })
  app.use(router.routes())
  appServer.on('request', app.callback())

  return {
    ...createBrowser(appURL),
    provider,
    apiURL,
    grants,
    close: async () => {
      await Promise.all([closeServer(appServer), closeServer(apiServer)])
      await provider.close()
    },
  }
}

/** The `clientAuth` for private_key_jwt with `privateKey` given the way `how` says. */
async function clientAuthOf(
  privateKey: CryptoKey,
  how: HarnessOptions['privateKey'] = 'cryptokey',
): Promise<ClientAuth> {
  // oauth4webapi's PrivateKeyJwt with a CryptoKey, or the library's from configuration.
  if (how === 'cryptokey') return PrivateKeyJwt({ key: privateKey, kid: 'k1' })
  const jwk = await crypto.subtle.exportKey('jwk', privateKey)
  if (how === 'jwk') return privateKeyJwt({ key: { ...jwk, kid: 'k1' } })
  const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', privateKey))
  const base64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
  const pem = `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`
  return privateKeyJwt({ key: pem, kid: 'k1', alg: 'ES256' })
}
