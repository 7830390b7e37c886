/**
 * End to end: the Express adapter against the real dev provider (oidc-provider), for every
 * response type and client authentication method, then refresh, userinfo, the API, logout,
 * server sessions, back-channel logout, silent login, and the bad cases — each of which must end
 * in an error status with no session. Express 5 throughout; the parts where Express 4 differs
 * (body parsers, async errors, the proxy setting) on Express 4 too.
 */
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createBearerVerifier, OidcHybridError } from '@oidc-hybrid/core'
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
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import {
  auth,
  type ExpressAuthConfig,
  MemorySessionStore,
  requireAuth,
  requireBearer,
  requiresAuth,
} from '../src/index.js'
import { AUDIENCE, CLIENT_ID, createHarness, type Harness, type HarnessOptions } from './harness.js'

let harness: Harness | undefined
async function use(options: HarnessOptions = {}): Promise<Harness> {
  await harness?.close()
  harness = await createHarness(options)
  return harness
}
afterEach(async () => {
  await harness?.close()
  harness = undefined
})

const JSON_ACCEPT = { accept: 'application/json' }

/** Logged in, and the session works: `/me` answers the demo user's claims. */
async function expectLoggedIn(h: Harness): Promise<void> {
  expect(h.jar.has(SESSION)).toBe(true)
  expect(h.jar.has(TRANSACTION)).toBe(false)
  const me = await h.get('/me', JSON_ACCEPT)
  expect(me.status).toBe(200)
  const { claims } = await me.json()
  expect(claims.sub).toBe('auth0|demo-user')
  expect(claims['http://fiz/baz']).toBe('some other value')
}

describe('login through the real provider', () => {
  for (const responseType of ['code id_token', 'code token', 'code id_token token', 'code']) {
    for (const clientAuth of [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ] as const) {
      it(`${responseType} with ${clientAuth}`, async () => {
        const h = await use({ responseType, clientAuth })
        const authorizationUrl = new URL(await h.startLogin())
        expect(authorizationUrl.searchParams.get('response_type')).toBe(responseType)
        expect(authorizationUrl.searchParams.get('response_mode')).toBe('form_post')
        const callback = await h.login({ authorizationUrl: authorizationUrl.href })
        expect(callback.status).toBe(302)
        expect(callback.headers.get('location')).toBe(`${h.appURL}/`)
        await expectLoggedIn(h)
        // One code exchange, its client authentication accepted by oidc-provider.
        expect(h.grants()).toBe(1)
      })
    }
  }

  it('req.oidc.login() and logout() from a handler', async () => {
    const h = await use()
    const start = await h.get('/start')
    expect(start.status).toBe(302)
    const callback = await h.login({ authorizationUrl: start.headers.get('location')! })
    expect(callback.headers.get('location')).toBe(`${h.appURL}/me`)
    await expectLoggedIn(h)
    const bye = await h.get('/bye')
    expect(bye.status).toBe(302)
    const endSession = new URL(bye.headers.get('location')!)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(`${h.appURL}/goodbye`)
    expect(h.jar.has(SESSION)).toBe(false)
  })
})

describe('after login', () => {
  it('calls the API with the access token, refreshes (also reduced), fetches userinfo', async () => {
    const h = await use()
    await h.login()
    const api = await h.get('/call-api')
    expect(api.status).toBe(200)
    expect(await api.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })

    const sessionBefore = h.jar.get(SESSION)
    const refreshed = await h.get('/refresh')
    expect(refreshed.status).toBe(200)
    // The refreshed session went out with the answer the handler sent after the refresh.
    expect(refreshed.headers.getSetCookie().some((line) => line.startsWith(SESSION))).toBe(true)
    expect(h.jar.get(SESSION)).not.toBe(sessionBefore)
    expect((await refreshed.json()).scope).toContain('read:messages')
    const reduced = await h.get(`/refresh?scope=${encodeURIComponent('openid offline_access')}`)
    expect(reduced.status).toBe(200)
    expect((await reduced.json()).scope ?? '').not.toContain('read:messages')
    // The session keeps its own access token: the API still accepts it.
    expect((await h.get('/call-api')).status).toBe(200)
    expect(h.grants()).toBe(3)

    const userinfo = await (await h.get('/userinfo')).json()
    expect(userinfo).toMatchObject({ sub: 'auth0|demo-user', email: 'demo@example.com' })
  })

  it('refreshes by itself once the access token expired, and keeps the refreshed session', async () => {
    const h = await use({ accessTokenTTL: 3, refreshLeeway: 1 })
    await h.login()
    const first = await (await h.get('/token')).json()
    expect(first.expiredBefore).toBe(false)
    expect(h.grants()).toBe(1)
    await sleep(2_300)
    const second = await h.get('/token')
    const renewed = await second.json()
    expect(renewed.expiredBefore).toBe(true)
    expect(renewed.token).not.toBe(first.token)
    expect(h.grants()).toBe(2)
    // The Set-Cookie of the refresh reached the browser: the next request needs no refresh.
    expect(second.headers.getSetCookie().some((line) => line.startsWith(SESSION))).toBe(true)
    const third = await (await h.get('/token')).json()
    expect(third).toMatchObject({ token: renewed.token, expiredBefore: false })
    expect(h.grants()).toBe(2)
  })

  it('a refresh that cannot reach the provider: 502 from authErrorHandler, the session kept', async () => {
    const h = await use()
    await h.login()
    h.setOutage(true)
    const down = await h.get('/refresh', JSON_ACCEPT)
    // The error table's status (docs/errors.md), not Express's 500.
    expect(down.status).toBe(502)
    expect(down.headers.get('cache-control')).toBe('no-store')
    expect(await down.json()).toMatchObject({ error: 'HTTP_REQUEST_FAILED' })
    h.setOutage(false)
    expect((await h.get('/call-api')).status).toBe(200)
  })

  it('logs out: session cleared, redirect to the provider with id_token_hint', async () => {
    const h = await use()
    await h.login()
    await expectLoggedOut(h, await h.get('/logout'), {
      issuer: h.provider.issuer,
      clientId: CLIENT_ID,
    })
  })
})

describe('requireBearer', () => {
  /** The challenge to a request without a Bearer token: whatever the core's verifier gives. */
  function bareChallenge(issuerBaseURL: string): string {
    const verifier = createBearerVerifier({ issuerBaseURL, audience: AUDIENCE })
    const missing = new OidcHybridError('BEARER_TOKEN_MISSING', 'no token')
    const challenge = verifier.failure(missing).wwwAuthenticate
    expect(challenge).toMatch(/^Bearer\b/)
    expect(challenge).not.toContain('error=')
    return challenge
  }

  it('200 with the scope, 401 without a token or with a bad one, 403 without the scope', async () => {
    const h = await use()
    const call = (token?: string) =>
      fetch(`${h.apiURL}/`, token ? { headers: { authorization: `Bearer ${token}` } } : {})
    const missing = await call()
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe(bareChallenge(h.provider.issuer))
    expect(missing.headers.get('cache-control')).toBe('no-store')
    const garbage = await call('abc.def.ghi')
    expect(garbage.status).toBe(401)
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"')

    await h.login()
    const api = await h.get('/call-api')
    expect(api.status).toBe(200)
    expect(await api.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })
    // A real access token for this API without read:messages: the grant refreshed, reduced.
    const reduced = await h.get(`/refresh?scope=${encodeURIComponent('openid offline_access')}`)
    const { token } = await reduced.json()
    expect([jwtPayload(token).aud].flat()).toContain(AUDIENCE)
    await expectInsufficientScope(await call(token), 'read:messages')
  })

  /** A bearer-protected Express API whose issuer is a 127.0.0.1 port where nothing listens. */
  async function unreachableApi(major: 4 | 5 = 5) {
    const issuer = `http://127.0.0.1:${await freePort()}/`
    const app = major === 4 ? (await import('express4')).default() : express()
    app.get(
      '/',
      requireBearer({ issuerBaseURL: issuer, audience: AUDIENCE }, { scopes: ['read:messages'] }),
      (_req, res) => {
        res.send('reached')
      },
    )
    const { server, port } = await listen(createServer(app))
    const call = (authorization: string) =>
      fetch(`http://127.0.0.1:${port}/`, { headers: { authorization } })
    return { call, challenge: bareChallenge(issuer), close: () => closeServer(server) }
  }

  for (const major of [5, 4] as const) {
    it(`Express ${major}: Basic gets the bare Bearer challenge; a malformed Bearer header is 400`, async () => {
      const api = await unreachableApi(major)
      try {
        await expectBasicChallenged(api.call, api.challenge)
        const twoTokens = await api.call('Bearer abc def')
        expect(twoTokens.status).toBe(400)
        expect(twoTokens.headers.get('www-authenticate')).toContain('error="invalid_request"')
      } finally {
        await api.close()
      }
    })
  }

  it('a provider outage is 503 with Retry-After, never invalid_token', async () => {
    const api = await unreachableApi()
    try {
      await expectProviderOutage(api.call, api.challenge)
    } finally {
      await api.close()
    }
  })

  it('a misconfiguration is thrown to Express, not answered 401', async () => {
    const app = express()
    // No audience: CONFIG_INVALID at the first check, for the developer to see.
    app.get('/', requireBearer({ issuerBaseURL: 'http://127.0.0.1:9/' } as never), (_q, res) => {
      res.send('reached')
    })
    app.use(
      (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(599).send((error as OidcHybridError).code)
      },
    )
    const { server, url } = await listen(createServer(app))
    try {
      const response = await fetch(`${url}/`, { headers: { authorization: 'Bearer a.b.c' } })
      expect(response.status).toBe(599)
      expect(await response.text()).toBe('CONFIG_INVALID')
    } finally {
      await closeServer(server)
    }
  })
})

describe('server-side sessions (session.store) and back-channel logout', () => {
  it('the cookie holds only an id; refresh, API and logout work; a copied cookie dies at logout', async () => {
    const store = new MemorySessionStore()
    const h = await use({ sessionStore: store })
    expect((await h.login()).status).toBe(302)
    expect(h.jar.get(SESSION)!.length).toBeLessThan(200)
    expect(store.size).toBe(1)
    expect((await h.get('/call-api')).status).toBe(200)
    expect((await (await h.get('/refresh')).json()).scope).toContain('read:messages')
    expect((await h.get('/call-api')).status).toBe(200)
    const copy = h.jar.header()
    expect((await h.get('/logout')).status).toBe(302)
    expect(store.size).toBe(0)
    const replay = await fetch(`${h.appURL}/me`, { headers: { cookie: copy, ...JSON_ACCEPT } })
    expect(replay.status).toBe(401)
  })

  it('a failing store answers 503 SESSION_STORE_FAILED, not a 500', async () => {
    const store = new MemorySessionStore()
    const h = await use({ sessionStore: store })
    await h.login()
    store.get = () => {
      throw new Error('connection refused')
    }
    const me = await h.get('/me', JSON_ACCEPT)
    expect(me.status).toBe(503)
    expect(me.headers.get('cache-control')).toBe('no-store')
    expect(await me.json()).toMatchObject({ error: 'SESSION_STORE_FAILED' })
  })

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
    const me = (cookie: string) => fetch(`${h.appURL}/me`, { headers: { cookie, ...JSON_ACCEPT } })
    for (const cookie of browsers) expect((await me(cookie)).status).toBe(200)
    // The user signs out at the provider: it POSTs a Logout Token to the app.
    await completeLogout(`${h.provider.issuer}oidc/logout?client_id=${CLIENT_ID}`, {
      cookieJar: providerJar,
    })
    expect(store.size).toBe(0)
    for (const cookie of browsers) expect((await me(cookie)).status).toBe(401)
  })

  it('a bad Logout Token is answered 400 and no-store, whatever a body parser did', async () => {
    const h = await use({
      sessionStore: new MemorySessionStore(),
      backchannelLogout: true,
      bodyParser: 'urlencoded',
    })
    const response = await fetch(`${h.appURL}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=x',
    })
    expect(response.status).toBe(400)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({ error: 'LOGOUT_TOKEN_INVALID' })
  })
})

describe('RP-initiated logout and its return (real provider)', () => {
  it('logout → provider → back with the state → a clean redirect', async () => {
    await expectCleanReturnFromLogout(await use())
  })

  it("a forged sealed-looking state is not the library's: the app answers (no route: 404)", async () => {
    const h = await use()
    await logInAndOut(h, new CookieJar())
    const forged = await h.get(
      '/?state=v1.forged.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA',
      JSON_ACCEPT,
    )
    expect(forged.status).toBe(404)
    expect(forged.headers.get('location')).toBeNull()
  })
})

describe('requireAuth', () => {
  it('requiresAuth (express-openid-connect’s name) is the same function', () => {
    expect(requiresAuth).toBe(requireAuth)
  })

  for (const major of [5, 4] as const) {
    it(`Express ${major}: browsers go to the login and come back; API clients get 401 JSON`, async () => {
      const h = await use({ express: major })
      await expectLoginComesBack(h, h.provider.issuer)
    })
  }

  it('a form POST to a protected route is 401, never a redirect', async () => {
    const h = await use()
    const app = express()
    app.use(auth({ ...baseConfig(h), baseURL: h.appURL }))
    app.post('/protected', requireAuth(), (_req, res) => {
      res.send('reached')
    })
    const { server, url } = await listen(createServer(app))
    try {
      const response = await fetch(`${url}/protected`, {
        method: 'POST',
        headers: { accept: 'text/html', 'content-type': 'application/x-www-form-urlencoded' },
        body: 'a=1',
        redirect: 'manual',
      })
      expect(response.status).toBe(401)
      expect(response.headers.get('location')).toBeNull()
    } finally {
      await closeServer(server)
    }
  })

  it('without auth() first, the mistake goes to Express, not a 401', async () => {
    const app = express()
    app.get('/', requireAuth(), (_req, res) => {
      res.send('reached')
    })
    app.use(
      (error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(599).send(error.message)
      },
    )
    const { server, url } = await listen(createServer(app))
    try {
      const response = await fetch(`${url}/`)
      expect(response.status).toBe(599)
      expect(await response.text()).toContain('auth() middleware to run first')
    } finally {
      await closeServer(server)
    }
  })
})

describe('silent login (GET /login?prompt=none)', () => {
  it('without a provider session: back at returnTo, not logged in, no error page', async () => {
    const h = await use()
    const authorizationUrl = await h.startLogin('/login?prompt=none&returnTo=%2Fme')
    expect(new URL(authorizationUrl).searchParams.get('prompt')).toBe('none')
    const { action, params } = await h.authorize(authorizationUrl, { providerJar: new CookieJar() })
    expect(params.get('error')).toBe('login_required')
    const callback = await h.post(action, params, JSON_ACCEPT)
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe(`${h.appURL}/me`)
    expect(h.jar.has(SESSION)).toBe(false)
    expect(h.jar.has(TRANSACTION)).toBe(false)
    expect(h.grants()).toBe(0)
    expect((await h.get('/me', JSON_ACCEPT)).status).toBe(401)
  })
})

describe('bad callbacks end in an error and no session', () => {
  async function expectRefused(h: Harness, response: Response, code: string, grantsBefore = 0) {
    expect(response.status).toBeGreaterThanOrEqual(400)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect((await response.json()).error).toBe(code)
    expect(h.jar.has(SESSION)).toBe(false)
    expect(h.grants()).toBe(grantsBefore)
  }

  it('a forged state has no transaction', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    a.params.set('state', `${a.params.get('state')}x`)
    await expectRefused(h, await h.post(a.action, a.params, JSON_ACCEPT), 'TRANSACTION_MISSING')
  })

  it('a code swapped in from another login: c_hash mismatch (code injection)', async () => {
    const h = await use()
    const { a, b } = await h.twoLogins()
    a.params.set('code', b.params.get('code')!)
    await expectRefused(h, await h.post(a.action, a.params, JSON_ACCEPT), 'C_HASH_MISMATCH')
  })

  it('the transaction cookie was not sent back: a readable 400 page for browsers', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    h.jar.cookies.clear()
    const response = await h.post(a.action, a.params, { accept: 'text/html' })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('text/html')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const html = await response.text()
    expect(html).toContain('TRANSACTION_MISSING')
    expect(html).toContain('SameSite=None')
    expect(h.jar.has(SESSION)).toBe(false)
    expect(h.grants()).toBe(0)
  })

  it('a replayed callback is refused', async () => {
    const h = await use()
    const { action, params } = await h.authorize(await h.startLogin())
    const transaction = new Map(h.jar.cookies)
    expect((await h.post(action, params)).status).toBe(302)
    for (const [name, value] of transaction) h.jar.cookies.set(name, value)
    h.jar.cookies.delete(SESSION)
    await expectRefused(h, await h.post(action, params, JSON_ACCEPT), 'TRANSACTION_MISSING', 1)
  })

  it('hybrid parameters in a query string are refused', async () => {
    const h = await use()
    const { a } = await h.twoLogins()
    const response = await h.get(`/callback?${a.params}`, JSON_ACCEPT)
    await expectRefused(h, response, 'CALLBACK_PARAMETERS_IN_QUERY')
  })

  it('an oversized callback body is refused', async () => {
    const h = await use()
    const body = `state=${'a'.repeat(70 * 1024)}`
    await expectRefused(h, await h.post('/callback', body, JSON_ACCEPT), 'BODY_TOO_LARGE')
  })
})

describe('body parsers mounted before auth()', () => {
  for (const [major, bodyParser] of [
    [5, 'urlencoded'],
    [5, 'extended'],
    [5, 'raw'],
    [4, 'urlencoded'],
    [4, 'extended'],
    [4, undefined],
  ] as const) {
    it(`Express ${major}, ${bodyParser ?? 'no parser'}: logs in, and still sees a duplicated parameter`, async () => {
      const h = await use({ express: major, bodyParser })
      const { action, params } = await h.authorize(await h.startLogin())
      const duplicated = new URLSearchParams(params)
      duplicated.append('code', 'second')
      const refused = await h.post(action, duplicated, JSON_ACCEPT)
      expect(refused.status).toBe(400)
      expect((await refused.json()).error).toBe('CALLBACK_PARAMETER_DUPLICATED')
      expect(h.jar.has(SESSION)).toBe(false)
      // The same login's own answer, as sent: its transaction is still there.
      expect((await h.post(action, params)).status).toBe(302)
      await expectLoggedIn(h)
    })
  }

  it('a nested value (qs) cannot be the form as sent: refused, not flattened', async () => {
    const h = await use({ bodyParser: 'extended' })
    const { action, params } = await h.authorize(await h.startLogin())
    params.append('state[x]', '1')
    const refused = await h.post(action, params, JSON_ACCEPT)
    expect((await refused.json()).error).toBe('CALLBACK_CONTENT_TYPE_INVALID')
    expect(h.jar.has(SESSION)).toBe(false)
  })

  it('a parsed body over the limit is refused as a raw one is (back-channel logout too)', async () => {
    const h = await use({
      bodyParser: 'urlencoded',
      sessionStore: new MemorySessionStore(),
      backchannelLogout: true,
    })
    // 70 KB: within express.urlencoded()'s 100 KB, over the library's 64 KB.
    const body = `logout_token=${'a'.repeat(70 * 1024)}`
    const response = await h.post('/backchannel-logout', body, JSON_ACCEPT)
    expect(response.status).toBe(413)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect((await response.json()).error).toBe('BODY_TOO_LARGE')
  })

  it('a middleware that read the body and kept nothing: an error that says so', async () => {
    const h = await use({ bodyParser: 'discarding' })
    const { action, params } = await h.authorize(await h.startLogin())
    const refused = await h.post(action, params, JSON_ACCEPT)
    const body = await refused.json()
    expect(body.error).toBe('CALLBACK_CONTENT_TYPE_INVALID')
    expect(body.message).toContain('rawBody')
    expect(h.jar.has(SESSION)).toBe(false)
  })
})

describe('plain http and trust proxy', () => {
  for (const major of [5, 4] as const) {
    it(`Express ${major}: plain http on a public host is refused with advice; trust proxy + X-Forwarded-Proto is honoured`, async () => {
      const plain = await use({ express: major })
      const refused = await rawGet(plain.appURL, '/login', {
        host: 'app.example.com',
        accept: 'application/json',
      })
      expect(refused.status).toBe(500)
      expect(refused.headers['cache-control']).toBe('no-store')
      expect(JSON.parse(refused.body).message).toContain("app.set('trust proxy', 1)")
      // An untrusted X-Forwarded-Proto changes nothing.
      const spoofed = await rawGet(plain.appURL, '/login', {
        host: 'app.example.com',
        'x-forwarded-proto': 'https',
      })
      expect(spoofed.status).toBe(500)
      const proxied = await use({ express: major, trustProxy: true })
      const allowed = await rawGet(proxied.appURL, '/login', {
        host: 'app.example.com',
        'x-forwarded-proto': 'https',
      })
      expect(allowed.status).toBe(302)
    })
  }
})

/** The configuration of the harness's app, for another app beside it. */
function baseConfig(h: Harness): ExpressAuthConfig {
  return {
    issuerBaseURL: h.provider.issuer,
    baseURL: h.appURL,
    clientID: CLIENT_ID,
    clientSecret: 'express-test-client-secret-0123456789abcdef0123',
    secret: 'express-adapter-test-cookie-secret-0123456789abcdef',
  }
}

describe('ignoreDiscoveryFor reaches the engine', () => {
  // A provider that answers response_type=code token without listing it (Glewlwyd).
  async function login(ignoreDiscoveryFor?: ExpressAuthConfig['ignoreDiscoveryFor']) {
    const { server, port } = await listen()
    const base = `http://127.0.0.1:${port}`
    const app = express()
    app.use(
      auth({
        issuerBaseURL: 'https://op.example.com/',
        baseURL: base,
        clientID: CLIENT_ID,
        clientSecret: 'express-client-secret',
        secret: 'express-adapter-test-cookie-secret-0123456789abcdef',
        fetch: unlistedCodeTokenDiscovery,
        authorizationParams: { response_type: 'code token' },
        ignoreDiscoveryFor,
      }),
    )
    server.on('request', app)
    try {
      return await loginAnswer(
        await fetch(`${base}/login`, { redirect: 'manual', headers: JSON_ACCEPT }),
      )
    } finally {
      await closeServer(server)
    }
  }

  it('refused before the redirect by default, with the advice; let through when set', async () => {
    await expectDiscoveryCheckOverridable(login)
  })
})
