/**
 * The demo's Redis (SESSIONS=redis): `REDIS_URL` when given, else a redis-server (Debian's
 * package; `bash scripts/demo.sh` installs it when missing) started on 127.0.0.1:`port`, without
 * persistence, and stopped with the demo.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import type { RedisCommander } from '@oidc-hybrid/redis'
import { createClient } from '@redis/client'

export interface DemoRedis {
  url: string
  /** The application's own client (`RedisSessionStore` needs only its `sendCommand`). */
  client: RedisCommander
  close(): Promise<void>
}

export async function startRedis(port: number, url = process.env.REDIS_URL): Promise<DemoRedis> {
  let child: ChildProcess | undefined
  if (!url) {
    url = `redis://127.0.0.1:${port}`
    const server = spawn(
      process.env.REDIS_SERVER ?? 'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    )
    child = server
    await new Promise<void>((resolve, reject) => {
      server.once('spawn', resolve)
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT'
            ? new Error('redis-server is missing: run bash scripts/demo.sh, which installs it')
            : error,
        ),
      )
    })
  }
  // The application's own client, as a user of @oidc-hybrid/redis has one: commands fail at once
  // while Redis is away (SESSION_STORE_FAILED, 503) instead of queueing.
  // redis-server takes a moment to listen: retried, bounded (5 s), then reconnected as needed.
  let connected = false
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      reconnectStrategy: (retries: number) =>
        !connected && retries > 50 ? new Error(`Redis at ${url} did not answer`) : 100,
    },
  })
  client.on('error', () => {})
  try {
    await client.connect()
    connected = true
  } catch (error) {
    child?.kill()
    throw error
  }
  return {
    url,
    client,
    async close() {
      await client.close().catch(() => {})
      child?.kill()
    },
  }
}
