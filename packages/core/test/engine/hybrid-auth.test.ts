// The engine's routes as a browser meets them, against the provider fixture: login, the
// form_post callback (and every way it is refused), logout, the session and transaction cookies,
// keys, and the configuration createHybridAuth refuses.
import { jwtVerify } from 'jose'
import { type ClientAuth, PrivateKeyJwt } from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import type { HybridAuthConfig } from '../../src/engine/config.js'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import {
  APP,
  baseConfig,
  MINIMAL_CONFIG,
  SECRET,
  SESSION_COOKIE,
  setup,
  TX_COOKIE,
  tampered,
} from '../support/harness.js'
import type { Tampering } from '../support/provider.js'

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
        const session = await t.session()
        expect(session?.sub).toBe('user-1')
        expect(session?.claims['https://example.test/custom']).toBe('claim')
        // The refresh token is the one the provider issued at the token endpoint.
        expect(t.provider.refreshTokens.has(session!.refreshToken!)).toBe(true)
        // Core 3.3.3.8: the API gets the token-endpoint access token, not the front-channel one.
        if (params.has('access_token'))
          expect(session?.accessToken).not.toBe(params.get('access_token'))
        // the transaction cookie is gone
        expect(t.jar.names(TX_COOKIE)).toEqual([])
      })
    }
  }

  it('works with ES256 and PS256 providers', async () => {
    for (const alg of ['ES256', 'PS256'] as const) {
      const t = await setup({}, alg)
      const { callback } = await t.login()
      expect(callback.error).toBeUndefined()
      // The session holds the provider's ID token, signed with that algorithm.
      const session = await t.session()
      expect(session?.sub).toBe('user-1')
      const header = JSON.parse(
        Buffer.from(session!.idToken!.split('.')[0]!, 'base64url').toString(),
      )
      expect(header.alg).toBe(alg)
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
    const { start, callback } = await t.login()
    const tx = start.headers.getSetCookie().find((c) => c.startsWith(TX_COOKIE))!
    expect(tx).toMatch(/SameSite=None/i)
    expect(tx).toMatch(/Secure/i)
    expect(tx).toMatch(/HttpOnly/i)
    const session = callback.headers.getSetCookie().find((c) => c.startsWith(SESSION_COOKIE))!
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
      expect(callback.headers.getSetCookie().some((c) => c.startsWith(SESSION_COOKIE))).toBe(false)
      expect(t.provider.count('/oauth/token')).toBe(0)
      expect(await t.session()).toBeUndefined()
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
    const { params } = await t.beginLogin()
    t.jar.cookies.clear()
    const callback = await t.postCallback(params)
    expect(callback.error?.code).toBe('TRANSACTION_MISSING')
    expect(callback.error?.message).toMatch(/SameSite=None/)
    expect(callback.error?.details).toEqual({ cookie: `${TX_COOKIE}${params.get('state')}` })
    expect(t.provider.count('/oauth/token')).toBe(0)
  })

  it('a replayed callback is refused even with the transaction cookie', async () => {
    const t = await setup()
    const { params } = await t.beginLogin()
    const withTransaction = t.jar.copy()
    expect((await t.postCallback(params)).error).toBeUndefined()
    t.jar.restore(withTransaction)
    const replay = await t.postCallback(params)
    expect(replay.error?.code).toBe('TRANSACTION_MISSING')
    expect(t.provider.count('/oauth/token')).toBe(1)
  })

  it('an expired transaction is refused', async () => {
    const t = await setup()
    const { params } = await t.beginLogin()
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
    expect(callback.headers.getSetCookie().some((c) => c.startsWith(SESSION_COOKIE))).toBe(false)
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
    const auth = createHybridAuth({ ...baseConfig(t), fetch: hanging, httpTimeout: 50 })
    const { callback } = await t.using(auth).login()
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
    expect(t.jar.names(TX_COOKIE)).toHaveLength(2)
    const p2 = await t.provider.authorize(second.headers.get('location')!, { sub: 'user-2' })
    const p1 = await t.provider.authorize(first.headers.get('location')!)
    expect((await t.postCallback(p2)).error).toBeUndefined()
    expect((await t.session())?.sub).toBe('user-2')
    expect((await t.postCallback(p1)).error).toBeUndefined()
    // Each callback found its own transaction and spent it; the last login is the session.
    expect((await t.session())?.sub).toBe('user-1')
    expect(t.jar.names(TX_COOKIE)).toEqual([])
  })

  it('the number of transaction cookies stays capped', async () => {
    const t = await setup({ transaction: { maxCount: 3 } })
    for (let i = 0; i < 8; i++) {
      await t.startLogin()
      t.clock.now += 1
    }
    expect(t.jar.names(TX_COOKIE)).toHaveLength(3)
  })

  it('a tampered session cookie is no session and is cleared', async () => {
    const t = await setup()
    await t.login()
    const value = t.jar.cookies.get(SESSION_COOKIE)!
    // One character of the ciphertext changed, always to a different one (a fixed replacement
    // was no change at all when the value happened to end with it).
    expect(tampered(value)).not.toBe(value)
    t.jar.cookies.set(SESSION_COOKIE, tampered(value))
    const { value: session, setCookies } = await t.read((s) => s.session)
    expect(session).toBeUndefined()
    expect(setCookies.some((c) => /^__Host-appSession=;/.test(c) && /Max-Age=0/i.test(c))).toBe(
      true,
    )
  })

  it('secret rotation: a session sealed under the old secret works and is resealed', async () => {
    const t = await setup()
    await t.login()
    const NEW_SECRET = 'a-brand-new-secret-that-is-long-enough-987654'
    const rotated = createHybridAuth({ ...baseConfig(t), secret: [NEW_SECRET, SECRET] })
    const loaded = await rotated.load(t.request('GET', '/'))
    expect(loaded.session?.sub).toBe('user-1')
    const setCookies = loaded.takeSetCookies()
    expect(setCookies.length).toBeGreaterThan(0)
    t.jar.store(setCookies)
    const onlyNew = createHybridAuth({ ...baseConfig(t), secret: NEW_SECRET })
    expect((await onlyNew.load(t.request('GET', '/'))).session?.sub).toBe('user-1')
  })

  it('the absolute duration ends a session', async () => {
    const t = await setup({ session: { absoluteDuration: 100 } })
    await t.login()
    t.clock.now += 101
    expect(await t.session()).toBeUndefined()
  })
})

describe('logout and other paths', () => {
  it('RP-initiated logout clears the session and redirects to the provider', async () => {
    const t = await setup()
    await t.login()
    const { idToken } = (await t.session())!
    const response = (await t.auth.handle(t.request('GET', '/logout?returnTo=%2Fbye')))!
    t.jar.store(response.headers.getSetCookie())
    const location = new URL(response.headers.get('location')!)
    expect(location.href.startsWith('https://op.example.test/oidc/logout')).toBe(true)
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${APP}/bye`)
    // The hint is the session's own ID token.
    expect(location.searchParams.get('id_token_hint')).toBe(idToken)
    expect(await t.session()).toBeUndefined()
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
    [{ authorizationParams: { response_type: 'token' } }, /response type/],
  ])('%o is refused with ConfigurationError', (overrides, message) => {
    expect(() => createHybridAuth({ ...MINIMAL_CONFIG, ...overrides } as HybridAuthConfig)).toThrow(
      message,
    )
  })
})

describe('custom client authentication: applied by the engine when it sends', () => {
  it('the clientAuth function gets the issuer, the client and the grant, and what it sets is sent', async () => {
    const calls: unknown[][] = []
    const apply: ClientAuth = (as, client, body, headers) => {
      calls.push([as, client, Object.fromEntries(body)])
      // The fixture provider knows the client by its secret; a real assertion would go here.
      body.set('client_id', client.client_id)
      body.set('client_secret', 'client-1-secret-with-enough-entropy-0123456789')
      headers.set('x-client-proof', 'proof')
    }
    const t = await setup({ clientAuth: apply })
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const token = t.provider.calls.find((call) => call.path === '/oauth/token')!
    expect(token.headers.get('x-client-proof')).toBe('proof')
    expect(token.headers.get('authorization')).toBeNull()
    expect(calls).toEqual([
      [
        { issuer: t.provider.issuer, token_endpoint: `${t.provider.issuer}oauth/token` },
        { client_id: t.provider.clientId },
        expect.objectContaining({ grant_type: 'authorization_code' }),
      ],
    ])
    // On refresh too: every token request goes out the same way.
    await t.inRequest((loaded) => loaded.refresh())
    expect(calls).toHaveLength(2)
    expect(calls[1]![2]).toMatchObject({ grant_type: 'refresh_token' })
  })

  it('private_key_jwt: a fresh assertion signed for the issuer at each send', async () => {
    const { privateKey, publicKey } = (await globalThis.crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const t = await setup({ clientSecret: undefined, clientAuth: PrivateKeyJwt(privateKey) })
    // The fixture provider does not take assertions: the grant fails, the request is what counts.
    await t.login()
    const token = t.provider.calls.find((call) => call.path === '/oauth/token')!
    expect(token.body.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
    const { payload, protectedHeader } = await jwtVerify(
      token.body.get('client_assertion')!,
      publicKey,
      {
        issuer: t.provider.clientId,
        subject: t.provider.clientId,
        audience: t.provider.issuer,
        algorithms: ['ES256'],
      },
    )
    expect(protectedHeader.alg).toBe('ES256')
    expect(typeof payload.jti).toBe('string')
    expect(token.body.has('client_secret')).toBe(false)
  })

  it('a clientAuth that cannot be applied is CONFIG_INVALID (500), no session', async () => {
    // ECDH is for key agreement: no assertion can be signed with it.
    const unusable = (
      (await globalThis.crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, [
        'deriveBits',
      ])) as CryptoKeyPair
    ).privateKey
    const t = await setup({ clientSecret: undefined, clientAuth: PrivateKeyJwt(unusable) })
    const { callback } = await t.login()
    expect(callback.status).toBe(500)
    expect(callback.error).toMatchObject({ code: 'CONFIG_INVALID' })
    expect(callback.error?.message).toMatch(/clientAuth/)
    expect(t.provider.calls.some((call) => call.path === '/oauth/token')).toBe(false)
    expect(await t.session()).toBeUndefined()
  })
})

describe('per-login overrides never erase configured parameters', () => {
  it('a screen_hint override keeps organization, audience, scope (org-restricted app stays restricted)', async () => {
    const t = await setup({
      authorizationParams: {
        scope: 'openid offline_access',
        audience: 'https://api.example.test',
        organization: 'org_abc',
      },
    })
    const response = await t.auth.login(t.request('GET', '/login'), {
      authorizationParams: { screen_hint: 'signup' },
    })
    const url = new URL(response.headers.get('location')!)
    expect(url.searchParams.get('organization')).toBe('org_abc')
    expect(url.searchParams.get('audience')).toBe('https://api.example.test')
    expect(url.searchParams.get('scope')).toContain('offline_access')
    expect(url.searchParams.get('screen_hint')).toBe('signup')
  })

  it('a per-login response_mode other than form_post is refused', async () => {
    const t = await setup()
    const response = await t.auth.login(t.request('GET', '/login'), {
      authorizationParams: { response_mode: 'fragment' },
    })
    expect(response.error?.code).toBe('CONFIG_INVALID')
    expect(response.headers.get('location')).toBeNull()
  })
})

describe('callbacks', () => {
  it('two concurrent replays of one response reach the token endpoint once', async () => {
    const t = await setup()
    const { params } = await t.beginLogin()
    const [a, b] = await Promise.all([t.postCallback(params), t.postCallback(params)])
    expect([a.error?.code, b.error?.code].filter(Boolean)).toEqual(['TRANSACTION_MISSING'])
    expect(t.provider.count('/oauth/token')).toBe(1)
  })

  it('a request URL that is not absolute is a ConfigurationError, not a TypeError', async () => {
    const t = await setup()
    await expect(
      t.auth.handle({ method: 'GET', url: '/login', headers: new Headers() }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('a callback state that cannot name a cookie is a missing transaction', async () => {
    const t = await setup()
    const { params } = await t.beginLogin()
    // The cookie exists under the state's name; a state with other characters must not reach it.
    t.jar.cookies.set(`${TX_COOKIE}a.b`, t.jar.cookies.get(`${TX_COOKIE}${params.get('state')}`)!)
    params.set('state', 'a.b')
    expect((await t.postCallback(params)).error?.code).toBe('TRANSACTION_MISSING')
  })

  it('used states are forgotten once their transaction would have expired', async () => {
    const t = await setup({ transaction: { maxAge: 60 } })
    const { params } = await t.beginLogin()
    const withTransaction = t.jar.copy()
    expect((await t.postCallback(params)).error).toBeUndefined()
    // While the transaction could still be presented, its state is remembered as used.
    t.jar.restore(withTransaction)
    expect((await t.postCallback(params)).error).toMatchObject({
      code: 'TRANSACTION_MISSING',
      message: 'this login response was already used',
    })
    t.clock.now += 120
    // Then it is forgotten: a replay is judged by its (expired) transaction cookie alone.
    t.jar.restore(withTransaction)
    expect((await t.postCallback(params)).error?.code).toBe('TRANSACTION_EXPIRED')
    // The next callback evicts the expired, used state; that login completes too.
    expect((await t.login()).callback.error).toBeUndefined()
    expect(t.provider.count('/oauth/token')).toBe(2)
  })
})

describe('transaction and session cookies', () => {
  it('a login expires transaction cookies that expired or no longer open', async () => {
    const t = await setup({ transaction: { maxAge: 60 } })
    await t.startLogin()
    const [expired] = t.jar.names(TX_COOKIE)
    t.jar.cookies.set(`${TX_COOKIE}forged`, 'v1.x.y.z')
    t.clock.now += 120
    const start = await t.startLogin()
    const cleared = start.headers
      .getSetCookie()
      .filter((line) => /Max-Age=0/i.test(line))
      .map((line) => line.slice(0, line.indexOf('=')))
    expect(cleared.sort()).toEqual([expired, `${TX_COOKIE}forged`].sort())
  })

  it('without rolling, the session cookie lives until the absolute duration', async () => {
    const t = await setup({ session: { rolling: false, absoluteDuration: 3600 } })
    const { callback } = await t.login()
    const line = callback.headers.getSetCookie().find((c) => c.startsWith(SESSION_COOKIE))!
    expect(line).toMatch(/Max-Age=3600/i)
  })
})

describe('logout', () => {
  it('clears the local session even when the provider logout cannot be built', async () => {
    const t = await setup({ logoutMode: 'oidc' })
    t.provider.endSessionEndpoint = false
    await t.login()
    const response = (await t.auth.handle(t.request('GET', '/logout')))!
    expect(response.error?.code).toBe('CONFIG_INVALID')
    t.jar.store(response.headers.getSetCookie())
    expect(await t.session()).toBeUndefined()
  })
})

describe('routeOf', () => {
  it('names GET login, the callback for any method, GET logout, and nothing else', async () => {
    const t = await setup()
    expect(t.auth.routeOf('GET', '/login')).toBe('login')
    expect(t.auth.routeOf('POST', '/login')).toBeUndefined()
    expect(t.auth.routeOf('POST', '/callback')).toBe('callback')
    expect(t.auth.routeOf('GET', '/callback')).toBe('callback')
    expect(t.auth.routeOf('GET', '/logout')).toBe('logout')
    expect(t.auth.routeOf('DELETE', '/logout')).toBeUndefined()
    expect(t.auth.routeOf('GET', '/profile')).toBeUndefined()
  })
})

describe('routes and provider metadata', () => {
  it('routes and the cached provider metadata', async () => {
    const t = await setup()
    // The callback route is where the provider is told to post.
    const { start } = await t.login()
    const authorize = new URL(start.headers.get('location')!)
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${APP}/callback`)
    expect(t.auth.routeOf('POST', '/callback')).toBe('callback')
    // The provider's metadata (its authorization endpoint) is fetched once and cached.
    expect(`${authorize.origin}${authorize.pathname}`).toBe('https://op.example.test/authorize')
    await t.login()
    expect(t.provider.count('/.well-known/openid-configuration')).toBe(1)
  })
})
