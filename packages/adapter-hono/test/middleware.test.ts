/**
 * The middleware's own rules, with Hono's `app.request()` and no provider: which engine serves a
 * request when the configuration comes from the bindings, what a bad configuration or a missing
 * `auth()` does, and how a library error thrown in a handler is answered.
 */
import {
  type BearerVerifier,
  type HybridAuth,
  OidcHybridError,
  WebCryptoProvider,
} from '@oidc-hybrid/core'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  auth,
  type HonoAuthConfig,
  MemorySessionStore,
  privateKeyJwt,
  requireAuth,
  requireBearer,
  serverSessions,
} from '../src/index.js'

type Bindings = { ISSUER: string; CLIENT_KEY: string }
type AppEnv = { Bindings: Bindings }

const SECRET = 'hono-unit-test-cookie-secret-0123456789abcdef'

async function clientKey(): Promise<string> {
  const { privateKey } = (await crypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  return JSON.stringify(await crypto.subtle.exportKey('jwk', privateKey))
}

/** The configuration a Worker would build from its bindings, new objects on every call. */
function configOf(env: Bindings): HonoAuthConfig {
  return {
    issuerBaseURL: env.ISSUER,
    baseURL: 'https://app.example.com',
    clientID: 'app',
    clientAuth: privateKeyJwt({ key: env.CLIENT_KEY }),
    secret: SECRET,
    session: { store: serverSessions(new MemorySessionStore()) },
  }
}

describe('auth((c) => config): one engine per distinct configuration', () => {
  it('keeps the engine while the bindings say the same, and makes another when they change', async () => {
    const login = auth<AppEnv>((c) => configOf(c.env))
    const engines: HybridAuth[] = []
    const app = new Hono<AppEnv>().use(login).get('/', (c) => {
      engines.push(login.engine(c))
      return c.text(c.var.oidc.isAuthenticated() ? 'in' : 'out')
    })
    const key = await clientKey()
    const a = { ISSUER: 'https://a.example.com', CLIENT_KEY: key }
    const b = { ISSUER: 'https://b.example.com', CLIENT_KEY: key }
    for (const env of [a, { ...a }, b, a]) {
      const response = await app.request('/', {}, env)
      expect(await response.text()).toBe('out')
    }
    // A copy of `a` with new objects in its configuration (client key, store) is still `a`.
    expect(engines[1]).toBe(engines[0])
    expect(engines[2]).not.toBe(engines[0])
    expect(engines[3]).toBe(engines[0])
    expect(engines[2]!.config.issuerBaseURL).toBe('https://b.example.com')
  })

  it('class instances carry no key: one built per request with data of its own keeps the engine', async () => {
    /** E.g. a crypto provider, or a binding's wrapper, constructed in the config function. */
    class TracedCrypto extends WebCryptoProvider {
      readonly constructedAt = crypto.randomUUID()
    }
    const login = auth<AppEnv>((c) => ({ ...configOf(c.env), crypto: new TracedCrypto() }))
    const engines: HybridAuth[] = []
    const app = new Hono<AppEnv>().use(login).get('/', (c) => {
      engines.push(login.engine(c))
      return c.text('ok')
    })
    const env = { ISSUER: 'https://a.example.com', CLIENT_KEY: await clientKey() }
    for (let i = 0; i < 3; i++) expect((await app.request('/', {}, env)).status).toBe(200)
    expect(new Set(engines).size).toBe(1)
  })

  it('engine() needs the context when the configuration is a function', () => {
    const login = auth<AppEnv>((c) => configOf(c.env))
    expect(() => login.engine()).toThrow(TypeError)
  })
})

describe('auth(config)', () => {
  it('validates a configuration object at once', () => {
    expect(() => auth({ ...configOf({ ISSUER: 'nope', CLIENT_KEY: '{}' }) })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it("answers a library error thrown in a handler with its status; other errors stay Hono's", async () => {
    const app = new Hono()
      .use(
        auth({ ...configOf({ ISSUER: 'https://a.example.com', CLIENT_KEY: await clientKey() }) }),
      )
      .get('/library', () => {
        throw new OidcHybridError('SESSION_MISSING', 'log in first')
      })
      .get('/other', () => {
        throw new Error('a bug')
      })
    app.onError((_error, c) => c.text('custom 500', 500))
    const library = await app.request('/library', { headers: { accept: 'application/json' } })
    expect(library.status).toBe(401)
    expect(await library.json()).toMatchObject({ error: 'SESSION_MISSING' })
    const other = await app.request('/other')
    expect(other.status).toBe(500)
    expect(await other.text()).toBe('custom 500')
  })

  it('requireAuth() without auth() before it is a programming error (500), not a 401', async () => {
    const errors: unknown[] = []
    const app = new Hono().get('/me', requireAuth(), (c) => c.text('never'))
    app.onError((error, c) => {
      errors.push(error)
      return c.text('error', 500)
    })
    expect((await app.request('/me')).status).toBe(500)
    expect(errors).toEqual([expect.any(TypeError)])
  })
})

describe('requireBearer((c) => config): one verifier per distinct configuration', () => {
  it('fetches discovery once per configuration, not once per request', async () => {
    const discovery: string[] = []
    // A provider with no keys: every token is refused, after discovery and the JWKS are fetched.
    const providerFetch = async (input: string | URL | Request) => {
      const url = new URL(input instanceof Request ? input.url : input)
      if (url.pathname.endsWith('/openid-configuration')) {
        discovery.push(url.origin)
        return Response.json({
          issuer: `${url.origin}/`,
          authorization_endpoint: `${url.origin}/authorize`,
          token_endpoint: `${url.origin}/token`,
          jwks_uri: `${url.origin}/jwks`,
        })
      }
      return Response.json({ keys: [] })
    }
    const app = new Hono<AppEnv>().get(
      '/api',
      requireBearer<AppEnv>((c) => ({
        issuerBaseURL: c.env.ISSUER,
        audience: 'https://api.example.com',
        fetch: providerFetch as typeof fetch,
      })),
      (c) => c.json(c.var.auth.claims),
    )
    const encode = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '')
    const token = `${encode({ alg: 'RS256', kid: 'k1', typ: 'at+jwt' })}.${encode({ sub: 'x' })}.c2ln`
    const call = (issuer: string) =>
      app.request(
        '/api',
        { headers: { authorization: `Bearer ${token}` } },
        { ISSUER: issuer, CLIENT_KEY: '' },
      )
    for (const issuer of [
      'https://a.example.com',
      'https://a.example.com',
      'https://b.example.com',
    ]) {
      const response = await call(issuer)
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"')
    }
    expect(discovery).toEqual(['https://a.example.com', 'https://b.example.com'])
  })
})

describe('requireBearer(verifier)', () => {
  it("passes the verifier's answer headers (a DPoP-Nonce) on, also on immutable responses", async () => {
    const verified = {
      claims: { sub: 'user-1' },
      scopes: ['read:messages'],
      headers: { 'dpop-nonce': 'next-nonce' },
    }
    // A verifier as the fetch adapter's requireBearer takes one (duck-typed, as the core does).
    const verifier = {
      verify: async () => verified,
      verifyRequest: async () => verified,
      failure: () => ({ status: 401, headers: new Headers(), body: '{}' }),
    } as unknown as BearerVerifier
    const app = new Hono()
      .get('/json', requireBearer(verifier), (c) => c.json({ sub: c.var.auth.claims.sub }))
      .get('/redirect', requireBearer(verifier), () =>
        Response.redirect('https://app.example/', 302),
      )
    const json = await app.request('/json', { headers: { authorization: 'Bearer t' } })
    expect(await json.json()).toEqual({ sub: 'user-1' })
    expect(json.headers.get('dpop-nonce')).toBe('next-nonce')
    const redirect = await app.request('/redirect', { headers: { authorization: 'Bearer t' } })
    expect(redirect.status).toBe(302)
    expect(redirect.headers.get('dpop-nonce')).toBe('next-nonce')
  })
})
