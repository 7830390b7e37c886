/**
 * RedisSessionStore when Redis misbehaves, seen through serverSessions() of the core (so the
 * error is the library's `SESSION_STORE_FAILED`): a slow Redis, too many commands waiting, a
 * killed server, and a restart that replays the append-only file. Bounds are generous: the point
 * is "rejects, does not hang".
 */
import { OidcHybridError, serverSessions } from '@oidc-hybrid/core'
import { type RedisServer, startRedis } from '@oidc-hybrid/test-kit/redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisSessionStore } from '../src/index.js'
import { at, type Client, connect, eventually, newId, session } from './helpers.js'

let redis: RedisServer
/** The recommended client (disableOfflineQueue: true). */
let client: Client
/** node-redis as it comes: commands wait in its offline queue while it is disconnected. */
let queueing: Client
/** For CLIENT PAUSE. */
let admin: Client

beforeAll(async () => {
  redis = await startRedis()
  client = await connect(redis.url)
  queueing = await connect(redis.url, { offlineQueue: true })
  admin = await connect(redis.url)
})
afterAll(async () => {
  for (const each of [client, queueing, admin]) each?.destroy()
  await redis?.stop()
})

/**
 * What `promise` came to within `ms`: its rejection, or 'resolved', or 'hung'; and how long it
 * took.
 */
async function outcome(promise: Promise<unknown>, ms = 5000) {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const result = await Promise.race([
    promise.then(
      () => 'resolved' as const,
      (error: unknown) => error,
    ),
    new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), ms)
    }),
  ])
  clearTimeout(timer)
  return { result, elapsed: Date.now() - started }
}

/** The library's store failure, caused by an error whose message matches `cause`. */
function expectStoreFailed(result: unknown, cause?: RegExp) {
  expect(result).toBeInstanceOf(OidcHybridError)
  expect((result as OidcHybridError).code).toBe('SESSION_STORE_FAILED')
  if (cause) expect(String(((result as Error).cause as Error)?.message)).toMatch(cause)
}

/** Pauses every client of the server for `ms` (from the admin connection). */
const pause = (ms: number) => admin.sendCommand(['CLIENT', 'PAUSE', String(ms), 'ALL'])
/** Waits until the server answers the recommended client again. */
const answering = () =>
  eventually(async () => String(await client.sendCommand(['PING'])) === 'PONG', 10_000)

describe('a slow Redis', () => {
  it('a call fails after timeoutMs instead of waiting for Redis', async () => {
    const store = new RedisSessionStore({ client, prefix: 'slow:', timeoutMs: 200 })
    const sessions = serverSessions(store)
    const id = newId()
    await store.set(id, session(), at(600))
    await pause(3000)
    const read = await outcome(sessions.read(id))
    expectStoreFailed(read.result, /did not answer GET within 200 ms/)
    expect(read.elapsed).toBeGreaterThanOrEqual(150)
    expect(read.elapsed).toBeLessThan(2500)
    const write = await outcome(sessions.write(session(), id, at(600), {} as never))
    expectStoreFailed(write.result, /did not answer EVALSHA/)
    expect(write.elapsed).toBeLessThan(2500)
    expect(await answering()).toBe(true)
  })

  it('beyond maxPending commands waiting, the next call fails at once', async () => {
    const store = new RedisSessionStore({
      client,
      prefix: 'pending:',
      timeoutMs: 10_000,
      maxPending: 3,
    })
    const sessions = serverSessions(store)
    const id = newId()
    await store.set(id, session(), at(600))
    await pause(2500)
    const settled: boolean[] = [false, false, false]
    const waiting = settled.map((_, i) =>
      sessions.read(id).finally(() => {
        settled[i] = true
      }),
    )
    expect(store.pending).toBe(3)
    const fourth = await outcome(sessions.read(id))
    expectStoreFailed(fourth.result, /maxPending 3/)
    expect(fourth.elapsed).toBeLessThan(1000)
    expect(settled).toEqual([false, false, false])
    // The three waiting ones are answered when the pause ends.
    for (const read of await Promise.all(waiting)) expect(read?.accessToken).toBe('at-first')
    expect(store.pending).toBe(0)
  })
})

describe('a killed server, then restarted', () => {
  const ids: string[] = []
  const written = new Map<string, string>()

  it('calls reject with SESSION_STORE_FAILED within timeoutMs, not hang', async () => {
    const store = new RedisSessionStore({ client, prefix: 'crash:', timeoutMs: 500 })
    for (let i = 0; i < 50; i++) {
      const id = newId()
      ids.push(id)
      written.set(id, `n${i}`)
      await store.set(
        id,
        session({ sub: `user-${i % 5}`, sid: `sid-${i}`, note: `n${i}` }),
        at(3600),
      )
    }
    await redis.kill()

    const sessions = serverSessions(store)
    const read = await outcome(sessions.read(ids[0]!))
    expectStoreFailed(read.result)
    expect(read.elapsed).toBeLessThan(5000)
    const write = await outcome(sessions.write(session(), ids[0], at(600), {} as never))
    expectStoreFailed(write.result)
    const lease = await outcome(store.lease(ids[0]!, 'me', 1000))
    expect(lease.result).toBeInstanceOf(Error)

    // node-redis with its offline queue holds the commands until it reconnects: our timeout
    // still ends the call (writes go to ids nobody reads afterwards: they run after the restart).
    const queued = serverSessions(
      new RedisSessionStore({ client: queueing, prefix: 'crash:', timeoutMs: 300 }),
    )
    const slowRead = await outcome(queued.read(ids[0]!))
    expectStoreFailed(slowRead.result, /did not answer/)
    expect(slowRead.elapsed).toBeLessThan(5000)
    const crypto = { randomBytes: (n: number) => new Uint8Array(n).fill(9) }
    const slowWrite = await outcome(
      queued.write(session({ sub: 'late' }), undefined, at(600), crypto as never),
    )
    expectStoreFailed(slowWrite.result, /did not answer/)
  })

  it('after a restart every session written before still loads (append-only file)', async () => {
    expect(ids).toHaveLength(50)
    await redis.restart()
    const store = new RedisSessionStore({ client, prefix: 'crash:', timeoutMs: 2000 })
    expect(await eventually(async () => (await store.get(ids[0]!)) !== undefined, 10_000)).toBe(
      true,
    )
    for (const id of ids) expect((await store.get(id))?.accessToken).toBe(`at-${written.get(id)}`)
    // The indexes came back too, and the scripts load again on the new server (NOSCRIPT).
    await store.deleteBy({ iss: 'https://op.example.com/', sub: 'user-0' })
    const left = await Promise.all(ids.map(async (id) => (await store.get(id)) !== undefined))
    expect(left.filter((kept) => !kept)).toHaveLength(10)
    expect(await store.lease(ids[1]!, 'me', 1000)).toBe(true)
  })
})
