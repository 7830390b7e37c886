/**
 * The `SessionStore` contract of `DurableObjectSessionStore` against the real `SessionsObject` in
 * workerd (Miniflare, SQLite-backed Durable Object), with one shard and with four: get / set /
 * update / delete, update of a missing, deleted or expired id writing nothing, expiry (filtered on
 * read, purged by the alarm), deleteBy, and the refresh lease (one owner at a time, release by the
 * owner only, expiry by its ttl, 20 concurrent takers and one winner).
 *
 * Each test names its own store (`name`), so it starts on objects nobody used. The objects purge
 * expired rows every second here (`TestSessionsObject`; every minute by default).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Session, SessionFilter } from '@oidc-hybrid/core'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundle, COMPATIBILITY_DATE } from './bundle.js'

let mf: Miniflare
let tests = 0

beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: await bundle('./store-worker.ts'),
    compatibilityDate: COMPATIBILITY_DATE,
    durableObjects: { SESSIONS: { className: 'TestSessionsObject', useSQLite: true } },
  })
  await mf.ready
})
afterAll(async () => {
  await mf?.dispose()
})

const ISS = 'https://op.example/'
const OTHER_ISS = 'https://other-op.example/'

/** A session as the engine stores one (only what the store looks at matters). */
function session(token: string, sub = 'user-1', sid?: string, issuer = ISS): Session {
  const now = Math.floor(Date.now() / 1000)
  return {
    issuer,
    sub,
    claims: { iss: issuer, sub, aud: 'app', exp: now + 60, iat: now, ...(sid ? { sid } : {}) },
    accessToken: token,
    tokenType: 'Bearer',
    createdAt: now,
    updatedAt: now,
  }
}

const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds
/** A random session id, as the engine makes them (43 base64url characters). */
const newId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')

interface Store {
  get(id: string): Promise<Session | null>
  set(id: string, session: Session, expiresAt: number): Promise<null>
  update(id: string, session: Session, expiresAt: number): Promise<null>
  delete(id: string): Promise<null>
  deleteBy(filter: SessionFilter): Promise<null>
  lease(id: string, owner: string, ttlMs: number): Promise<boolean>
  release(id: string, owner: string): Promise<null>
  count(): Promise<{ sessions: number; leases: number }>
  /** Calls shard `shard`'s object directly. */
  object(shard: number, method: string, ...args: unknown[]): Promise<unknown>
}

/** The store of a fresh name with `shards` shards, inside the worker. */
function store(shards: number): Store {
  const name = `test-${++tests}-${shards}`
  const call = async (method: string, args: unknown[]) => {
    const response = await mf.dispatchFetch('http://store.test/', {
      method: 'POST',
      body: JSON.stringify({ shards, name, method, args }),
    })
    const body = (await response.json()) as { result?: unknown; error?: string }
    if (response.status !== 200) throw new Error(body.error)
    return body.result
  }
  return new Proxy({} as Store, {
    get:
      (_, method: string) =>
      (...args: unknown[]) =>
        call(method, args),
  })
}

/** Polls `check` until it holds (bounded), for what the purge alarm does in the background. */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  for (const start = Date.now(); Date.now() - start < ms; await sleep(100)) {
    if (await check()) return true
  }
  return check()
}

for (const shards of [1, 4]) {
  describe(`DurableObjectSessionStore in workerd, ${shards} shard${shards > 1 ? 's' : ''}`, () => {
    it('gets what was set, as a copy; updates; deletes; unknown ids are undefined', async () => {
      const s = store(shards)
      const id = newId()
      expect(await s.get(id)).toBeNull()
      await s.set(id, session('first'), inSeconds(3600))
      expect(await s.get(id)).toEqual(session('first'))
      await s.update(id, session('second'), inSeconds(3600))
      expect((await s.get(id))?.accessToken).toBe('second')
      // set replaces too (the engine uses it for new ids only).
      await s.set(id, session('third'), inSeconds(3600))
      expect((await s.get(id))?.accessToken).toBe('third')
      await s.delete(id)
      expect(await s.get(id)).toBeNull()
      // Deleting an unknown id succeeds.
      await s.delete(id)
      await s.delete(newId())
      expect(await s.count()).toEqual({ sessions: 0, leases: 0 })
    })

    it('update of a missing, deleted or expired id writes nothing', async () => {
      const s = store(shards)
      const missing = newId()
      await s.update(missing, session('ghost'), inSeconds(3600))
      expect(await s.get(missing)).toBeNull()

      const deleted = newId()
      await s.set(deleted, session('live'), inSeconds(3600))
      await s.delete(deleted)
      await s.update(deleted, session('resurrected'), inSeconds(3600))
      expect(await s.get(deleted)).toBeNull()

      // Expired but not purged yet: still stored, and still not updated.
      const expired = newId()
      await s.set(expired, session('old'), inSeconds(-10))
      await s.update(expired, session('revived'), inSeconds(3600))
      expect(await s.get(expired)).toBeNull()
      expect(await s.count()).toEqual({ sessions: 1, leases: 0 })
      expect(await eventually(async () => (await s.count()).sessions === 0)).toBe(true)

      // The object itself says whether it wrote.
      const row = { json: '{}', expiresAt: inSeconds(60), iss: ISS, sub: 'x', sid: null }
      expect(await s.object(0, 'update', newId(), row)).toBe(false)
      const id = newId()
      expect(await s.object(0, 'set', id, row)).toBeNull()
      expect(await s.object(0, 'update', id, row)).toBe(true)
    })

    it('expires sessions at expiresAt: never read after it, purged by the alarm', async () => {
      const s = store(shards)
      const past = newId()
      await s.set(past, session('past'), inSeconds(-1))
      // Stored until the purge, never read.
      expect(await s.get(past)).toBeNull()
      expect((await s.count()).sessions).toBe(1)

      const soon = newId()
      const later = newId()
      await s.set(soon, session('soon'), inSeconds(2))
      await s.set(later, session('later'), inSeconds(3600))
      expect((await s.get(soon))?.accessToken).toBe('soon')
      // The past one is purged about a second later (an alarm delayed by load past `soon`'s
      // expiry purges that one too, so at most two stay).
      expect(await eventually(async () => (await s.count()).sessions <= 2)).toBe(true)
      await sleep(2100)
      expect(await s.get(soon)).toBeNull()
      expect((await s.get(later))?.accessToken).toBe('later')
      expect(await eventually(async () => (await s.count()).sessions === 1)).toBe(true)
      expect((await s.get(later))?.accessToken).toBe('later')
    })

    it('deleteBy: by sub, by sid, by both; other issuers and subjects untouched; neither deletes nothing', async () => {
      const s = store(shards)
      const ids = {
        a: newId(), // user-1, sid s1
        b: newId(), // user-1, sid s2
        c: newId(), // user-2, sid s3
        d: newId(), // user-1, sid s1, other issuer
        e: newId(), // user-2, sid s4
        f: newId(), // user-3, no sid
      }
      await s.set(ids.a, session('a', 'user-1', 's1'), inSeconds(3600))
      await s.set(ids.b, session('b', 'user-1', 's2'), inSeconds(3600))
      await s.set(ids.c, session('c', 'user-2', 's3'), inSeconds(3600))
      await s.set(ids.d, session('d', 'user-1', 's1', OTHER_ISS), inSeconds(3600))
      await s.set(ids.e, session('e', 'user-2', 's4'), inSeconds(3600))
      await s.set(ids.f, session('f', 'user-3'), inSeconds(3600))
      const alive = async () => {
        const found: string[] = []
        for (const [key, id] of Object.entries(ids)) if (await s.get(id)) found.push(key)
        return found.join('')
      }

      // Neither sub nor sid: nothing, through the store and at the object itself.
      await s.deleteBy({ iss: ISS })
      for (let shard = 0; shard < shards; shard++) {
        expect(await s.object(shard, 'deleteBy', { iss: ISS })).toBe(0)
      }
      expect(await alive()).toBe('abcdef')

      await s.deleteBy({ iss: ISS, sid: 's1' })
      expect(await alive()).toBe('bcdef')
      await s.deleteBy({ iss: ISS, sub: 'user-2', sid: 's3' })
      expect(await alive()).toBe('bdef')
      // Both given: both must match.
      await s.deleteBy({ iss: ISS, sub: 'user-1', sid: 's4' })
      expect(await alive()).toBe('bdef')
      await s.deleteBy({ iss: ISS, sub: 'user-1' })
      expect(await alive()).toBe('def')
      await s.deleteBy({ iss: 'https://nobody.example/', sub: 'user-1' })
      expect(await alive()).toBe('def')
      await s.deleteBy({ iss: OTHER_ISS, sub: 'user-1' })
      expect(await alive()).toBe('ef')
      // An update keeps the session findable by its new fields.
      await s.update(ids.f, session('f2', 'user-3', 's9'), inSeconds(3600))
      await s.deleteBy({ iss: ISS, sid: 's9' })
      expect(await alive()).toBe('e')
    })

    it('lease: one owner at a time; release only by the owner; ends by itself after ttl', async () => {
      const s = store(shards)
      const id = newId()
      const other = newId()
      expect(await s.lease(id, 'owner-a', 10_000)).toBe(true)
      expect(await s.lease(id, 'owner-b', 10_000)).toBe(false)
      // The same owner asking again does not get it twice.
      expect(await s.lease(id, 'owner-a', 10_000)).toBe(false)
      // Leases are per session id.
      expect(await s.lease(other, 'owner-b', 10_000)).toBe(true)
      await s.release(id, 'owner-b')
      expect(await s.lease(id, 'owner-c', 10_000)).toBe(false)
      await s.release(id, 'owner-a')
      expect(await s.lease(id, 'owner-c', 10_000)).toBe(true)
      await s.release(id, 'owner-c')
      await s.release(other, 'owner-b')
      expect((await s.count()).leases).toBe(0)

      const short = newId()
      expect(await s.lease(short, 'owner-a', 400)).toBe(true)
      expect(await s.lease(short, 'owner-b', 400)).toBe(false)
      await sleep(600)
      // Expired: the next owner takes it, and the first one's late release leaves it alone.
      expect(await s.lease(short, 'owner-b', 10_000)).toBe(true)
      await s.release(short, 'owner-a')
      expect(await s.lease(short, 'owner-c', 10_000)).toBe(false)
    })

    it('20 concurrent lease calls: exactly one gets it', async () => {
      const s = store(shards)
      const id = newId()
      const taken = await Promise.all(
        Array.from({ length: 20 }, (_, i) => s.lease(id, `owner-${i}`, 10_000)),
      )
      expect(taken.filter(Boolean)).toHaveLength(1)
    })

    it('rejects a lease without a positive ttl at the object', async () => {
      const s = store(shards)
      await expect(s.lease(newId(), 'owner', 0)).rejects.toThrow(/ttlMs/)
    })
  })
}
