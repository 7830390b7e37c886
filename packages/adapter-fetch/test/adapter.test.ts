/**
 * The adapter's own translation rules, called directly with Request objects (no provider: the
 * paths exercised here never reach it, or reach an injected fetch; except the logout-state
 * round trip at the end, against the real dev provider).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { WebCryptoProvider } from '@oidc-hybrid/core'
import { CookieSealer } from '@oidc-hybrid/core/adapter'
import { CookieJar } from '@oidc-hybrid/dev-provider'
import {
  createBrowser,
  expectBasicChallenged,
  expectCleanReturnFromLogout,
  expectDiscoveryCheckOverridable,
  expectProviderOutage,
  freePort,
  logInAndOut,
  loginAnswer,
  SESSION,
  TRANSACTION,
  unlistedCodeTokenDiscovery,
} from '@oidc-hybrid/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  backchannelLogout,
  createAuth,
  errorResponse,
  type FetchAuthConfig,
  MemorySessionStore,
  requireBearer,
  serverSessions,
} from '../src/index.js'
import { createTestApp } from './app.js'
import { startProvider, type TestProvider } from './provider.js'

const BASE = 'http://localhost:3000'

function config(overrides: Partial<FetchAuthConfig> = {}): FetchAuthConfig {
  return {
    issuerBaseURL: 'https://op.example.com/',
    baseURL: BASE,
    clientID: 'client',
    clientSecret: 'client-secret',
    secret: 'fetch-adapter-unit-test-secret-0123456789abcdef',
    // Nothing here may reach the network unless a test says so.
    fetch: async () => {
      throw new Error('unexpected fetch')
    },
    ...overrides,
  }
}

/** A chunked session cookie that does not open: the engine clears all three cookies. */
const TAMPERED = `${SESSION}.0=garbage; ${SESSION}.1=more`

describe('createAuth', () => {
  it('validates the configuration at setup', () => {
    expect(() => createAuth(config({ secret: 'short' }))).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })
})

describe('handle', () => {
  it('answers only the auth routes', async () => {
    const auth = createAuth(config())
    expect(await auth.handle(new Request(`${BASE}/`))).toBeUndefined()
    expect(await auth.handle(new Request(`${BASE}/login`, { method: 'POST' }))).toBeUndefined()
    expect(await auth.handle(new Request(`${BASE}/logout`, { method: 'DELETE' }))).toBeUndefined()
  })

  it('uses the injected fetch, and renders a provider failure with the status table', async () => {
    const seen: string[] = []
    const auth = createAuth(
      config({
        fetch: async (input) => {
          seen.push(input instanceof Request ? input.url : String(input))
          return new Response('nope', { status: 500 })
        },
      }),
    )
    const response = await auth.handle(
      new Request(`${BASE}/login`, { headers: { accept: 'application/json' } }),
    )
    expect(seen).toEqual(['https://op.example.com/.well-known/openid-configuration'])
    expect(response?.status).toBe(502)
    expect(response?.headers.get('cache-control')).toBe('no-store')
    expect(response?.headers.get('location')).toBeNull()
    expect(await response?.json()).toMatchObject({ error: 'DISCOVERY_INVALID' })
  })

  it('reads the back-channel logout form body and lets the core check the Logout Token', async () => {
    const auth = createAuth(
      config({
        session: { store: serverSessions(new MemorySessionStore()) },
        backchannelLogout: backchannelLogout(),
      }),
    )
    const post = (body: string) =>
      auth.handle(
        new Request(`${BASE}/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body,
        }),
      )
    // No logout_token in the body: refused before any provider call (fetch would throw).
    const missing = await post('other=1')
    expect(missing?.status).toBe(400)
    expect(missing?.headers.get('cache-control')).toBe('no-store')
    expect(await missing?.json()).toMatchObject({ error: 'LOGOUT_TOKEN_INVALID' })
    // With a logout_token (a compact JWS by its syntax: header {"alg":"RS256"}, payload {}) the
    // core goes on to the provider's keys, which it can only do when the adapter read the body;
    // the failing fetch is answered 400 like every back-channel failure (2.8), not 502.
    const withToken = await post('logout_token=eyJhbGciOiJSUzI1NiJ9.e30.AAAA')
    expect(withToken?.status).toBe(400)
    expect(await withToken?.json()).toMatchObject({ error: 'HTTP_REQUEST_FAILED' })
    expect(await auth.handle(new Request(`${BASE}/backchannel-logout`))).toBeUndefined()
  })

  it('refuses a callback whose body was already read, with advice', async () => {
    const auth = createAuth(config())
    const request = new Request(`${BASE}/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'state=abc',
    })
    await request.text()
    const response = await auth.handle(request)
    expect(response?.status).toBe(500)
    expect(await response?.json()).toMatchObject({
      error: 'CONFIG_INVALID',
      message: expect.stringContaining('request.clone()'),
    })
  })

  it('stops reading a streamed callback body past the limit (the core checks only what it is given)', async () => {
    const auth = createAuth(config())
    const chunk = new Uint8Array(16 * 1024).fill(0x61)
    let pulled = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 4 MiB on offer; the adapter must stop after about 64 KiB.
        if (pulled++ === 256) controller.close()
        else controller.enqueue(chunk)
      },
    })
    const response = await auth.handle(
      new Request(`${BASE}/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        duplex: 'half',
      } as RequestInit),
    )
    expect(response?.status).toBe(413)
    expect(await response?.json()).toMatchObject({ error: 'BODY_TOO_LARGE' })
    expect(pulled).toBeLessThan(10)
  })

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    const auth = createAuth(config())
    const response = await auth.handle(
      new Request(`${BASE}/callback`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(1 << 20),
        },
        body: 'state=small',
      }),
    )
    expect(response?.status).toBe(413)
    expect(await response?.json()).toMatchObject({ error: 'BODY_TOO_LARGE' })
  })

  it('reads the callback body as the raw form and lets the core check it', async () => {
    const auth = createAuth(config())
    const response = await auth.handle(
      new Request(`${BASE}/callback`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: 'code=a&code=b&state=s',
      }),
    )
    expect(response?.status).toBe(400)
    expect(await response?.json()).toMatchObject({ error: 'CALLBACK_PARAMETER_DUPLICATED' })
  })
})

describe('context and respond', () => {
  it('a tampered session is no session, and every clearing Set-Cookie is its own header', async () => {
    const auth = createAuth(config())
    const oidc = await auth.context(new Request(`${BASE}/`, { headers: { cookie: TAMPERED } }))
    expect(oidc.isAuthenticated()).toBe(false)
    expect(oidc.user).toBeUndefined()
    // Response.redirect() has immutable headers: respond() must copy it.
    const response = oidc.respond(Response.redirect(`${BASE}/next`, 302))
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${BASE}/next`)
    const lines = response.headers.getSetCookie()
    expect(lines.map((line) => line.split('=')[0])).toEqual([
      SESSION,
      `${SESSION}.0`,
      `${SESSION}.1`,
    ])
    expect(lines.every((line) => /Max-Age=0/.test(line))).toBe(true)
    // Each line is sent once.
    expect(oidc.respond(new Response('again')).headers.getSetCookie()).toEqual([])
  })

  it('requireAuth: browsers go to the login, API clients get 401 JSON', async () => {
    const discovery = {
      issuer: 'https://op.example.com/',
      authorization_endpoint: 'https://op.example.com/authorize',
      token_endpoint: 'https://op.example.com/oauth/token',
      jwks_uri: 'https://op.example.com/.well-known/jwks.json',
      response_types_supported: ['code id_token'],
      response_modes_supported: ['form_post'],
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
    }
    const auth = createAuth(config({ fetch: async () => Response.json(discovery) }))
    const page = await auth.context(
      new Request(`${BASE}/private?tab=2`, { headers: { accept: 'text/html' } }),
    )
    const login = await page.requireAuth()
    expect(login?.status).toBe(302)
    const location = new URL(login!.headers.get('location')!)
    expect(location.origin + location.pathname).toBe('https://op.example.com/authorize')
    expect(location.searchParams.get('response_mode')).toBe('form_post')
    expect(login!.headers.getSetCookie().some((c) => c.startsWith(TRANSACTION))).toBe(true)

    const api = await auth.context(new Request(`${BASE}/private`))
    const denied = await api.requireAuth()
    expect(denied?.status).toBe(401)
    expect(denied?.headers.get('content-type')).toBe('application/json')
    expect(await denied?.json()).toMatchObject({ error: 'SESSION_MISSING' })
  })
})

describe('wrap', () => {
  it('answers a failing session store with its status (503), before the handler runs', async () => {
    const failing = new MemorySessionStore()
    failing.get = () => {
      throw new Error('connection refused')
    }
    const auth = createAuth(config({ session: { store: serverSessions(failing) } }))
    const sealer = await CookieSealer.create(config().secret, new WebCryptoProvider())
    const cookie = `${SESSION}=${await sealer.seal(SESSION, { id: 'x' }, Date.now() / 1000 + 600)}`
    let ran = false
    const response = await auth.wrap(async () => {
      ran = true
      return new Response('ok')
    })(new Request(`${BASE}/`, { headers: { cookie, accept: 'application/json' } }))
    expect(ran).toBe(false)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ error: 'SESSION_STORE_FAILED' })
  })

  it('renders library errors the handler throws, as HTML for browsers and JSON otherwise', async () => {
    const handler = createAuth(config()).wrap(async (_request, oidc) => {
      await oidc.getAccessToken()
      return new Response('unreachable')
    })
    const html = await handler(new Request(`${BASE}/x`, { headers: { accept: 'text/html' } }))
    expect(html.status).toBe(401)
    expect(html.headers.get('content-type')).toContain('text/html')
    expect(await html.text()).toContain('SESSION_MISSING')
    const json = await handler(new Request(`${BASE}/x`))
    expect(json.status).toBe(401)
    expect(await json.json()).toMatchObject({ error: 'SESSION_MISSING' })
  })

  it('sends the cookies of an erroring request too, and passes extra arguments through', async () => {
    const handler = createAuth(config()).wrap(async (_request, oidc, env: { name: string }) => {
      if (env.name !== 'worker') return new Response('wrong env')
      return oidc.error(new Error('boom'))
    })
    const response = await handler(new Request(`${BASE}/x`, { headers: { cookie: TAMPERED } }), {
      name: 'worker',
    })
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      error: 'INTERNAL_ERROR',
      message: 'an unexpected error occurred',
    })
    expect(response.headers.getSetCookie()).toHaveLength(3)
  })

  it('lets errors that are not the library’s propagate', async () => {
    const handler = createAuth(config()).wrap(() => {
      throw new RangeError('a bug in the app')
    })
    await expect(handler(new Request(`${BASE}/x`))).rejects.toBeInstanceOf(RangeError)
  })
})

describe('bearer checks', () => {
  it('standalone: no token is a bare 401 challenge (RFC 6750 3.1), without a provider call', async () => {
    const guard = requireBearer({
      issuerBaseURL: 'https://op.example.com/',
      audience: 'https://api.example.com',
      fetch: async () => {
        throw new Error('unexpected fetch')
      },
    })
    const response = await guard(new Request(`${BASE}/api`))
    expect(response).toBeInstanceOf(Response)
    const failure = response as Response
    expect(failure.status).toBe(401)
    expect(failure.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256"')
    expect(failure.headers.get('cache-control')).toBe('no-store')
  })

  it('engine-shared: a malformed Authorization header is 400 invalid_request', async () => {
    const { engine } = createAuth(config())
    const guard = requireBearer({ engine, audience: 'https://api.example.com' })
    const response = (await guard(
      new Request(`${BASE}/api`, { headers: { authorization: 'Bearer a b' } }),
    )) as Response
    expect(response.status).toBe(400)
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_request"')
  })

  it('a misconfigured check throws instead of blaming the client', async () => {
    const guard = requireBearer({
      issuerBaseURL: 'https://op.example.com/',
      audience: undefined as unknown as string,
    })
    await expect(
      guard(new Request(`${BASE}/api`, { headers: { authorization: 'Bearer abc' } })),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})

describe('bearer checks: other schemes, and a provider that cannot be reached', () => {
  /** A standalone guard whose issuer is a 127.0.0.1 port where nothing listens (real fetch). */
  async function unreachableGuard() {
    const port = await freePort()
    const guard = requireBearer(
      {
        issuerBaseURL: `http://127.0.0.1:${port}/`,
        audience: 'https://api.example.com',
        realm: 'api',
      },
      { scopes: ['read:messages'] },
    )
    return (authorization: string) =>
      guard(new Request(`${BASE}/api`, { headers: { authorization } })) as Promise<Response>
  }

  it('Basic is a 401 Bearer challenge without error code; a malformed Bearer header stays 400', async () => {
    const call = await unreachableGuard()
    await expectBasicChallenged(call, 'Bearer realm="api", DPoP realm="api", algs="ES256"')
    const noToken = await call('Bearer')
    expect(noToken.status).toBe(400)
    expect(noToken.headers.get('www-authenticate')).toContain('error="invalid_request"')
  })

  it('an outage is 503 with Retry-After and no-store, never invalid_token; lowercase bearer reaches it', async () => {
    await expectProviderOutage(
      await unreachableGuard(),
      'Bearer realm="api", DPoP realm="api", algs="ES256"',
    )
  })

  it('engine-shared: a provider fetch that fails is 503 too', async () => {
    const { engine } = createAuth(config())
    const guard = requireBearer({ engine, audience: 'https://api.example.com' })
    const down = (await guard(
      new Request(`${BASE}/api`, { headers: { authorization: 'Bearer abc.def.ghi' } }),
    )) as Response
    expect(down.status).toBe(503)
    expect(down.headers.get('retry-after')).toBe('30')
    expect(down.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256"')
  })
})

describe('errorResponse', () => {
  it('escapes the message in HTML', async () => {
    const { OidcHybridError } = await import('@oidc-hybrid/core')
    const response = errorResponse(
      new OidcHybridError('STATE_MISMATCH', '<script>x</script>'),
      new Request(BASE, { headers: { accept: 'text/html' } }),
    )
    expect(response.status).toBe(400)
    expect(await response.text()).not.toContain('<script>')
  })
})

describe('Web APIs only', () => {
  it('src imports no node:* module and uses no Buffer or process (it must run in workerd)', () => {
    const dir = new URL('../src/', import.meta.url)
    const offenders = readdirSync(dir)
      .filter((name) => name.endsWith('.ts'))
      .flatMap((name) =>
        readFileSync(new URL(name, dir), 'utf8')
          .split('\n')
          .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
          .filter((line) => /from\s+['"]node:|\bBuffer\b|\bprocess\./.test(line))
          .map((line) => `${name}: ${line.trim()}`),
      )
    expect(offenders).toEqual([])
  })
})

describe('RP-initiated logout with state (issue 18, real provider)', () => {
  let op: TestProvider
  let app: (request: Request) => Promise<Response>
  beforeAll(async () => {
    op = await startProvider(BASE)
    app = createTestApp(op.env())
  })
  afterAll(() => op?.close())

  /** A browser calling the test app directly. */
  const appBrowser = () => createBrowser(BASE, { send: (url, init) => app(new Request(url, init)) })

  /** A browser logged in (provider cookies in `providerJar`), then GET `logoutPath`. */
  async function loggedOut(providerJar: CookieJar, logoutPath = '/logout') {
    const browser = appBrowser()
    return { browser, endSession: await logInAndOut(browser, providerJar, logoutPath) }
  }

  it('logout → provider → back with the state → a clean redirect', async () => {
    const browser = appBrowser()
    await expectCleanReturnFromLogout(browser)
    expect(await (await browser.get('/')).text()).toBe('hello stranger')
  })

  it("a forged sealed-looking state is not the library's: the app answers", async () => {
    const { browser } = await loggedOut(new CookieJar())
    const forged = await browser.get('/?state=v1.forged.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA')
    expect(forged.status).toBe(200)
    expect(await forged.text()).toBe('hello stranger')
  })

  it('our state but on another path than the return, or a state of the app: the app answers', async () => {
    const { browser, endSession } = await loggedOut(new CookieJar(), '/logout?returnTo=%2Fbye')
    const home = await browser.get(`/?state=${endSession.searchParams.get('state')}`)
    expect(await home.text()).toBe('hello stranger')
    expect(await (await browser.get('/?state=anything')).text()).toBe('hello stranger')
  })
})

describe('ignoreDiscoveryFor reaches the engine (issue 18 item 4)', () => {
  // A provider that answers response_type=code token without listing it (Glewlwyd).
  const login = async (ignoreDiscoveryFor?: FetchAuthConfig['ignoreDiscoveryFor']) => {
    const auth = createAuth(
      config({
        fetch: unlistedCodeTokenDiscovery,
        authorizationParams: { response_type: 'code token' },
        ignoreDiscoveryFor,
      }),
    )
    const response = await auth.handle(
      new Request(`${BASE}/login`, { headers: { accept: 'application/json' } }),
    )
    return loginAnswer(response!)
  }

  it('refused before the redirect by default, with the advice; let through when set', async () => {
    await expectDiscoveryCheckOverridable(login)
  })
})
