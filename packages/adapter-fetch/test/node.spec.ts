/**
 * End to end on Node's own Request/Response: the test app (a plain fetch handler) served with
 * node:http, against the real dev provider (oidc-provider), for every hybrid response type; then
 * session, refresh (forced, reduced, and automatic when expired), userinfo, the API, logout, and
 * the bad cases — each of which must end in an error status with no session cookie.
 */
import {
  type Browser,
  createBrowser,
  expectInsufficientScope,
  expectLoggedOut,
  expectLoginComesBack,
  SESSION,
  TRANSACTION,
} from '@oidc-hybrid/test-kit'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestApp } from './app.js'
import { type NodeServer, serveNode } from './node-server.js'
import { startProvider, type TestProvider } from './provider.js'

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
  options: { responseType?: string; accessTokenTTL?: number } = {},
): Promise<Harness> {
  const server = await serveNode()
  open.push(server)
  const op = await startProvider(server.url, { accessTokenTTL: options.accessTokenTTL })
  open.push(op)
  server.use(createTestApp(op.env({ responseType: options.responseType })))
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
      expect(h.op.grants()).toBe(1)
      expect(h.server.errors).toEqual([])
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
    const standalone = await h.get('/call-api?path=/api-standalone')
    expect(await standalone.json()).toMatchObject({ sub: 'auth0|demo-user' })

    const before = h.jar.get(SESSION)
    expect(before).toEqual(expect.any(String))
    const refreshed = await h.get('/refresh')
    expect((await refreshed.json()).scope).toContain('read:messages')
    // the refreshed session (rotated refresh token) went out on the response
    expect(refreshed.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=`))).toBe(true)
    expect(h.jar.get(SESSION)).not.toBe(before)

    const reduced = await h.get(`/refresh?scope=${encodeURIComponent('openid offline_access')}`)
    expect(reduced.status).toBe(200)
    expect((await reduced.json()).scope ?? '').not.toContain('read:messages')
    // the session keeps its own access token: the API still accepts it
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

  it('logs out: session cleared, redirect to the provider with id_token_hint', async () => {
    const h = await use()
    await h.login()
    await expectLoggedOut(h, await h.get('/logout'), {
      issuer: h.op.provider.issuer,
      clientId: 'fetch-app',
    })
  })

  it('the API answers RFC 6750: no token 401, bad token invalid_token, missing scope 403', async () => {
    const h = await use()
    const call = (path: string, token?: string) =>
      fetch(`${h.appURL}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
    const missing = await call('/api')
    expect(missing.status).toBe(401)
    // 3.1: a request without authentication gets a challenge without an error code.
    expect(missing.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256"')
    const garbage = await call('/api', 'abc.def.ghi')
    expect(garbage.status).toBe(401)
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"')

    // The session's access token: real and valid, with read:messages but not write:messages.
    await h.login()
    const { token } = await (await h.get('/token')).json()
    expect((await call('/api', token)).status).toBe(200)
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
