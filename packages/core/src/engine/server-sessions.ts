/**
 * `serverSessions(store)`: sessions kept on the server, the cookie holding only a sealed random
 * id. Opt-in code (an import), so an app with cookie sessions does not bundle it.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { ConfigurationError } from '../errors.js'
import { encode } from '../lib/base64url.js'
import { isRecord } from '../lib/compare.js'
import type { Session } from '../protocol/types.js'
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
export function serverSessions(store: SessionStore): ServerSessions {
  const methods = ['get', 'set', 'update', 'delete'] as const
  if (!methods.every((method) => typeof store?.[method] === 'function')) {
    throw new ConfigurationError('serverSessions(store): the store needs get, set, update, delete')
  }
  const call = <T>(run: (store: SessionStore) => T | Promise<T>) => storeCall(store, run)
  return {
    store,
    read: (id) =>
      call(async (store) => {
        const stored: unknown = (await store.get(id)) ?? undefined
        if (stored !== undefined && !(isRecord(stored) && Number.isFinite(stored.createdAt))) {
          throw new TypeError('store.get returned a non-session')
        }
        return stored as Session | undefined
      }),
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
  }
}
