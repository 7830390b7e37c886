/**
 * A Koa app using the adapter, an API protected with requireBearer, and the real dev provider
 * (oidc-provider), all on 127.0.0.1; the "browser" is fetch with a cookie jar, and the provider's
 * login form is completed by the dev provider's completeLogin helper.
 */

import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import type { BackchannelLogoutHandler } from '@oidc-hybrid/core'
import { completeLogin, type DevProvider, start } from '@oidc-hybrid/dev-provider'
import Koa from 'koa'
import { PrivateKeyJwt } from 'oauth4webapi'
import {
  auth,
  backchannelLogout,
  type KoaAuthConfig,
  requireBearer,
  requiresAuth,
  type SessionStore,
  serverSessions,
} from '../src/index.js'

export const AUDIENCE = 'https://api.example.com'
export const SECRET = 'koa-adapter-test-cookie-secret-0123456789abcdef'

export interface HarnessOptions {
  responseType?: string
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
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

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** A cookie jar: enough of RFC 6265 for one host. */
export class Jar {
  readonly cookies = new Map<string, string>()
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, pair!.slice(at + 1).trim())
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ')
  }
  has(prefix: string): boolean {
    return [...this.cookies.keys()].some((name) => name.startsWith(prefix))
  }
}

export interface Harness {
  provider: DevProvider
  appURL: string
  apiURL: string
  jar: Jar
  /** Token endpoint grants the provider answered (success or error). */
  grants: () => number
  get(path: string, headers?: Record<string, string>): Promise<Response>
  post(
    url: string,
    body: URLSearchParams | string,
    headers?: Record<string, string>,
  ): Promise<Response>
  /** GET /login → the provider's authorization URL (transaction cookie stored). */
  startLogin(path?: string): Promise<string>
  /** Logs in at the provider; returns the form_post target and fields, not yet posted. */
  authorize(authorizationUrl: string): Promise<{ action: string; params: URLSearchParams }>
  /** The whole login; returns the callback response. */
  login(): Promise<Response>
  close(): Promise<void>
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const appServer = createServer()
  const apiServer = createServer()
  const appPort = await listen(appServer)
  const apiPort = await listen(apiServer)
  const appURL = `http://localhost:${appPort}`
  const apiURL = `http://localhost:${apiPort}`
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
  const provider = await start({
    port: 0,
    clients: [
      {
        client_id: 'koa-app',
        ...(clientAuth === 'private_key_jwt'
          ? { jwks: { keys: [publicJwk as never] } }
          : { client_secret: clientSecret }),
        token_endpoint_auth_method: clientAuth,
        redirect_uris: [`${appURL}/callback`],
        post_logout_redirect_uris: [`${appURL}/`],
        ...(options.backchannelLogout
          ? {
              backchannel_logout_uri: `${appURL}/backchannel-logout`,
              backchannel_logout_session_required: true,
            }
          : {}),
        response_types: ['code id_token', 'code token', 'code id_token token'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      },
    ],
  })
  let grants = 0
  provider.provider.on('grant.success', () => grants++)
  provider.provider.on('grant.error', () => grants++)

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
    // What the core README documents for private_key_jwt: oauth4webapi's PrivateKeyJwt.
    clientAuth: keys && PrivateKeyJwt({ key: keys.privateKey, kid: 'k1' }),
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
  router.get('/me', requiresAuth(), (ctx) => {
    ctx.body = {
      claims: ctx.oidc.idTokenClaims,
      state: ctx.state.user?.sub,
      scope: ctx.oidc.accessToken?.scope,
    }
  })
  router.get('/call-api', requiresAuth(), async (ctx) => {
    const response = await ctx.oidc.fetch(`${apiURL}/`)
    ctx.status = response.status
    ctx.body = await response.json()
  })
  router.get('/userinfo', requiresAuth(), async (ctx) => {
    ctx.body = await ctx.oidc.fetchUserInfo()
  })
  router.get('/refresh', requiresAuth(), async (ctx) => {
    const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope : undefined
    const token = await ctx.oidc.getAccessToken({ refresh: 'force', scope })
    ctx.body = { scope: token.scope, expires_in: token.expires_in }
  })
  router.get('/expired', requiresAuth(), (ctx) => {
    ctx.body = { expired: ctx.oidc.accessToken?.isExpired() }
  })
  app.use(router.routes())
  appServer.on('request', app.callback())

  const jar = new Jar()
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${appURL}${path}`, {
      redirect: 'manual',
      headers: { cookie: jar.header(), ...headers },
    })
    jar.store(response)
    return response
  }
  const post = async (
    url: string,
    body: URLSearchParams | string,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: body.toString(),
    })
    jar.store(response)
    return response
  }
  const startLogin = async (path = '/login') => {
    const response = await get(path)
    if (response.status !== 302)
      throw new Error(`login answered ${response.status}: ${await response.text()}`)
    return response.headers.get('location')!
  }
  const authorize = (url: string) => completeLogin(url)
  return {
    provider,
    appURL,
    apiURL,
    jar,
    grants: () => grants,
    get,
    post,
    startLogin,
    authorize,
    login: async () => {
      const { action, params } = await authorize(await startLogin())
      return post(action, params)
    },
    close: async () => {
      await Promise.all([closeServer(appServer), closeServer(apiServer)])
      await provider.close()
    },
  }
}
