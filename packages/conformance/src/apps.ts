/**
 * Each adapter under test, as a small app with the same routes: the adapter's login, callback
 * and logout, plus these, which need a session and answer JSON (or the adapter's JSON error):
 *
 * - `/me`: `{ sub }`
 * - `/state`: the session as stored, never refreshed: `{ claims, token, scope, tokenType, jkt }`
 *   (the user's claims, the access token, its scope and type, and the RFC 7638 thumbprint of the
 *   session's DPoP key, computed here with jose, when it has one: see {@link stateOf})
 * - `/token`: the access token, refreshed first when expired: `{ token, expired }`
 * - `/refresh[?scope=...]`: a forced refresh, with a reduced scope when given: `{ token, scope }`
 * - `/userinfo`: the provider's userinfo answer
 * - `/call-api` (with {@link StartOptions.api}): `/api` called through the adapter's `fetch` with
 *   the session's access token: `{ status, body }` of the API's answer
 *
 * and, with {@link StartOptions.api}, `/api` at {@link RunningApp.apiURL}: protected by the
 * adapter's own bearer check (no session needed), answering `{ sub, scopes }` of the verified
 * token. Koa and fetch serve it themselves; NestJS from an API app of its own, since `@Public()`
 * exempts a route from its bearer guard as well as from its session guard.
 *
 * Every app listens on 127.0.0.1 with a free port, or on the server it is given.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import type {
  AccessTokenView,
  BearerVerifierConfig,
  HybridAuthConfig,
  IdTokenClaims,
  Session,
} from '@oidc-hybrid/core'
import { createAuth, requireBearer as fetchRequireBearer } from '@oidc-hybrid/fetch'
import { auth, requireBearer, requiresAuth } from '@oidc-hybrid/koa'
import { closeServer, listen, serveFetch } from '@oidc-hybrid/test-kit'
import { calculateJwkThumbprint, type JWK } from 'jose'
import Koa from 'koa'

export interface RunningApp {
  url: string
  /** With {@link StartOptions.api}: the origin serving `/api` (the app's own, or its API app's). */
  apiURL?: string
  close(): Promise<void>
}

/** The bearer-protected `/api` of an app (see the module comment). */
export interface ApiOptions {
  /** The verifier configuration given to the adapter's bearer check. */
  bearer: BearerVerifierConfig
  /** Scopes the access token must carry. */
  scopes: string[]
}

export interface StartOptions {
  /**
   * A server already listening (the test kit's `listen`) to serve the app on, so that its URL can be
   * registered at a provider before the app starts; the app closes it. A new one by default.
   */
  server?: Server
  /** Serve `/api` and `/call-api`. */
  api?: ApiOptions
}

export interface AppUnderTest {
  name: string
  /** Starts the app; `config` receives the app's own base URL. */
  start(config: (baseURL: string) => HybridAuthConfig, options?: StartOptions): Promise<RunningApp>
}

/** The URL of a listening server. */
export function urlOf(server: Server): string {
  return `http://localhost:${(server.address() as AddressInfo).port}`
}

/** The server to serve on ({@link StartOptions.server}, or a new one) and its URL. */
export async function serverFor(options?: StartOptions): Promise<{ server: Server; url: string }> {
  if (options?.server) return { server: options.server, url: urlOf(options.server) }
  return listen()
}

export { closeServer }

/** The reads of an adapter's request context that `/state` answers. */
export interface StateSource {
  readonly user: IdTokenClaims | undefined
  readonly accessToken: AccessTokenView | undefined
  readonly session: Session | undefined
}

/**
 * `/state`'s answer: the user's claims, the access token, its scope and type (`DPoP` when bound),
 * and `jkt`, the RFC 7638 thumbprint of the public members of the session's DPoP key
 * (`session.dpop`, with `dpop()`), computed with jose rather than by the library under test.
 */
export async function stateOf(oidc: StateSource) {
  const token = oidc.accessToken!
  const key = oidc.session?.dpop
  const jkt =
    key && (await calculateJwkThumbprint({ kty: key.kty, crv: key.crv, x: key.x, y: key.y } as JWK))
  return {
    claims: oidc.user,
    token: token.access_token,
    scope: token.scope,
    tokenType: token.token_type,
    jkt,
  }
}

export const koa: AppUnderTest = {
  name: 'koa',
  async start(config, options) {
    const { server, url } = await serverFor(options)
    const app = new Koa()
    app.use(auth(config(url)))
    const router = new Router()
    router.get('/me', requiresAuth(), (ctx) => {
      ctx.body = { sub: ctx.oidc.user?.sub }
    })
    router.get('/state', requiresAuth(), async (ctx) => {
      ctx.body = await stateOf(ctx.oidc)
    })
    router.get('/token', requiresAuth(), async (ctx) => {
      const token = await ctx.oidc.getAccessToken()
      ctx.body = { token: token.access_token, expired: token.isExpired() }
    })
    router.get('/userinfo', requiresAuth(), async (ctx) => {
      ctx.body = await ctx.oidc.fetchUserInfo()
    })
    router.get('/refresh', requiresAuth(), async (ctx) => {
      const scope = typeof ctx.query.scope === 'string' ? ctx.query.scope : undefined
      const token = await ctx.oidc.getAccessToken({ refresh: 'force', scope })
      ctx.body = { token: token.access_token, scope: token.scope }
    })
    if (options?.api) {
      router.get('/call-api', requiresAuth(), async (ctx) => {
        const response = await ctx.oidc.fetch(`${url}/api`)
        ctx.body = { status: response.status, body: await response.json() }
      })
      router.get(
        '/api',
        requireBearer(options.api.bearer, { scopes: options.api.scopes }),
        (ctx) => {
          ctx.body = { sub: ctx.state.auth.claims.sub, scopes: ctx.state.auth.scopes }
        },
      )
    }
    app.use(router.routes())
    server.on('request', app.callback())
    return { url, apiURL: options?.api && url, close: () => closeServer(server) }
  },
}

export const fetchAdapter: AppUnderTest = {
  name: 'fetch',
  async start(config, options) {
    const { server, url } = await serverFor(options)
    const authentication = createAuth(config(url))
    const api = options?.api
    const bearer = api && fetchRequireBearer(api.bearer, { scopes: api.scopes })
    serveFetch(
      server,
      authentication.wrap(async (request, oidc) => {
        const { pathname: path, searchParams } = new URL(request.url)
        if (bearer && path === '/api') {
          const verified = await bearer(request)
          if (verified instanceof Response) return verified
          return Response.json({ sub: verified.claims.sub, scopes: verified.scopes })
        }
        const denied = await oidc.requireAuth()
        if (denied) return denied
        if (path === '/me') return Response.json({ sub: oidc.user?.sub })
        if (path === '/state') return Response.json(await stateOf(oidc))
        if (path === '/token') {
          const token = await oidc.getAccessToken()
          return Response.json({ token: token.access_token, expired: token.isExpired() })
        }
        if (path === '/userinfo') return Response.json(await oidc.fetchUserInfo())
        if (path === '/refresh') {
          const scope = searchParams.get('scope') ?? undefined
          const token = await oidc.getAccessToken({ refresh: 'force', scope })
          return Response.json({ token: token.access_token, scope: token.scope })
        }
        if (bearer && path === '/call-api') {
          const response = await oidc.fetch(`${url}/api`)
          return Response.json({ status: response.status, body: await response.json() })
        }
        return new Response('not found', { status: 404 })
      }),
    )
    return { url, apiURL: options?.api && url, close: () => closeServer(server) }
  },
}

export const APPS: readonly AppUnderTest[] = [koa, fetchAdapter]
