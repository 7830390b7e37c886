/**
 * Redis Cluster rules on a one-node cluster that owns every slot: a command or script may only
 * touch keys of one slot. With a hash-tag prefix (`{oidc}:`) every key of the store shares one
 * slot, so every method works; without one, Redis refuses the scripts (CROSSSLOT), which is the
 * limit the README states.
 */
import { type RedisServer, startRedis } from '@oidc-hybrid/test-kit/redis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RedisSessionStore } from '../src/index.js'
import { at, type Client, connect, eventually, newId, session } from './helpers.js'

let redis: RedisServer
let client: Client

beforeAll(async () => {
  redis = await startRedis({
    args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
  })
  client = await connect(redis.url)
  await client.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383'])
  const ready = await eventually(async () =>
    String(await client.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok'),
  )
  expect(ready).toBe(true)
})
afterAll(async () => {
  client?.destroy()
  await redis?.stop()
})

it('with a hash-tag prefix every method works on a cluster node', async () => {
  const store = new RedisSessionStore({ client, prefix: '{oidc}:' })
  const iss = 'https://op.example.com/'
  const id = newId()
  const other = newId()
  await store.set(id, session({ sub: 'A', sid: 'X' }), at(600))
  await store.set(other, session({ sub: 'A', sid: 'Y' }), at(600))
  await store.update(id, session({ sub: 'A', sid: 'X', note: 'second' }), at(600))
  expect((await store.get(id))?.accessToken).toBe('at-second')
  expect(await store.lease(id, 'me', 5000)).toBe(true)
  await store.release(id, 'me')
  await store.deleteBy({ iss, sid: 'X' })
  expect(await store.get(id)).toBeUndefined()
  expect(await store.get(other)).toBeDefined()
  await store.deleteBy({ iss, sub: 'A', sid: 'Y' })
  await store.delete(other)
  expect(await store.get(other)).toBeUndefined()
})

it('without a hash tag Redis Cluster refuses the scripts (keys in several slots)', async () => {
  const store = new RedisSessionStore({ client, prefix: 'oidc:' })
  await expect(store.set(newId(), session(), at(600))).rejects.toThrow(/CROSSSLOT/)
})
