/**
 * @oidc-hybrid/core/protocol — the OpenID Connect Hybrid Flow as pure steps: each takes a context
 * (provider and client metadata, the time, the keys) and plain data, and returns plain data or a
 * typed error. No I/O, no clock, no randomness: the caller fetches, and passes time and random
 * values in. `transition` is the one state machine that strings the steps together.
 */
export {
  type AuthorizationOptions,
  type AuthorizationRandom,
  type AuthorizationRequest,
  buildAuthorizationRequest,
  checkProviderSupport,
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
export {
  type AcceptedSchemes,
  type AuthorizationScheme,
  checkDpopBinding,
  DEFAULT_DPOP_ALGS,
  DEFAULT_DPOP_WINDOW,
  type DpopNonceKey,
  type DpopProof,
  type DpopProofOptions,
  extractAccessToken,
  jwkThumbprint,
  normalizeHtu,
  openDpopNonce,
  sealDpopNonce,
  verifyDpopProof,
} from './protocol/dpop.js'
export { type FrontChannelVerification, verifyFrontChannel } from './protocol/front-channel.js'
export {
  buildAuthorizationCodeGrantRequest,
  buildPushedAuthorizationRequest,
  buildRefreshTokenGrantRequest,
  buildRevocationRequest,
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
export {
  authorizationUrlWith,
  type PushedAuthorizationResponse,
  parsePushedAuthorizationResponse,
  requestObjectClaims,
} from './protocol/par.js'
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
