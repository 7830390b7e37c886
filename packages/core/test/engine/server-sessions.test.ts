// Server-side sessions (`session: { store: serverSessions(store) }`): the cookie holds a sealed
// random id, the store the session; logins, refreshes, logout and store outages through the engine.
import { describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { CookieSealer } from '../../src/engine/seal.js'
import { serverSessions } from '../../src/engine/server-sessions.js'
import { MemorySessionStore, type SessionStore } from '../../src/engine/session-store.js'
import { ConfigurationError } from '../../src/errors.js'
import type { Session } from '../../src/protocol/types.js'
import { SECRET, SESSION_COOKIE as SESSION, setup, withSession } from '../support/harness.js'

/** A MemorySessionStore that records calls and can be made to fail. */
class SpyStore implements SessionStore {
  readonly inner: MemorySessionStore
  readonly calls: string[] = []
  failing = false
  constructor(now: () => number) {
    this.inner = new MemorySessionStore({ now })
  }
  #check(call: string) {
    this.calls.push(call)
    if (this.failing) throw new Error('connection refused')
  }
  async get(id: string) {
    this.#check('get')
    return this.inner.get(id)
  }
  async set(id: string, session: Session, expiresAt: number) {
    this.#check('set')
    this.inner.set(id, session, expiresAt)
  }
  async update(id: string, session: Session, expiresAt: number) {
    this.#check('update')
    this.inner.update(id, session, expiresAt)
  }
  async delete(id: string) {
    this.#check('delete')
    this.inner.delete(id)
  }
}

async function storeSetup() {
  let clock = () => 0
  const store = new SpyStore(() => clock())
  const t = await setup({ session: { store: serverSessions(store) } })
  clock = () => t.clock.now
  return { ...t, store }
}

/** What the session cookie holds, opened with the app's secret. */
async function cookiePayload(value: string): Promise<unknown> {
  const sealer = await CookieSealer.create(SECRET, new WebCryptoProvider())
  return (await sealer.unseal(SESSION, value)).payload
}

describe('server-side sessions (session.store)', () => {
  it('the cookie holds only a sealed random id; the session is in the store', async () => {
    const t = await storeSetup()
    const { callback } = await t.login()
    expect(callback.status).toBe(302)
    const value = t.jar.cookies.get(SESSION)!
    // No tokens in the cookie, even encrypted: a short value (the cookie-only one is ~2 KB).
    expect(value.length).toBeLessThan(200)
    const payload = (await cookiePayload(value)) as { id: string; session?: unknown }
    expect(payload.session).toBeUndefined()
    expect(payload.id).toMatch(/^[\w-]{43}$/)
    const stored = t.store.inner.get(payload.id)
    expect(stored?.sub).toBe('user-1')
    // The request's session is the stored one, tokens included.
    const session = await t.session()
    expect(session).toEqual(stored)
    expect(t.provider.refreshTokens.has(session!.refreshToken!)).toBe(true)
  })

  it('every login gets a new id and deletes the session it replaces (no fixation)', async () => {
    const t = await storeSetup()
    await t.login()
    const first = ((await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }).id
    await t.login()
    const second = ((await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }).id
    expect(second).not.toBe(first)
    expect(t.store.inner.get(first)).toBeUndefined()
    expect(t.store.inner.size).toBe(1)
  })

  it('the replaced session is deleted also when the cross-site callback lacks the Lax cookie', async () => {
    const t = await storeSetup()
    await t.login()
    const first = ((await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }).id
    // The login is a same-site navigation: the session cookie (SameSite=Lax) comes with it.
    const { params } = await t.beginLogin()
    // The form_post callback is a cross-site POST: a browser sends the SameSite=None
    // transaction cookie, not the Lax session cookie.
    const callback = (await t.auth.handle(
      t.request('POST', '/callback', params.toString(), t.jar.header([SESSION])),
    ))!
    expect(callback.status).toBe(302)
    expect(t.store.inner.get(first)).toBeUndefined()
    expect(t.store.inner.size).toBe(1)
  })

  it('an expired copy of a rolled cookie cannot make a login delete the live session', async () => {
    const t = await storeSetup()
    await t.login()
    const stale = t.jar.cookies.get(SESSION)!
    const { id } = (await cookiePayload(stale)) as { id: string }
    // Active again after 20 hours: the cookie is resealed (same id, a later expiry).
    t.clock.now += 20 * 3600
    await t.inRequest((s) => s.session)
    const live = t.jar.cookies.get(SESSION)!
    // 5 hours later the first cookie has expired; the resealed one has not.
    t.clock.now += 5 * 3600
    // Someone holding the expired copy logs in (as anyone) with it.
    t.jar.cookies.set(SESSION, stale)
    await t.login()
    expect(t.store.inner.get(id)?.sub).toBe('user-1')
    expect((await t.session(`${SESSION}=${live}`))?.sub).toBe('user-1')
  })

  it('logout deletes the record: a copy of the cookie is no session afterwards', async () => {
    const t = await storeSetup()
    await t.login()
    const copy = t.jar.copy()
    const response = (await t.auth.handle(t.request('GET', '/logout')))!
    expect(response.status).toBe(302)
    expect(t.store.inner.size).toBe(0)
    const replay = await t.auth.load(t.request('GET', '/', undefined, copy))
    expect(replay.session).toBeUndefined()
    // and the stale cookie is cleared
    expect(replay.takeSetCookies().some((c) => c.startsWith(`${SESSION}=;`))).toBe(true)
  })

  it('a refresh writes the new tokens under the same id', async () => {
    const t = await storeSetup()
    await t.login()
    const { id } = (await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }
    const before = t.store.inner.get(id)!
    t.clock.now += 3600
    const { value, setCookies } = await withSession(t.auth, t.request('GET', '/api'), (s) =>
      s.getAccessToken(),
    )
    expect(value.accessToken).not.toBe(before.accessToken)
    expect(t.store.inner.get(id)?.accessToken).toBe(value.accessToken)
    expect(t.store.inner.get(id)?.refreshToken).toBe(value.refreshToken)
    t.jar.store(setCookies)
    expect(((await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }).id).toBe(id)
  })

  it('a rolling session keeps its id, and the store keeps it as long as the cookie', async () => {
    const t = await storeSetup()
    await t.login()
    const { id } = (await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }
    // Active again after 20 hours: the rolling day starts over (cookie and record).
    t.clock.now += 20 * 3600
    await t.inRequest((s) => s.session)
    expect(((await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }).id).toBe(id)
    t.clock.now += 20 * 3600
    expect(t.store.inner.get(id)?.sub).toBe('user-1')
    expect((await t.session())?.sub).toBe('user-1')
  })

  it('a refresh under way when the session is deleted (logout elsewhere) does not bring it back', async () => {
    const t = await storeSetup()
    await t.login()
    const { id } = (await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }
    const loaded = await t.auth.load(t.request('GET', '/api'))
    // Another request logs out (or the provider's back-channel logout arrives) meanwhile.
    t.store.inner.delete(id)
    // The stored session is read again before the refresh: it ended, so no refresh is made.
    await expect(loaded.getAccessToken({ refresh: 'force' })).rejects.toMatchObject({
      code: 'SESSION_MISSING',
    })
    expect(
      t.provider.calls.filter((call) => call.body.get('grant_type') === 'refresh_token'),
    ).toHaveLength(0)
    expect(t.store.inner.get(id)).toBeUndefined()
    t.jar.store(loaded.takeSetCookies())
    expect(await t.session()).toBeUndefined()
  })

  it('a store outage is SESSION_STORE_FAILED (503), and no session is created', async () => {
    const t = await storeSetup()
    await t.login()
    t.store.failing = true
    await expect(t.auth.load(t.request('GET', '/'))).rejects.toMatchObject({
      code: 'SESSION_STORE_FAILED',
    })
    // A login whose session cannot be stored sets no session cookie.
    t.store.failing = false
    const { params } = await t.beginLogin()
    t.store.failing = true
    const callback = await t.postCallback(params)
    expect(callback.status).toBe(503)
    expect(callback.error?.code).toBe('SESSION_STORE_FAILED')
    expect(callback.error?.cause).toMatchObject({ message: 'connection refused' })
    expect(callback.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=`))).toBe(false)
  })

  it('logout during a store outage fails (503) and keeps the cookie, so it can be retried', async () => {
    const t = await storeSetup()
    await t.login()
    t.store.failing = true
    const response = (await t.auth.handle(t.request('GET', '/logout')))!
    expect(response.status).toBe(503)
    expect(response.error?.code).toBe('SESSION_STORE_FAILED')
    expect(response.headers.getSetCookie()).toEqual([])
    t.store.failing = false
    expect(t.store.inner.size).toBe(1)
  })

  it('an id the store does not know is no session, and the cookie is cleared', async () => {
    const t = await storeSetup()
    await t.login()
    const { id } = (await cookiePayload(t.jar.cookies.get(SESSION)!)) as { id: string }
    t.store.inner.delete(id)
    const { value, setCookies } = await t.read((s) => s.session)
    expect(value).toBeUndefined()
    expect(setCookies.some((c) => c.startsWith(`${SESSION}=;`))).toBe(true)
  })

  it('an expired cookie is not looked up in the store', async () => {
    const t = await storeSetup()
    await t.login()
    t.clock.now += 8 * 86_400
    t.store.calls.length = 0
    expect(await t.session()).toBeUndefined()
    expect(t.store.calls).toEqual([])
  })

  it('a cookie that holds a whole session (sealed before the store was set up) is no session', async () => {
    const cookieOnly = await setup()
    await cookieOnly.login()
    const t = await storeSetup()
    expect(await t.session(cookieOnly.jar)).toBeUndefined()
  })

  it('a store answer that is not a session is SESSION_STORE_FAILED, null is no session', async () => {
    const t = await storeSetup()
    await t.login()
    const get = t.store.get.bind(t.store)
    t.store.get = async () => 'not a session' as unknown as Session
    await expect(t.auth.load(t.request('GET', '/'))).rejects.toMatchObject({
      code: 'SESSION_STORE_FAILED',
    })
    t.store.get = async () => null as unknown as undefined
    expect((await t.auth.load(t.request('GET', '/'))).session).toBeUndefined()
    t.store.get = get
  })

  it('a store without get, set, update and delete is a ConfigurationError', async () => {
    for (const store of [{}, { get() {}, set() {}, delete() {} }, 'redis://localhost', null]) {
      expect(() => serverSessions(store as unknown as SessionStore)).toThrow(ConfigurationError)
    }
  })

  it('session.store takes serverSessions(store): a bare store is refused with that advice', async () => {
    await expect(setup({ session: { store: new MemorySessionStore() as never } })).rejects.toThrow(
      /serverSessions\(store\)/,
    )
  })
})
