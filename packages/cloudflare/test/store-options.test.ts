/**
 * What the store decides before any Durable Object is called, with a recording namespace in
 * Node: its options, which object a session id goes to, and which objects `deleteBy` and `count`
 * call. (The store module imports no `cloudflare:workers`: only the object does.)
 */
import { ConfigurationError, type SessionFilter } from '@oidc-hybrid/core'
import { describe, expect, it } from 'vitest'
import {
  DurableObjectSessionStore,
  type SessionsNamespace,
  type SessionsStub,
} from '../src/store.js'

/** A namespace whose objects record the calls made to them, by object name. */
function recordingNamespace() {
  const calls: Array<[name: string, method: string, args: unknown[]]> = []
  const namespace: SessionsNamespace<string> = {
    idFromName: (name) => name,
    get: (name) =>
      new Proxy({} as SessionsStub, {
        get:
          (_, method: string) =>
          async (...args: unknown[]) => {
            calls.push([name, method, args])
            return method === 'count' ? { sessions: 1, leases: 2 } : method === 'get' ? null : 0
          },
      }),
  }
  return { namespace, calls }
}

const ids = Array.from({ length: 2000 }, () =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
)

describe('DurableObjectSessionStore options and routing', () => {
  it('refuses a missing binding, bad shard counts and an empty name', () => {
    const { namespace } = recordingNamespace()
    expect(() => new DurableObjectSessionStore(undefined as never)).toThrow(ConfigurationError)
    expect(() => new DurableObjectSessionStore({} as never)).toThrow(/namespace binding/)
    for (const shards of [0, -1, 1.5, 257, Number.NaN]) {
      expect(() => new DurableObjectSessionStore(namespace, { shards })).toThrow(/shards/)
    }
    expect(() => new DurableObjectSessionStore(namespace, { name: '' })).toThrow(/name/)
    expect(() => new DurableObjectSessionStore(namespace, { shards: 256 })).not.toThrow()
  })

  it('sends each id to one object of 16 by default, always the same, spread over all of them', async () => {
    const { namespace, calls } = recordingNamespace()
    const store = new DurableObjectSessionStore(namespace)
    for (const id of ids) await store.get(id)
    for (const id of ids) await store.delete(id)
    const objectOf = new Map<string, string>()
    for (const [name, , [id]] of calls) {
      expect(objectOf.get(id as string) ?? name).toBe(name)
      objectOf.set(id as string, name)
    }
    const used = new Map<string, number>()
    for (const name of objectOf.values()) used.set(name, (used.get(name) ?? 0) + 1)
    expect([...used.keys()].sort()).toEqual(
      Array.from({ length: 16 }, (_, i) => `oidc-sessions/${i}`).sort(),
    )
    // 2000 random ids over 16 shards: 125 each on average, none far off.
    for (const count of used.values()) expect(count).toBeGreaterThan(60)
  })

  it('keeps a session and its lease on the same object', async () => {
    const { namespace, calls } = recordingNamespace()
    const store = new DurableObjectSessionStore(namespace, { shards: 8, name: 'app' })
    for (const id of ids.slice(0, 50)) {
      await store.get(id)
      await store.lease(id, 'owner', 1000)
      await store.release(id, 'owner')
    }
    for (let i = 0; i < calls.length; i += 3) {
      expect(new Set(calls.slice(i, i + 3).map(([name]) => name)).size).toBe(1)
      expect(calls[i]![0]).toMatch(/^app\/[0-7]$/)
    }
  })

  it('deleteBy calls every shard once with the filter; neither sub nor sid calls none', async () => {
    const { namespace, calls } = recordingNamespace()
    const store = new DurableObjectSessionStore(namespace, { shards: 4 })
    await store.deleteBy({ iss: 'https://op/' })
    await store.deleteBy({ iss: 'https://op/', sub: undefined, sid: undefined })
    expect(calls).toEqual([])
    await store.deleteBy({ iss: 'https://op/', sid: 's1', sub: undefined } as SessionFilter)
    expect(calls.map(([name, method, args]) => [name, method, args])).toEqual(
      [0, 1, 2, 3].map((i) => [
        `oidc-sessions/${i}`,
        'deleteBy',
        [{ iss: 'https://op/', sid: 's1' }],
      ]),
    )
    expect(await store.count()).toEqual({ sessions: 4, leases: 8 })
  })

  it('one shard: one object', async () => {
    const { namespace, calls } = recordingNamespace()
    const store = new DurableObjectSessionStore(namespace, { shards: 1 })
    for (const id of ids.slice(0, 20)) await store.get(id)
    expect(new Set(calls.map(([name]) => name))).toEqual(new Set(['oidc-sessions/0']))
  })
})
