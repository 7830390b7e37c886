import { describe, expect, it } from 'vitest'
import {
  ConfigurationError,
  createBearerVerifier,
  createHybridAuth,
  type HybridAuthConfig,
  OidcHybridError,
} from '../src/index.js'
import { APP, baseConfig as rotatedConfig, SECRET, setup, withSession } from './support/harness.js'
import type { Tampering } from './support/provider.js'

describe('full login through the engine', () => {
  for (const responseType of ['code id_token', 'code token', 'code id_token token'] as const) {
    for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
      it(`${responseType} with ${method}: session holds the token-endpoint tokens`, async () => {
        const t = await setup({
          clientAuthMethod: method,
          authorizationParams: {
            response_type: responseType,
            scope: 'openid profile offline_access',
            audience: 'https://api.example.test',
          },
        })
        const { start, params, callback } = await t.login()
        const authorize = new URL(start.headers.get('location')!)
        expect(authorize.searchParams.get('response_type')).toBe(responseType)
        expect(authorize.searchParams.get('response_mode')).toBe('form_post')
        expect(callback.error).toBeUndefined()
        expect(callback.status).toBe(302)
        expect(callback.headers.get('location')).toBe(`${APP}/`)
        const token = t.provider.calls.find((c) => c.path === '/oauth/token')!
        expect(token.body.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(token.body.get('redirect_uri')).toBe(`${APP}/callback`)
        expect(Boolean(token.headers.get('authorization'))).toBe(method === 'client_secret_basic')
        const { value: session } = await withSession(
          t.auth,
          t.request('GET', '/'),
          (s) => s.session,
        )
        expect(session?.sub).toBe('user-1')
        expect(session?.claims['https://example.test/custom']).toBe('claim')
        expect(session?.refreshToken).toBeTruthy()
        // Core 3.3.3.8: the API gets the token-endpoint access token, not the front-channel one.
        if (params.has('access_token'))
          expect(session?.accessToken).not.toBe(params.get('access_token'))
        // the transaction cookie is gone
        expect([...t.jar.cookies.keys()].some((n) => n.startsWith('__Host-oidc_tx_'))).toBe(false)
      })
    }
  }

  it('works with ES256 and PS256 providers', async () => {
    for (const alg of ['ES256', 'PS256'] as const) {
      const t = await setup({}, alg)
      const { callback } = await t.login()
      expect(callback.error).toBeUndefined()
    }
  })

  it('returns to a same-origin returnTo and refuses an open redirect', async () => {
    const t = await setup()
    const { callback } = await t.login(undefined, '/login?returnTo=%2Fprofile%3Ftab%3D1')
    expect(callback.headers.get('location')).toBe(`${APP}/profile?tab=1`)
    const refused = await t.startLogin('/login?returnTo=https%3A%2F%2Fevil.example')
    expect(refused.error?.code).toBe('RETURN_TO_INVALID')
    expect(refused.headers.get('location')).toBeNull()
  })

  it('sets the transaction cookie SameSite=None; Secure; HttpOnly and the session cookie Lax', async () => {
    const t = await setup()
    const start = await t.startLogin()
    const tx = start.headers.getSetCookie().find((c) => c.startsWith('__Host-oidc_tx_'))!
    expect(tx).toMatch(/SameSite=None/i)
    expect(tx).toMatch(/Secure/i)
    expect(tx).toMatch(/HttpOnly/i)
    const params = await t.provider.authorize(start.headers.get('location')!)
    const callback = await t.postCallback(params)
    const session = callback.headers.getSetCookie().find((c) => c.startsWith('__Host-appSession'))!
    expect(session).toMatch(/SameSite=Lax/i)
    expect(session).toMatch(/HttpOnly/i)
  })
})

describe('callback failures: typed error, no session, no token endpoint call', () => {
  const cases: Array<[string, Tampering, string]> = [
    [
      'rp-id_token-bad-c_hash',
      {
        frontChannelClaims: (c) => {
          c.c_hash = `${c.c_hash}1`
        },
      },
      'C_HASH_MISMATCH',
    ],
    [
      'rp-id_token-missing-c_hash',
      {
        frontChannelClaims: (c) => {
          delete c.c_hash
        },
      },
      'C_HASH_MISSING',
    ],
    [
      'rp-nonce-invalid',
      {
        frontChannelClaims: (c) => {
          c.nonce = `${c.nonce}1`
        },
      },
      'NONCE_MISMATCH',
    ],
    [
      'rp-id_token-issuer-mismatch',
      {
        frontChannelClaims: (c) => {
          c.iss = `${c.iss}1`
        },
      },
      'ID_TOKEN_ISSUER_MISMATCH',
    ],
    [
      'rp-id_token-aud',
      {
        frontChannelClaims: (c) => {
          c.aud = `${c.aud}1`
        },
      },
      'ID_TOKEN_AUDIENCE_MISMATCH',
    ],
    ['rp-id_token-bad-sig-rs256', { foreignKey: true }, 'ID_TOKEN_KEY_NOT_FOUND'],
    [
      'state mismatch',
      { params: (p) => p.set('state', `${p.get('state')}1`) },
      'TRANSACTION_MISSING',
    ],
    [
      'RFC 9207 iss mismatch',
      { params: (p) => p.set('iss', 'https://evil.example/') },
      'ISSUER_MISMATCH',
    ],
    [
      'error response',
      {
        params: (p) => {
          for (const k of [...p.keys()]) if (k !== 'state') p.delete(k)
          p.set('error', 'access_denied')
        },
      },
      'AUTHORIZATION_ERROR',
    ],
  ]
  for (const [name, tamper, code] of cases) {
    it(name, async () => {
      const t = await setup()
      const { callback } = await t.login(tamper)
      expect(callback.error?.code).toBe(code)
      expect(callback.status).toBeGreaterThanOrEqual(400)
      expect(callback.headers.get('location')).toBeNull()
      expect(callback.headers.getSetCookie().some((c) => c.startsWith('__Host-appSession'))).toBe(
        false,
      )
      expect(t.provider.count('/oauth/token')).toBe(0)
      expect(
        (await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value,
      ).toBeUndefined()
    })
  }

  it('rp-id_token-bad-at_hash (code id_token token)', async () => {
    const t = await setup({ authorizationParams: { response_type: 'code id_token token' } })
    const { callback } = await t.login({
      frontChannelClaims: (c) => {
        c.at_hash = `${c.at_hash}1`
      },
    })
    expect(callback.error?.code).toBe('AT_HASH_MISMATCH')
    expect(t.provider.count('/oauth/token')).toBe(0)
  })

  it('a missing transaction cookie is TRANSACTION_MISSING, naming the cookie', async () => {
    const t = await setup()
    const start = await t.startLogin()
    const params = await t.provider.authorize(start.headers.get('location')!)
    t.jar.cookies.clear()
    const callback = await t.postCallback(params)
    expect(callback.error?.code).toBe('TRANSACTION_MISSING')
    expect(callback.error?.message).toMatch(/SameSite=None/)
    expect(callback.error?.details).toEqual({ cookie: `__Host-oidc_tx_${params.get('state')}` })
    expect(t.provider.count('/oauth/token')).toBe(0)
  })

  it('a replayed callback is refused even with the transaction cookie', async () => {
    const t = await setup()
    const start = await t.startLogin()
    const txCookies = new Map(t.jar.cookies)
    const params = await t.provider.authorize(start.headers.get('location')!)
    expect((await t.postCallback(params)).error).toBeUndefined()
    for (const [k, v] of txCookies) t.jar.cookies.set(k, v)
    const replay = await t.postCallback(params)
    expect(replay.error?.code).toBe('TRANSACTION_MISSING')
    expect(t.provider.count('/oauth/token')).toBe(1)
  })

  it('an expired transaction is refused', async () => {
    const t = await setup()
    const start = await t.startLogin()
    const params = await t.provider.authorize(start.headers.get('location')!)
    t.clock.now += 601
    expect((await t.postCallback(params)).error?.code).toBe('TRANSACTION_EXPIRED')
  })

  it('OIDC Core 3.3.3.6: token-endpoint ID token with another sub is refused', async () => {
    const t = await setup()
    t.provider.nextTokenEndpointTamper = (c) => {
      c.sub = 'someone-else'
    }
    const { callback } = await t.login()
    expect(callback.error?.code).toBe('ID_TOKEN_SUBJECT_CHANGED')
    expect(callback.headers.getSetCookie().some((c) => c.startsWith('__Host-appSession'))).toBe(
      false,
    )
  })

  it('token-endpoint ID token with a wrong nonce is refused (RFC 9700 4.5.3.2)', async () => {
    const t = await setup()
    t.provider.nextTokenEndpointTamper = (c) => {
      c.nonce = 'other'
    }
    expect((await t.login()).callback.error?.code).toBe('NONCE_MISMATCH')
  })

  it('token endpoint OAuth error and 429 become typed errors', async () => {
    const t = await setup()
    t.provider.tokenEndpointOverride = () =>
      new Response(JSON.stringify({ error: 'invalid_grant' }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      })
    expect((await t.login()).callback.error?.code).toBe('TOKEN_ENDPOINT_ERROR')
    t.provider.tokenEndpointOverride = () =>
      new Response(JSON.stringify({ error: 'too_many_requests' }), {
        status: 429,
        headers: {
          'content-type': 'application/json',
          'retry-after': '7',
          'x-ratelimit-remaining': '0',
        },
      })
    const limited = (await t.login()).callback
    expect(limited.error?.code).toBe('RATE_LIMITED')
    expect(limited.error?.details).toMatchObject({ rateLimit: { retryAfter: 7, remaining: 0 } })
  })

  it('a token endpoint that hangs times out with a typed error', async () => {
    const t = await setup()
    const original = t.provider.fetch
    const hanging: typeof fetch = (input, init) =>
      (input instanceof Request ? input.url : String(input)).endsWith('/oauth/token')
        ? new Promise((_, reject) =>
            init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
          )
        : original(input, init)
    const auth = createHybridAuth({ ...rotatedConfig(t), fetch: hanging, httpTimeout: 50 })
    const start = await auth.login(t.request('GET', '/login'))
    t.jar.store(start.headers.getSetCookie())
    const params = await t.provider.authorize(start.headers.get('location')!)
    const callback = await auth.callback(t.request('POST', '/callback', params.toString()))
    expect(callback.error?.code).toBe('HTTP_TIMEOUT')
  })
})

describe('keys', () => {
  it('rp-key-rotation-op-sign-key: an unknown kid refetches the JWKS once', async () => {
    const t = await setup()
    expect((await t.login()).callback.error).toBeUndefined()
    const jwksFetches = t.provider.count('/.well-known/jwks.json')
    await t.provider.rotateKey(true)
    t.clock.now += 31
    expect((await t.login()).callback.error).toBeUndefined()
    expect(t.provider.count('/.well-known/jwks.json')).toBe(jwksFetches + 1)
  })

  it('a flood of unknown kids refetches the JWKS once per cooldown', async () => {
    const t = await setup()
    expect((await t.login()).callback.error).toBeUndefined()
    const before = t.provider.count('/.well-known/jwks.json')
    const results = await Promise.all([1, 2, 3].map(() => t.login({ foreignKey: true })))
    for (const { callback } of results) expect(callback.error?.code).toBe('ID_TOKEN_KEY_NOT_FOUND')
    expect(t.provider.count('/.well-known/jwks.json')).toBe(before + 1)
    t.clock.now += 10
    expect((await t.login({ foreignKey: true })).callback.error?.code).toBe(
      'ID_TOKEN_KEY_NOT_FOUND',
    )
    expect(t.provider.count('/.well-known/jwks.json')).toBe(before + 1)
  })
})

describe('sessions', () => {
  it('two logins in two tabs both complete', async () => {
    const t = await setup()
    const first = await t.startLogin()
    const second = await t.startLogin()
    const p2 = await t.provider.authorize(second.headers.get('location')!)
    const p1 = await t.provider.authorize(first.headers.get('location')!)
    expect((await t.postCallback(p2)).error).toBeUndefined()
    expect((await t.postCallback(p1)).error).toBeUndefined()
  })

  it('the number of transaction cookies stays capped', async () => {
    const t = await setup({ transaction: { maxCount: 3 } })
    for (let i = 0; i < 8; i++) {
      await t.startLogin()
      t.clock.now += 1
    }
    const tx = [...t.jar.cookies.keys()].filter((n) => n.startsWith('__Host-oidc_tx_'))
    expect(tx.length).toBe(3)
  })

  it('a tampered session cookie is no session and is cleared', async () => {
    const t = await setup()
    await t.login()
    const value = t.jar.cookies.get('__Host-appSession')!
    // One character of the ciphertext changed, always to a different one (a fixed replacement
    // was no change at all when the value happened to end with it).
    const at = value.length - 10
    const tampered = `${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`
    expect(tampered).not.toBe(value)
    t.jar.cookies.set('__Host-appSession', tampered)
    const { value: session, setCookies } = await withSession(
      t.auth,
      t.request('GET', '/'),
      (s) => s.session,
    )
    expect(session).toBeUndefined()
    expect(setCookies.some((c) => /^__Host-appSession=;/.test(c) && /Max-Age=0/i.test(c))).toBe(
      true,
    )
  })

  it('secret rotation: a session sealed under the old secret works and is resealed', async () => {
    const t = await setup()
    await t.login()
    const rotated = createHybridAuth({
      issuerBaseURL: 'https://op.example.test',
      baseURL: APP,
      clientID: t.provider.clientId,
      clientSecret: t.provider.clientSecret,
      secret: ['a-brand-new-secret-that-is-long-enough-987654', SECRET],
      fetch: t.provider.fetch,
      now: () => t.clock.now,
    })
    const { value: session, setCookies } = await withSession(
      rotated,
      t.request('GET', '/'),
      (s) => s.session,
    )
    expect(session?.sub).toBe('user-1')
    expect(setCookies.length).toBeGreaterThan(0)
    t.jar.store(setCookies)
    const onlyNew = createHybridAuth({
      ...rotatedConfig(t),
      secret: 'a-brand-new-secret-that-is-long-enough-987654',
    })
    expect((await withSession(onlyNew, t.request('GET', '/'), (s) => s.session)).value?.sub).toBe(
      'user-1',
    )
  })

  it('the absolute duration ends a session', async () => {
    const t = await setup({ session: { absoluteDuration: 100 } })
    await t.login()
    t.clock.now += 101
    expect(
      (await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value,
    ).toBeUndefined()
  })
})

describe('access tokens and refresh', () => {
  it('an expired access token is refreshed exactly once for many concurrent requests', async () => {
    const t = await setup()
    await t.login()
    t.clock.now += 3600
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        withSession(t.auth, t.request('GET', '/api'), (s) => s.getAccessToken()),
      ),
    )
    expect(
      t.provider.calls.filter((c) => c.body.get('grant_type') === 'refresh_token'),
    ).toHaveLength(1)
    const tokens = new Set(results.map((r) => r.value.accessToken))
    expect(tokens.size).toBe(1)
    expect(results[0]!.setCookies.length).toBeGreaterThan(0)
  })

  it('a rotated refresh token is never sent again by late requests with the old cookie', async () => {
    const t = await setup()
    await t.login()
    const oldCookies = new Map(t.jar.cookies)
    t.clock.now += 3600
    const first = await withSession(t.auth, t.request('GET', '/api'), (s) => s.getAccessToken())
    t.jar.store(first.setCookies)
    // A request that left the browser before the new cookie arrived:
    const savedJar = new Map(t.jar.cookies)
    t.jar.cookies.clear()
    for (const [k, v] of oldCookies) t.jar.cookies.set(k, v)
    const late = await withSession(t.auth, t.request('GET', '/api'), (s) => s.getAccessToken())
    expect(late.value.accessToken).toBe(first.value.accessToken)
    const sent = t.provider.calls
      .filter((c) => c.body.get('grant_type') === 'refresh_token')
      .map((c) => c.body.get('refresh_token'))
    expect(new Set(sent).size).toBe(sent.length)
    for (const [k, v] of savedJar) t.jar.cookies.set(k, v)
  })

  it('refresh with a reduced scope', async () => {
    const t = await setup()
    await t.login()
    const { value } = await withSession(t.auth, t.request('GET', '/'), (s) =>
      s.getAccessToken({
        scope: 'openid offline_access',
      }),
    )
    const call = t.provider.calls.find((c) => c.body.get('grant_type') === 'refresh_token')!
    expect(call.body.get('scope')).toBe('openid offline_access')
    expect(value.scope).toBe('openid offline_access')
  })

  it('a refreshed ID token for another subject is refused and the session kept', async () => {
    const t = await setup()
    await t.login()
    t.provider.nextTokenEndpointTamper = (c) => {
      c.sub = 'mallory'
    }
    await expect(
      withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken({ refresh: 'force' })),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_SUBJECT_CHANGED' })
    expect((await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value?.sub).toBe(
      'user-1',
    )
  })

  it('a failed refresh leaves the session usable and reports a typed error', async () => {
    const t = await setup()
    await t.login()
    t.provider.tokenEndpointOverride = () =>
      new Response(JSON.stringify({ error: 'invalid_grant' }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      })
    await expect(
      withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken({ refresh: 'force' })),
    ).rejects.toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR' })
    t.provider.tokenEndpointOverride = undefined
    expect(
      (
        await withSession(t.auth, t.request('GET', '/'), (s) =>
          s.getAccessToken({ refresh: 'force' }),
        )
      ).value.sub,
    ).toBe('user-1')
  })

  it('without offline_access an expired token reports REFRESH_TOKEN_MISSING', async () => {
    const t = await setup({ authorizationParams: { scope: 'openid' } })
    await t.login()
    t.clock.now += 3600
    await expect(
      withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken()),
    ).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_MISSING',
    })
  })

  it('calls an API with the token-endpoint access token as a Bearer token', async () => {
    const t = await setup()
    await t.login()
    const seen: string[] = []
    const api = createHybridAuth({
      ...rotatedConfig(t),
      fetch: (input, init) => {
        const r = new Request(input, init)
        if (r.url.startsWith('https://api.example.test')) {
          seen.push(r.headers.get('authorization') ?? '')
          return Promise.resolve(new Response('ok'))
        }
        return t.provider.fetch(input, init)
      },
    })
    const { value: response } = await withSession(api, t.request('GET', '/'), (s) =>
      s.fetchWithAccessToken('https://api.example.test/data'),
    )
    expect(await response.text()).toBe('ok')
    const { value: session } = await withSession(t.auth, t.request('GET', '/'), (s) => s.session)
    expect(seen).toEqual([`Bearer ${session!.accessToken}`])
  })
})

describe('userinfo, logout, bearer', () => {
  it('fetches userinfo and checks sub (rp-userinfo-bad-sub-claim)', async () => {
    const t = await setup()
    await t.login()
    const { value } = await withSession(t.auth, t.request('GET', '/'), (s) => s.fetchUserinfo())
    expect(value.name).toBe('Test User')
    expect(
      t.provider.calls.find((c) => c.path === '/userinfo')!.headers.get('authorization'),
    ).toMatch(/^Bearer /)
    t.provider.userinfoSub = 'user-1invalid'
    await expect(
      withSession(t.auth, t.request('GET', '/'), (s) => s.fetchUserinfo()),
    ).rejects.toMatchObject({
      code: 'USERINFO_SUB_MISMATCH',
    })
  })

  it('RP-initiated logout clears the session and redirects to the provider', async () => {
    const t = await setup()
    await t.login()
    const response = (await t.auth.handle(t.request('GET', '/logout?returnTo=%2Fbye')))!
    t.jar.store(response.headers.getSetCookie())
    const location = new URL(response.headers.get('location')!)
    expect(location.href.startsWith('https://op.example.test/oidc/logout')).toBe(true)
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${APP}/bye`)
    expect(location.searchParams.get('id_token_hint')).toBeTruthy()
    expect(
      (await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value,
    ).toBeUndefined()
  })

  it('Auth0 logout when the provider has no end_session_endpoint', async () => {
    const t = await setup({ logoutMode: 'auth0' })
    t.provider.endSessionEndpoint = false
    await t.login()
    const response = (await t.auth.handle(t.request('GET', '/logout')))!
    const location = new URL(response.headers.get('location')!)
    expect(location.pathname).toBe('/v2/logout')
    expect(location.searchParams.get('client_id')).toBe(t.provider.clientId)
    expect(location.searchParams.get('returnTo')).toBe(`${APP}/`)
  })

  it('a bearer verifier created with { engine } shares its cache and verifies the API token', async () => {
    const t = await setup()
    await t.login()
    const { value: session } = await withSession(t.auth, t.request('GET', '/'), (s) => s.session)
    const calls = t.provider.calls.length
    const bearer = createBearerVerifier({ engine: t.auth, audience: 'https://api.example.test' })
    const ok = await bearer.verify(`Bearer ${session!.accessToken}`, { scopes: ['openid'] })
    expect(ok.claims.sub).toBe('user-1')
    // Discovery and the JWKS came from the engine's cache.
    expect(t.provider.calls.length).toBe(calls)
    const denied = bearer.verify(`Bearer ${session!.accessToken}`, { scopes: ['admin'] })
    await expect(denied).rejects.toMatchObject({ code: 'BEARER_INSUFFICIENT_SCOPE' })
    const err = await denied.catch((e: unknown) => e)
    expect(bearer.failure(err, { scopes: ['admin'] })).toMatchObject({ status: 403 })
    await expect(
      bearer.verify(`Bearer ${session!.accessToken}`, { audience: 'https://other.example.test' }),
    ).rejects.toMatchObject({ code: 'BEARER_TOKEN_INVALID' })
    await expect(bearer.verify(undefined)).rejects.toMatchObject({ code: 'BEARER_TOKEN_MISSING' })
  })

  it('a bearer failure answer is never made of a misconfiguration: it is thrown again', () => {
    const bearer = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: 'https://api.example.test',
    })
    const misconfigured = new ConfigurationError('the JWKS URL is not https')
    expect(() => bearer.failure(misconfigured)).toThrow(misconfigured)
    expect(bearer.failure(new OidcHybridError('BEARER_TOKEN_INVALID', 'bad'))).toMatchObject({
      status: 401,
    })
    // A verifier given where a configuration may be is used as it is (same JWKS cache).
    expect(createBearerVerifier(bearer)).toBe(bearer)
  })

  it('the engine does not carry the bearer check', async () => {
    const t = await setup()
    expect('verifyBearer' in t.auth).toBe(false)
    expect(() => createBearerVerifier({ audience: 'x' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('handle() ignores other paths', async () => {
    const t = await setup()
    expect(await t.auth.handle(t.request('GET', '/anything'))).toBeUndefined()
  })
})

describe('configuration errors', () => {
  it.each([
    [{ secret: 'short' }, /secret/],
    [{ baseURL: 'http://app.example.test' }, /https/],
    [{ clientID: '' }, /clientID/],
    [{ issuerBaseURL: 'not a url' }, /issuerBaseURL/],
    [{ clientSecret: undefined, clientAuthMethod: 'client_secret_post' as const }, /clientSecret/],
    [{ routes: { callback: 'callback' } }, /routes.callback/],
    [{ authorizationParams: { response_type: 'code' } }, /response_type|code/],
  ])('%o is refused with ConfigurationError', (overrides, message) => {
    expect(() =>
      createHybridAuth({
        issuerBaseURL: 'https://op.example.test',
        baseURL: APP,
        clientID: 'c',
        clientSecret: 's',
        secret: SECRET,
        ...overrides,
      } as HybridAuthConfig),
    ).toThrow(message)
  })
})
