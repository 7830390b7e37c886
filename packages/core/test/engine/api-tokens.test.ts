// Tokens for other APIs (`apiTokens()`): `getAccessToken({ audience })` (Auth0) or
// `{ resource }` (RFC 8707) through the refresh token, kept in the session per API and scope with
// its own expiry, one token call for concurrent requests, the session's own token untouched.

import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { apiTokens } from '../../src/engine/api-tokens.js'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import { CookieSealer } from '../../src/engine/seal.js'
import { serverSessions } from '../../src/engine/server-sessions.js'
import { MemorySessionStore } from '../../src/engine/session-store.js'
import { ConfigurationError } from '../../src/errors.js'
import { baseConfig, SECRET, SESSION_COOKIE, setup, withSession } from '../support/harness.js'

const BILLING = 'https://billing.example.test'
const REPORTS = 'https://reports.example.test'

const refreshCalls = (t: Awaited<ReturnType<typeof setup>>) =>
  t.provider.calls.filter((c) => c.body.get('grant_type') === 'refresh_token')

async function withApiTokens(options: Parameters<typeof apiTokens>[0] = {}) {
  const t = await setup({ apiTokens: apiTokens(options) })
  await t.login()
  return t
}

describe('tokens for other APIs (apiTokens)', () => {
  it('getAccessToken({ audience }) gets a token for that API; the session keeps its own', async () => {
    const t = await withApiTokens()
    const before = (await t.session())!
    const billing = await t.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    const [call] = refreshCalls(t)
    expect(call!.body.get('audience')).toBe(BILLING)
    expect(call!.body.get('refresh_token')).toBe(before.refreshToken)
    expect(decodeJwt(billing.accessToken).aud).toBe(BILLING)
    expect(billing.audience).toBe(BILLING)
    const after = (await t.session())!
    // The session's own access token is the one it had; the rotated refresh token is stored.
    expect(after.accessToken).toBe(before.accessToken)
    expect(after.refreshToken).not.toBe(before.refreshToken)
    expect(t.provider.refreshTokens.get(after.refreshToken!)?.used).toBe(false)
    // and the API token is kept in the session, by API and scope
    expect(Object.values(after.apiTokens ?? {}).map((k) => k.accessToken)).toEqual([
      billing.accessToken,
    ])
  })

  it('a token for another API than asked (Auth0 ignores an unlisted audience) is refused, not kept', async () => {
    const t = await withApiTokens()
    t.provider.refreshApis = [REPORTS]
    const before = (await t.session())!
    // The adapters send the request's Set-Cookie lines with its error answer too.
    const loaded = await t.auth.load(t.request('GET', '/api'))
    await expect(loaded.getAccessToken({ audience: BILLING })).rejects.toMatchObject({
      code: 'TOKEN_RESPONSE_INVALID',
      details: { api: BILLING },
    })
    t.jar.store(loaded.takeSetCookies())
    const after = (await t.session())!
    // Nothing kept for it, the session's own token untouched, and the rotated refresh token
    // stored (it was spent at the provider).
    expect(after.apiTokens).toBeUndefined()
    expect(after.accessToken).toBe(before.accessToken)
    expect(t.provider.refreshTokens.get(after.refreshToken!)?.used).toBe(false)
    // An API the policy lists still works.
    const reports = await t.inRequest((s) => s.getAccessToken({ resource: REPORTS }))
    expect(decodeJwt(reports.accessToken).aud).toBe(REPORTS)
  })

  it('a kept token is used until it expires (no token call), then got again', async () => {
    const t = await withApiTokens()
    const first = await t.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    const again = await t.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    expect(again.accessToken).toBe(first.accessToken)
    expect(refreshCalls(t)).toHaveLength(1)
    t.clock.now += 3600
    const renewed = await t.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    expect(renewed.accessToken).not.toBe(first.accessToken)
    expect(refreshCalls(t)).toHaveLength(2)
    // `force` always asks
    await t.inRequest((s) => s.getAccessToken({ audience: BILLING, refresh: 'force' }))
    expect(refreshCalls(t)).toHaveLength(3)
  })

  it('each API and scope has its own token; resource sends RFC 8707 resource', async () => {
    const t = await withApiTokens()
    const billing = await t.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    const narrow = await t.inRequest((s) =>
      s.getAccessToken({ audience: BILLING, scope: 'openid read:invoices' }),
    )
    const reports = await t.inRequest((s) => s.getAccessToken({ resource: REPORTS }))
    const calls = refreshCalls(t)
    expect(calls).toHaveLength(3)
    expect(calls[1]!.body.get('scope')).toBe('openid read:invoices')
    expect(calls[2]!.body.get('resource')).toBe(REPORTS)
    expect(calls[2]!.body.has('audience')).toBe(false)
    expect(decodeJwt(reports.accessToken).aud).toBe(REPORTS)
    expect(new Set([billing, narrow, reports].map((s) => s.accessToken)).size).toBe(3)
    const kept = (await t.session())!.apiTokens!
    expect(Object.keys(kept)).toHaveLength(3)
    // all three are served from the session now
    for (const options of [
      { audience: BILLING },
      { audience: BILLING, scope: 'openid read:invoices' },
      { resource: REPORTS },
    ]) {
      await t.inRequest((s) => s.getAccessToken(options))
    }
    expect(refreshCalls(t)).toHaveLength(3)
  })

  it('concurrent requests for one API token make one token call', async () => {
    const t = await withApiTokens()
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        withSession(t.auth, t.request('GET', '/api'), (s) =>
          s.getAccessToken({ audience: BILLING }),
        ),
      ),
    )
    expect(refreshCalls(t)).toHaveLength(1)
    expect(new Set(results.map((r) => r.value.accessToken)).size).toBe(1)
  })

  it('an API token and the session refresh at once do not send one refresh token twice', async () => {
    const t = await withApiTokens()
    t.clock.now += 3600
    await Promise.all([
      withSession(t.auth, t.request('GET', '/api'), (s) => s.getAccessToken()),
      withSession(t.auth, t.request('GET', '/api'), (s) => s.getAccessToken({ audience: BILLING })),
    ])
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    expect(sent).toHaveLength(2)
    expect(new Set(sent).size).toBe(2)
  })

  it('a late request with the old cookie is never served another API token as its own', async () => {
    const t = await withApiTokens()
    const old = t.jar.copy()
    const own = decodeJwt((await t.session())!.accessToken).aud
    // Just before the session's token expires, an API token is got (the refresh token rotates).
    t.clock.now += 3560
    await t.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    // A request that left with the old cookie (the spent refresh token) finds that rotation.
    t.clock.now += 10
    const { value } = await t.read((s) => s.getAccessToken(), old)
    expect(decodeJwt(value.accessToken).aud).toEqual(own)
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    expect(new Set(sent).size).toBe(sent.length)
  })

  it('the session keeps at most `max` API tokens, expired ones dropped first', async () => {
    const t = await withApiTokens({ max: 2 })
    for (const audience of [BILLING, REPORTS, 'https://third.example.test']) {
      await t.inRequest((s) => s.getAccessToken({ audience }))
    }
    const kept = Object.keys((await t.session())!.apiTokens!)
    expect(kept).toHaveLength(2)
    expect(kept.some((key) => key.includes(BILLING))).toBe(false)
  })

  it('the session never grows past maxSessionBytes: tokens that do not fit are not kept', async () => {
    const probe = await withApiTokens()
    const base = JSON.stringify(await probe.session()).length
    // Room for one API token (~700 characters), not two.
    const t = await withApiTokens({ maxSessionBytes: base + 1000 })
    const billing = await t.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    expect(Object.keys((await t.session())!.apiTokens!)).toHaveLength(1)
    await t.inRequest((s) => s.getAccessToken({ audience: REPORTS }))
    const kept = (await t.session())!.apiTokens!
    expect(Object.keys(kept)).toHaveLength(1)
    expect(Object.keys(kept)[0]).toContain(REPORTS)
    expect(JSON.stringify(await t.session()).length).toBeLessThanOrEqual(base + 1000)
    // No room at all: the token is still returned, the rotated refresh token still stored.
    const tight = await withApiTokens({ maxSessionBytes: base + 10 })
    const before = (await tight.session())!.refreshToken
    const token = await tight.inRequest((s) => s.getAccessToken({ audience: BILLING }))
    expect(decodeJwt(token.accessToken).aud).toBe(BILLING)
    const after = (await tight.session())!
    expect(after.apiTokens).toBeUndefined()
    expect(after.refreshToken).not.toBe(before)
    expect(tight.provider.refreshTokens.get(after.refreshToken!)?.used).toBe(false)
    expect(billing.accessToken).toBeTruthy()
  })

  it('fetch(url, init, { audience }) calls that API with its token', async () => {
    const seen: string[] = []
    const t = await setup({
      apiTokens: apiTokens(),
      fetch: async (input, init) => {
        const request = new Request(input, init)
        if (request.url.startsWith(BILLING)) {
          seen.push(request.headers.get('authorization') ?? '')
          return new Response('ok')
        }
        return baseConfig(t).fetch!(input, init)
      },
    })
    await t.login()
    const { value } = await withSession(t.auth, t.request('GET', '/'), async (s) => {
      await s.fetchWithAccessToken(`${BILLING}/invoices`, undefined, { audience: BILLING })
      return s.getAccessToken({ audience: BILLING })
    })
    expect(seen).toEqual([`Bearer ${value.accessToken}`])
  })

  it('without apiTokens() in the configuration, audience and resource are a ConfigurationError', async () => {
    const t = await setup()
    await t.login()
    await expect(
      t.inRequest((s) => s.getAccessToken({ audience: BILLING })),
    ).rejects.toBeInstanceOf(ConfigurationError)
    await expect(
      t.inRequest((s) => s.getAccessToken({ resource: REPORTS })),
    ).rejects.toBeInstanceOf(ConfigurationError)
    expect(refreshCalls(t)).toHaveLength(0)
  })

  it('refuses both audience and resource, an empty one, refresh never, and a bad max', async () => {
    const t = await withApiTokens()
    for (const options of [
      { audience: BILLING, resource: REPORTS },
      { audience: '' },
      { audience: BILLING, refresh: 'never' as const },
    ]) {
      await expect(t.inRequest((s) => s.getAccessToken(options))).rejects.toBeInstanceOf(
        ConfigurationError,
      )
    }
    expect(refreshCalls(t)).toHaveLength(0)
    expect(() => apiTokens({ max: 0 })).toThrow(ConfigurationError)
    expect(() => apiTokens({ maxSessionBytes: 0 })).toThrow(ConfigurationError)
  })

  it('with a store and two instances, an API token goes through the lease', async () => {
    let clock = () => 0
    const memory = new MemorySessionStore({ now: () => clock() })
    const t = await setup({ apiTokens: apiTokens(), session: { store: serverSessions(memory) } })
    clock = () => t.clock.now
    const b = createHybridAuth({
      ...baseConfig(t),
      apiTokens: apiTokens(),
      session: { store: serverSessions(memory) },
    })
    await t.login()
    const sealer = await CookieSealer.create(SECRET, new WebCryptoProvider())
    const { id } = (
      await sealer.unseal<{ id: string }>(SESSION_COOKIE, t.jar.cookies.get(SESSION_COOKIE)!)
    ).payload
    // Both instances at once: one for the API token, one for the session's own refresh.
    t.clock.now += 3600
    await Promise.all([
      withSession(t.auth, t.request('GET', '/api'), (s) => s.getAccessToken({ audience: BILLING })),
      withSession(b, t.request('GET', '/api'), (s) => s.getAccessToken()),
    ])
    const sent = refreshCalls(t).map((c) => c.body.get('refresh_token'))
    expect(new Set(sent).size).toBe(sent.length)
    const stored = memory.get(id)!
    expect(t.provider.refreshTokens.get(stored.refreshToken!)?.used).toBe(false)
  })
})
