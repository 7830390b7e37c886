/**
 * @oidc-hybrid/core/adapter — what an adapter is built from, in one entry: the engine factory and
 * the errors (the same as the root's), and the kit. An adapter translates its framework's request
 * into an {@link AuthRequest} and an {@link AuthResponse} back: the engine answers the auth routes
 * (`routeOf`, `readsForm`, `handle`), {@link SessionContext} is the shared part of the
 * per-request context, `bearer.failure()` the RFC 6750 answer, {@link renderError} the error page
 * or JSON, {@link plainHttpProblem} the refusal of plain http, {@link readCappedText} a form body
 * within its limit.
 *
 * @example
 * ```ts
 * import { createHybridAuth, readCappedText, renderError } from '@oidc-hybrid/core/adapter'
 * ```
 */
export { createBearerVerifier } from './engine/bearer-verifier.js'
export {
  type CookieAttributes,
  parseCookieHeader,
  serializeCookie,
} from './engine/cookies.js'
export { encodeParsedForm } from './engine/form-body.js'
export { plainHttpProblem, readCappedChunks, readCappedText } from './engine/http.js'
export { createHybridAuth } from './engine/hybrid-auth.js'
export type { ProviderCache } from './engine/provider-cache.js'
export { type RenderedError, renderError, wantsHtml } from './engine/render.js'
export {
  type AccessTokenOptions,
  type AccessTokenView,
  type Around,
  RequestSession,
  type SessionOperations,
} from './engine/request-session.js'
export { loginOrDeny } from './engine/require-login.js'
export { CookieSealer, type UnsealResult } from './engine/seal.js'
export { type OidcSessionView, SessionContext } from './engine/session-context.js'
export { ERROR_STATUS, statusForError } from './engine/status.js'
export type {
  AuthRequest,
  AuthResponse,
  EngineView,
  ExtensibleEngine,
  Extension,
  LoginOptions,
  ResolvedConfig,
} from './engine/types.js'
export { ConfigurationError, isOidcHybridError, OidcHybridError } from './errors.js'
export {
  callbackBodyTooLarge,
  MAX_CALLBACK_BODY_BYTES,
} from './protocol/callback.js'
