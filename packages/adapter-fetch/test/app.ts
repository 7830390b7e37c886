/**
 * The test application: a plain fetch handler built with the adapter, runnable unchanged on Node,
 * inside workerd (bundled by esbuild) and on Bun or Deno. Web APIs only: no node:* here.
 * It is also its own API: `/api` is protected with a bearer check sharing the engine's caches,
 * `/api-standalone` with a standalone verifier, `/api-write` requires a scope the login never asks
 * for.
 */
import {
  type AuthContext,
  createAuth,
  dpop,
  type FetchAuthConfig,
  MemorySessionStore,
  privateKeyJwt,
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
  /**
   * `on`: DPoP-bound tokens (`dpop()`), and `/api` takes DPoP-bound tokens only (`dpop:
   * 'require'`); `nonces`: the same, `/api` also demanding its server nonces (RFC 9449 9).
   */
  DPOP?: string
}

export const SCOPE = 'openid profile email offline_access read:messages'

export function createTestApp(
  env: TestEnv,
  overrides: Partial<FetchAuthConfig> = {},
): (request: Request) => Promise<Response> {
  const auth = createAuth({
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
    ...(env.DPOP ? { extensions: [dpop()] } : {}),
    ...overrides,
  })
  const shared = {
    engine: auth.engine,
    audience: env.AUDIENCE,
    ...(env.DPOP ? { dpop: 'require' as const, dpopNonce: env.DPOP === 'nonces' } : {}),
  }
  const api = requireBearer(shared, { scopes: ['read:messages'] })
  const apiWrite = requireBearer(shared, { scopes: ['write:messages'] })
  const standalone = requireBearer(
    { issuerBaseURL: env.ISSUER_BASE_URL, audience: env.AUDIENCE },
    { scopes: ['read:messages'] },
  )

  const protectedRoutes: Record<string, (oidc: AuthContext, url: URL) => Promise<Response>> = {
    '/me': async (oidc) =>
      Response.json({ claims: oidc.idTokenClaims, scope: oidc.accessToken?.scope }),
    '/call-api': async (oidc, url) => {
      const target = new URL(url.searchParams.get('path') ?? '/api', env.BASE_URL)
      const response = await oidc.fetch(target)
      return new Response(response.body, {
        status: response.status,
        headers: { 'content-type': 'application/json' },
      })
    },
    '/userinfo': async (oidc) => Response.json(await oidc.fetchUserInfo()),
    '/refresh': async (oidc, url) => {
      const token = await oidc.getAccessToken({
        refresh: 'force',
        scope: url.searchParams.get('scope') ?? undefined,
      })
      return Response.json({ scope: token.scope, expires_in: token.expires_in })
    },
    '/token': async (oidc) => {
      const token = await oidc.getAccessToken()
      return Response.json({ token: token.access_token, expires_in: token.expires_in })
    },
  }

  return auth.wrap(async (request, oidc) => {
    const url = new URL(request.url)
    const guard =
      url.pathname === '/api'
        ? api
        : url.pathname === '/api-write'
          ? apiWrite
          : url.pathname === '/api-standalone'
            ? standalone
            : undefined
    if (guard) {
      const bearer = await guard(request)
      if (bearer instanceof Response) return bearer
      return Response.json({ sub: bearer.claims.sub, scopes: bearer.scopes })
    }
    const route = protectedRoutes[url.pathname]
    if (route) {
      const denied = await oidc.requireAuth()
      return denied ?? route(oidc, url)
    }
    if (url.pathname === '/redirect') {
      // An immutable-headers response: respond() must still get the cookies onto it.
      if (oidc.isAuthenticated()) await oidc.getAccessToken()
      return Response.redirect(new URL('/', env.BASE_URL).href, 302)
    }
    return new Response(oidc.isAuthenticated() ? `hello ${oidc.user?.sub}` : 'hello stranger')
  })
}
