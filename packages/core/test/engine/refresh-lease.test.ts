// Refresh across instances (`serverSessions(store)` with a store that has `lease`/`release`):
// instances sharing the store refresh a session once, the others use the stored result; a dead
// holder blocks no longer than its lease; invalid_grant after another instance rotated is no
// failure. Two engines on one store stand for two app instances (each its own process state).
import { describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { createHybridAuth, type HybridAuth } from '../../src/engine/hybrid-auth.js'
import { CookieSealer } from '../../src/engine/seal.js'
import { type ServerSessionsOptions, serverSessions } from '../../src/engine/server-sessions.js'
import { MemorySessionStore, type SessionStore } from '../../src/engine/session-store.js'
import { ConfigurationError } from '../../src/errors.js'
import type { Session } from '../../src/protocol/types.js'
import { baseConfig, SECRET, SESSION_COOKIE, setup, withSession } from '../support/harness.js'

/** A MemorySessionStore seen through the plain interface, counting lease calls. */
class CountingStore implements SessionStore {
  leases = 0
  constructor(readonly inner: MemorySessionStore) {}
  get = (id: string) => this.inner.get(id)
  set = (id: string, session: Session, expiresAt: number) => this.inner.set(id, session, expiresAt)
  update = (id: string, session: Session, expiresAt: number) =>
    this.inner.update(id, session, expiresAt)
  delete = (id: string) => this.inner.delete(id)
  lease = (id: string, owner: string, ttlMs: number) => {
    this.leases++
    return this.inner.lease(id, owner, ttlMs)
  }
  release = (id: string, owner: string) => this.inner.release(id, owner)
}

/** The same store without `lease`/`release` (a store that cannot coordinate). */
function withoutLease(store: MemorySessionStore): SessionStore {
  return {
    get: (id) => store.get(id),
    set: (id, session, expiresAt) => store.set(id, session, expiresAt),
    update: (id, session, expiresAt) => store.update(id, session, expiresAt),
    delete: (id) => store.delete(id),
  }
}

/**
 * Two instances of one app on one store: `a` (the harness's engine, which the browser logged in
 * through) and `b`. Each has its own `serverSessions(store)`, as each process would.
 */
async function twoInstances(
  options: { lease?: boolean; rotate?: boolean; sessions?: ServerSessionsOptions } = {},
) {
  let clock = () => 0
  const memory = new MemorySessionStore({ now: () => clock() })
  const store: SessionStore =
    options.lease === false ? withoutLease(memory) : new CountingStore(memory)
  const t = await setup({ session: { store: serverSessions(store, options.sessions) } })
  clock = () => t.clock.now
  t.provider.rotateRefreshTokens = options.rotate ?? true
  const b = createHybridAuth({
    ...baseConfig(t),
    session: { store: serverSessions(store, options.sessions) },
  })
  await t.login()
  const sealer = await CookieSealer.create(SECRET, new WebCryptoProvider())
  const { id } = (
    await sealer.unseal<{ id: string }>(SESSION_COOKIE, t.jar.cookies.get(SESSION_COOKIE)!)
  ).payload
  const refreshGrants = () =>
    t.provider.calls.filter((call) => call.body.get('grant_type') === 'refresh_token').length
  /** One request to `engine` with the browser's cookies: the access token it gets. */
  const getToken = (
    engine: HybridAuth,
    run = (s: Awaited<ReturnType<HybridAuth['load']>>) => s.getAccessToken(),
  ) => withSession(engine, t.request('GET', '/api'), run)
  return { t, a: t.auth, b, memory, store, id, refreshGrants, getToken }
}

describe('refresh across instances (a store with lease)', () => {
  for (const rotate of [true, false]) {
    it(`50 requests on two instances with one expired session make one token call (rotation ${rotate ? 'on' : 'off'})`, async () => {
      const { t, a, b, memory, id, refreshGrants } = await twoInstances({ rotate })
      const before = memory.get(id)!
      t.clock.now += 3600
      // Every request has loaded the expired session before any refresh starts.
      const loaded = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? b : a).load(t.request('GET', '/api'))),
      )
      const sessions = await Promise.all(loaded.map((s) => s.getAccessToken()))
      expect(refreshGrants()).toBe(1)
      const stored = memory.get(id)!
      expect(stored.accessToken).not.toBe(before.accessToken)
      // All 50 use the one new access token, which is the stored one.
      expect(new Set(sessions.map((s) => s.accessToken))).toEqual(new Set([stored.accessToken]))
      // The stored refresh token is the provider's live one (rotated, or the same one).
      expect(t.provider.refreshTokens.get(stored.refreshToken!)?.used).toBe(false)
      if (rotate) expect(stored.refreshToken).not.toBe(before.refreshToken)
      else expect(stored.refreshToken).toBe(before.refreshToken)
      // The user stays logged in, on both instances, with no further token call.
      await Promise.all([a, b].map((engine) => engine.load(t.request('GET', '/'))))
      expect((await t.session())?.accessToken).toBe(stored.accessToken)
      expect(refreshGrants()).toBe(1)
    })
  }

  it('without lease in the store, each instance reaches the provider (what the lease prevents)', async () => {
    const { t, a, b, refreshGrants } = await twoInstances({ lease: false })
    t.clock.now += 3600
    const loaded = await Promise.all([a, b].map((e) => e.load(t.request('GET', '/api'))))
    const results = await Promise.allSettled(loaded.map((s) => s.getAccessToken()))
    // Two calls with one refresh token: the later one is a reuse, which a rotating provider
    // refuses (and one with reuse detection answers by revoking the whole grant).
    expect(refreshGrants()).toBe(2)
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  })

  it('an instance that finds the session refreshed by another does not call the provider', async () => {
    const { t, a, b, refreshGrants, getToken } = await twoInstances()
    t.clock.now += 3600
    // Loaded on b before a refreshed: b holds the expired copy.
    const late = await b.load(t.request('GET', '/api'))
    const { value: fresh } = await getToken(a)
    expect(refreshGrants()).toBe(1)
    const served = await late.getAccessToken()
    expect(served.accessToken).toBe(fresh.accessToken)
    expect(refreshGrants()).toBe(1)
  })

  it('a forced refresh or a reduced scope reaches the provider, with the newest refresh token', async () => {
    const { t, a, b, memory, id, refreshGrants } = await twoInstances()
    const stale = await b.load(t.request('GET', '/api'))
    await withSession(a, t.request('GET', '/api'), (s) => s.getAccessToken({ refresh: 'force' }))
    const rotated = memory.get(id)!.refreshToken
    await stale.getAccessToken({ refresh: 'force' })
    expect(refreshGrants()).toBe(2)
    // b sent a's successor, not the token it had loaded (which was spent).
    const [, second] = t.provider.calls.filter((c) => c.body.get('grant_type') === 'refresh_token')
    expect(second!.body.get('refresh_token')).toBe(rotated)
    const narrowed = await stale.getAccessToken({ scope: 'openid' })
    expect(narrowed.scope).toBe('openid')
    expect(refreshGrants()).toBe(3)
    expect(t.provider.refreshTokens.get(memory.get(id)!.refreshToken!)?.used).toBe(false)
  })

  it('a holder that died blocks the refresh only until its lease expires', async () => {
    const { t, a, memory, id, refreshGrants, getToken } = await twoInstances()
    t.clock.now += 3600
    // An instance took the lease and died (never released it); the lease is 15 s.
    expect(memory.lease(id, 'dead-instance', 15_000)).toBe(true)
    const waiting = getToken(a)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(refreshGrants()).toBe(0)
    t.clock.now += 16
    const { value } = await waiting
    expect(refreshGrants()).toBe(1)
    expect(memory.get(id)!.accessToken).toBe(value.accessToken)
  })

  it('a lease that stays taken fails the wait with SESSION_STORE_FAILED, bounded by waitMs', async () => {
    const { t, a, memory, id, refreshGrants, getToken } = await twoInstances({
      sessions: { leaseMs: 1000, waitMs: 300 },
    })
    t.clock.now += 3600
    memory.lease(id, 'stuck-instance', 60_000)
    await expect(getToken(a)).rejects.toMatchObject({ code: 'SESSION_STORE_FAILED' })
    expect(refreshGrants()).toBe(0)
    // The session is unharmed: once the lease is gone, the refresh goes through.
    memory.release(id, 'stuck-instance')
    await getToken(a)
    expect(refreshGrants()).toBe(1)
  })

  it('the lease is released after the refresh is stored, and after a failed refresh', async () => {
    const { t, a, store, memory, id, getToken } = await twoInstances()
    t.clock.now += 3600
    await getToken(a)
    expect((store as CountingStore).leases).toBe(1)
    expect(memory.lease(id, 'probe', 1000)).toBe(true)
    memory.release(id, 'probe')
    t.clock.now += 3600
    t.provider.tokenEndpointOverride = () =>
      Response.json({ error: 'server_error' }, { status: 500 })
    await expect(getToken(a)).rejects.toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR' })
    expect(memory.lease(id, 'probe', 1000)).toBe(true)
  })

  it('invalid_grant after another instance rotated the token: its stored session is used', async () => {
    const { t, a, memory, id, getToken } = await twoInstances({ lease: false })
    t.clock.now += 3600
    const current = memory.get(id)!
    const rotatedElsewhere = {
      ...current,
      accessToken: 'at-from-another-instance',
      refreshToken: 'rt-from-another-instance',
      expiresAt: t.clock.now + 3600,
    }
    // The provider answers invalid_grant (the token was spent), and by then the instance that
    // spent it has stored its result.
    t.provider.tokenEndpointOverride = () => {
      memory.update(id, rotatedElsewhere, t.clock.now + 86_400)
      return Response.json({ error: 'invalid_grant' }, { status: 400 })
    }
    const { value } = await getToken(a)
    expect(value.accessToken).toBe('at-from-another-instance')
    expect(memory.get(id)?.refreshToken).toBe('rt-from-another-instance')
  })

  it('invalid_grant with nothing newer stored fails, and the dead refresh token is dropped', async () => {
    const { t, a, memory, id, getToken } = await twoInstances()
    t.clock.now += 3600
    t.provider.tokenEndpointOverride = () =>
      Response.json({ error: 'invalid_grant' }, { status: 400 })
    await expect(getToken(a)).rejects.toMatchObject({ error: 'invalid_grant' })
    expect(memory.get(id)?.refreshToken).toBeUndefined()
    // Stored while the lease was still held, and released afterwards.
    expect(memory.lease(id, 'probe', 1000)).toBe(true)
  })

  it('a logout during the token call is not undone by the refresh', async () => {
    const { t, memory, id, getToken } = await twoInstances()
    t.clock.now += 3600
    const { fetch } = baseConfig(t)
    const engine = createHybridAuth({
      ...baseConfig(t),
      fetch: async (input, init) => {
        // The session is deleted (a logout elsewhere) while its token call is under way.
        if (new Request(input, init).url.endsWith('/token')) memory.delete(id)
        return fetch!(input, init)
      },
      session: { store: serverSessions(memory) },
    })
    await getToken(engine).catch(() => {})
    expect(memory.get(id)).toBeUndefined()
    expect(await t.session()).toBeUndefined()
  })

  it('serverSessions refuses a store with lease but no release', () => {
    const { release: _, ...halfway } = new CountingStore(new MemorySessionStore())
    expect(() => serverSessions(halfway as SessionStore)).toThrow(ConfigurationError)
  })
})

describe('MemorySessionStore lease', () => {
  it('one owner at a time, released only by its owner, ended by its ttl', () => {
    let now = 100
    const store = new MemorySessionStore({ now: () => now })
    expect(store.lease('s', 'one', 2000)).toBe(true)
    expect(store.lease('s', 'two', 2000)).toBe(false)
    store.release('s', 'two')
    expect(store.lease('s', 'two', 2000)).toBe(false)
    now += 2
    expect(store.lease('s', 'two', 2000)).toBe(true)
    store.release('s', 'two')
    expect(store.lease('s', 'three', 2000)).toBe(true)
  })
})
