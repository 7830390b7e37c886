/**
 * End to end on Node: the Hono test app served by `@hono/node-server`, against the real dev
 * provider (oidc-provider), for every hybrid response type; then session, refresh (forced, reduced,
 * and automatic when expired), userinfo, the API, logout (RP-initiated, its return, and
 * back-channel), and the bad cases — each of which must end in an error status with no session
 * cookie.
 */
import { CookieJar, completeLogout } from '@oidc-hybrid/dev-provider'
import {
  type Browser,
  createBrowser,
  expectCleanReturnFromLogout,
  expectInsufficientScope,
  expectLoggedOut,
  expectLoginComesBack,
  SESSION,
  TRANSACTION,
} from '@oidc-hybrid/test-kit'
import { afterEach, describe, expect, it } from 'vitest'
import {
  backchannelLogout,
  type HonoAuthConfig,
  MemorySessionStore,
  serverSessions,
} from '../src/index.js'
import { createTestApp } from './app.js'
import { type NodeServer, serveHono } from './node-server.js'
import { CLIENT_ID, startProvider, type TestProvider } from './provider.js'

interface Harness extends Browser {
  op: TestProvider
  server: NodeServer
}

let open: Array<{ close(): Promise<void> }> = []
afterEach(async () => {
  for (const item of open.reverse()) await item.close()
  open = []
})

async function use(
  options: {
    responseType?: string
    accessTokenTTL?: number
    /** Configure from the bindings (`(c) => config`), given as `app.fetch(request, env)`. */
    bindings?: boolean
    backchannelLogout?: boolean
    overrides?: Partial<HonoAuthConfig>
  } = {},
): Promise<Harness> {
  const server = await serveHono()
  open.push(server)
  const op = await startProvider(server.url, options)
  open.push(op)
  const env = op.env({ responseType: options.responseType })
  if (options.bindings) server.use(createTestApp('bindings', options.overrides), env)
  else server.use(createTestApp(env, options.overrides))
  return { ...createBrowser(server.url), op, server }
}

describe('login through the real provider', () => {
  for (const responseType of ['code id_token', 'code token', 'code id_token token']) {
    it(responseType, async () => {
      const h = await use({ responseType })
      const callback = await h.login()
      expect(callback.status).toBe(302)
      expect(callback.headers.get('location')).toBe(`${h.appURL}/`)
      expect(h.jar.has(SESSION)).toBe(true)
      expect(h.jar.has(TRANSACTION)).toBe(false)
      const me = await (await h.get('/me', { accept: 'application/json' })).json()
      expect(me.claims.sub).toBe('auth0|demo-user')
      expect(me.claims['http://fiz/baz']).toBe('some other value')
      expect(me.scope).toContain('read:messages')
      expect(await (await h.get('/')).text()).toBe('hello auth0|demo-user')
      expect(h.op.grants()).toBe(1)
      expect(h.server.errors).toEqual([])
    })
  }

  it('configured from the bindings, (c) => config: the same login, one engine for every request', async () => {
    const h = await use({ bindings: true })
    expect((await h.login()).status).toBe(302)
    expect((await h.get('/call-api')).status).toBe(200)
    expect((await h.get('/refresh')).status).toBe(200)
    expect((await h.get('/userinfo')).status).toBe(200)
    // One engine: the refreshed session is accepted by the API check sharing it.
    expect((await h.get('/call-api')).status).toBe(200)
    expect(h.server.errors).toEqual([])
  })
})

describe('after login', () => {
  it('calls the API with the access token, refreshes (also reduced), fetches userinfo', async () => {
    const h = await use()
    await h.login()
    const api = await h.get('/call-api')
    expect(api.status).toBe(200)
    expect(await api.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })
    const standalone = await h.get('/call-api?path=/api-standalone')
    expect(await standalone.json()).toMatchObject({ sub: 'auth0|demo-user' })

    const before = h.jar.get(SESSION)
    expect(before).toEqual(expect.any(String))
    const refreshed = await h.get('/refresh')
    expect((await refreshed.json()).scope).toContain('read:messages')
    // The refreshed session (rotated refresh token) went out on the response.
    expect(refreshed.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=`))).toBe(true)
    expect(h.jar.get(SESSION)).not.toBe(before)

    const reduced = await h.get(`/refresh?scope=${encodeURIComponent('openid offline_access')}`)
    expect(reduced.status).toBe(200)
    expect((await reduced.json()).scope ?? '').not.toContain('read:messages')
    // The session keeps its own access token: the API still accepts it.
    expect((await h.get('/call-api')).status).toBe(200)

    const userinfo = await (await h.get('/userinfo')).json()
    expect(userinfo).toMatchObject({ sub: 'auth0|demo-user', email: 'demo@example.com' })
    expect(h.server.errors).toEqual([])
  })

  it('an expired access token is refreshed and the new session cookie is sent with the response', async () => {
    // 10 s tokens are inside the 30 s refresh leeway: every use refreshes first.
    const h = await use({ accessTokenTTL: 10 })
    await h.login()
    expect(h.op.grants()).toBe(1)
    const first = await h.get('/call-api')
    expect(first.status).toBe(200)
    expect(h.op.grants()).toBe(2)
    expect(first.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=`))).toBe(true)
    // Refresh tokens rotate and a reused one revokes the grant: this second refresh only works
    // because the first one's session cookie reached the browser.
    const second = await h.get('/token')
    expect(second.status).toBe(200)
    expect(h.op.grants()).toBe(3)
    expect((await h.get('/call-api')).status).toBe(200)
  })

  it('sends the cookies also on a response with immutable headers (Response.redirect)', async () => {
    const h = await use({ accessTokenTTL: 10 })
    await h.login()
    const response = await h.get('/redirect')
    expect(response.status).toBe(302)
    expect(h.op.grants()).toBe(2)
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=`))).toBe(true)
    expect((await h.get('/token')).status).toBe(200)
    expect(h.op.grants()).toBe(3)
    expect(h.server.errors).toEqual([])
  })

  it("sends the app's own cookies (hono/cookie) and the refreshed session's together", async () => {
    const h = await use({ accessTokenTTL: 10 })
    await h.login()
    const response = await h.get('/own-cookie')
    expect(response.status).toBe(200)
    expect(h.op.grants()).toBe(2)
    const names = response.headers.getSetCookie().map((line) => line.split('=')[0])
    expect(names).toContain('theme')
    expect(names).toContain(SESSION)
    expect((await h.get('/token')).status).toBe(200)
    expect(h.op.grants()).toBe(3)
  })

  it("a proxied fetch() answer keeps its own Set-Cookie and gets the refreshed session's", async () => {
    const h = await use({ accessTokenTTL: 10 })
    await h.login()
    const response = await h.get('/proxied')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('themed')
    expect(h.op.grants()).toBe(2)
    const names = response.headers.getSetCookie().map((line) => line.split('=')[0])
    expect(names).toContain('theme')
    expect(names).toContain(SESSION)
    expect((await h.get('/token')).status).toBe(200)
    expect(h.op.grants()).toBe(3)
    expect(h.server.errors).toEqual([])
  })

  it('logs out: session cleared, redirect to the provider with id_token_hint', async () => {
    const h = await use()
    await h.login()
    await expectLoggedOut(h, await h.get('/logout'), {
      issuer: h.op.provider.issuer,
      clientId: CLIENT_ID,
    })
  })

  it("answers the provider's return from logout (its state checked) with a clean redirect", async () => {
    await expectCleanReturnFromLogout(await use())
  })

  it('the API answers RFC 6750: no token 401, bad token invalid_token, missing scope 403', async () => {
    const h = await use()
    const call = (path: string, token?: string) =>
      fetch(`${h.appURL}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
    const missing = await call('/api')
    expect(missing.status).toBe(401)
    // RFC 6750 3.1: a request without authentication gets a challenge without an error code.
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    expect(missing.headers.get('www-authenticate')).not.toContain('error=')
    const garbage = await call('/api', 'abc.def.ghi')
    expect(garbage.status).toBe(401)
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"')

    // The session's access token: real and valid, with read:messages but not write:messages.
    await h.login()
    const { token } = await (await h.get('/token')).json()
    const ok = await call('/api', token)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })
    expect((await call('/api-standalone', token)).status).toBe(200)
    await expectInsufficientScope(await call('/api-write', token), 'write:messages')
    // The same through the session's own fetch.
    const scope = await h.get('/call-api?path=/api-write')
    expect(scope.status).toBe(403)
    expect((await scope.json()).error).toBe('BEARER_INSUFFICIENT_SCOPE')
  })
})

describe('protected routes', () => {
  it('browsers are sent to login and come back; API clients get 401 JSON', async () => {
    const h = await use()
    await expectLoginComesBack(h, h.op.provider.issuer)
  })

  it("a library error thrown in a handler is answered with its own status, not Hono's 500", async () => {
    const h = await use()
    const response = await h.get('/unguarded-token', { accept: 'application/json' })
    expect(response.status).toBe(401)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({ error: 'SESSION_MISSING' })
  })
})

describe('back-channel logout (real provider)', () => {
  it('ending the provider session logs out every app session of it, in other browsers too', async () => {
    const store = new MemorySessionStore()
    const h = await use({
      backchannelLogout: true,
      overrides: {
        session: { store: serverSessions(store) },
        backchannelLogout: backchannelLogout(),
      },
    })
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

    // The user signs out at the provider: it POSTs a Logout Token to /backchannel-logout.
    await completeLogout(`${h.op.provider.issuer}oidc/logout?client_id=${CLIENT_ID}`, {
      cookieJar: providerJar,
    })
    expect(store.size).toBe(0)
    for (const cookie of browsers) expect((await me(cookie)).status).toBe(401)
    expect(h.server.errors).toEqual([])
  })
})

describe('bad callbacks end in an error and no session', () => {
  async function expectRefused(
    h: Harness,
    response: Response,
    code: string,
    status: number,
    grantsBefore = 0,
  ) {
    expect(response.status).toBe(status)
    expect((await response.json()).error).toBe(code)
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=`))).toBe(false)
    expect(h.jar.has(SESSION)).toBe(false)
    expect(h.op.grants()).toBe(grantsBefore)
  }
  const json = { accept: 'application/json' }

  it('a code swapped in from another login: c_hash mismatch (code injection)', async () => {
    const h = await use()
    const { a, b } = await h.twoLogins()
    a.params.set('code', b.params.get('code')!)
    await expectRefused(h, await h.post(a.action, a.params, json), 'C_HASH_MISMATCH', 400)
  })

  it("another login's response under this login's state: nonce mismatch", async () => {
    const h = await use()
    const { a, b } = await h.twoLogins()
    b.params.set('state', a.params.get('state')!)
    await expectRefused(h, await h.post(a.action, b.params, json), 'NONCE_MISMATCH', 400)
  })

  it('an access token swapped in from another login: at_hash mismatch', async () => {
    const h = await use({ responseType: 'code id_token token' })
    const { a, b } = await h.twoLogins()
    a.params.set('access_token', b.params.get('access_token')!)
    await expectRefused(h, await h.post(a.action, a.params, json), 'AT_HASH_MISMATCH', 400)
  })

  it('a forged state has no transaction', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    a.params.set('state', `${a.params.get('state')}x`)
    await expectRefused(h, await h.post(a.action, a.params, json), 'TRANSACTION_MISSING', 400)
  })

  it('the transaction cookie was not sent back: an HTML page for browsers', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    h.jar.cookies.clear()
    const response = await h.post(a.action, a.params, { accept: 'text/html' })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('text/html')
    const html = await response.text()
    expect(html).toContain('TRANSACTION_MISSING')
    expect(html).toContain('SameSite=None')
    expect(h.jar.has(SESSION)).toBe(false)
    expect(h.op.grants()).toBe(0)
  })

  it('a replayed callback is refused', async () => {
    const h = await use()
    const { action, params } = await h.authorize(await h.startLogin())
    const tx = new Map(h.jar.cookies)
    expect((await h.post(action, params)).status).toBe(302)
    for (const [name, value] of tx) h.jar.cookies.set(name, value)
    h.jar.cookies.delete(SESSION)
    await expectRefused(h, await h.post(action, params, json), 'TRANSACTION_MISSING', 400, 1)
  })

  it('hybrid parameters in a query string are refused', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    const response = await h.get(`/callback?${a.params}`, json)
    await expectRefused(h, response, 'CALLBACK_PARAMETERS_IN_QUERY', 400)
  })

  it('duplicated parameters in the form body are refused', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    a.params.append('code', 'second')
    await expectRefused(
      h,
      await h.post(a.action, a.params, json),
      'CALLBACK_PARAMETER_DUPLICATED',
      400,
    )
  })

  it('an oversized callback body is refused (declared Content-Length)', async () => {
    const h = await use()
    const response = await h.post(`${h.appURL}/callback`, `state=${'a'.repeat(70 * 1024)}`, json)
    await expectRefused(h, response, 'BODY_TOO_LARGE', 413)
  })

  it('an oversized callback body is refused (streamed, no Content-Length)', async () => {
    const h = await use()
    const chunk = new TextEncoder().encode('a'.repeat(16 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // 1 MiB at most: the adapter must stop reading long before.
        if (sent++ === 64) controller.close()
        else controller.enqueue(sent === 1 ? new TextEncoder().encode('state=') : chunk)
      },
    })
    const response = await h.post(`${h.appURL}/callback`, stream, json)
    await expectRefused(h, response, 'BODY_TOO_LARGE', 413)
  })
})
