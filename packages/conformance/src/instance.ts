/**
 * One app instance in a process of its own, for the multi-instance spec: an app of `adapter`
 * (see apps.ts: Koa, or the fetch adapter served by node:http) whose sessions live in Redis
 * (`serverSessions(new RedisSessionStore({ client }))`), so that several instances share them
 * and coordinate refresh through the store's lease.
 *
 * Run with `node --import tsx src/instance.ts`; its settings come as JSON in `OIDC_INSTANCE`
 * ({@link InstanceSpec}). It prints `ready` once it listens, and ends on SIGTERM or when its
 * standard input closes (its parent went away), so no instance outlives a test run.
 */
import { createServer } from 'node:http'
import { type HybridAuthConfig, serverSessions } from '@oidc-hybrid/core'
import { RedisSessionStore } from '@oidc-hybrid/redis'
import { createClient } from '@redis/client'
import { APPS } from './apps.js'

export interface InstanceSpec {
  adapter: 'koa' | 'fetch'
  /** The loopback port to listen on (registered at the provider before the instance starts). */
  port: number
  redisURL: string
  /** The app's configuration, less `baseURL` (this instance's) and the session store. */
  config: Omit<HybridAuthConfig, 'baseURL' | 'session'>
  /** `RedisSessionStore`'s per-command timeout (ms). */
  timeoutMs?: number
}

const spec = JSON.parse(process.env.OIDC_INSTANCE ?? 'null') as InstanceSpec | null
if (!spec) throw new Error('OIDC_INSTANCE (JSON) is required')

// Commands fail at once while Redis is away (no offline queue): SESSION_STORE_FAILED, 503.
const client = createClient({
  url: spec.redisURL,
  disableOfflineQueue: true,
  socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) },
})
// Connection errors are reported here, and the client reconnects by itself.
client.on('error', () => {})
await client.connect()

const adapter = APPS.find((app) => app.name === spec.adapter)
if (!adapter) throw new Error(`unknown adapter ${spec.adapter}`)
const server = createServer()
await new Promise<void>((resolve) => server.listen(spec.port, '127.0.0.1', resolve))
const store = new RedisSessionStore({ client, timeoutMs: spec.timeoutMs ?? 2000 })
const app = await adapter.start(
  (baseURL) => ({ ...spec.config, baseURL, session: { store: serverSessions(store) } }),
  { server },
)

const stop = () => {
  void Promise.allSettled([app.close(), client.close()]).then(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.stdin.on('close', stop)
process.stdin.resume()
process.stdout.write('ready\n')
