// Large claims in the default (cookie) session: enterprise providers put ~150 groups in the ID
// token. A browser drops any cookie whose name and value exceed 4096 bytes.
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { claimsFilter } from '../../src/engine/claims-filter.js'
import { CookieSealer } from '../../src/engine/seal.js'
import { SECRET, SESSION_COOKIE, setup } from '../support/harness.js'

const GROUPS = Array.from(
  { length: 150 },
  (_, i) =>
    `${['finance', 'engineering', 'sales', 'people', 'operations'][i % 5]}-team-${String(i).padStart(3, '0')}-members@corp.example.com`,
)

/** The Set-Cookie lines of a response for the session cookie (and its chunks). */
const sessionLines = (lines: string[]) => lines.filter((l) => l.startsWith(SESSION_COOKIE))

describe('large claims in a cookie session', () => {
  it('a login with 150 groups (~6 KB of claims) fits, every cookie within 4096 bytes', async () => {
    const t = await setup()
    t.provider.profileClaims = { ...t.provider.profileClaims, groups: GROUPS }
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const lines = sessionLines(callback.headers.getSetCookie())
    // Compressed, the whole session fits in one cookie (sealed as is, it would need three).
    expect(lines).toHaveLength(1)
    for (const line of lines) expect(line.split(';')[0]!.length).toBeLessThanOrEqual(4096)
    const { value: user } = await t.read((s) => s.user)
    expect(user?.groups).toEqual(GROUPS)
    expect(JSON.stringify(user).length).toBeGreaterThan(6000)
  })

  it('the cookie holds the ID token once: its claims are not sealed a second time', async () => {
    const t = await setup()
    await t.login()
    const sealer = await CookieSealer.create(SECRET, new WebCryptoProvider())
    const opened = await sealer.unseal<{ session: Record<string, unknown>; d?: number }>(
      SESSION_COOKIE,
      t.jar.cookies.get(SESSION_COOKIE)!,
    )
    expect(opened.payload.session.claims).toBeUndefined()
    expect(opened.payload.d).toBe(1)
    expect(typeof opened.payload.session.idToken).toBe('string')
    // ...and reading it restores them.
    expect((await t.session())?.claims).toMatchObject({ sub: 'user-1', name: 'Test User' })
  })

  it('merged claims after a minimal refresh ID token are kept in the cookie too', async () => {
    const t = await setup()
    t.provider.refreshIdTokenClaims = 'minimal'
    await t.login()
    await t.inRequest((s) => s.getAccessToken({ refresh: 'force' }))
    const { value } = await t.read((s) => s.user)
    expect(value).toMatchObject({ name: 'Test User', email: 'u@example.test' })
  })

  it('16 KB of claims that do not compress: a typed error that says what to do, no cookie', async () => {
    const t = await setup()
    t.provider.profileClaims = { blob: randomBytes(12 * 1024).toString('base64url') }
    const { callback } = await t.login()
    expect(callback.status).toBe(500)
    expect(callback.error?.code).toBe('COOKIE_TOO_LARGE')
    expect(callback.error?.message).toMatch(/session\.store/)
    expect(callback.error?.message).toMatch(/filterClaims/)
    expect(sessionLines(callback.headers.getSetCookie())).toEqual([])
    expect(callback.headers.get('location')).toBeNull()
  })

  it('filterClaims keeps such a login in the cookie: the session keeps the chosen claims', async () => {
    const t = await setup({ filterClaims: claimsFilter(({ blob: _, ...claims }) => claims) })
    t.provider.profileClaims = {
      name: 'Test User',
      blob: randomBytes(12 * 1024).toString('base64url'),
    }
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const value = await t.session()
    expect(value?.claims.blob).toBeUndefined()
    expect(value?.claims).toMatchObject({ name: 'Test User', sub: 'user-1' })
    // The raw ID token would carry the claim again: it is not kept.
    expect(value?.idToken).toBeUndefined()
    // RP-initiated logout then names the client instead of sending id_token_hint.
    const logout = await t.auth.handle(t.request('GET', '/logout'))
    const to = new URL(logout!.headers.get('location')!)
    expect(to.searchParams.get('id_token_hint')).toBeNull()
    expect(to.searchParams.get('client_id')).toBe('client-1')
  })

  it('filterClaims cannot drop the claims the protocol needs, and applies on refresh too', async () => {
    const t = await setup({ filterClaims: claimsFilter(() => ({})) })
    t.provider.sid = 'sid-1'
    await t.login()
    const { value } = await t.read((s) => s.user)
    expect(Object.keys(value!).sort()).toEqual(
      ['aud', 'auth_time', 'exp', 'iat', 'iss', 'nonce', 'sid', 'sub'].sort(),
    )
    const refreshed = await t.read((s) => s.getAccessToken({ refresh: 'force' }))
    expect(refreshed.value.claims.name).toBeUndefined()
    expect(refreshed.value.claims.sub).toBe('user-1')
  })

  it('filterClaims takes claimsFilter(keep): a plain function is refused with that advice', async () => {
    await expect(setup({ filterClaims: ((claims: object) => claims) as never })).rejects.toThrow(
      /claimsFilter/,
    )
  })
})
