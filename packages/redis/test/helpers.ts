/** What the specs share: node-redis clients on the test server, sessions, ids. */
import { randomBytes } from 'node:crypto'
import type { Session } from '@oidc-hybrid/core'
import { createClient } from '@redis/client'

export type Client = Awaited<ReturnType<typeof connect>>

/**
 * A node-redis client as the README recommends (`disableOfflineQueue: true`) unless `offlineQueue`,
 * reconnecting every 100 ms, its error events swallowed (node-redis emits one per failed
 * reconnect, and an unheard `error` event would end the process).
 */
export async function connect(url: string, { offlineQueue = false } = {}) {
  const client = createClient({
    url,
    disableOfflineQueue: !offlineQueue,
    socket: { reconnectStrategy: () => 100, connectTimeout: 2000 },
  })
  client.on('error', () => {})
  await client.connect()
  return client
}

/** A random session id like the engine's (32 random bytes, base64url). */
export const newId = () => randomBytes(32).toString('base64url')

/** Seconds since the epoch, `offset` from now. */
export const at = (offset: number) => Math.floor(Date.now() / 1000) + offset

/** A session of `iss`/`sub`, with an ID token `sid` when given. */
export function session({
  iss = 'https://op.example.com/',
  sub = 'user-1',
  sid,
  note = 'first',
}: {
  iss?: string
  sub?: string
  sid?: string
  note?: string
} = {}): Session {
  const now = Math.floor(Date.now() / 1000)
  return {
    issuer: iss,
    sub,
    claims: {
      iss,
      sub,
      aud: 'client',
      exp: now + 3600,
      iat: now,
      ...(sid === undefined ? {} : { sid }),
      name: `Zoë «${note}» 🚀`,
    },
    idToken: 'eyJhbGciOiJSUzI1NiJ9.e30.sig',
    accessToken: `at-${note}`,
    tokenType: 'Bearer',
    expiresAt: now + 3600,
    refreshToken: `rt-${note}`,
    createdAt: now,
    updatedAt: now,
  }
}

/** Polls `check` every 50 ms until it holds, at most `ms`; says whether it did. */
export async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await check().catch(() => false)) return true
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
