// The token lifecycle after login, run against each behaviour real providers differ in:
// refresh tokens rotated or not (RFC 6749 6), `scope` honoured or ignored on refresh, refreshed
// ID tokens with or without the profile claims, short access-token lifetimes.
import { describe, expect, it } from 'vitest'
import type { AccessTokenOptions } from '../../src/engine/request-session.js'
import type { Session } from '../../src/protocol/types.js'
import type { CookieJar } from '../support/cookie-jar.js'
import { type Harness, SESSION_COOKIE, setup } from '../support/harness.js'

type Variant = {
  rotateRefreshTokens: boolean
  refreshScope: 'honour' | 'ignore'
  refreshIdTokenClaims: 'full' | 'minimal'
}

const VARIANTS: Variant[] = []
for (const rotateRefreshTokens of [true, false]) {
  for (const refreshScope of ['honour', 'ignore'] as const) {
    for (const refreshIdTokenClaims of ['full', 'minimal'] as const) {
      VARIANTS.push({ rotateRefreshTokens, refreshScope, refreshIdTokenClaims })
    }
  }
}

const name = (v: Variant) =>
  `${v.rotateRefreshTokens ? 'rotating' : 'non-rotating'}, scope ${v.refreshScope === 'honour' ? 'honoured' : 'ignored'}, ${v.refreshIdTokenClaims} refresh claims`

async function loggedIn(variant: Variant, lifetime = 3600): Promise<Harness> {
  const t = await setup()
  Object.assign(t.provider, variant, { accessTokenLifetime: lifetime })
  const { callback } = await t.login()
  expect(callback.error).toBeUndefined()
  return t
}

const refreshCalls = (t: Harness) =>
  t.provider.calls.filter((c) => c.body.get('grant_type') === 'refresh_token')

describe.each(VARIANTS)('token lifecycle with a $rotateRefreshTokens-rotating provider', (v) => {
  it(`${name(v)}: every forced refresh reaches the provider`, async () => {
    const t = await loggedIn(v)
    const first = await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    const second = await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    expect(refreshCalls(t)).toHaveLength(2)
    expect(second.accessToken).not.toBe(first.accessToken)
    // A rotated token is never sent twice.
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    if (v.rotateRefreshTokens) expect(new Set(sent).size).toBe(2)
  })

  it(`${name(v)}: a refresh for another scope right after one succeeds and asks the provider`, async () => {
    const t = await loggedIn(v)
    await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    const reduced = await t.inRequest((s) => s.getAccessToken({ scope: 'openid offline_access' }))
    const calls = refreshCalls(t)
    expect(calls).toHaveLength(2)
    expect(calls[1]!.body.get('scope')).toBe('openid offline_access')
    // RFC 6749 5.1: an answer without `scope` is for the requested scope.
    expect(reduced.scope).toBe('openid offline_access')
  })

  it(`${name(v)}: with a 40 s access token the automatic refresh never hands back an expired one`, async () => {
    const t = await loggedIn(v, 40)
    for (let round = 0; round < 3; round++) {
      t.clock.now += 41
      const session = await t.inRequest((s) => s.getAccessToken())
      expect(session.expiresAt).toBeGreaterThan(t.clock.now)
    }
    expect(refreshCalls(t)).toHaveLength(3)
  })

  it(`${name(v)}: a reduced-scope refresh keeps the profile claims`, async () => {
    const t = await loggedIn(v)
    await t.inRequest((s) => s.getAccessToken({ scope: 'openid offline_access' }))
    const user = await t.inRequest((s) => s.user)
    expect(user).toMatchObject({ sub: 'user-1', name: 'Test User', email: 'u@example.test' })
    // The session keeps its own, full-scope access token.
    const session = await t.inRequest((s) => s.session)
    expect(session?.scope).toBe('openid profile email offline_access')
  })

  it(`${name(v)}: a forced refresh keeps the profile claims and takes the new token's`, async () => {
    const t = await loggedIn(v)
    const before = await t.inRequest((s) => s.user)
    t.clock.now += 10
    await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    const after = await t.inRequest((s) => s.user)
    expect(after).toMatchObject({ name: 'Test User', email: 'u@example.test' })
    expect(after?.iat).toBe(before!.iat + 10)
  })

  it(`${name(v)}: concurrent requests with an expired token make one refresh call`, async () => {
    const t = await loggedIn(v)
    t.clock.now += 3600
    const results = await Promise.all(
      Array.from({ length: 10 }, () => t.read((s) => s.getAccessToken())),
    )
    expect(refreshCalls(t)).toHaveLength(1)
    expect(new Set(results.map((r) => r.value.accessToken)).size).toBe(1)
  })
})

describe('rotation grace', () => {
  const rotating: Variant = {
    rotateRefreshTokens: true,
    refreshScope: 'honour',
    refreshIdTokenClaims: 'full',
  }

  it('a late request with the spent token gets the fresh result without a provider call', async () => {
    const t = await loggedIn(rotating)
    const old = t.jar.copy()
    t.clock.now += 3600
    const first = await t.inRequest((s) => s.getAccessToken())
    const late = await lateRequest(t, old)
    expect(late.accessToken).toBe(first.accessToken)
    expect(refreshCalls(t)).toHaveLength(1)
  })

  it('a late forced refresh with the spent token refreshes with its successor', async () => {
    const t = await loggedIn(rotating)
    const old = t.jar.copy()
    const first = await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    const late = await lateRequest(t, old, { refresh: 'force' })
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    expect(sent).toHaveLength(2)
    expect(sent[1]).toBe(first.refreshToken)
    expect(late.accessToken).not.toBe(first.accessToken)
  })

  it('a late request for another scope refreshes with the successor, never the spent token', async () => {
    const t = await loggedIn(rotating)
    const old = t.jar.copy()
    const first = await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    const late = await lateRequest(t, old, { scope: 'openid offline_access' })
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    expect(sent[1]).toBe(first.refreshToken)
    expect(late.scope).toBe('openid offline_access')
  })

  it('a late request gets the newest successor, never a remembered token that rotated again', async () => {
    const t = await loggedIn(rotating)
    const old = t.jar.copy()
    t.clock.now += 3600
    await t.inRequest((s) => s.getAccessToken()) // K -> K2
    const newest = await t.inRequest((s) => s.getAccessToken({ refresh: 'force' })) // K2 -> K3
    const late = await lateRequest(t, old)
    expect(late.refreshToken).toBe(newest.refreshToken)
    expect(refreshCalls(t)).toHaveLength(2)
  })

  it('a remembered result whose access token has expired is not served', async () => {
    const t = await loggedIn(rotating, 40)
    const old = t.jar.copy()
    t.clock.now += 41
    await t.inRequest((s) => s.getAccessToken())
    t.clock.now += 41
    const late = await lateRequest(t, old)
    expect(late.expiresAt).toBeGreaterThan(t.clock.now)
    expect(refreshCalls(t)).toHaveLength(2)
  })
})

/** A request that left the browser with the `old` cookies, before a refresh replaced them. */
async function lateRequest(
  t: Harness,
  old: CookieJar,
  options?: AccessTokenOptions,
): Promise<Session> {
  return (await t.read((s) => s.getAccessToken(options), old)).value
}

describe('claims of a refreshed ID token', () => {
  it("an own __proto__ claim stays a claim: it never becomes the claims object's prototype", async () => {
    const t = await setup()
    await t.login()
    t.provider.nextTokenEndpointTamper = (claims) => {
      Object.defineProperty(claims, '__proto__', {
        value: { role: 'admin' },
        enumerable: true,
        configurable: true,
        writable: true,
      })
    }
    const { value } = await t.read((s) => s.getAccessToken({ refresh: 'force' }))
    expect(Object.getPrototypeOf(value.claims)).toBe(Object.prototype)
    expect((value.claims as { role?: unknown }).role).toBeUndefined()
    expect(Object.hasOwn(value.claims, '__proto__')).toBe(true)
  })
})

describe('trusted audiences (OIDC Core 3.1.3.7 step 3)', () => {
  it('an extra audience is refused by default', async () => {
    const t = await setup()
    t.provider.extraAudiences = ['https://api.example/']
    const { callback } = await t.login()
    expect(callback.error?.code).toBe('ID_TOKEN_AUDIENCE_MISMATCH')
    expect(callback.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(
      false,
    )
    expect(t.provider.count('/oauth/token')).toBe(0)
  })

  it('a trusted extra audience with azp = client is accepted, at login and refresh', async () => {
    const t = await setup({ trustedAudiences: ['https://api.example/'] })
    t.provider.extraAudiences = ['https://api.example/']
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const session = await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    expect(session.claims.aud).toEqual(['client-1', 'https://api.example/'])
  })

  it('an audience outside the trusted list stays refused', async () => {
    const t = await setup({ trustedAudiences: ['https://api.example/'] })
    t.provider.extraAudiences = ['https://api.example/', 'https://other.example/']
    const { callback } = await t.login()
    expect(callback.error?.code).toBe('ID_TOKEN_AUDIENCE_MISMATCH')
    expect(callback.error?.details).toMatchObject({ untrusted: ['https://other.example/'] })
  })

  it('trustedAudiences must be a list of strings', async () => {
    await expect(setup({ trustedAudiences: 'https://api.example/' as never })).rejects.toThrow(
      /trustedAudiences/,
    )
  })
})
