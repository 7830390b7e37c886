/**
 * @oidc-hybrid/cloudflare: server-side sessions for Cloudflare Workers on a Durable Object, with
 * back-channel logout and the refresh lease that lets every isolate refresh a session once.
 *
 * - {@link DurableObjectSessionStore}: the `SessionStore` to pass to `serverSessions(...)`.
 * - {@link SessionsObject}: the Durable Object class to export from the Worker that defines the
 *   binding.
 */
export { type SessionRecord, SessionsObject, type SessionsObjectCount } from './object.js'
export {
  DurableObjectSessionStore,
  type DurableObjectSessionStoreOptions,
  type SessionsNamespace,
  type SessionsStub,
} from './store.js'
