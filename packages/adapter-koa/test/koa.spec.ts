/**
 * End to end: the Koa adapter against the real dev provider (oidc-provider), for every hybrid
 * response type and client authentication method, then refresh, userinfo, the API, logout, and
 * the bad cases — each of which must end in an error status with no session.
 */
import { createServer } from 'node:http'
import { CookieJar, completeLogout } from '@oidc-hybrid/dev-provider'
import {
  closeServer,
  expectBasicChallenged,
  expectCleanReturnFromLogout,
  expectDiscoveryCheckOverridable,
  expectInsufficientScope,
  expectLoggedOut,
  expectLoginComesBack,
  expectProviderOutage,
  freePort,
  jwtPayload,
  listen,
  logInAndOut,
  loginAnswer,
  rawGet,
  SESSION,
  TRANSACTION,
  unlistedCodeTokenDiscovery,
} from '@oidc-hybrid/test-kit'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import {
  auth,
  type KoaAuthConfig,
  MemorySessionStore,
  requireAuth,
  requireBearer,
  requiresAuth,
} from '../src/index.js'
import { AUDIENCE, createHarness, type Harness, type HarnessOptions } from './harness.js'

let harness: Harness | undefined
async function use(options: HarnessOptions = {}): Promise<Harness> {
  harness = await createHarness(options)
  return harness
}
afterEach(async () => {
  await harness?.close()
  harness = undefined
})

describe('login through the real provider', () => {
  for (const responseType of ['code id_token', 'code token', 'code id_token token']) {
    for (const clientAuth of [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ] as const) {
      it(`${responseType} with ${clientAuth}`, async () => {
        const h = await use({ responseType, clientAuth })
        const callback = await h.login()
        expect(callback.status).toBe(302)
        expect(callback.headers.get('location')).toBe(`${h.appURL}/`)
        expect(h.jar.has(SESSION)).toBe(true)
        expect(h.jar.has(TRANSACTION)).toBe(false)
        const me = await (await h.get('/me', { accept: 'application/json' })).json()
        expect(me.claims.sub).toBe('auth0|demo-user')
        expect(me.state).toBe('auth0|demo-user')
        expect(me.claims['http://fiz/baz']).toBe('some other value')
        expect(h.grants()).toBe(1)
      })
    }
  }
})

describe('private_key_jwt from configuration (privateKeyJwt)', () => {
  for (const privateKey of ['jwk', 'pem'] as const) {
    it(`logs in and refreshes with the key as a ${privateKey === 'jwk' ? 'private JWK' : 'PKCS#8 PEM'}`, async () => {
      const h = await use({ clientAuth: 'private_key_jwt', privateKey })
      expect((await h.login()).status).toBe(302)
      const refreshed = await h.get('/refresh', { accept: 'application/json' })
      expect(refreshed.status).toBe(200)
      // oidc-provider verified both assertions against the registered public key.
      expect(h.grants()).toBe(2)
    })
  }
})

describe('after login', () => {
  it('calls the API with the access token, refreshes (also reduced), fetches userinfo', async () => {
    const h = await use()
    await h.login()
    const api = await h.get('/call-api')
    expect(api.status).toBe(200)
    expect(await api.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })

    const refreshed = await (await h.get('/refresh')).json()
    expect(refreshed.scope).toContain('read:messages')
    const reduced = await h.get(`/refresh?scope=${encodeURIComponent('openid offline_access')}`)
    expect(reduced.status).toBe(200)
    expect((await reduced.json()).scope ?? '').not.toContain('read:messages')
    // the session keeps its own access token: the API still accepts it
    expect((await h.get('/call-api')).status).toBe(200)

    const userinfo = await (await h.get('/userinfo')).json()
    expect(userinfo).toMatchObject({ sub: 'auth0|demo-user', email: 'demo@example.com' })
  })

  it('logs out: session cleared, redirect to the provider with id_token_hint', async () => {
    const h = await use()
    await h.login()
    await expectLoggedOut(h, await h.get('/logout'), {
      issuer: h.provider.issuer,
      clientId: 'koa-app',
    })
  })

  it('the API refuses a missing token, a bad token and a token without the scope (RFC 6750)', async () => {
    const h = await use()
    const call = (token?: string) =>
      fetch(`${h.apiURL}/`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
    const missing = await call()
    expect(missing.status).toBe(401)
    // 3.1: a request without authentication gets a challenge without an error code.
    expect(missing.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256"')
    const garbage = await call('abc.def.ghi')
    expect(garbage.status).toBe(401)
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"')

    // A real access token of the provider for this API, valid but without read:messages: the
    // session's grant refreshed with a reduced scope.
    await h.login()
    const reduced = await h.get(`/refresh?scope=${encodeURIComponent('openid offline_access')}`)
    expect(reduced.status).toBe(200)
    const { token, scope } = await reduced.json()
    expect(scope ?? '').not.toContain('read:messages')
    expect(jwtPayload(token)).toMatchObject({ iss: h.provider.issuer, sub: 'auth0|demo-user' })
    expect([jwtPayload(token).aud].flat()).toContain(AUDIENCE)
    await expectInsufficientScope(await call(token), 'read:messages')
    // The session's own token has the scope: the same API accepts it.
    const api = await h.get('/call-api')
    expect(api.status).toBe(200)
    expect(await api.json()).toMatchObject({ scopes: ['read:messages'] })
  })
})

describe('server-side sessions (session.store)', () => {
  it('the cookie holds only an id; refresh, API and logout work; a copied cookie dies at logout', async () => {
    const store = new MemorySessionStore()
    const h = await use({ sessionStore: store })
    expect((await h.login()).status).toBe(302)
    // A sealed 43-character id: far below the ~3 KB of a cookie that carries the tokens.
    expect(h.jar.get(SESSION)!.length).toBeLessThan(200)
    expect(store.size).toBe(1)
    expect((await h.get('/call-api')).status).toBe(200)
    expect((await (await h.get('/refresh')).json()).scope).toContain('read:messages')
    expect((await h.get('/call-api')).status).toBe(200)
    const copy = h.jar.header()
    expect((await h.get('/logout')).status).toBe(302)
    expect(store.size).toBe(0)
    const replay = await fetch(`${h.appURL}/me`, {
      headers: { cookie: copy, accept: 'application/json' },
    })
    expect(replay.status).toBe(401)
  })

  it('a failing store answers 503 SESSION_STORE_FAILED, not a 500', async () => {
    const store = new MemorySessionStore()
    const h = await use({ sessionStore: store })
    await h.login()
    store.get = () => {
      throw new Error('connection refused')
    }
    const me = await h.get('/me', { accept: 'application/json' })
    expect(me.status).toBe(503)
    expect(await me.json()).toMatchObject({ error: 'SESSION_STORE_FAILED' })
  })
})

describe('back-channel logout (real provider)', () => {
  it('ending the provider session logs out every app session of it, in other browsers too', async () => {
    const store = new MemorySessionStore()
    const h = await use({ sessionStore: store, backchannelLogout: true })
    // Two browsers of one user sharing the provider session (single sign-on): one sid.
    const providerJar = new CookieJar()
    const browsers: string[] = []
    for (let i = 0; i < 2; i++) {
      h.jar.cookies.clear()
      expect((await h.login({ providerJar })).status).toBe(302)
      browsers.push(h.jar.header())
    }
    expect(store.size).toBe(2)
    const me = (cookie: string) =>
      fetch(`${h.appURL}/me`, { headers: { cookie, accept: 'application/json' } })
    const { claims } = await (await me(browsers[0]!)).json()
    expect(typeof claims.sid).toBe('string')
    expect((await (await me(browsers[1]!)).json()).claims.sid).toBe(claims.sid)

    // The user signs out at the provider (from anywhere): it POSTs a Logout Token to the app.
    await completeLogout(`${h.provider.issuer}oidc/logout?client_id=koa-app`, {
      cookieJar: providerJar,
    })
    expect(store.size).toBe(0)
    for (const cookie of browsers) expect((await me(cookie)).status).toBe(401)
  })
})

describe('back-channel logout failures', () => {
  it('are answered 400 as the spec requires, not with the error table status', async () => {
    const { OidcHybridError } = await import('@oidc-hybrid/core')
    const h = await use({
      sessionStore: new MemorySessionStore(),
      backchannelLogout: {
        // A failure answer, as backchannelLogout() gives one: its 400 is sent, not the
        // error table's 503 for SESSION_STORE_FAILED.
        handle: async () => ({
          status: 400,
          headers: new Headers({ 'cache-control': 'no-store' }),
          error: new OidcHybridError('SESSION_STORE_FAILED', 'the session store failed'),
        }),
      },
    })
    const response = await fetch(`${h.appURL}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=x',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({ error: 'SESSION_STORE_FAILED' })
  })
})

describe('protected routes', () => {
  it('requireAuth is the name in every adapter; requiresAuth is the same middleware factory', () => {
    expect(requiresAuth).toBe(requireAuth)
  })

  it('browsers are sent to login and come back; API clients get 401 JSON', async () => {
    const h = await use()
    await expectLoginComesBack(h, h.provider.issuer)
  })
})

describe('bad callbacks end in an error and no session', () => {
  async function expectRefused(h: Harness, response: Response, code: string, grantsBefore = 0) {
    expect(response.status).toBeGreaterThanOrEqual(400)
    // About this request only: never cached (the same answer as the other adapters').
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect((await response.json()).error).toBe(code)
    expect(h.jar.has(SESSION)).toBe(false)
    expect(h.grants()).toBe(grantsBefore)
  }

  it('a code swapped in from another login: c_hash mismatch (code injection)', async () => {
    const h = await use()
    const { a, b } = await h.twoLogins()
    a.params.set('code', b.params.get('code')!)
    await expectRefused(
      h,
      await h.post(a.action, a.params, { accept: 'application/json' }),
      'C_HASH_MISMATCH',
    )
  })

  it("another login's response under this login's state: nonce mismatch", async () => {
    const h = await use()
    const { a, b } = await h.twoLogins()
    b.params.set('state', a.params.get('state')!)
    await expectRefused(
      h,
      await h.post(a.action, b.params, { accept: 'application/json' }),
      'NONCE_MISMATCH',
    )
  })

  it('an access token swapped in from another login: at_hash mismatch', async () => {
    const h = await use({ responseType: 'code id_token token' })
    const { a, b } = await h.twoLogins()
    a.params.set('access_token', b.params.get('access_token')!)
    await expectRefused(
      h,
      await h.post(a.action, a.params, { accept: 'application/json' }),
      'AT_HASH_MISMATCH',
    )
  })

  it('a tampered ID token signature', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    const token = a.params.get('id_token')!
    a.params.set('id_token', `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`)
    await expectRefused(
      h,
      await h.post(a.action, a.params, { accept: 'application/json' }),
      'ID_TOKEN_SIGNATURE_INVALID',
    )
  })

  it('a forged state has no transaction', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    a.params.set('state', `${a.params.get('state')}x`)
    await expectRefused(
      h,
      await h.post(a.action, a.params, { accept: 'application/json' }),
      'TRANSACTION_MISSING',
    )
  })

  it('the transaction cookie was not sent back (login started elsewhere)', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    h.jar.cookies.clear()
    const response = await h.post(a.action, a.params, { accept: 'text/html' })
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(html).toContain('TRANSACTION_MISSING')
    expect(html).toContain('SameSite=None')
    expect(h.jar.has(SESSION)).toBe(false)
    expect(h.grants()).toBe(0)
  })

  it('a replayed callback is refused', async () => {
    const h = await use()
    const { action, params } = await h.authorize(await h.startLogin())
    const tx = new Map(h.jar.cookies)
    expect((await h.post(action, params)).status).toBe(302)
    for (const [name, value] of tx) h.jar.cookies.set(name, value)
    h.jar.cookies.delete(SESSION)
    await expectRefused(
      h,
      await h.post(action, params, { accept: 'application/json' }),
      'TRANSACTION_MISSING',
      1,
    )
  })

  it('hybrid parameters in a query string are refused', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    const response = await h.get(`/callback?${a.params}`, { accept: 'application/json' })
    await expectRefused(h, response, 'CALLBACK_PARAMETERS_IN_QUERY')
  })

  it('an oversized callback body is refused', async () => {
    const h = await use()
    const response = await h.post(`${h.appURL}/callback`, `state=${'a'.repeat(70 * 1024)}`, {
      accept: 'application/json',
    })
    await expectRefused(h, response, 'BODY_TOO_LARGE')
  })
})

describe('body parsers and proxies', () => {
  it('works after @koa/bodyparser (raw body kept)', async () => {
    const h = await use({ bodyParser: 'koa' })
    expect((await h.login()).status).toBe(302)
    expect(h.jar.has(SESSION)).toBe(true)
  })

  it('works after a parser that kept only the parsed object, and still sees duplicates', async () => {
    const h = await use({ bodyParser: 'lossy' })
    const { action, params } = await h.authorize(await h.startLogin())
    params.append('code', 'second')
    const refused = await h.post(action, params, { accept: 'application/json' })
    expect((await refused.json()).error).toBe('CALLBACK_PARAMETER_DUPLICATED')
    expect((await h.login()).status).toBe(302)
  })

  it('plain http on a public host is refused with advice; app.proxy + X-Forwarded-Proto is honoured', async () => {
    const plain = await use()
    const refused = await rawGet(plain.appURL, '/login', {
      host: 'app.example.com',
      accept: 'application/json',
    })
    expect(refused.status).toBe(500)
    expect(JSON.parse(refused.body).message).toContain('app.proxy')
    await plain.close()
    harness = undefined
    const proxied = await use({ proxy: true })
    const allowed = await rawGet(proxied.appURL, '/login', {
      host: 'app.example.com',
      'x-forwarded-proto': 'https',
    })
    expect(allowed.status).toBe(302)
  })
})

describe('requireBearer: other schemes, and a provider that cannot be reached', () => {
  /** A bearer-protected Koa API whose issuer is a 127.0.0.1 port where nothing listens. */
  async function unreachableApi() {
    const port = await freePort()
    const api = new Koa()
    api.use(
      requireBearer(
        { issuerBaseURL: `http://127.0.0.1:${port}/`, audience: 'https://api.example.com' },
        { scopes: ['read:messages'] },
      ),
    )
    api.use((ctx) => {
      ctx.body = 'reached'
    })
    const { server, port: apiPort } = await listen(createServer(api.callback()))
    const url = `http://127.0.0.1:${apiPort}/`
    const call = (authorization: string) => fetch(url, { headers: { authorization } })
    return { call, close: () => closeServer(server) }
  }

  it('Basic is a 401 Bearer challenge without error code; a malformed Bearer header stays 400', async () => {
    const api = await unreachableApi()
    try {
      await expectBasicChallenged(api.call, 'Bearer, DPoP algs="ES256"')
      const twoTokens = await api.call('Bearer abc def')
      expect(twoTokens.status).toBe(400)
      expect(twoTokens.headers.get('www-authenticate')).toContain('error="invalid_request"')
    } finally {
      await api.close()
    }
  })

  it('an outage is 503 with Retry-After and no-store, never invalid_token; lowercase bearer reaches it', async () => {
    const api = await unreachableApi()
    try {
      await expectProviderOutage(api.call, 'Bearer, DPoP algs="ES256"')
    } finally {
      await api.close()
    }
  })
})

describe('RP-initiated logout with state (issue 18, real provider)', () => {
  it('logout → provider → back with the state → a clean redirect', async () => {
    await expectCleanReturnFromLogout(await use())
  })

  it("a forged sealed-looking state is not the library's: the app answers (here, no route: 404)", async () => {
    const h = await use()
    await logInAndOut(h, new CookieJar())
    const forged = await h.get('/?state=v1.forged.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', {
      accept: 'application/json',
    })
    expect(forged.status).toBe(404)
    expect(forged.headers.get('location')).toBeNull()
  })
})

describe('ignoreDiscoveryFor reaches the engine (issue 18 item 4)', () => {
  // A provider that answers response_type=code token without listing it (Glewlwyd).
  async function login(ignoreDiscoveryFor?: KoaAuthConfig['ignoreDiscoveryFor']) {
    const { server, port } = await listen()
    const base = `http://127.0.0.1:${port}`
    const app = new Koa()
    app.use(
      auth({
        issuerBaseURL: 'https://op.example.com/',
        baseURL: base,
        clientID: 'koa-app',
        clientSecret: 'koa-client-secret',
        secret: 'koa-adapter-test-cookie-secret-0123456789abcdef',
        fetch: unlistedCodeTokenDiscovery,
        authorizationParams: { response_type: 'code token' },
        ignoreDiscoveryFor,
      }),
    )
    server.on('request', app.callback())
    try {
      return await loginAnswer(
        await fetch(`${base}/login`, {
          redirect: 'manual',
          headers: { accept: 'application/json' },
        }),
      )
    } finally {
      await closeServer(server)
    }
  }

  it('refused before the redirect by default, with the advice; let through when set', async () => {
    await expectDiscoveryCheckOverridable(login)
  })
})
