/**
 * Plain-data types shared by the protocol steps. Everything here is JSON-serialisable so that a
 * transaction or session can cross a redirect inside a sealed cookie.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import type { Jwk, JwsAlgorithm } from './jwk.js'

export type { Jwk, JwsAlgorithm } from './jwk.js'

/**
 * The `response_type` values: the three hybrid ones ([OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)),
 * the default, and the plain authorization code flow's `code` ([OIDC Core 3.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#CodeFlowAuth)),
 * for providers without hybrid support: nothing signed in the front channel, so `state`, RFC 9207
 * `iss` (when the provider has it) and PKCE carry the response, and the token endpoint's ID token
 * (its nonce) the identity.
 */
export type HybridResponseType = 'code id_token' | 'code token' | 'code id_token token' | 'code'

/**
 * How the authorization response reaches the callback. `query` only with `response_type=code`:
 * hybrid responses never travel in a query.
 */
export type ResponseMode = 'form_post' | 'fragment' | 'query'

export interface JsonWebKeySet {
  keys: Jwk[]
}

/** The provider metadata the protocol needs ([OpenID Discovery 3](https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata)). */
export interface ProviderMetadata {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  jwks_uri: string
  userinfo_endpoint?: string
  end_session_endpoint?: string
  /** RFC 7009 / RFC 8414: where tokens are revoked. */
  revocation_endpoint?: string
  /** RFC 9126 5: where authorization requests are pushed, and whether they must be. */
  pushed_authorization_request_endpoint?: string
  require_pushed_authorization_requests?: boolean
  /** RFC 9101 10.5 / OIDC Discovery 3: whether authorization requests must be signed objects. */
  require_signed_request_object?: boolean
  request_object_signing_alg_values_supported?: string[]
  response_types_supported?: string[]
  response_modes_supported?: string[]
  id_token_signing_alg_values_supported?: string[]
  token_endpoint_auth_methods_supported?: string[]
  code_challenge_methods_supported?: string[]
  authorization_response_iss_parameter_supported?: boolean
  [parameter: string]: unknown
}

/** The relying party as the protocol sees it. */
export interface ClientMetadata {
  client_id: string
  /** Absolute callback URL, sent as `redirect_uri` and again, byte for byte, to the token endpoint. */
  redirect_uri: string
  /** Algorithms accepted for ID tokens. Defaults to the asymmetric algorithms of {@link DEFAULT_ID_TOKEN_ALGS}. */
  id_token_signed_response_algs?: JwsAlgorithm[]
  /**
   * Only set this when the provider signs ID tokens with HS256/384/512 using the client secret.
   * Symmetric algorithms are rejected otherwise.
   */
  client_secret_for_hs?: string
  /** Audiences besides `client_id` that may appear in `aud` (OIDC Core 3.1.3.7 step 3). */
  trusted_audiences?: string[]
  /**
   * How the client authenticates at the token endpoint ([RFC 7591 2](https://www.rfc-editor.org/rfc/rfc7591#section-2)),
   * checked against the provider's `token_endpoint_auth_methods_supported` at each login.
   */
  token_endpoint_auth_method?: string
  /** Discovery lists (`response_types_supported`, ...) the app overrules: not checked. */
  ignore_discovery_for?: string[]
}

/** What the protocol needs from the outside world for one step; passed in, never looked up. */
export interface ProtocolContext {
  provider: ProviderMetadata
  client: ClientMetadata
  /** Current time, seconds since the epoch. */
  now: number
  /** Seconds of clock skew tolerated on `exp`, `iat`, `nbf`, `auth_time`. Auth0's SDKs use 60. */
  clockTolerance: number
  /** The provider's current keys (from the engine's cache). */
  jwks: JsonWebKeySet
  /** True when `jwks` was fetched because of the token being verified: a second miss is final. */
  jwksRefreshed?: boolean
  crypto: CryptoProvider
  /** Client authentication applied to token-endpoint requests. */
  clientAuth: ClientAuthentication
}

/**
 * How the client authenticates at the token endpoint (RFC 6749 2.3.1, OIDC Core 9). `custom` is
 * an assertion signed at send time (private_key_jwt: a clock and a random `jti`), which the
 * protocol cannot make and stay deterministic: its requests come back with `applyClientAuth` set,
 * and the engine applies the configured function (oauth4webapi's `ClientAuth` signature) before
 * it sends them.
 */
export type ClientAuthentication =
  | { readonly method: 'client_secret_basic' | 'client_secret_post'; readonly secret: string }
  | { readonly method: 'none' }
  | { readonly method: 'custom' }

/** Everything the callback needs to check the response against the request that caused it. */
export interface Transaction {
  state: string
  nonce: string
  codeVerifier: string
  responseType: HybridResponseType
  responseMode: ResponseMode
  redirectUri: string
  /** The issuer the request went to (RFC 9700 4.4.2 mix-up defence). */
  issuer: string
  scope: string
  maxAge?: number
  audience?: string
  organization?: string
  /**
   * The `acr` values one of which the ID token must carry: an essential `acr` the login's `claims`
   * parameter requested (OIDC Core 5.5.1.1: its `values`, or its `value`); `acr_values` alone is a
   * hint and not kept.
   */
  acr?: string | string[]
  /** The `prompt` sent (`none`: a silent login, whose login_required is no failure). */
  prompt?: string
  /** A same-origin path to go to after login. */
  returnTo?: string
  /**
   * The login's DPoP private key (a JWK, set by `dpop()`): the code exchange proves possession of
   * it, and the session keeps it ([RFC 9449 10](https://www.rfc-editor.org/rfc/rfc9449#section-10)).
   */
  dpop?: JsonWebKey
  /** Seconds since the epoch. */
  createdAt: number
}

/** A logged-in user's tokens and identity. */
export interface Session {
  issuer: string
  sub: string
  /**
   * Claims of the token-endpoint ID token; after a refresh, those of the new ID token plus the
   * earlier ones it does not repeat.
   */
  claims: IdTokenClaims
  /** The latest raw ID token; absent when `filterClaims` dropped claims from the session. */
  idToken?: string
  accessToken: string
  /** `DPoP` when the access token is bound to the session's `dpop` key (RFC 9449 5). */
  tokenType: 'Bearer' | 'DPoP'
  /** Seconds since the epoch when the access token expires; undefined when not told. */
  expiresAt?: number
  /** Scope granted to the access token, when the provider said. */
  scope?: string
  refreshToken?: string
  audience?: string
  organization?: string
  /** Seconds since the epoch when the user logged in (this session was created). */
  createdAt: number
  /** Seconds since the epoch of the last token update (login or refresh). */
  updatedAt: number
  /** Tokens for other APIs (`apiTokens()`), by API and scope. */
  apiTokens?: Record<string, ApiToken>
  /**
   * The session's DPoP private key (a JWK; `dpop()`): every request with its tokens carries a
   * proof signed by it (RFC 9449 4). Sealed in the cookie, or kept in the store.
   */
  dpop?: JsonWebKey
}

/** An access token for another API, as the session keeps it (`apiTokens()`). */
export interface ApiToken {
  accessToken: string
  tokenType: 'Bearer' | 'DPoP'
  /** Seconds since the epoch; undefined when the provider did not say. */
  expiresAt?: number
  scope?: string
}

/** ID token claims ([OIDC Core 2](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDToken)). */
export interface IdTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nbf?: number
  nonce?: string
  auth_time?: number
  azp?: string
  acr?: string
  amr?: string[]
  c_hash?: string
  at_hash?: string
  org_id?: string
  org_name?: string
  [claim: string]: unknown
}

/**
 * An HTTP request as plain data, built by the protocol steps and sent by the engine with
 * `fetch(url, { method, headers, body })`.
 */
export interface HttpRequest {
  url: string
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body?: string
  /**
   * Set on a token-endpoint request whose client authentication (method `custom`) is still to be
   * applied by whoever sends it: the engine does, with the configured `clientAuth`.
   */
  applyClientAuth?: true
  /**
   * The DPoP private key (a JWK) whose proof the sender adds (`dpop()` does; RFC 9449 4), on a
   * request with DPoP-bound tokens: the code exchange, refreshes, UserInfo.
   */
  dpop?: JsonWebKey
}

/** A received HTTP response reduced to data, so protocol steps stay free of I/O. */
export interface HttpResponseData {
  status: number
  headers: Headers
  body: string
}

/** The header of a JWS ([RFC 7515 4](https://www.rfc-editor.org/rfc/rfc7515#section-4)). */
export interface JwsHeader {
  alg: string
  kid?: string
  typ?: string
  crit?: string[]
  [parameter: string]: unknown
}

/** The parameters of an authorization response after state, `iss`, error and presence checks. */
export interface CallbackResponse {
  state: string
  code: string
  /** Front-channel ID token (`code id_token`, `code id_token token`). */
  idToken?: string
  /** Front-channel access token (`code token`, `code id_token token`). Never used to call APIs. */
  accessToken?: string
  tokenType?: string
  expiresIn?: number
  /** RFC 9207 `iss`, when the provider sent it. */
  iss?: string
}

declare const verifiedBrand: unique symbol

/**
 * A callback whose every front-channel check passed (state, `iss`, ID token signature and claims,
 * nonce, `c_hash`, `at_hash`). Only this type opens the door to the token endpoint.
 */
export type VerifiedCallback = CallbackResponse & { readonly [verifiedBrand]: true }
