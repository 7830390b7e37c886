/**
 * @oidc-hybrid/core — the OpenID Connect Hybrid Flow, sans I/O, plus the small engine that every
 * adapter shares. Most applications use an adapter (`@oidc-hybrid/koa`, `@oidc-hybrid/nestjs`,
 * `@oidc-hybrid/fetch`); the protocol functions are exported for those who build their own.
 */

// In path order (the formatter sorts exports): crypto/, engine/ (the engine, its opt-in features
// and what adapters share), errors, then protocol/ (the pure steps).
export type { CryptoProvider, DigestAlgorithm } from './crypto/provider.js'
export { WebCryptoProvider } from './crypto/webcrypto.js'
export { type BackchannelLogoutHandler, backchannelLogout } from './engine/backchannel-logout.js'
export {
  type BearerFailure,
  type BearerOptions,
  BearerVerifier,
  type BearerVerifierConfig,
  createBearerVerifier,
  type RequireBearerOptions,
  type VerifiedBearer,
} from './engine/bearer-verifier.js'
export { type ClaimsFilter, claimsFilter } from './engine/claims-filter.js'
export type {
  AuthorizationParams,
  ClientAuthMethod,
  DiscoveryListField,
  HybridAuthConfig,
  LogEntry,
  ResolvedConfig,
} from './engine/config.js'
export {
  type CookieAttributes,
  parseCookieHeader,
  serializeCookie,
} from './engine/cookies.js'
export { encodeParsedForm } from './engine/form-body.js'
export { plainHttpProblem, readCappedChunks, readCappedText } from './engine/http.js'
export {
  type AuthRequest,
  type AuthResponse,
  createHybridAuth,
  HybridAuth,
  type LoginOptions,
} from './engine/hybrid-auth.js'
export type { ProviderCache } from './engine/provider-cache.js'
export { checkProvider } from './engine/provider-check.js'
export { type RenderedError, renderError, wantsHtml } from './engine/render.js'
export {
  type AccessTokenOptions,
  type AccessTokenView,
  type Around,
  RequestSession,
  type SessionOperations,
} from './engine/request-session.js'
export { CookieSealer, MIN_SECRET_LENGTH, type UnsealResult } from './engine/seal.js'
export { type ServerSessions, serverSessions } from './engine/server-sessions.js'
export { SessionContext } from './engine/session-context.js'
export {
  MemorySessionStore,
  type MemorySessionStoreOptions,
  type SessionFilter,
  type SessionStore,
} from './engine/session-store.js'
export { ERROR_STATUS, statusForError } from './engine/status.js'
export * from './errors.js'
export {
  type AuthorizationOptions,
  type AuthorizationRandom,
  type AuthorizationRequest,
  buildAuthorizationRequest,
  normalizeResponseType,
} from './protocol/authorize.js'
export {
  type AccessTokenClaims,
  type BearerVerification,
  type BearerVerifyOptions,
  bearerChallenge,
  extractBearerToken,
  verifyAccessToken,
} from './protocol/bearer.js'
export {
  type CallbackParameters,
  type CallbackRequest,
  callbackBodyTooLarge,
  MAX_CALLBACK_BODY_BYTES,
  parseCallbackRequest,
  stateOf,
  validateCallbackParameters,
} from './protocol/callback.js'
export {
  discoveryUrl,
  processDiscoveryResponse,
  processJwksResponse,
} from './protocol/discovery.js'
export { type FrontChannelVerification, verifyFrontChannel } from './protocol/front-channel.js'
export {
  buildAuthorizationCodeGrantRequest,
  buildRefreshTokenGrantRequest,
  type GrantContext,
} from './protocol/grant.js'
export {
  DEFAULT_ID_TOKEN_ALGS,
  type IdTokenExpectations,
  type IdTokenVerification,
  verifyIdToken,
} from './protocol/id-token.js'
export { buildLogoutUrl, type LogoutOptions } from './protocol/logout.js'
export {
  BACKCHANNEL_LOGOUT_EVENT,
  type LogoutRequest,
  type LogoutTokenClaims,
  type LogoutTokenVerification,
  logoutTokenOf,
  verifyLogoutToken,
} from './protocol/logout-token.js'
export {
  type Effect,
  type Event,
  type State,
  type Transition,
  transition,
  transitions,
} from './protocol/machine.js'
export { validateReturnTo } from './protocol/return-to.js'
export {
  processAuthorizationCodeResponse,
  processRefreshResponse,
  type SessionResult,
} from './protocol/session.js'
export {
  parseTokenEndpointResponse,
  type TokenEndpointResponse,
} from './protocol/token-response.js'
export * from './protocol/types.js'
export {
  buildUserinfoRequest,
  processUserinfoResponse,
  type UserinfoClaims,
} from './protocol/userinfo.js'
