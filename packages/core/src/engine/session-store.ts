/**
 * Server-side sessions. With a store configured (`session.store`), the session cookie carries
 * only a sealed, random 256-bit session id; the session itself (tokens and claims) stays on the
 * server. Use one when the tokens make the cookie too large, when the tokens must never reach the
 * browser even encrypted, or when a session must be revocable on the server (logout deletes the
 * record, so a copied cookie stops working at once).
 */
import { OidcHybridError } from '../errors.js'
import type { Session } from '../protocol/types.js'

/**
 * Where sessions live when they do not live in the cookie. Each method may be synchronous or
 * return a promise. Keys are opaque base64url strings of 43 characters; values are
 * JSON-serializable {@link Session} objects.
 *
 * Contract: `set` (a new login, a new id) and `update` keep the value until `expiresAt` (seconds
 * since the epoch) at least; an external store should set its TTL from it. `update` (a refresh
 * or a rolling expiry of a session loaded earlier) must write only when `id` still exists, in one
 * atomic step (Redis `SET ... XX`, SQL `UPDATE ... WHERE id = ?`; not a read then a write): a
 * session deleted meanwhile (logout, back-channel logout) must not come back. `get` returns
 * `undefined` (or `null`) for an unknown or expired id; `delete` of an unknown id succeeds. Any failure
 * (thrown error or rejected promise) becomes a `SESSION_STORE_FAILED` error (HTTP 503): the
 * user is neither logged in nor out by an outage.
 *
 * @example A Redis store with ioredis
 * ```ts
 * const store: SessionStore = {
 *   get: async (id) => JSON.parse((await redis.get(`sess:${id}`)) ?? 'null') ?? undefined,
 *   set: async (id, session, expiresAt) => {
 *     await redis.set(`sess:${id}`, JSON.stringify(session), 'EXAT', expiresAt)
 *   },
 *   update: async (id, session, expiresAt) => {
 *     await redis.set(`sess:${id}`, JSON.stringify(session), 'EXAT', expiresAt, 'XX')
 *   },
 *   delete: async (id) => {
 *     await redis.del(`sess:${id}`)
 *   },
 * }
 * ```
 */
export interface SessionStore {
  get(id: string): Session | undefined | Promise<Session | undefined>
  set(id: string, session: Session, expiresAt: number): void | Promise<void>
  update(id: string, session: Session, expiresAt: number): void | Promise<void>
  delete(id: string): void | Promise<void>
  /**
   * Deletes every session of the issuer `iss` whose `sub` is `sub` and whose ID token `sid`
   * claim (`session.claims.sid`) is `sid`, for those of the two that are given (at least one
   * is). Needed only for back-channel logout (`backchannelLogout()`); a store without it
   * cannot serve that route.
   *
   * @see [Back-Channel Logout 1.0 2.7](https://openid.net/specs/openid-connect-backchannel-1_0.html#BCActions)
   */
  deleteBy?(filter: SessionFilter): void | Promise<void>
  /**
   * Takes the refresh lease of session `id` for `owner` (a random string) when nobody holds it,
   * for `ttlMs` milliseconds, and says whether it did; the lease ends by itself after `ttlMs`
   * (an instance that died while holding it blocks nobody for longer). Redis:
   * `SET lease:{id} {owner} NX PX {ttlMs}`. With `lease` and `release`, instances that share the
   * store refresh a session one at a time: one calls the token endpoint, the others wait for the
   * session it stores (see `serverSessions`). Without them, refresh is single-flight within each
   * process only. A store that offers them must be strongly consistent (not Workers KV).
   */
  lease?(id: string, owner: string, ttlMs: number): boolean | Promise<boolean>
  /**
   * Ends the lease of `id` when `owner` still holds it, in one atomic step (a lease that expired
   * and was taken by another owner is left alone). Redis: compare and delete in a Lua script.
   */
  release?(id: string, owner: string): void | Promise<void>
}

/** Which sessions {@link SessionStore.deleteBy} deletes. */
export interface SessionFilter {
  iss: string
  sub?: string
  sid?: string
}

export interface MemorySessionStoreOptions {
  /** Most sessions kept; beyond it the least recently written goes first. Default 10 000. */
  max?: number
  /** The clock, seconds since the epoch (default the system clock). */
  now?: () => number
}

/**
 * A {@link SessionStore} in this process's memory, bounded, for development, tests and
 * single-instance apps. Bounded means evicting: beyond `max` sessions the least recently written
 * go first, so anyone able to log in many times can push other users' sessions out (they log in
 * again); size `max` for the expected users, or use an external store. Sessions are kept as JSON, as an external store would keep them (what
 * a caller changes on a returned session does not change the stored one), and are lost on a
 * restart. Several instances behind a load balancer need a shared store (Redis, a database,
 * a Durable Object).
 */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<
    string,
    [json: string, expiresAt: number, iss: string, sub: string, sid: unknown]
  >()
  /** Refresh leases: owner and when it ends (milliseconds since the epoch). */
  readonly #leases = new Map<string, [owner: string, until: number]>()
  readonly #max: number
  readonly #now: () => number

  constructor({
    max = 10_000,
    now = () => Math.floor(Date.now() / 1000),
  }: MemorySessionStoreOptions = {}) {
    this.#max = max
    this.#now = now
  }

  /** How many sessions are held (expired ones included until they are read or pushed out). */
  get size(): number {
    return this.#entries.size
  }

  get(id: string): Session | undefined {
    const entry = this.#live(id)
    return entry && (JSON.parse(entry[0]) as Session)
  }

  /** The entry under `id` unless it expired (an expired one is dropped). */
  #live(id: string) {
    const entry = this.#entries.get(id)
    if (entry && entry[1] > this.#now()) return entry
    this.#entries.delete(id)
  }

  set(id: string, session: Session, expiresAt: number): void {
    const entries = this.#entries
    // Re-inserted last, so the Map's order is the order of last writes.
    entries.delete(id)
    entries.set(id, [
      JSON.stringify(session),
      expiresAt,
      session.issuer,
      session.sub,
      session.claims?.sid,
    ])
    for (const oldest of entries.keys()) {
      if (entries.size <= this.#max) break
      entries.delete(oldest)
    }
  }

  update(id: string, session: Session, expiresAt: number): void {
    if (this.#live(id)) this.set(id, session, expiresAt)
  }

  delete(id: string): void {
    this.#entries.delete(id)
  }

  lease(id: string, owner: string, ttlMs: number): boolean {
    const held = this.#leases.get(id)
    const now = this.#now() * 1000
    if (held && held[1] > now) return false
    this.#leases.set(id, [owner, now + ttlMs])
    return true
  }

  release(id: string, owner: string): void {
    if (this.#leases.get(id)?.[0] === owner) this.#leases.delete(id)
  }

  deleteBy({ iss, sub, sid }: SessionFilter): void {
    // Never "every session of the issuer".
    if (sub === undefined && sid === undefined) return
    for (const [id, entry] of this.#entries) {
      if (
        entry[2] === iss &&
        (sub === undefined || entry[3] === sub) &&
        (sid === undefined || entry[4] === sid)
      ) {
        this.#entries.delete(id)
      }
    }
  }
}

/** Runs an operation on `store`; any failure (thrown or rejected) is `SESSION_STORE_FAILED`. */
export async function storeCall<T>(
  store: SessionStore,
  run: (store: SessionStore) => T | Promise<T>,
): Promise<T> {
  try {
    return await run(store)
  } catch (cause) {
    throw new OidcHybridError('SESSION_STORE_FAILED', 'the session store failed; try again', {
      cause,
    })
  }
}
