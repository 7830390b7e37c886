/**
 * Defences added after the security review; each test names the attack it stops and fails when
 * the defence is removed.
 */
import { describe, expect, it } from 'vitest'
import {
  createBearerVerifier,
  createHybridAuth,
  parseCallbackRequest,
  processUserinfoResponse,
  validateReturnTo,
  verifyIdToken,
  WebCryptoProvider,
} from '../src/index.js'
import { APP, baseConfig, setup, withSession } from './support/harness.js'
import { generateTestKey, halfHash, jwksOf, signWith } from './support/jwt.js'

const urlOf = (input: RequestInfo | URL) => (input instanceof Request ? input.url : String(input))

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

describe('bearer scopes fail closed', () => {
  it('a route without scopes keeps the verifier-wide required scopes', async () => {
    const t = await setup()
    await t.login()
    const { value: session } = await withSession(t.auth, t.request('GET', '/'), (s) => s.session)
    const verifier = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: 'https://api.example.test',
      scopes: ['admin'],
      fetch: t.provider.fetch,
      now: () => t.clock.now,
    })
    await expect(
      verifier.verify(`Bearer ${session!.accessToken}`, { scopes: undefined }),
    ).rejects.toMatchObject({ code: 'BEARER_INSUFFICIENT_SCOPE' })
    const failure = verifier.failure(
      await verifier.verify(`Bearer ${session!.accessToken}`, {}).catch((e: unknown) => e),
    )
    expect(failure.status).toBe(403)
    expect(failure.wwwAuthenticate).toContain('scope="admin"')
  })
})

describe('refresh with a reduced scope', () => {
  it('returns the narrowed token once, keeps the session token and takes the rotated refresh token', async () => {
    const t = await setup()
    await t.login()
    const before = (await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value!
    const narrowed = await withSession(t.auth, t.request('GET', '/'), (s) =>
      s.getAccessToken({ scope: 'openid' }),
    )
    t.jar.store(narrowed.setCookies)
    expect(narrowed.value.scope).toBe('openid')
    const after = (await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value!
    expect(after.accessToken).toBe(before.accessToken)
    expect(after.scope).toBe(before.scope)
    expect(after.refreshToken).toBe(narrowed.value.refreshToken)
    expect(after.refreshToken).not.toBe(before.refreshToken)
    // and the next plain call does not refresh again
    const calls = t.provider.count('/oauth/token')
    await withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken())
    expect(t.provider.count('/oauth/token')).toBe(calls)
  })

  it('concurrent refreshes for different scopes never send one refresh token twice', async () => {
    const t = await setup()
    await t.login()
    t.clock.now += 3600
    await Promise.all([
      withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken()),
      withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken({ scope: 'openid' })),
      withSession(t.auth, t.request('GET', '/'), (s) =>
        s.getAccessToken({ scope: 'openid offline_access' }),
      ),
    ])
    const sent = t.provider.calls
      .filter((c) => c.body.get('grant_type') === 'refresh_token')
      .map((c) => c.body.get('refresh_token'))
    expect(sent.length).toBeGreaterThan(0)
    expect(new Set(sent).size).toBe(sent.length)
  })

  it('invalid_grant drops the dead refresh token so later requests stop retrying it', async () => {
    const t = await setup()
    await t.login()
    t.provider.tokenEndpointOverride = () =>
      new Response(JSON.stringify({ error: 'invalid_grant' }), {
        status: 400,
        headers: { 'content-type': 'application/json' },
      })
    const loaded = await t.auth.load(t.request('GET', '/'))
    await expect(loaded.refresh()).rejects.toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR' })
    t.jar.store(loaded.takeSetCookies())
    const calls = t.provider.count('/oauth/token')
    await expect(
      withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken({ refresh: 'force' })),
    ).rejects.toMatchObject({ code: 'REFRESH_TOKEN_MISSING' })
    expect(t.provider.count('/oauth/token')).toBe(calls)
    expect((await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value?.sub).toBe(
      'user-1',
    )
  })

  it('a refreshed ID token that lost the organization is refused', async () => {
    const t = await setup({
      authorizationParams: { scope: 'openid offline_access', organization: 'org_abc' },
    })
    expect((await t.login()).callback.error).toBeUndefined()
    t.provider.nextTokenEndpointTamper = (claims) => {
      delete claims.org_id
    }
    await expect(
      withSession(t.auth, t.request('GET', '/'), (s) => s.getAccessToken({ refresh: 'force' })),
    ).rejects.toMatchObject({ code: 'ORGANIZATION_MISMATCH' })
  })

  it('a refreshed ID token may carry auth_time when the first had none (OIDC Core 12.2)', async () => {
    const t = await setup()
    t.provider.nextTokenEndpointTamper = (claims) => {
      delete claims.auth_time
    }
    expect((await t.login()).callback.error).toBeUndefined()
    const refreshed = await withSession(t.auth, t.request('GET', '/'), (s) =>
      s.getAccessToken({ refresh: 'force' }),
    )
    expect(refreshed.value.claims.auth_time).toBeTypeOf('number')
  })
})

describe('callbacks', () => {
  it('two concurrent replays of one response reach the token endpoint once', async () => {
    const t = await setup()
    const start = await t.startLogin()
    const params = await t.provider.authorize(start.headers.get('location')!)
    const [a, b] = await Promise.all([t.postCallback(params), t.postCallback(params)])
    expect([a.error?.code, b.error?.code].filter(Boolean)).toEqual(['TRANSACTION_MISSING'])
    expect(t.provider.count('/oauth/token')).toBe(1)
  })

  it('state=&state=X is a repeated parameter, not one state', () => {
    expect(() =>
      parseCallbackRequest({
        method: 'POST',
        url: `${APP}/callback`,
        contentType: 'application/x-www-form-urlencoded',
        body: 'state=&state=abc&code=c',
      }),
    ).toThrow(expect.objectContaining({ code: 'CALLBACK_PARAMETER_DUPLICATED' }))
  })

  it('a request URL that is not absolute is a ConfigurationError, not a TypeError', async () => {
    const t = await setup()
    await expect(
      t.auth.handle({ method: 'GET', url: '/login', headers: new Headers() }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
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
    expect(
      (await withSession(t.auth, t.request('GET', '/'), (s) => s.session)).value,
    ).toBeUndefined()
  })
})

describe('provider outages', () => {
  it('a failed JWKS refetch after the cache expired serves the cached keys', async () => {
    const t = await setup({ cacheMaxAge: 60 })
    expect((await t.login()).callback.error).toBeUndefined()
    const original = t.provider.fetch
    const logs: string[] = []
    let down = false
    const flaky: typeof fetch = (input, init) =>
      down && urlOf(input).endsWith('jwks.json')
        ? Promise.resolve(new Response('down', { status: 503 }))
        : original(input, init)
    const engine = createHybridAuth({
      ...baseConfig(t),
      fetch: flaky,
      cacheMaxAge: 60,
      logger: (entry) => logs.push(entry.event),
    })
    const first = await engine.login(t.request('GET', '/login'))
    t.jar.store(first.headers.getSetCookie())
    let params = await t.provider.authorize(first.headers.get('location')!)
    let callback = await engine.callback(t.request('POST', '/callback', params.toString()))
    expect(callback.error).toBeUndefined()
    down = true
    t.clock.now += 120
    const second = await engine.login(t.request('GET', '/login'))
    t.jar.store(second.headers.getSetCookie())
    params = await t.provider.authorize(second.headers.get('location')!)
    callback = await engine.callback(t.request('POST', '/callback', params.toString()))
    expect(callback.error).toBeUndefined()
    expect(logs).toContain('provider_refetch_failed')
  })
})

describe('configuration', () => {
  it.each([
    [{ transaction: { maxAge: 0.5 } }, /whole number/],
    [{ transaction: { maxCount: Number.NaN } }, /maxCount/],
    [{ session: { rollingDuration: 10.5 } }, /whole number/],
  ])('%o is refused', (overrides, message) => {
    expect(() =>
      createHybridAuth({
        issuerBaseURL: 'https://op.example.test',
        baseURL: APP,
        clientID: 'c',
        clientSecret: 's',
        secret: 'a-cookie-secret-that-is-long-enough-0123456789',
        ...overrides,
      }),
    ).toThrow(message)
  })

  it('cookie names are __Host- prefixed by default and plain with a domain', () => {
    const base = {
      issuerBaseURL: 'https://op.example.test',
      baseURL: APP,
      clientID: 'c',
      clientSecret: 's',
      secret: 'a-cookie-secret-that-is-long-enough-0123456789',
    }
    expect(createHybridAuth(base).config.session.name).toBe('__Host-appSession')
    expect(createHybridAuth(base).config.transaction.name).toBe('__Host-oidc_tx')
    expect(
      createHybridAuth({ ...base, session: { cookie: { domain: 'example.test' } } }).config.session
        .name,
    ).toBe('appSession')
  })
})

describe('protocol edge cases from the review', () => {
  it('returnTo: an absolute same-origin URL with an encoded slash path is refused', () => {
    expect(() => validateReturnTo(`${APP}/%2F%2Fevil.com`, APP)).toThrow(
      expect.objectContaining({ code: 'RETURN_TO_INVALID' }),
    )
  })

  it('an access token (typ at+jwt) is never accepted as an ID token (RFC 8725 3.11)', async () => {
    const key = await generateTestKey('RS256')
    const now = 1_700_000_000
    const token = await signWith(
      key,
      {
        iss: 'https://op.example.test/',
        sub: 's',
        aud: 'client',
        iat: now,
        exp: now + 60,
        nonce: 'n',
      },
      { typ: 'at+jwt' },
    )
    await expect(
      verifyIdToken(
        {
          provider: {
            issuer: 'https://op.example.test/',
            authorization_endpoint: 'https://op.example.test/authorize',
            token_endpoint: 'https://op.example.test/token',
            jwks_uri: 'https://op.example.test/jwks',
          },
          client: { client_id: 'client', redirect_uri: `${APP}/callback` },
          now,
          clockTolerance: 0,
          jwks: jwksOf(key.publicJwk),
          crypto: new WebCryptoProvider(),
        },
        token,
        { nonce: 'n' },
      ),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_MALFORMED' })
    expect(halfHash('RS256', 'x')).toBeTruthy()
  })

  it('an oversized WWW-Authenticate from userinfo is not parsed (no quadratic regex work)', () => {
    const long = `Bearer ${'a'.repeat(64 * 1024)}`
    const error = (() => {
      try {
        processUserinfoResponse(
          { status: 401, headers: new Headers({ 'www-authenticate': long }), body: '' },
          'sub',
        )
      } catch (caught) {
        return caught as { code: string; details: Record<string, unknown> }
      }
    })()
    expect(error?.code).toBe('USERINFO_ERROR')
  })
})

describe('the access token view adapters share', () => {
  it('expires_in follows the engine clock; refresh goes through the adapter wrapper', async () => {
    const t = await setup()
    await t.login()
    const loaded = await t.auth.load(t.request('GET', '/'))
    const session = loaded.session!
    t.clock.now += 600
    const calls: string[] = []
    const view = loaded.viewOf(session, async (run) => {
      calls.push('around')
      return run()
    })
    expect(view.expires_in).toBe(session.expiresAt! - t.clock.now)
    expect(view.isExpired()).toBe(false)
    const refreshed = await view.refresh()
    expect(calls).toEqual(['around'])
    expect(refreshed.access_token).not.toBe(session.accessToken)
    expect(loaded.session?.accessToken).toBe(refreshed.access_token)
    // expires_in is a snapshot taken when the view is made; isExpired() asks the clock now.
    expect(refreshed.expires_in).toBe(3600)
    t.clock.now += 3600
    expect(refreshed.isExpired()).toBe(true)
    expect(loaded.viewOf(loaded.session!).expires_in).toBe(0)
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

describe('SessionContext, the adapters shared context', () => {
  it('reads the session and acts on it', async () => {
    const { SessionContext } = await import('../src/index.js')
    const t = await setup()
    const empty = new SessionContext(await t.auth.load(t.request('GET', '/')))
    expect(empty.isAuthenticated()).toBe(false)
    expect(empty.accessToken).toBeUndefined()
    await expect(empty.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_MISSING' })
    await t.login()
    const context = new SessionContext(await t.auth.load(t.request('GET', '/')))
    expect(context.isAuthenticated()).toBe(true)
    expect(context.user?.sub).toBe('user-1')
    expect(context.idTokenClaims).toBe(context.user)
    expect(context.idToken).toBe(context.session?.idToken)
    expect(context.refreshToken).toBe(context.session?.refreshToken)
    expect(context.accessToken?.access_token).toBe(context.session?.accessToken)
    expect((await context.getAccessToken()).access_token).toBe(context.session?.accessToken)
    expect((await context.fetchUserInfo()).sub).toBe('user-1')
  })
})

describe('engine edges', () => {
  it('routes and the cached provider metadata', async () => {
    const t = await setup()
    expect(t.auth.config.routes.callback).toBe('/callback')
    expect((await t.auth.provider.metadata()).issuer).toBe('https://op.example.test/')
  })

  it('a callback state that cannot name a cookie is a missing transaction', async () => {
    const t = await setup()
    const start = await t.startLogin()
    const params = await t.provider.authorize(start.headers.get('location')!)
    // The cookie exists under the state's name; a state with other characters must not reach it.
    t.jar.cookies.set(
      `__Host-oidc_tx_a.b`,
      t.jar.cookies.get(`__Host-oidc_tx_${params.get('state')}`)!,
    )
    params.set('state', 'a.b')
    expect((await t.postCallback(params)).error?.code).toBe('TRANSACTION_MISSING')
  })

  it('used states are forgotten once their transaction would have expired', async () => {
    const t = await setup({ transaction: { maxAge: 60 } })
    expect((await t.login()).callback.error).toBeUndefined()
    t.clock.now += 120
    // The second callback evicts the first, expired, used state; both logins complete.
    expect((await t.login()).callback.error).toBeUndefined()
  })

  it('a login expires transaction cookies that expired or no longer open', async () => {
    const t = await setup({ transaction: { maxAge: 60 } })
    await t.startLogin()
    const [expired] = [...t.jar.cookies.keys()].filter((n) => n.startsWith('__Host-oidc_tx_'))
    t.jar.cookies.set('__Host-oidc_tx_forged', 'v1.x.y.z')
    t.clock.now += 120
    const start = await t.startLogin()
    const cleared = start.headers
      .getSetCookie()
      .filter((line) => /Max-Age=0/i.test(line))
      .map((line) => line.slice(0, line.indexOf('=')))
    expect(cleared.sort()).toEqual([expired, '__Host-oidc_tx_forged'].sort())
  })

  it('without rolling, the session cookie lives until the absolute duration', async () => {
    const t = await setup({ session: { rolling: false, absoluteDuration: 3600 } })
    const { callback } = await t.login()
    const line = callback.headers.getSetCookie().find((c) => c.startsWith('__Host-appSession'))!
    expect(line).toMatch(/Max-Age=3600/i)
  })

  it('isAccessTokenExpired follows the leeway; a token without expiry has no expires_in', async () => {
    const t = await setup()
    expect((await t.auth.load(t.request('GET', '/'))).isAccessTokenExpired()).toBe(false)
    await t.login()
    const loaded = await t.auth.load(t.request('GET', '/'))
    expect(loaded.isAccessTokenExpired()).toBe(false)
    t.clock.now += 3600
    expect(loaded.isAccessTokenExpired()).toBe(true)
    const view = loaded.viewOf({ ...loaded.session!, expiresAt: undefined })
    expect(view.expires_in).toBeUndefined()
    expect(view.isExpired()).toBe(false)
  })

  it('SessionContext.fetch calls the API with the access token', async () => {
    const { SessionContext } = await import('../src/index.js')
    const t = await setup()
    await t.login()
    const context = new SessionContext(await t.auth.load(t.request('GET', '/')))
    const response = await context.fetch('https://op.example.test/userinfo')
    expect(response.status).toBe(200)
  })
})

describe('bearer verifier edges', () => {
  it('without an audience anywhere the check is a ConfigurationError', async () => {
    const t = await setup()
    const verifier = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: undefined as unknown as string,
      fetch: t.provider.fetch,
    })
    await expect(verifier.verify('Bearer abc')).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('a token signed by an unknown key refetches the JWKS once, then is refused', async () => {
    const t = await setup()
    const verifier = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: 'https://api.example.test',
      fetch: t.provider.fetch,
      now: () => t.clock.now,
    })
    const stranger = await generateTestKey('RS256', 'not-published')
    const token = await signWith(
      stranger,
      {
        iss: 'https://op.example.test/',
        sub: 'user-1',
        aud: 'https://api.example.test',
        client_id: 'c',
        iat: t.clock.now,
        exp: t.clock.now + 60,
        jti: 'j',
      },
      { typ: 'at+jwt' },
    )
    await expect(verifier.verify(`Bearer ${token}`)).rejects.toMatchObject({
      code: 'BEARER_TOKEN_INVALID',
    })
    expect(t.provider.count('/.well-known/jwks.json')).toBe(2)
    const failure = verifier.failure(new Error('bug'))
    expect(failure.status).toBe(500)
    expect(JSON.parse(failure.body).error).toBe('INTERNAL_ERROR')
  })
})
