// One request's session (`engine.load(request)`): the access token, refreshed when expired, for a
// reduced scope or when forced, one refresh for many concurrent requests; the access token view
// adapters share; userinfo and API calls with the token.
import { describe, expect, it } from 'vitest'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import { baseConfig, setup, withSession } from '../support/harness.js'

const invalidGrant = () =>
  new Response(JSON.stringify({ error: 'invalid_grant' }), {
    status: 400,
    headers: { 'content-type': 'application/json' },
  })

const refreshCalls = (t: Awaited<ReturnType<typeof setup>>) =>
  t.provider.calls.filter((c) => c.body.get('grant_type') === 'refresh_token')

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
    expect(refreshCalls(t)).toHaveLength(1)
    const tokens = new Set(results.map((r) => r.value.accessToken))
    expect(tokens.size).toBe(1)
    expect(results[0]!.setCookies.length).toBeGreaterThan(0)
  })

  it('a rotated refresh token is never sent again by late requests with the old cookie', async () => {
    const t = await setup()
    await t.login()
    const old = t.jar.copy()
    t.clock.now += 3600
    const first = await t.inRequest((s) => s.getAccessToken())
    // A request that left the browser before the new cookie arrived:
    const late = await t.read((s) => s.getAccessToken(), old)
    expect(late.value.accessToken).toBe(first.accessToken)
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    expect(new Set(sent).size).toBe(sent.length)
  })

  it('refresh with a reduced scope', async () => {
    const t = await setup()
    await t.login()
    const { value } = await t.read((s) => s.getAccessToken({ scope: 'openid offline_access' }))
    const call = refreshCalls(t)[0]!
    expect(call.body.get('scope')).toBe('openid offline_access')
    expect(value.scope).toBe('openid offline_access')
  })

  it('a refreshed ID token for another subject is refused and the session kept', async () => {
    const t = await setup()
    await t.login()
    t.provider.nextTokenEndpointTamper = (c) => {
      c.sub = 'mallory'
    }
    await expect(t.read((s) => s.getAccessToken({ refresh: 'force' }))).rejects.toMatchObject({
      code: 'ID_TOKEN_SUBJECT_CHANGED',
    })
    expect((await t.session())?.sub).toBe('user-1')
  })

  it('a failed refresh leaves the session usable and reports a typed error', async () => {
    const t = await setup()
    await t.login()
    t.provider.tokenEndpointOverride = invalidGrant
    await expect(t.read((s) => s.getAccessToken({ refresh: 'force' }))).rejects.toMatchObject({
      code: 'TOKEN_ENDPOINT_ERROR',
    })
    t.provider.tokenEndpointOverride = undefined
    expect((await t.read((s) => s.getAccessToken({ refresh: 'force' }))).value.sub).toBe('user-1')
  })

  it('without offline_access an expired token reports REFRESH_TOKEN_MISSING', async () => {
    const t = await setup({ authorizationParams: { scope: 'openid' } })
    await t.login()
    t.clock.now += 3600
    await expect(t.read((s) => s.getAccessToken())).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_MISSING',
    })
  })

  it('calls an API with the token-endpoint access token as a Bearer token', async () => {
    const t = await setup()
    await t.login()
    const seen: string[] = []
    const api = createHybridAuth({
      ...baseConfig(t),
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
    const session = await t.session()
    expect(seen).toEqual([`Bearer ${session!.accessToken}`])
  })
})

describe('refresh with a reduced scope', () => {
  it('returns the narrowed token once, keeps the session token and takes the rotated refresh token', async () => {
    const t = await setup()
    await t.login()
    const before = (await t.session())!
    const narrowed = await t.inRequest((s) => s.getAccessToken({ scope: 'openid' }))
    expect(narrowed.scope).toBe('openid')
    const after = (await t.session())!
    expect(after.accessToken).toBe(before.accessToken)
    expect(after.scope).toBe(before.scope)
    expect(after.refreshToken).toBe(narrowed.refreshToken)
    expect(after.refreshToken).not.toBe(before.refreshToken)
    // and the next plain call does not refresh again
    const calls = t.provider.count('/oauth/token')
    await t.read((s) => s.getAccessToken())
    expect(t.provider.count('/oauth/token')).toBe(calls)
  })

  it('concurrent refreshes for different scopes never send one refresh token twice', async () => {
    const t = await setup()
    await t.login()
    t.clock.now += 3600
    await Promise.all([
      t.read((s) => s.getAccessToken()),
      t.read((s) => s.getAccessToken({ scope: 'openid' })),
      t.read((s) => s.getAccessToken({ scope: 'openid offline_access' })),
    ])
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    expect(sent.length).toBeGreaterThan(0)
    expect(new Set(sent).size).toBe(sent.length)
  })

  it('invalid_grant drops the dead refresh token so later requests stop retrying it', async () => {
    const t = await setup()
    await t.login()
    t.provider.tokenEndpointOverride = invalidGrant
    const loaded = await t.auth.load(t.request('GET', '/'))
    await expect(loaded.refresh()).rejects.toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR' })
    t.jar.store(loaded.takeSetCookies())
    const calls = t.provider.count('/oauth/token')
    await expect(t.read((s) => s.getAccessToken({ refresh: 'force' }))).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_MISSING',
    })
    expect(t.provider.count('/oauth/token')).toBe(calls)
    expect((await t.session())?.sub).toBe('user-1')
  })

  it('a refreshed ID token that lost the organization is refused', async () => {
    const t = await setup({
      authorizationParams: { scope: 'openid offline_access', organization: 'org_abc' },
    })
    expect((await t.login()).callback.error).toBeUndefined()
    t.provider.nextTokenEndpointTamper = (claims) => {
      delete claims.org_id
    }
    await expect(t.read((s) => s.getAccessToken({ refresh: 'force' }))).rejects.toMatchObject({
      code: 'ORGANIZATION_MISMATCH',
    })
  })

  it('a refreshed ID token may carry auth_time when the first had none (OIDC Core 12.2)', async () => {
    const t = await setup()
    t.provider.nextTokenEndpointTamper = (claims) => {
      delete claims.auth_time
    }
    expect((await t.login()).callback.error).toBeUndefined()
    const refreshed = await t.read((s) => s.getAccessToken({ refresh: 'force' }))
    expect(refreshed.value.claims.auth_time).toBeTypeOf('number')
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
})

describe('userinfo', () => {
  it('fetches userinfo and checks sub (rp-userinfo-bad-sub-claim)', async () => {
    const t = await setup()
    await t.login()
    const { value } = await t.read((s) => s.fetchUserinfo())
    expect(value.name).toBe('Test User')
    expect(t.provider.calls.find((c) => c.path === '/userinfo')!.headers.get('authorization')).toBe(
      `Bearer ${(await t.session())!.accessToken}`,
    )
    t.provider.userinfoSub = 'user-1invalid'
    await expect(t.read((s) => s.fetchUserinfo())).rejects.toMatchObject({
      code: 'USERINFO_SUB_MISMATCH',
    })
  })
})
