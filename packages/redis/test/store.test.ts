/**
 * RedisSessionStore against a real redis-server: the SessionStore contract, the indexes behind
 * deleteBy (back-channel logout), and the refresh lease.
 */
import { ConfigurationError, MemorySessionStore, serverSessions } from '@oidc-hybrid/core'
import { type RedisServer, startRedis } from '@oidc-hybrid/test-kit/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisSessionStore } from '../src/index.js'
import { at, type Client, connect, eventually, newId, session } from './helpers.js'

let redis: RedisServer
let client: Client
let other: Client
let prefixes = 0
/** A store with a prefix of its own, so the tests do not see each other's keys. */
const fresh = (options: { client?: Client; prefix?: string } = {}) =>
  new RedisSessionStore({ client, prefix: `t${++prefixes}:`, ...options })

/** The raw reply of one command on the test server. */
const raw = (...args: string[]) => client.sendCommand(args)
const b64 = (text: string) => Buffer.from(text).toString('base64url')

beforeAll(async () => {
  redis = await startRedis()
  client = await connect(redis.url)
  other = await connect(redis.url)
})
afterAll(async () => {
  client?.destroy()
  other?.destroy()
  await redis?.stop()
})

describe('the SessionStore contract', () => {
  it('round-trips a session as JSON; an unknown id is undefined', async () => {
    const store = fresh()
    const id = newId()
    const value = session({ sid: 'sid-1' })
    await store.set(id, value, at(600))
    expect(await store.get(id)).toEqual(value)
    expect(JSON.parse(String(await raw('GET', `t${prefixes}:s:${id}`)))).toEqual(value)
    expect(await store.get(newId())).toBeUndefined()
  })

  it('keeps each session until expiresAt: EXAT on the session, its links and its indexes', async () => {
    const store = fresh()
    const prefix = `t${prefixes}:`
    const id = newId()
    const expiresAt = at(900)
    await store.set(id, session({ sid: 'sid-ttl' }), expiresAt)
    expect(await raw('EXPIRETIME', `${prefix}s:${id}`)).toBe(expiresAt)
    expect(await raw('EXPIRETIME', `${prefix}k:${id}`)).toBe(expiresAt)
    const subKey = `${prefix}sub:${b64('https://op.example.com/')}:${b64('user-1')}`
    const sidKey = `${prefix}sid:${b64('https://op.example.com/')}:${b64('sid-ttl')}`
    expect(await raw('EXPIRETIME', subKey)).toBe(expiresAt)
    expect(Number(await raw('ZSCORE', sidKey, id))).toBe(expiresAt)
    // A fractional expiresAt is rounded up (kept "at least" until then).
    await store.update(id, session(), expiresAt + 0.25)
    expect(await raw('EXPIRETIME', `${prefix}s:${id}`)).toBe(expiresAt + 1)
  })

  it('update replaces the value and the expiry of an existing session', async () => {
    const store = fresh()
    const id = newId()
    const later = at(1200)
    await store.set(id, session({ note: 'before' }), at(600))
    await store.update(id, session({ note: 'after' }), later)
    expect((await store.get(id))?.accessToken).toBe('at-after')
    expect(await raw('EXPIRETIME', `t${prefixes}:s:${id}`)).toBe(later)
  })

  it('update of a missing or deleted id writes nothing (no session, no index entry)', async () => {
    const store = fresh()
    const prefix = `t${prefixes}:`
    const missing = newId()
    await store.update(missing, session({ sid: 'sid-gone' }), at(600))
    expect(await store.get(missing)).toBeUndefined()
    expect(await raw('EXISTS', `${prefix}s:${missing}`, `${prefix}k:${missing}`)).toBe(0)
    expect(await raw('KEYS', `${prefix}*`)).toEqual([])

    const deleted = newId()
    await store.set(deleted, session(), at(600))
    await store.delete(deleted)
    await store.update(deleted, session({ note: 'resurrected' }), at(600))
    expect(await store.get(deleted)).toBeUndefined()
    expect(await raw('KEYS', `${prefix}*`)).toEqual([])
  })

  it('delete removes the session and its index entries; an unknown id succeeds', async () => {
    const store = fresh()
    const prefix = `t${prefixes}:`
    const id = newId()
    const kept = newId()
    await store.set(id, session({ sid: 'sid-del' }), at(600))
    await store.set(kept, session(), at(600))
    await store.delete(id)
    expect(await store.get(id)).toBeUndefined()
    const subKey = `${prefix}sub:${b64('https://op.example.com/')}:${b64('user-1')}`
    expect(await raw('ZRANGE', subKey, '0', '-1')).toEqual([kept])
    // The sid index had only this session: it is gone, not lingering.
    expect(
      await raw('EXISTS', `${prefix}sid:${b64('https://op.example.com/')}:${b64('sid-del')}`),
    ).toBe(0)
    expect(await raw('EXISTS', `${prefix}k:${id}`)).toBe(0)
    await expect(store.delete(newId())).resolves.toBeUndefined()
  })

  it('an expiresAt in the past stores nothing that can be read', async () => {
    const store = fresh()
    const id = newId()
    await store.set(id, session(), at(-10))
    expect(await store.get(id)).toBeUndefined()
    expect(await raw('KEYS', `t${prefixes}:*`)).toEqual([])
  })

  it('the prefix isolates two stores on one server', async () => {
    const a = fresh()
    const b = fresh()
    const id = newId()
    await a.set(id, session({ note: 'a' }), at(600))
    expect(await b.get(id)).toBeUndefined()
    await b.update(id, session({ note: 'b' }), at(600))
    expect(await b.get(id)).toBeUndefined()
    await b.set(id, session({ note: 'b' }), at(600))
    await b.deleteBy({ iss: 'https://op.example.com/', sub: 'user-1' })
    expect((await a.get(id))?.accessToken).toBe('at-a')
    expect(await b.get(id)).toBeUndefined()
  })

  it('serves serverSessions() of the core: a login gets an id that reads back', async () => {
    const sessions = serverSessions(fresh())
    const crypto = { randomBytes: (n: number) => new Uint8Array(n).fill(7) }
    const value = session()
    const id = await sessions.write(value, undefined, at(600), crypto as never)
    expect(await sessions.read(id)).toEqual(value)
    await sessions.forget([id])
    expect(await sessions.read(id)).toBeUndefined()
  })

  it('works through any sendCommand, also one answering with bytes', async () => {
    const bytes = {
      sendCommand: async (args: string[]) => {
        const reply = await client.sendCommand(args)
        return typeof reply === 'string' ? Buffer.from(reply) : reply
      },
    }
    const store = fresh({ client: bytes as never })
    const id = newId()
    const value = session()
    await store.set(id, value, at(600))
    expect(await store.get(id)).toEqual(value)
    expect(await store.lease(id, 'me', 5000)).toBe(true)
    expect(await store.lease(id, 'you', 5000)).toBe(false)
  })

  it('loads its scripts again when Redis forgot them (NOSCRIPT: EVAL, then EVALSHA again)', async () => {
    const store = fresh()
    const id = newId()
    await store.set(id, session(), at(600))
    await raw('SCRIPT', 'FLUSH')
    await store.update(id, session({ note: 'after flush' }), at(600))
    expect((await store.get(id))?.accessToken).toBe('at-after flush')
    await store.delete(id)
    expect(await store.get(id)).toBeUndefined()
  })

  it('refuses options it cannot use', () => {
    expect(() => new RedisSessionStore({ client: {} as never })).toThrow(ConfigurationError)
    expect(() => new RedisSessionStore({ client, timeoutMs: 0 })).toThrow(/timeoutMs/)
    expect(() => new RedisSessionStore({ client, maxPending: 0.5 })).toThrow(/maxPending/)
    expect(() => new RedisSessionStore({ client, prefix: 1 as never })).toThrow(/prefix/)
  })
})

describe('deleteBy (Back-Channel Logout 1.0 2.7)', () => {
  const iss = 'https://op.example.com/'
  /** Sessions of two users and two issuers; returns their ids by name. */
  async function population(store: RedisSessionStore) {
    const ids = {
      aX: newId(), // sub A, sid X
      aY: newId(), // sub A, sid Y
      aNone: newId(), // sub A, no sid
      bX: newId(), // sub B, sid X (a provider reusing a sid value for another user)
      otherIssA: newId(), // sub A, sid X at another issuer
    }
    await store.set(ids.aX, session({ sub: 'A', sid: 'X' }), at(600))
    await store.set(ids.aY, session({ sub: 'A', sid: 'Y' }), at(600))
    await store.set(ids.aNone, session({ sub: 'A' }), at(600))
    await store.set(ids.bX, session({ sub: 'B', sid: 'X' }), at(600))
    await store.set(
      ids.otherIssA,
      session({ iss: 'https://other.example/', sub: 'A', sid: 'X' }),
      at(600),
    )
    return ids
  }
  async function left(store: RedisSessionStore, ids: Record<string, string>) {
    const kept: string[] = []
    for (const [name, id] of Object.entries(ids)) if (await store.get(id)) kept.push(name)
    return kept
  }

  it('by sub: every session of that user at that issuer', async () => {
    const store = fresh()
    const ids = await population(store)
    await store.deleteBy({ iss, sub: 'A' })
    expect(await left(store, ids)).toEqual(['bX', 'otherIssA'])
  })

  it('by sid: the sessions of that provider session', async () => {
    const store = fresh()
    const ids = await population(store)
    await store.deleteBy({ iss, sid: 'X' })
    expect(await left(store, ids)).toEqual(['aY', 'aNone', 'otherIssA'])
  })

  it('by sub and sid: only sessions matching both', async () => {
    const store = fresh()
    const ids = await population(store)
    await store.deleteBy({ iss, sub: 'A', sid: 'X' })
    expect(await left(store, ids)).toEqual(['aY', 'aNone', 'bX', 'otherIssA'])
  })

  it('with neither sub nor sid: nothing', async () => {
    const store = fresh()
    const ids = await population(store)
    await store.deleteBy({ iss })
    expect(await left(store, ids)).toEqual(Object.keys(ids))
  })

  it('matches like MemorySessionStore on the same calls', async () => {
    const filters = [
      { iss, sub: 'A' },
      { iss, sid: 'X' },
      { iss, sub: 'A', sid: 'X' },
      { iss, sub: 'B', sid: 'Y' },
      { iss: 'https://other.example/', sid: 'X' },
      { iss },
    ]
    for (const filter of filters) {
      const redisStore = fresh()
      const memory = new MemorySessionStore()
      const ids = await population(redisStore)
      for (const id of Object.values(ids)) {
        const stored = await redisStore.get(id)
        if (stored) memory.set(id, stored, at(600))
      }
      await redisStore.deleteBy(filter)
      memory.deleteBy(filter)
      for (const id of Object.values(ids)) {
        expect(await redisStore.get(id), JSON.stringify(filter)).toEqual(memory.get(id))
      }
    }
  })

  it('keeps iss, sub and sid apart whatever characters they hold', async () => {
    const store = fresh()
    const one = newId()
    const two = newId()
    await store.set(one, session({ iss: 'a:b', sub: 'c' }), at(600))
    await store.set(two, session({ iss: 'a', sub: 'b:c' }), at(600))
    await store.deleteBy({ iss: 'a', sub: 'b:c' })
    expect(await store.get(one)).toBeDefined()
    expect(await store.get(two)).toBeUndefined()
    const tagged = newId()
    await store.set(tagged, session({ iss: 'https://{op}.example/', sub: '{x}' }), at(600))
    await store.deleteBy({ iss: 'https://{op}.example/', sub: '{x}' })
    expect(await store.get(tagged)).toBeUndefined()
  })

  it('removes a deleted session from the other index too, and a new sid moves it', async () => {
    const store = fresh()
    const prefix = `t${prefixes}:`
    const sidKey = (sid: string) => `${prefix}sid:${b64(iss)}:${b64(sid)}`
    const id = newId()
    await store.set(id, session({ sub: 'A', sid: 'X' }), at(600))
    await store.update(id, session({ sub: 'A', sid: 'Y' }), at(600))
    expect(await raw('EXISTS', sidKey('X'))).toBe(0)
    expect(await raw('ZRANGE', sidKey('Y'), '0', '-1')).toEqual([id])
    await store.deleteBy({ iss, sub: 'A' })
    expect(await raw('EXISTS', sidKey('Y'))).toBe(0)
    expect(await raw('KEYS', `${prefix}*`)).toEqual([])
  })

  it('prunes expired index entries when it writes an index', async () => {
    const store = fresh()
    const subKey = `t${prefixes}:sub:${b64(iss)}:${b64('A')}`
    // An entry whose session expired long ago (as after a crash between writes, or a lost links key).
    await raw('ZADD', subKey, String(at(-60)), 'ghost')
    await raw('EXPIREAT', subKey, String(at(600)))
    const id = newId()
    await store.set(id, session({ sub: 'A' }), at(600))
    expect(await raw('ZRANGE', subKey, '0', '-1')).toEqual([id])
  })

  it('prunes expired entries of both indexes it reads', async () => {
    const store = fresh()
    const subKey = `t${prefixes}:sub:${b64(iss)}:${b64('A')}`
    const id = newId()
    const kept = newId()
    await store.set(id, session({ sub: 'A', sid: 'X' }), at(600))
    await store.set(kept, session({ sub: 'A', sid: 'Y' }), at(600))
    await raw('ZADD', subKey, String(at(-60)), 'ghost')
    await store.deleteBy({ iss, sub: 'A', sid: 'X' })
    expect(await raw('ZRANGE', subKey, '0', '-1')).toEqual([kept])
  })

  it('an index expires with its last session, never before it', async () => {
    const store = fresh()
    const subKey = `t${prefixes}:sub:${b64(iss)}:${b64('A')}`
    const now = at(0)
    await store.set(newId(), session({ sub: 'A' }), now + 1000)
    expect(await raw('EXPIRETIME', subKey)).toBe(now + 1000)
    await store.set(newId(), session({ sub: 'A' }), now + 500)
    expect(await raw('EXPIRETIME', subKey)).toBe(now + 1000)
    await store.set(newId(), session({ sub: 'A' }), now + 2000)
    expect(await raw('EXPIRETIME', subKey)).toBe(now + 2000)
  })

  it('sessions that really expired drop out of the index', async () => {
    const store = fresh()
    const subKey = `t${prefixes}:sub:${b64(iss)}:${b64('short')}`
    // A long session keeps the index alive while the short one expires (1 s, real time).
    const long = newId()
    await store.set(long, session({ sub: 'short' }), at(600))
    const short = newId()
    await store.set(short, session({ sub: 'short' }), at(1))
    expect(await eventually(async () => (await store.get(short)) === undefined, 4000)).toBe(true)
    const next = newId()
    await store.set(next, session({ sub: 'short' }), at(600))
    expect(((await raw('ZRANGE', subKey, '0', '-1')) as unknown as string[]).sort()).toEqual(
      [long, next].sort(),
    )
  })
})

describe('the refresh lease', () => {
  it('one owner gets it, the other does not; the owner releases it', async () => {
    const store = fresh()
    const id = newId()
    expect(await store.lease(id, 'one', 10_000)).toBe(true)
    expect(await store.lease(id, 'two', 10_000)).toBe(false)
    expect(await raw('GET', `t${prefixes}:l:${id}`)).toBe('one')
    expect(Number(await raw('PTTL', `t${prefixes}:l:${id}`))).toBeLessThanOrEqual(10_000)
    await store.release(id, 'one')
    expect(await store.lease(id, 'two', 10_000)).toBe(true)
  })

  it('a release by another owner leaves the lease alone', async () => {
    const store = fresh()
    const id = newId()
    expect(await store.lease(id, 'one', 10_000)).toBe(true)
    await store.release(id, 'two')
    expect(await store.lease(id, 'two', 10_000)).toBe(false)
    expect(await raw('GET', `t${prefixes}:l:${id}`)).toBe('one')
  })

  it('ends by itself after ttlMs', async () => {
    const store = fresh()
    const id = newId()
    expect(await store.lease(id, 'one', 200)).toBe(true)
    expect(await eventually(() => store.lease(id, 'two', 10_000), 3000)).toBe(true)
    // The expired owner's late release does not end the new owner's lease.
    await store.release(id, 'one')
    expect(await raw('GET', `t${prefixes}:l:${id}`)).toBe('two')
  })

  it('20 concurrent takers on two clients (two instances): exactly one gets it', async () => {
    const prefix = `t${++prefixes}:`
    const a = new RedisSessionStore({ client, prefix })
    const b = new RedisSessionStore({ client: other, prefix })
    const id = newId()
    const taken = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).lease(id, `owner-${i}`, 10_000)),
    )
    expect(taken.filter(Boolean)).toHaveLength(1)
  })
})
