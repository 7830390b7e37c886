/**
 * @oidc-hybrid/core — the OpenID Connect Hybrid Flow for relying parties: the engine every
 * adapter shares, its configuration and stores, the bearer verifier for APIs, and the typed
 * errors. Most applications use an adapter (`@oidc-hybrid/koa`, `@oidc-hybrid/nestjs`,
 * `@oidc-hybrid/fetch`). Two more entries:
 *
 * - `@oidc-hybrid/core/protocol`: the pure protocol steps (authorization request, callback, ID
 *   token, token endpoint, refresh, userinfo, logout, bearer, DPoP), sans I/O, for your own engine;
 * - `@oidc-hybrid/core/adapter`: the kit adapters are built from (the shared request context,
 *   error rendering, capped body readers, cookies), for an adapter of your own.
 */

export type { CryptoProvider, DigestAlgorithm } from './crypto/provider.js'
export { WebCryptoProvider } from './crypto/webcrypto.js'
// Opt-in features (imports, so an app pays only for what it uses)
export { type ApiTokens, type ApiTokensOptions, apiTokens } from './engine/api-tokens.js'
export { type BackchannelLogoutHandler, backchannelLogout } from './engine/backchannel-logout.js'
// Protecting an API: bearer and DPoP-bound access tokens (RFC 9068, RFC 6750, RFC 9449)
export {
  type BearerExtension,
  type BearerFailure,
  type BearerOptions,
  type BearerRequest,
  BearerVerifier,
  type BearerVerifierConfig,
  createBearerVerifier,
  type DpopMode,
  type DpopNonceOptions,
  type DpopReplayCheck,
  type RequireBearerOptions,
  type VerifiedBearer,
} from './engine/bearer-verifier.js'
export { type ClaimsFilter, claimsFilter } from './engine/claims-filter.js'
export {
  type DpopAlgorithm,
  type DpopOptions,
  type DpopProofInput,
  DpopProofSigner,
  dpop,
  generateDpopKey,
} from './engine/dpop-client.js'
export {
  type AuthEvent,
  type AuthEventType,
  type EventsExtension,
  type EventsOptions,
  type EventsSpan,
  type EventsTracer,
  events,
} from './engine/events.js'
export {
  type AuthRequest,
  type AuthResponse,
  createHybridAuth,
  HybridAuth,
} from './engine/hybrid-auth.js'
export {
  type PushedAuthorizationOptions,
  pushedAuthorization,
  type SignedRequestsOptions,
  signedRequests,
} from './engine/par.js'
export {
  type AssertionAlgorithm,
  type PrivateKeyJwtOptions,
  privateKeyJwt,
} from './engine/private-key-jwt.js'
export { checkProvider } from './engine/provider-check.js'
// The engine and its configuration
export {
  type AccessTokenOptions,
  type AccessTokenView,
  RequestSession,
} from './engine/request-session.js'
export { MIN_SECRET_LENGTH } from './engine/seal.js'
export { type ServerSessions, serverSessions } from './engine/server-sessions.js'
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type SessionFilter,
  type SessionStore,
} from './engine/session-store.js'
// Step-up authentication (OIDC Core 5.5.1.1, RFC 9470)
export { StepUp, type StepUpOptions, stepUp, stepUpChallenge } from './engine/step-up.js'
export type {
  AuthorizationParams,
  ClientAuthMethod,
  DiscoveryListField,
  ExtensibleEngine,
  Extension,
  HybridAuthConfig,
  LogEntry,
  LoginOptions,
} from './engine/types.js'
// Errors: every failure is one of these, with a stable `code`
export * from './errors.js'
export type { AccessTokenClaims } from './protocol/bearer.js'
// What sessions and tokens hold
export type {
  ApiToken,
  HybridResponseType,
  IdTokenClaims,
  JwsAlgorithm,
  ResponseMode,
  Session,
} from './protocol/types.js'
export type { UserinfoClaims } from './protocol/userinfo.js'
