/**
 * `RedisSessionStore`: the `SessionStore` of `@oidc-hybrid/core` on Redis, through one client
 * method (`sendCommand`), so any client fits.
 */
import {
  ConfigurationError,
  type Session,
  type SessionFilter,
  type SessionStore,
} from '@oidc-hybrid/core'
import { DELETE, DELETE_BY, RELEASE, WRITE } from './scripts.js'

/**
 * The one method the store calls on a Redis client: send a command (`['SET', key, value, ...]`)
 * and resolve with its reply (a string, a number, `null`, an array). The node-redis client
 * (`createClient()` of `redis` / `@redis/client` v4 to v6) has it as it is; for ioredis pass
 * `{ sendCommand: (args) => redis.call(args[0], ...args.slice(1)) }`.
 */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>
}

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /**
   * The application's own connected client (node-redis `createClient()`, or any
   * {@link RedisCommander}). The store never connects, closes or configures it. With node-redis,
   * create it with `disableOfflineQueue: true`, so commands fail at once while disconnected
   * instead of waiting in its queue (`timeoutMs` bounds them either way).
   */
  client: RedisCommander
  /**
   * Put before every key (default `oidc:`). Two stores with different prefixes share nothing.
   * On Redis Cluster, use a hash tag (`{oidc}:`), so every key lands in one slot.
   */
  prefix?: string
  /**
   * How long one command may take, in milliseconds (default 2000). A slower or unreachable Redis
   * makes the call reject after it (the engine answers 503 `SESSION_STORE_FAILED`). The command
   * itself may still run later, if the client still holds it.
   */
  timeoutMs?: number
  /**
   * Most commands waiting for Redis at once (default 1000); beyond it a call rejects at once
   * instead of piling up while Redis is slow or away. A command counts until the client settles
   * it, also after `timeoutMs` gave up on it.
   */
  maxPending?: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** UTF-8 then base64url: any string as key material, never containing `:`, `{` or `}`. */
function keyPart(text: string): string {
  let binary = ''
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** A reply as text: strings as they are, bytes (a client mapping replies to Buffer) decoded. */
function text(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined
  if (typeof reply === 'string') return reply
  if (reply instanceof Uint8Array) return decoder.decode(reply)
  return String(reply)
}

/** Seconds since the epoch as Redis takes them (an integer, not earlier than `expiresAt`). */
function seconds(expiresAt: number): string {
  return String(Math.ceil(expiresAt))
}

/** The SHA-1 of each script, in hex, computed once (EVALSHA needs it). */
const digests = new Map<string, Promise<string>>()
function sha1(script: string): Promise<string> {
  let digest = digests.get(script)
  if (!digest) {
    digest = crypto.subtle
      .digest('SHA-1', encoder.encode(script))
      .then((hash) =>
        [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join(''),
      )
    digests.set(script, digest)
  }
  return digest
}

/**
 * A {@link SessionStore} on Redis (7.0 or later): for several instances of an application
 * behind a load balancer, sharing sessions, back-channel logout and refresh leases.
 *
 * Keys (`{prefix}` is `oidc:` by default):
 * - `{prefix}s:{id}`: the session as JSON, expiring at `expiresAt` (`SET ... EXAT`);
 * - `{prefix}k:{id}`: the index keys the session is in (a JSON array), same expiry;
 * - `{prefix}sub:{iss}:{sub}` and `{prefix}sid:{iss}:{sid}` (`iss`, `sub`, `sid` in base64url):
 *   sorted sets of session ids scored by `expiresAt`, for `deleteBy`; expired entries are pruned
 *   whenever the set is written or read, and the set expires with its last session;
 * - `{prefix}l:{id}`: the refresh lease, holding its owner (`SET ... NX PX`).
 *
 * Writes, deletes and `deleteBy` each run as one Lua script, so a session and its index entries
 * change together. Any failure (Redis error, `timeoutMs`, `maxPending`) rejects, which the engine
 * turns into `SESSION_STORE_FAILED` (HTTP 503).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { serverSessions } from '@oidc-hybrid/core'
 * import { RedisSessionStore } from '@oidc-hybrid/redis'
 *
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true })
 * client.on('error', (error) => console.error('redis', error))
 * await client.connect()
 * const store = serverSessions(new RedisSessionStore({ client }))
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisCommander
  readonly #prefix: string
  readonly #timeoutMs: number
  readonly #maxPending: number
  #pending = 0

  constructor({
    client,
    prefix = 'oidc:',
    timeoutMs = 2000,
    maxPending = 1000,
  }: RedisSessionStoreOptions) {
    if (typeof client?.sendCommand !== 'function') {
      throw new ConfigurationError(
        'RedisSessionStore: `client` needs a sendCommand(args) method (a node-redis client, or an adapter)',
      )
    }
    if (typeof prefix !== 'string') {
      throw new ConfigurationError('RedisSessionStore: `prefix` must be a string')
    }
    if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new ConfigurationError('RedisSessionStore: `timeoutMs` must be a positive number')
    }
    if (!(Number.isInteger(maxPending) && maxPending > 0)) {
      throw new ConfigurationError('RedisSessionStore: `maxPending` must be a positive integer')
    }
    this.#client = client
    this.#prefix = prefix
    this.#timeoutMs = timeoutMs
    this.#maxPending = maxPending
  }

  /** How many commands are waiting for Redis now (see `maxPending`). */
  get pending(): number {
    return this.#pending
  }

  /**
   * The session stored under `id`, or `undefined` for an unknown or expired id
   * (`SessionStore.get`).
   */
  async get(id: string): Promise<Session | undefined> {
    const json = text(await this.#send(['GET', this.#key('s', id)]))
    return json === undefined ? undefined : (JSON.parse(json) as Session)
  }

  /**
   * Stores `session` under `id` until `expiresAt` (seconds since the epoch), replacing what was
   * there, and indexes it by issuer and `sub`, and `sid` when the ID token has one
   * (`SessionStore.set`: a new login).
   */
  async set(id: string, session: Session, expiresAt: number): Promise<void> {
    await this.#write(id, session, expiresAt, false)
  }

  /**
   * Replaces the session under `id` only while it still exists, in one atomic step with its index
   * entries (`SessionStore.update`: a refresh or rolling expiry; a session deleted meanwhile stays
   * deleted).
   */
  async update(id: string, session: Session, expiresAt: number): Promise<void> {
    await this.#write(id, session, expiresAt, true)
  }

  /** Deletes the session `id` and its index entries; an unknown id succeeds (`SessionStore.delete`). */
  async delete(id: string): Promise<void> {
    await this.#eval(DELETE, [this.#key('s', id), this.#key('k', id)], [id])
  }

  /**
   * Deletes every session of issuer `iss` with that `sub` and/or ID token `sid` (both must match
   * when both are given; neither deletes nothing), atomically
   * (`SessionStore.deleteBy`, for
   * [Back-Channel Logout 1.0 2.7](https://openid.net/specs/openid-connect-backchannel-1_0.html#BCActions)).
   */
  async deleteBy({ iss, sub, sid }: SessionFilter): Promise<void> {
    const keys: string[] = []
    if (sub !== undefined) keys.push(this.#subKey(iss, sub))
    if (sid !== undefined) keys.push(this.#sidKey(iss, sid))
    // Never "every session of the issuer".
    if (keys.length === 0) return
    await this.#eval(DELETE_BY, keys, [`${this.#prefix}s:`, `${this.#prefix}k:`])
  }

  /**
   * Takes the refresh lease of session `id` for `owner` for `ttlMs` milliseconds when nobody
   * holds it (`SET {prefix}l:{id} owner NX PX ttlMs`), and says whether it did
   * (`SessionStore.lease`: cross-instance single-flight refresh).
   */
  async lease(id: string, owner: string, ttlMs: number): Promise<boolean> {
    const reply = await this.#send([
      'SET',
      this.#key('l', id),
      owner,
      'NX',
      'PX',
      String(Math.ceil(ttlMs)),
    ])
    return text(reply) === 'OK'
  }

  /**
   * Ends the lease of `id` when `owner` still holds it, compare-and-delete in one Lua script
   * (`SessionStore.release`); a lease taken over by another owner is left alone.
   */
  async release(id: string, owner: string): Promise<void> {
    await this.#eval(RELEASE, [this.#key('l', id)], [owner])
  }

  #key(kind: 's' | 'k' | 'l', id: string): string {
    return `${this.#prefix}${kind}:${id}`
  }

  #subKey(iss: string, sub: string): string {
    return `${this.#prefix}sub:${keyPart(iss)}:${keyPart(sub)}`
  }

  #sidKey(iss: string, sid: string): string {
    return `${this.#prefix}sid:${keyPart(iss)}:${keyPart(sid)}`
  }

  async #write(id: string, session: Session, expiresAt: number, onlyExisting: boolean) {
    const indexes = [this.#subKey(session.issuer, session.sub)]
    const sid = session.claims?.sid
    if (typeof sid === 'string') indexes.push(this.#sidKey(session.issuer, sid))
    await this.#eval(
      WRITE,
      [this.#key('s', id), this.#key('k', id), ...indexes],
      [JSON.stringify(session), seconds(expiresAt), id, onlyExisting ? '1' : '0'],
    )
  }

  /** Runs `script` by its SHA-1 (EVALSHA), sending its text (EVAL) when Redis lacks it. */
  async #eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args]
    try {
      return await this.#send(['EVALSHA', await sha1(script), ...tail])
    } catch (error) {
      if (!String((error as Error | undefined)?.message).startsWith('NOSCRIPT')) throw error
      return this.#send(['EVAL', script, ...tail])
    }
  }

  /** One command, bounded by `maxPending` and `timeoutMs`. */
  #send(args: string[]): Promise<unknown> {
    if (this.#pending >= this.#maxPending) {
      return Promise.reject(
        new Error(`Redis has ${this.#pending} commands waiting (maxPending ${this.#maxPending})`),
      )
    }
    let sent: Promise<unknown>
    try {
      sent = Promise.resolve(this.#client.sendCommand(args))
    } catch (error) {
      return Promise.reject(error)
    }
    this.#pending++
    const settled = () => {
      this.#pending--
    }
    sent.then(settled, settled)
    const timeoutMs = this.#timeoutMs
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Redis did not answer ${args[0]} within ${timeoutMs} ms`)),
        timeoutMs,
      )
      sent.then(
        (reply) => {
          clearTimeout(timer)
          resolve(reply)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(error)
        },
      )
    })
  }
}
