/**
 * `serverSessions(store)`: sessions kept on the server, the cookie holding only a sealed random
 * id. Opt-in code (an import), so an app with cookie sessions does not bundle it.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { ConfigurationError, OidcHybridError, TokenEndpointError } from '../errors.js'
import { encode } from '../lib/base64url.js'
import { isRecord } from '../lib/compare.js'
import type { Session } from '../protocol/types.js'
import type { SessionOperations } from './request-session.js'
import { type SessionStore, storeCall } from './session-store.js'

/** What `session.store` takes: made by {@link serverSessions}. Every store failure is `SESSION_STORE_FAILED`. */
export interface ServerSessions {
  /** The store itself (back-channel logout deletes through its `deleteBy`). */
  readonly store: SessionStore
  /** The session stored under `id`; `undefined` when there is none. */
  read(id: string): Promise<Session | undefined>
  /**
   * Writes `session` under `id`, or under a new random id (a login: no fixation), and returns
   * the id. An update is written only while the store still has the id, so a refresh under way
   * when a logout deleted the session does not bring it back.
   */
  write(
    session: Session,
    id: string | undefined,
    expiresAt: number,
    crypto: CryptoProvider,
  ): Promise<string>
  /** Deletes the sessions `ids` names, each once. */
  forget(ids: Array<string | undefined>): Promise<void>
  /**
   * The operations of one request on the stored session `id`, with its refresh coordinated
   * through the store: see {@link serverSessions}. The engine calls it once per loaded session.
   */
  lend(id: string | undefined, operations: SessionOperations): SessionOperations
}

/** How `serverSessions` coordinates refresh across instances (with a store that has `lease`). */
export interface ServerSessionsOptions {
  /**
   * Milliseconds the refresh lease is held at most (default 15 000): it must outlast a refresh,
   * which is up to three HTTP calls of `httpTimeout` (5 000 by default) each. An instance that
   * dies holding it blocks the session's refresh for this long, no longer.
   */
  leaseMs?: number
  /**
   * Milliseconds a request waits for another instance's refresh of its session before it
   * fails with `SESSION_STORE_FAILED` (503, try again). Default `leaseMs` + 5 000.
   */
  waitMs?: number
}

/**
 * Keeps sessions in `store` (a {@link SessionStore}: `MemorySessionStore`, or Redis, a database,
 * a Durable Object...) instead of the cookie. Then logout revokes them, and back-channel logout
 * can end them.
 *
 * @example
 * ```ts
 * import { MemorySessionStore, serverSessions } from '@oidc-hybrid/core'
 * createHybridAuth({ ...options, session: { store: serverSessions(new MemorySessionStore()) } })
 * ```
 */
export function serverSessions(
  store: SessionStore,
  { leaseMs = 15_000, waitMs = leaseMs + 5000 }: ServerSessionsOptions = {},
): ServerSessions {
  const methods = ['get', 'set', 'update', 'delete'] as const
  if (!methods.every((method) => typeof store?.[method] === 'function')) {
    throw new ConfigurationError('serverSessions(store): the store needs get, set, update, delete')
  }
  if (typeof store.lease !== typeof store.release) {
    throw new ConfigurationError('serverSessions(store): a store with lease needs release too')
  }
  const call = <T>(run: (store: SessionStore) => T | Promise<T>) => storeCall(store, run)
  const read = (id: string) =>
    call(async (store) => {
      const stored: unknown = (await store.get(id)) ?? undefined
      if (stored !== undefined && !(isRecord(stored) && Number.isFinite(stored.createdAt))) {
        throw new TypeError('store.get returned a non-session')
      }
      return stored as Session | undefined
    })
  /** Leases this process holds, by session id: settled when released (local waiters join). */
  const held = new Map<string, Promise<void>>()
  const coordinator: RefreshLease = { store, call, read, held, leaseMs, waitMs }
  return {
    store,
    read,
    async write(session, id, expiresAt, crypto) {
      const key = id ?? encode(crypto.randomBytes(32))
      await call((store) =>
        id === undefined
          ? store.set(key, session, expiresAt)
          : store.update(key, session, expiresAt),
      )
      return key
    },
    async forget(ids) {
      for (const id of new Set(ids)) {
        if (id !== undefined) await call((store) => store.delete(id))
      }
    },
    lend: (id, operations) => (id === undefined ? operations : lend(coordinator, id, operations)),
  }
}

interface RefreshLease {
  store: SessionStore
  call: <T>(run: (store: SessionStore) => T | Promise<T>) => Promise<T>
  read(id: string): Promise<Session | undefined>
  held: Map<string, Promise<void>>
  leaseMs: number
  waitMs: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * One request's operations with its refresh done once across instances. A refresh takes the
 * session's lease in the store, re-reads the stored session (another instance may have refreshed
 * it meanwhile: then that result is used and the provider is not called), refreshes with the
 * newest refresh token, and keeps the lease until the request has stored the result, so no
 * instance ever sends a refresh token that another has already spent (RFC 9700 4.14.2: a rotating
 * provider would revoke the whole grant). Requests that find the lease taken wait for the stored
 * result (those of this process without polling). When the token endpoint answers
 * `invalid_grant`, the stored session is read again before failing: another instance may have
 * rotated it already. A store without `lease` gets the re-reads only.
 */
function lend(
  coordinator: RefreshLease,
  id: string,
  operations: SessionOperations,
): SessionOperations {
  const { store, call, read, held, leaseMs, waitMs } = coordinator
  let release: (() => Promise<void>) | undefined
  const letGo = async () => {
    const end = release
    release = undefined
    await end?.()
  }
  /** The stored session; a session deleted meanwhile (logout) is gone for this request too. */
  const latest = async () => {
    const stored = await read(id)
    if (!stored) throw new OidcHybridError('SESSION_MISSING', 'the session ended; log in again')
    return stored
  }
  /** A stored session newer than `session` (another refresh) that is still usable as it is. */
  const served = (stored: Session, session: Session) =>
    (stored.accessToken !== session.accessToken || stored.refreshToken !== session.refreshToken) &&
    !operations.isExpired(stored)

  /** Takes the lease (or waits for the refresh that holds it); the stored session to go on from. */
  async function take(session: Session, reuse: boolean): Promise<[Session, refreshed: boolean]> {
    for (let waited = 0, pause = 10; ; waited += pause, pause = Math.min(pause * 2, 200)) {
      const local = held.get(id)
      if (local) {
        await local
      } else {
        const owner = globalThis.crypto.randomUUID()
        if (!store.lease || (await call((store) => store.lease!(id, owner, leaseMs)))) {
          let done!: () => void
          if (store.lease) held.set(id, new Promise<void>((resolve) => (done = resolve)))
          release = async () => {
            if (!store.lease) return
            held.delete(id)
            done()
            await call((store) => store.release!(id, owner))
          }
          const stored = await latest()
          return [stored, reuse && served(stored, session)]
        }
        if (waited > waitMs) {
          throw new OidcHybridError(
            'SESSION_STORE_FAILED',
            "another instance's refresh of this session did not finish; try again",
          )
        }
        await sleep(pause)
      }
      const stored = await latest()
      if (reuse && served(stored, session)) return [stored, true]
    }
  }

  return {
    ...operations,
    async refresh(session, scope, force, extra) {
      // On invalid_grant the request stores the session without its dead refresh token: the
      // lease is kept until then.
      let keep = false
      try {
        // A reduced scope or a forced refresh always reaches the provider (with the newest token).
        const [stored, refreshed] = await take(session, scope === undefined && !force && !extra)
        if (refreshed) return stored
        try {
          return await operations.refresh(stored, scope, force, extra)
        } catch (error) {
          if (!(error instanceof TokenEndpointError && error.error === 'invalid_grant')) throw error
          const now = await latest()
          if (now.refreshToken !== stored.refreshToken && !operations.isExpired(now)) return now
          keep = true
          throw error
        }
      } catch (error) {
        if (!keep) await letGo()
        throw error
      }
    },
    async write(session) {
      try {
        return await operations.write(session)
      } finally {
        await letGo()
      }
    },
  }
}
