/**
 * End to end, on Express and on Fastify: the Nest adapter against the real dev provider
 * (oidc-provider) for every hybrid response type, then the guard, @Public(), the decorators,
 * refresh (forced, reduced, on expiry), userinfo, the bearer guard, logout, and the bad cases —
 * each of which must end in an error status with no session and no call to the token endpoint.
 */

import { Controller, Get, type INestApplication, Module, UseGuards } from '@nestjs/common'
import { OidcHybridError } from '@oidc-hybrid/core'
import { CookieJar, completeLogout } from '@oidc-hybrid/dev-provider'
import {
  expectBasicChallenged,
  expectCleanReturnFromLogout,
  expectDiscoveryCheckOverridable,
  expectInsufficientScope,
  expectLoggedOut,
  expectLoginComesBack,
  expectProviderOutage,
  freePort,
  logInAndOut,
  loginAnswer,
  unlistedCodeTokenDiscovery,
} from '@oidc-hybrid/test-kit'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  BearerAuthGuard,
  BearerAuthModule,
  HybridAuthModule,
  type HybridAuthModuleOptions,
  MemorySessionStore,
} from '../src/index.js'
import {
  ACCESS_TOKEN_TTL,
  type Browser,
  CLIENT_ID,
  closeServer,
  createApp,
  createHarness,
  type Harness,
  type Listener,
  listen,
  PLATFORMS,
  SESSION,
  TRANSACTION,
  webModule,
} from './harness.js'

const JSON_ACCEPT = { accept: 'application/json' }

describe.each(PLATFORMS)('%s', (platform) => {
  describe.each(['code id_token', 'code token', 'code id_token token'])(
    'login with response_type=%s',
    (responseType) => {
      let h: Harness
      beforeAll(async () => {
        h = await createHarness(platform, { responseType })
      })
      afterAll(() => h?.close())

      it('completes through the form_post callback and opens a protected route', async () => {
        const browser = h.browser()
        const callback = await browser.login()
        expect(callback.status).toBe(302)
        expect(callback.headers.get('location')).toBe(`${h.appURL}/`)
        // The session cookie and the cleared transaction cookie: several Set-Cookie headers.
        expect(callback.headers.getSetCookie().length).toBeGreaterThanOrEqual(2)
        expect(browser.jar.has(SESSION)).toBe(true)
        expect(browser.jar.has(TRANSACTION)).toBe(false)
        const me = await browser.get('/me', JSON_ACCEPT)
        expect(me.status).toBe(200)
        const body = await me.json()
        expect(body.claims.sub).toBe('auth0|demo-user')
        expect(body.claims['http://fiz/baz']).toBe('some other value')
        expect(body.email).toBe('demo@example.com')
        expect(body.scope).toContain('read:messages')
        expect(body.hasRefreshToken).toBe(true)
        expect(h.grants()).toBe(1)
      })
    },
  )

  it('private_key_jwt from configuration (a PKCS#8 PEM): logs in, the provider verified the assertion', async () => {
    const h = await createHarness(platform, { privateKeyJwt: true })
    try {
      const browser = h.browser()
      expect((await browser.login()).status).toBe(302)
      expect((await (await browser.get('/me', JSON_ACCEPT)).json()).claims.sub).toBe(
        'auth0|demo-user',
      )
      expect(h.grants()).toBe(1)
    } finally {
      await h.close()
    }
  })

  describe('with a session', () => {
    let h: Harness
    let browser: Browser
    beforeAll(async () => {
      h = await createHarness(platform)
    })
    afterAll(() => h?.close())
    beforeEach(async () => {
      h.clock.skew = 0
      browser = h.browser()
      expect((await browser.login()).status).toBe(302)
    })

    it('@Public() routes see the user too', async () => {
      const home = await browser.get('/', JSON_ACCEPT)
      expect(await home.json()).toEqual({ authenticated: true, sub: 'auth0|demo-user' })
    })

    it('@AccessToken() passes the bearer guard with the scope; a route needing another scope is 403', async () => {
      const { token } = await (await browser.get('/token', JSON_ACCEPT)).json()
      const ok = await fetch(`${h.apiURL}/api/messages`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({ sub: 'auth0|demo-user', scopes: ['read:messages'] })

      const write = await fetch(`${h.apiURL}/api/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      })
      await expectInsufficientScope(write, 'read:messages write:messages')
    })

    it('@RequiredClaims(): a matching claim passes, a failing check is 403 insufficient_scope', async () => {
      const { token } = await (await browser.get('/token', JSON_ACCEPT)).json()
      const headers = { authorization: `Bearer ${token}` }
      const custom = await fetch(`${h.apiURL}/api/custom-claim`, { headers })
      expect(custom.status).toBe(200)
      expect(await custom.json()).toEqual({ value: 'value' })
      const globex = await fetch(`${h.apiURL}/api/globex`, { headers })
      expect(globex.status).toBe(403)
      expect(globex.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
    })

    it('@Oidc() fetch calls the API with the session access token', async () => {
      const response = await browser.get('/call-api', JSON_ACCEPT)
      expect(await response.json()).toEqual({
        status: 200,
        body: { sub: 'auth0|demo-user', scopes: ['read:messages'] },
      })
    })

    it('refreshes on demand and with a reduced scope; the session keeps its own token', async () => {
      const before = (await (await browser.get('/token', JSON_ACCEPT)).json()).token
      const forced = await browser.get('/refresh', JSON_ACCEPT)
      expect(forced.status).toBe(200)
      const refreshed = await forced.json()
      expect(refreshed.token).not.toBe(before)
      expect(refreshed.scope).toContain('read:messages')
      // The refreshed session (rotated refresh token) went out as a cookie.
      expect(forced.headers.getSetCookie().some((line) => line.startsWith(SESSION))).toBe(true)
      expect((await (await browser.get('/token', JSON_ACCEPT)).json()).token).toBe(refreshed.token)

      const reduced = await browser.get(
        `/refresh?scope=${encodeURIComponent('openid offline_access')}`,
        JSON_ACCEPT,
      )
      expect(reduced.status).toBe(200)
      const narrowed = await reduced.json()
      expect(narrowed.scope ?? '').not.toContain('read:messages')
      const refused = await fetch(`${h.apiURL}/api/messages`, {
        headers: { authorization: `Bearer ${narrowed.token}` },
      })
      // The narrowed token is for the API but lacks the scope: the bearer guard says so.
      await expectInsufficientScope(refused, 'read:messages')
      // The session still has its full token, and its rotated refresh token still works.
      expect((await (await browser.get('/call-api', JSON_ACCEPT)).json()).status).toBe(200)
      expect((await browser.get('/refresh', JSON_ACCEPT)).status).toBe(200)
    })

    it('@AccessToken() refreshes an expired token and writes the new session cookie', async () => {
      const first = (await (await browser.get('/token', JSON_ACCEPT)).json()).token
      const grants = h.grants()
      h.clock.skew = ACCESS_TOKEN_TTL + 60
      const expired = await browser.get('/token', JSON_ACCEPT)
      expect(expired.status).toBe(200)
      const second = (await expired.json()).token
      expect(second).not.toBe(first)
      expect(h.grants()).toBe(grants + 1)
      expect(expired.headers.getSetCookie().some((line) => line.startsWith(SESSION))).toBe(true)
      // Back on time: the stored session holds the new token, no further refresh.
      h.clock.skew = 0
      expect((await (await browser.get('/token', JSON_ACCEPT)).json()).token).toBe(second)
      expect(h.grants()).toBe(grants + 1)
      const api = await fetch(`${h.apiURL}/api/messages`, {
        headers: { authorization: `Bearer ${second}` },
      })
      expect(api.status).toBe(200)
    })

    it("the refreshed session cookie is added next to the app's own Set-Cookie", async () => {
      const response = await browser.get('/cookie-and-refresh', JSON_ACCEPT)
      expect(response.status).toBe(200)
      const lines = response.headers.getSetCookie()
      expect(lines.some((line) => line.startsWith('app=1'))).toBe(true)
      expect(lines.some((line) => line.startsWith(`${SESSION}=`))).toBe(true)
    })

    it('fetches userinfo', async () => {
      const userinfo = await browser.get('/userinfo', JSON_ACCEPT)
      expect(await userinfo.json()).toMatchObject({
        sub: 'auth0|demo-user',
        email: 'demo@example.com',
      })
    })

    it('logs out: session cleared, redirect to the provider with id_token_hint', async () => {
      await expectLoggedOut(browser, await browser.get('/logout'), {
        issuer: h.provider.issuer,
        clientId: CLIENT_ID,
      })
    })
  })

  describe('server-side sessions (session.store)', () => {
    const store = new MemorySessionStore()
    let h: Harness
    beforeAll(async () => {
      h = await createHarness(platform, { sessionStore: store, backchannelLogout: true })
    })
    afterAll(() => h?.close())

    it('the cookie holds only an id; the API call works; logout deletes the record', async () => {
      const browser = h.browser()
      expect((await browser.login()).status).toBe(302)
      const cookie = browser.jar.get(SESSION)!
      expect(cookie.length).toBeLessThan(200)
      expect(store.size).toBe(1)
      expect((await browser.get('/me', JSON_ACCEPT)).status).toBe(200)
      expect((await browser.get('/logout')).status).toBe(302)
      expect(store.size).toBe(0)
      // A copy of the cookie opens no session once its record is gone.
      browser.jar.cookies.set(SESSION, cookie)
      expect((await browser.get('/me', JSON_ACCEPT)).status).toBe(401)
    })

    it('a failing store answers 503 SESSION_STORE_FAILED', async () => {
      const browser = h.browser()
      expect((await browser.login()).status).toBe(302)
      const get = store.get
      store.get = () => {
        throw new Error('connection refused')
      }
      try {
        const me = await browser.get('/me', JSON_ACCEPT)
        expect(me.status).toBe(503)
        expect(await me.json()).toMatchObject({ error: 'SESSION_STORE_FAILED' })
      } finally {
        store.get = get
      }
      expect((await browser.get('/logout')).status).toBe(302)
    })

    it('back-channel logout: ending the provider session ends its sessions in every browser', async () => {
      // Two browsers sharing the provider session (single sign-on): one sid.
      const providerJar = new CookieJar()
      const browsers = [h.browser(), h.browser()]
      for (const browser of browsers) {
        expect((await browser.login({ providerJar })).status).toBe(302)
        expect((await browser.get('/me', JSON_ACCEPT)).status).toBe(200)
      }
      expect(store.size).toBe(2)
      await completeLogout(`${h.provider.issuer}oidc/logout?client_id=${CLIENT_ID}`, {
        cookieJar: providerJar,
      })
      expect(store.size).toBe(0)
      for (const browser of browsers) {
        expect((await browser.get('/me', JSON_ACCEPT)).status).toBe(401)
      }
    })
  })

  describe('back-channel logout failures', () => {
    let h: Harness
    beforeAll(async () => {
      h = await createHarness(platform, {
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
    })
    afterAll(() => h?.close())

    it('are answered 400 as the spec requires, not with the error table status', async () => {
      const response = await fetch(`${h.appURL}/backchannel-logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'logout_token=x',
      })
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({ error: 'SESSION_STORE_FAILED' })
    })
  })

  describe('without a session', () => {
    let h: Harness
    beforeAll(async () => {
      h = await createHarness(platform)
    })
    afterAll(() => h?.close())

    it('@Public() routes answer', async () => {
      const home = await h.browser().get('/', JSON_ACCEPT)
      expect(home.status).toBe(200)
      expect(await home.json()).toEqual({ authenticated: false })
    })

    it('browsers are sent to the login and come back to the page they asked for', async () => {
      await expectLoginComesBack(h.browser(), h.provider.issuer)
    })

    it('API clients get 401 JSON, and no login is started', async () => {
      const browser = h.browser()
      const response = await browser.get('/me', JSON_ACCEPT)
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ error: 'SESSION_MISSING' })
      expect(browser.jar.has(TRANSACTION)).toBe(false)
    })

    it("a library error in a handler is rendered: the core's status, HTML or JSON", async () => {
      const browser = h.browser()
      const json = await browser.get('/public-userinfo', JSON_ACCEPT)
      expect(json.status).toBe(401)
      expect(json.headers.get('content-type')).toContain('application/json')
      expect(await json.json()).toMatchObject({ error: 'SESSION_MISSING' })
      const html = await browser.get('/public-userinfo', { accept: 'text/html' })
      expect(html.status).toBe(401)
      expect(html.headers.get('content-type')).toContain('text/html')
      expect(await html.text()).toContain('SESSION_MISSING')
    })

    it('the bearer guard: no token is a bare 401 challenge, a bad one 401 invalid_token', async () => {
      const missing = await fetch(`${h.apiURL}/api/messages`)
      expect(missing.status).toBe(401)
      expect(missing.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256"')
      expect(missing.headers.get('cache-control')).toBe('no-store')
      const garbage = await fetch(`${h.apiURL}/api/messages`, {
        headers: { authorization: 'Bearer abc.def.ghi' },
      })
      expect(garbage.status).toBe(401)
      expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"')
      expect(await garbage.json()).toMatchObject({ error: 'BEARER_TOKEN_INVALID' })
      const malformed = await fetch(`${h.apiURL}/api/messages`, {
        headers: { authorization: 'Bearer abc def' },
      })
      expect(malformed.status).toBe(400)
      expect(malformed.headers.get('www-authenticate')).toContain('error="invalid_request"')
      const open = await fetch(`${h.apiURL}/api/health`)
      expect(open.status).toBe(200)
    })
  })

  describe('bad callbacks end in an error and no session', () => {
    let h: Harness
    let browser: Browser
    // `code id_token token`: the front channel carries a code, an ID token and an access token.
    beforeAll(async () => {
      h = await createHarness(platform, { responseType: 'code id_token token' })
    })
    afterAll(() => h?.close())
    beforeEach(() => {
      browser = h.browser()
    })

    async function expectRefused(response: Response, code: string, grantsBefore: number) {
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect((await response.json()).error).toBe(code)
      expect(response.headers.getSetCookie().some((line) => line.startsWith(SESSION))).toBe(false)
      expect(browser.jar.has(SESSION)).toBe(false)
      expect(h.grants()).toBe(grantsBefore)
    }

    it('rp-code-injection: a code swapped in from another login is a c_hash mismatch', async () => {
      const grants = h.grants()
      const { a, b } = await browser.twoLogins()
      a.params.set('code', b.params.get('code')!)
      await expectRefused(
        await browser.post(a.action, a.params, JSON_ACCEPT),
        'C_HASH_MISMATCH',
        grants,
      )
    })

    it("rp-nonce-invalid: another login's response under this login's state", async () => {
      const grants = h.grants()
      const { a, b } = await browser.twoLogins()
      b.params.set('state', a.params.get('state')!)
      await expectRefused(
        await browser.post(a.action, b.params, JSON_ACCEPT),
        'NONCE_MISMATCH',
        grants,
      )
    })

    it('rp-id_token-bad-at_hash: an access token swapped in from another login', async () => {
      const grants = h.grants()
      const { a, b } = await browser.twoLogins()
      a.params.set('access_token', b.params.get('access_token')!)
      await expectRefused(
        await browser.post(a.action, a.params, JSON_ACCEPT),
        'AT_HASH_MISMATCH',
        grants,
      )
    })

    it('a forged state has no transaction', async () => {
      const grants = h.grants()
      const { a } = await browser.twoLogins()
      a.params.set('state', `${a.params.get('state')}x`)
      await expectRefused(
        await browser.post(a.action, a.params, JSON_ACCEPT),
        'TRANSACTION_MISSING',
        grants,
      )
    })

    it('the transaction cookie was not sent back: 400 with advice for the browser', async () => {
      const grants = h.grants()
      const { a } = await browser.twoLogins()
      browser.jar.cookies.clear()
      const response = await browser.post(a.action, a.params, { accept: 'text/html' })
      expect(response.status).toBe(400)
      expect(response.headers.get('content-type')).toContain('text/html')
      const html = await response.text()
      expect(html).toContain('TRANSACTION_MISSING')
      expect(html).toContain('SameSite=None')
      expect(browser.jar.has(SESSION)).toBe(false)
      expect(h.grants()).toBe(grants)
    })

    it('a replayed callback is refused', async () => {
      const { action, params } = await browser.authorize(await browser.startLogin())
      const transaction = new Map(browser.jar.cookies)
      expect((await browser.post(action, params)).status).toBe(302)
      const grants = h.grants()
      for (const [name, value] of transaction) browser.jar.cookies.set(name, value)
      browser.jar.cookies.delete(SESSION)
      await expectRefused(
        await browser.post(action, params, JSON_ACCEPT),
        'TRANSACTION_MISSING',
        grants,
      )
    })

    it('hybrid parameters in a query string are refused', async () => {
      const grants = h.grants()
      const { a } = await browser.twoLogins()
      await expectRefused(
        await browser.get(`/callback?${a.params}`, JSON_ACCEPT),
        'CALLBACK_PARAMETERS_IN_QUERY',
        grants,
      )
    })

    it('a duplicated parameter is refused', async () => {
      const grants = h.grants()
      const { a } = await browser.twoLogins()
      a.params.append('code', 'second')
      await expectRefused(
        await browser.post(a.action, a.params, JSON_ACCEPT),
        'CALLBACK_PARAMETER_DUPLICATED',
        grants,
      )
    })

    it('a callback with another method is refused', async () => {
      const grants = h.grants()
      const { a } = await browser.twoLogins()
      const response = await browser.post(a.action, a.params, JSON_ACCEPT, 'PUT')
      expect(response.status).toBe(405)
      await expectRefused(response, 'CALLBACK_METHOD_NOT_ALLOWED', grants)
    })

    it('an oversized callback body is refused', async () => {
      const grants = h.grants()
      const response = await browser.post(
        `${h.appURL}/callback`,
        `state=${'a'.repeat(70 * 1024)}`,
        JSON_ACCEPT,
      )
      expect(response.status).toBe(413)
      await expectRefused(response, 'BODY_TOO_LARGE', grants)
    })
  })
})

describe.each(PLATFORMS)(
  '%s: bearer guard, other schemes and an unreachable provider',
  (platform) => {
    @Controller('api')
    @UseGuards(BearerAuthGuard)
    class DownApiController {
      @Get('messages')
      messages() {
        return { reached: true }
      }
    }

    let api: Listener
    let app: INestApplication
    beforeAll(async () => {
      // The issuer is a 127.0.0.1 port where nothing listens.
      const port = await freePort()
      @Module({
        imports: [
          BearerAuthModule.forRoot({
            issuerBaseURL: `http://127.0.0.1:${port}/`,
            audience: 'https://api.example.com',
            realm: 'api',
          }),
        ],
        controllers: [DownApiController],
      })
      class DownApiModule {}
      api = await listen()
      app = await createApp(DownApiModule, api.server, { platform })
    })
    afterAll(async () => {
      await app?.close()
      if (api) await closeServer(api.server)
    })

    const call = (authorization: string) =>
      fetch(`${api.url}/api/messages`, { headers: { authorization } })

    it('Basic is a 401 Bearer challenge without error code; a malformed Bearer header stays 400', async () => {
      await expectBasicChallenged(call, 'Bearer realm="api", DPoP realm="api", algs="ES256"')
      const noToken = await call('Bearer')
      expect(noToken.status).toBe(400)
      expect(noToken.headers.get('www-authenticate')).toContain('error="invalid_request"')
    })

    it('an outage is 503 with Retry-After and no-store, never invalid_token; lowercase bearer reaches it', async () => {
      await expectProviderOutage(call, 'Bearer realm="api", DPoP realm="api", algs="ES256"')
      const down = await call('Bearer abc.def.ghi')
      expect(down.headers.get('content-type')).toContain('application/json')
    })
  },
)

describe.each(PLATFORMS)('%s: RP-initiated logout with state (issue 18)', (platform) => {
  let h: Harness
  beforeAll(async () => {
    h = await createHarness(platform)
  })
  afterAll(() => h?.close())

  it('logout → provider → back with the state → a clean redirect', async () => {
    const browser = h.browser()
    await expectCleanReturnFromLogout(browser)
    // The clean URL is the app's own page.
    const home = await browser.get('/', JSON_ACCEPT)
    expect(await home.json()).toEqual({ authenticated: false })
  })

  it("a forged sealed-looking state is not the library's: the app answers", async () => {
    const browser = h.browser()
    await logInAndOut(browser, new CookieJar())
    const forged = await browser.get(
      '/?state=v1.forged.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA',
      JSON_ACCEPT,
    )
    expect(forged.status).toBe(200)
    expect(await forged.json()).toEqual({ authenticated: false })
  })

  it('our state but on another path than the return, or a state of the app: the app answers', async () => {
    const browser = h.browser()
    const endSession = await logInAndOut(browser, new CookieJar(), '/logout?returnTo=%2Fbye')
    const home = await browser.get(`/?state=${endSession.searchParams.get('state')}`, JSON_ACCEPT)
    expect(home.status).toBe(200)
    expect(await home.json()).toEqual({ authenticated: false })
    const own = await browser.get('/?state=anything', JSON_ACCEPT)
    expect(await own.json()).toEqual({ authenticated: false })
  })
})

// Issue 18 item 4.
describe.each(PLATFORMS)('%s: ignoreDiscoveryFor reaches the engine', (platform) => {
  // A provider that answers response_type=code token without listing it (Glewlwyd).
  async function login(ignoreDiscoveryFor?: HybridAuthModuleOptions['ignoreDiscoveryFor']) {
    const listener = await listen()
    const auth = HybridAuthModule.forRoot({
      issuerBaseURL: 'https://op.example.com/',
      baseURL: listener.url,
      clientID: CLIENT_ID,
      clientSecret: 'nest-client-secret',
      secret: 'nestjs-adapter-test-cookie-secret-0123456789abcdef',
      fetch: unlistedCodeTokenDiscovery,
      authorizationParams: { response_type: 'code token' },
      ignoreDiscoveryFor,
    })
    const app = await createApp(webModule(auth), listener.server, { platform })
    try {
      return await loginAnswer(
        await fetch(`${listener.url}/login`, { redirect: 'manual', headers: JSON_ACCEPT }),
      )
    } finally {
      await app.close()
      await closeServer(listener.server)
    }
  }

  it('refused before the redirect by default, with the advice; let through when set', async () => {
    await expectDiscoveryCheckOverridable(login)
  })
})
