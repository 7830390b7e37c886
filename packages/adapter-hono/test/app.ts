/**
 * The test application: a Hono app with the middleware, runnable unchanged inside workerd
 * (bundled by esbuild) and on Node. Web APIs only: no node:* here. Its configuration comes from
 * the Worker's bindings (`c.env`, the `(c) => config` form) or from a given object (the object
 * form). It is also its own API: `/api` is protected with a bearer check sharing the login engine,
 * `/api-standalone` with a standalone verifier, `/api-write` requires a scope the login never asks
 * for.
 */
import { Hono } from 'hono'
import { setCookie } from 'hono/cookie'
import {
  auth,
  type HonoAuthConfig,
  MemorySessionStore,
  privateKeyJwt,
  requireAuth,
  requireBearer,
  serverSessions,
} from '../src/index.js'

/** String bindings, as a Worker's `env` carries them. */
export interface TestEnv {
  ISSUER_BASE_URL: string
  BASE_URL: string
  CLIENT_ID: string
  CLIENT_SECRET: string
  /** A private JWK (JSON): the client authenticates with private_key_jwt instead of the secret. */
  CLIENT_PRIVATE_KEY?: string
  SECRET: string
  AUDIENCE: string
  RESPONSE_TYPE?: string
  /** `memory`: sessions in a MemorySessionStore (the isolate's memory), the cookie holds an id. */
  SESSION_STORE?: string
}

export type TestAppEnv = { Bindings: TestEnv }

export const SCOPE = 'openid profile email offline_access read:messages'

/**
 * Built on every request in the `(c) => config` form: the objects in it (the client key, the
 * store) come from the first request with the same strings, so sessions stay in one store.
 */
export function configOf(env: TestEnv, overrides: Partial<HonoAuthConfig> = {}): HonoAuthConfig {
  return {
    issuerBaseURL: env.ISSUER_BASE_URL,
    baseURL: env.BASE_URL,
    clientID: env.CLIENT_ID,
    ...(env.CLIENT_PRIVATE_KEY
      ? { clientAuth: privateKeyJwt({ key: env.CLIENT_PRIVATE_KEY }) }
      : { clientSecret: env.CLIENT_SECRET }),
    secret: env.SECRET,
    authorizationParams: {
      response_type: env.RESPONSE_TYPE ?? 'code id_token',
      scope: SCOPE,
      audience: env.AUDIENCE,
    },
    session:
      env.SESSION_STORE === 'memory'
        ? { store: serverSessions(new MemorySessionStore()) }
        : undefined,
    ...overrides,
  }
}

/**
 * The app, configured from `c.env` (`'bindings'`) or from `env` given now, with `overrides` (e.g.
 * a session store and back-channel logout).
 */
export function createTestApp(from: 'bindings' | TestEnv, overrides?: Partial<HonoAuthConfig>) {
  const login =
    from === 'bindings'
      ? auth<TestAppEnv>((c) => configOf(c.env, overrides))
      : auth<TestAppEnv>(configOf(from, overrides))
  const envOf = (c: { env: TestEnv }) => (from === 'bindings' ? c.env : from)
  // The login engine shared with the API's bearer checks (its discovery and JWKS cache).
  const shared = (scopes: string[]) =>
    from === 'bindings'
      ? requireBearer<TestAppEnv>((c) => ({ engine: login.engine(c), audience: c.env.AUDIENCE }), {
          scopes,
        })
      : requireBearer<TestAppEnv>({ engine: login.engine(), audience: from.AUDIENCE }, { scopes })

  const app = new Hono<TestAppEnv>()
  const api = new Hono<TestAppEnv>()
    .get('/api', shared(['read:messages']), (c) =>
      c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }),
    )
    .get('/api-write', shared(['write:messages']), (c) =>
      c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }),
    )
    .get(
      '/api-standalone',
      requireBearer<TestAppEnv>(
        (c) => ({ issuerBaseURL: envOf(c).ISSUER_BASE_URL, audience: envOf(c).AUDIENCE }),
        { scopes: ['read:messages'] },
      ),
      (c) => c.json({ sub: c.var.auth.claims.sub, scopes: c.var.auth.scopes }),
    )
  // The API routes need no session: mounted before the login middleware.
  app.route('/', api)

  const pages = new Hono<TestAppEnv>()
    .use(login)
    .get('/me', requireAuth(), (c) =>
      c.json({ claims: c.var.oidc.idTokenClaims, scope: c.var.oidc.accessToken?.scope }),
    )
    .get('/call-api', requireAuth(), async (c) => {
      const target = new URL(c.req.query('path') ?? '/api', envOf(c).BASE_URL)
      const response = await c.var.oidc.fetch(target)
      return new Response(response.body, {
        status: response.status,
        headers: { 'content-type': 'application/json' },
      })
    })
    .get('/userinfo', requireAuth(), async (c) => c.json(await c.var.oidc.fetchUserInfo()))
    .get('/refresh', requireAuth(), async (c) => {
      const token = await c.var.oidc.getAccessToken({
        refresh: 'force',
        scope: c.req.query('scope'),
      })
      return c.json({ scope: token.scope, expires_in: token.expires_in })
    })
    .get('/token', requireAuth(), async (c) => {
      const token = await c.var.oidc.getAccessToken()
      return c.json({ token: token.access_token, expires_in: token.expires_in })
    })
    // No requireAuth: without a session getAccessToken throws SESSION_MISSING, which must be
    // answered with its own status (401), not Hono's 500.
    .get('/unguarded-token', async (c) => {
      const token = await c.var.oidc.getAccessToken()
      return c.json({ token: token.access_token })
    })
    // The app's own cookie, set with Hono's helper, and the library's, both sent.
    .get('/own-cookie', requireAuth(), async (c) => {
      await c.var.oidc.getAccessToken()
      setCookie(c, 'theme', 'dark', { path: '/' })
      return c.text('ok')
    })
    .get('/theme', (c) => {
      setCookie(c, 'theme', 'dark', { path: '/' })
      return c.text('themed')
    })
    // A proxied answer (fetch(): immutable headers, a Set-Cookie of its own): ours are added.
    .get('/proxied', requireAuth(), async (c) => {
      await c.var.oidc.getAccessToken()
      return fetch(new URL('/theme', envOf(c).BASE_URL))
    })
    // An immutable-headers response: the cookies must still get onto it.
    .get('/redirect', async (c) => {
      if (c.var.oidc.isAuthenticated()) await c.var.oidc.getAccessToken()
      return Response.redirect(new URL('/', envOf(c).BASE_URL).href, 302)
    })
    .get('/', (c) =>
      c.text(c.var.oidc.isAuthenticated() ? `hello ${c.var.oidc.user?.sub}` : 'hello stranger'),
    )
  app.route('/', pages)
  return app
}
