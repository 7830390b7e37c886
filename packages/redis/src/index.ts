/**
 * @oidc-hybrid/redis: a Redis `SessionStore` for `serverSessions()` of `@oidc-hybrid/core`.
 */
export {
  type RedisCommander,
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from './redis-session-store.js'
