/**
 * `DurableObjectSessionStore`: the `SessionStore` of `@oidc-hybrid/core` on Durable Objects
 * (`SessionsObject`), for Workers. Web APIs only: it runs in workerd.
 */
import {
  ConfigurationError,
  type Session,
  type SessionFilter,
  type SessionStore,
} from '@oidc-hybrid/core'
import type { SessionRecord, SessionsObjectCount } from './object.js'

/**
 * What the store calls on one object: `SessionsObject`'s RPC methods as a stub of
 * `DurableObjectNamespace<SessionsObject>` has them.
 */
export interface SessionsStub {
  get(id: string): Promise<string | null>
  set(id: string, record: SessionRecord): Promise<void>
  update(id: string, record: SessionRecord): Promise<boolean>
  delete(id: string): Promise<void>
  deleteBy(filter: SessionFilter): Promise<number>
  lease(id: string, owner: string, ttlMs: number): Promise<boolean>
  release(id: string, owner: string): Promise<void>
  count(): Promise<SessionsObjectCount>
}

/**
 * The Durable Object namespace binding of `SessionsObject` (`env.SESSIONS`, typed
 * `DurableObjectNamespace<SessionsObject>`), as far as the store uses it.
 */
export interface SessionsNamespace<Id = unknown> {
  idFromName(name: string): Id
  get(id: Id): SessionsStub
}

/** Options of {@link DurableObjectSessionStore}. */
export interface DurableObjectSessionStoreOptions {
  /**
   * Over how many objects the sessions are spread, by a hash of the session id (default 16,
   * at most 256). Each object serves its sessions one request at a time, so more shards carry
   * more traffic; `deleteBy` (back-channel logout) and `count` call every shard. Keep it fixed once
   * deployed: with another number most ids map to another object, and those users log in again
   * (their old rows expire and are purged).
   */
  shards?: number
  /**
   * The objects' names are `{name}/{shard}` (default `oidc-sessions`): two stores with different
   * names on one namespace share nothing.
   */
  name?: string
}

const MAX_SHARDS = 256

/** FNV-1a (32 bits) of the id's UTF-16 code units: ids are random, any even spread will do. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  }
  return h >>> 0
}

/** The session as the object stores it, with the fields `deleteBy` filters on. */
function record(session: Session, expiresAt: number): SessionRecord {
  if (!Number.isFinite(expiresAt)) throw new TypeError('expiresAt must be a number of seconds')
  const sid = session.claims?.sid
  return {
    json: JSON.stringify(session),
    expiresAt,
    iss: session.issuer,
    sub: session.sub,
    sid: typeof sid === 'string' ? sid : null,
  }
}

/**
 * A {@link SessionStore} on Durable Objects: sessions, back-channel logout (`deleteBy`) and the
 * refresh lease for every isolate of a Worker (and every Worker bound to the same namespace),
 * strongly consistent. Each session id belongs to one {@link SessionsObject} (one of `shards`,
 * by a hash of the id), which keeps the session and its lease in SQLite.
 *
 * Any failure of a call (the object unreachable, reset or overloaded) rejects, which the engine
 * turns into `SESSION_STORE_FAILED` (HTTP 503); calls are not retried.
 *
 * @example
 * ```ts
 * import { createAuth, serverSessions, type FetchAuth } from '@oidc-hybrid/fetch'
 * import { DurableObjectSessionStore, SessionsObject } from '@oidc-hybrid/cloudflare'
 *
 * export { SessionsObject }
 * let auth: FetchAuth | undefined
 * export default {
 *   fetch(request: Request, env: Env) {
 *     auth ??= createAuth({
 *       ...config(env),
 *       session: { store: serverSessions(new DurableObjectSessionStore(env.SESSIONS)) },
 *     })
 *     return auth.wrap(app)(request)
 *   },
 * }
 * ```
 */
export class DurableObjectSessionStore implements SessionStore {
  readonly #namespace: SessionsNamespace
  readonly #shards: number
  readonly #name: string

  constructor(
    namespace: SessionsNamespace,
    { shards = 16, name = 'oidc-sessions' }: DurableObjectSessionStoreOptions = {},
  ) {
    if (typeof namespace?.idFromName !== 'function' || typeof namespace.get !== 'function') {
      throw new ConfigurationError(
        'DurableObjectSessionStore: pass the Durable Object namespace binding of SessionsObject (env.SESSIONS)',
      )
    }
    if (!(Number.isInteger(shards) && shards >= 1 && shards <= MAX_SHARDS)) {
      throw new ConfigurationError(
        `DurableObjectSessionStore: \`shards\` must be an integer from 1 to ${MAX_SHARDS}`,
      )
    }
    if (typeof name !== 'string' || name === '') {
      throw new ConfigurationError('DurableObjectSessionStore: `name` must be a non-empty string')
    }
    this.#namespace = namespace
    this.#shards = shards
    this.#name = name
  }

  /** The object of shard `shard`. Stubs are made per call (cheap), never kept across requests. */
  #object(shard: number): SessionsStub {
    const namespace = this.#namespace
    return namespace.get(namespace.idFromName(`${this.#name}/${shard}`))
  }

  /** The object that holds session `id`. */
  #of(id: string): SessionsStub {
    return this.#object(this.#shards === 1 ? 0 : hash(id) % this.#shards)
  }

  /** Every shard's object. */
  #all(): SessionsStub[] {
    return Array.from({ length: this.#shards }, (_, shard) => this.#object(shard))
  }

  async get(id: string): Promise<Session | undefined> {
    const json = await this.#of(id).get(id)
    return json === null ? undefined : (JSON.parse(json) as Session)
  }

  async set(id: string, session: Session, expiresAt: number): Promise<void> {
    await this.#of(id).set(id, record(session, expiresAt))
  }

  async update(id: string, session: Session, expiresAt: number): Promise<void> {
    await this.#of(id).update(id, record(session, expiresAt))
  }

  async delete(id: string): Promise<void> {
    await this.#of(id).delete(id)
  }

  async deleteBy({ iss, sub, sid }: SessionFilter): Promise<void> {
    // Never "every session of the issuer".
    if (sub === undefined && sid === undefined) return
    const filter: SessionFilter = { iss }
    if (sub !== undefined) filter.sub = sub
    if (sid !== undefined) filter.sid = sid
    await Promise.all(this.#all().map((object) => object.deleteBy(filter)))
  }

  lease(id: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#of(id).lease(id, owner, ttlMs)
  }

  async release(id: string, owner: string): Promise<void> {
    await this.#of(id).release(id, owner)
  }

  /**
   * How many sessions and leases all shards hold, expired ones included until their object's
   * purge alarm deletes them (for monitoring; it calls every shard).
   */
  async count(): Promise<SessionsObjectCount> {
    const counts = await Promise.all(this.#all().map((object) => object.count()))
    return counts.reduce(
      (total, count) => ({
        sessions: total.sessions + count.sessions,
        leases: total.leases + count.leases,
      }),
      { sessions: 0, leases: 0 },
    )
  }
}
