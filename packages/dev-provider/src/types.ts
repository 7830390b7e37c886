import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * A public JSON Web Key, as registered for a `private_key_jwt` client (RFC 7517). `kty` is
 * optional in the type only so jose's `exportJWK()` result fits; oidc-provider requires it.
 */
export interface PublicJwk {
  kty?: string
  kid?: string
  alg?: string
  use?: string
  [member: string]: unknown
}

/** A JSON Web Key Set (RFC 7517 §5). */
export interface JwkSet {
  keys: PublicJwk[]
}

/** How a client authenticates at the token endpoint (OIDC Core 1.0 §9). */
export type TokenEndpointAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'none'

/** The response types this provider supports (OIDC Core 1.0 §3, Multiple Response Types §3). */
export type DevResponseType = 'code id_token' | 'code token' | 'code id_token token' | 'code'

/** The grant types a client may register. `implicit` is required for the hybrid response types. */
export type DevGrantType = 'authorization_code' | 'implicit' | 'refresh_token'

/**
 * A registered client (an Auth0 "Application"), in OpenID Connect Dynamic Client Registration
 * metadata names.
 */
export interface DevClient {
  client_id: string
  /** Required for `client_secret_basic` and `client_secret_post`. */
  client_secret?: string
  token_endpoint_auth_method: TokenEndpointAuthMethod
  /** Public keys that verify the client's assertions; required for `private_key_jwt`. */
  jwks?: JwkSet
  redirect_uris: string[]
  post_logout_redirect_uris?: string[]
  /** Where the provider POSTs a Logout Token when the user's session ends (Back-Channel Logout 1.0). */
  backchannel_logout_uri?: string
  /** Put `sid` in ID tokens and Logout Tokens (default false). */
  backchannel_logout_session_required?: boolean
  response_types?: DevResponseType[]
  grant_types?: DevGrantType[]
  /** Display name on the consent page. */
  client_name?: string
  /**
   * First-party clients (the default, like Auth0 first-party applications) get consent
   * automatically; third-party clients see a consent page.
   */
  is_first_party?: boolean
}

/** A user of the provider; `sub` is the subject identifier put in tokens. */
export interface DevUser {
  sub: string
  email: string
  password: string
  email_verified?: boolean
  name?: string
  nickname?: string
  picture?: string
  /** Ids (`org_...`) of the organizations this user is a member of. */
  organizations?: string[]
}

/** An API (an Auth0 "API" / RFC 8707 resource server) that access tokens can be issued for. */
export interface DevApi {
  /** The `audience` value, e.g. `https://api.example.com`. An absolute URI. */
  identifier: string
  /** Scopes the API defines, e.g. `read:messages`. */
  scopes: string[]
  /** Whether `offline_access` yields a refresh token for this API (Auth0 "Allow Offline Access"). */
  allowOfflineAccess?: boolean
  /** Lifetime of this API's access tokens in seconds; defaults to `accessTokenTTL`. */
  accessTokenTTL?: number
  /**
   * Whether refresh tokens may be exchanged for this API's access tokens although the login was
   * for another API, as with Auth0's Multi-Resource Refresh Token policy listing this API with
   * all its scopes. Default `false`, like Auth0, where an application's policy lists no API.
   *
   * With `true`, the refresh token of every login of a first-party client for an API (`audience`
   * or `resource`) with `offline_access` also covers this API and all its scopes, and a
   * refresh_token grant with `audience=<identifier>` (Auth0) or `resource=<identifier>` (RFC
   * 8707) answers an RFC 9068 JWT access token for this API (`scope` may narrow it). The
   * session's own token stays the login API's: a refresh without `audience`/`resource` is for it.
   *
   * Without it, `audience=<identifier>` on a refresh is ignored, as Auth0 ignores an audience its
   * policy does not list (the answer is a token for the login's API), and
   * `resource=<identifier>` is `invalid_target` unless the login requested this API itself (the
   * authorization request may repeat `resource`, RFC 8707 2.1).
   *
   * @see https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token
   * @see https://www.rfc-editor.org/rfc/rfc8707#section-2.2
   */
  multiResourceRefreshToken?: boolean
}

/** An Auth0-style organization. */
export interface DevOrganization {
  /** `org_` followed by an identifier. */
  id: string
  /** The organization name; ID tokens carry it lower-cased as `org_name`. */
  name: string
}

/** What the {@link DevProviderOptions.customClaims} hook is called with. */
export interface CustomClaimsContext {
  user: DevUser
  client: DevClient
  /** `id_token` is also used for the userinfo response. */
  token: 'id_token' | 'access_token'
  /** The space-separated scope of the token being issued. */
  scope: string
}

/** Receives what the provider has to say; the library never writes to the console itself. */
export interface DevProviderLogger {
  info(message: string): void
  error(message: string, error?: unknown): void
}

/** Options of {@link start}. Every member has a working default. */
export interface DevProviderOptions {
  /** TCP port; `0` (the default) picks a free port. */
  port?: number
  /** Interface to bind; `127.0.0.1` by default. Only change this if you know why. */
  host?: string
  /**
   * Issuer identifier. Defaults to `http://127.0.0.1:${port}/` — with a trailing slash, as
   * Auth0's. Its path must be `/`.
   */
  issuer?: string
  /** Registered clients; defaults to {@link defaultClients}(). */
  clients?: DevClient[]
  /** Users; defaults to {@link defaultUsers}(). */
  users?: DevUser[]
  /** APIs (resource servers); defaults to {@link defaultApis}(). */
  apis?: DevApi[]
  /** Organizations; defaults to {@link defaultOrganizations}(). */
  organizations?: DevOrganization[]
  /**
   * Extra claims for ID tokens, userinfo and access tokens (Auth0 "rules"/"actions"). Defaults to
   * {@link defaultCustomClaims}. Registered claims of the token always win over these.
   */
  customClaims?: (context: CustomClaimsContext) => Record<string, unknown>
  /**
   * Lifetime of access tokens in seconds; 86400 (Auth0's default) unless an API sets its own.
   * Short ones (5, 40) are fine for testing expiry; at most 2591999, so the refresh token (30
   * days) always outlives the access token.
   */
  accessTokenTTL?: number
  /** Lifetime of ID tokens in seconds; 36000 (Auth0's default). */
  idTokenTTL?: number
  /** JWS algorithm of ID tokens and JWT access tokens; a fresh key is generated at start. */
  signingAlg?: 'RS256' | 'ES256'
  /** Keys that sign the provider's cookies; random ones are generated when absent. */
  cookieKeys?: string[]
  logger?: DevProviderLogger
  /**
   * `true` (the default, Auth0's rotation): every refresh_token grant answers a new
   * `refresh_token` and the used one stops working (reusing it revokes the whole grant).
   * `false`: the answer has no `refresh_token` member and the same refresh token keeps working
   * (RFC 6749 §6 lets a provider keep it, as Google does).
   */
  rotateRefreshTokens?: boolean
  /**
   * `'honour'` (the default, Auth0's behaviour): a `scope` parameter on a refresh_token grant
   * narrows the new tokens (a wider one is `invalid_scope`) and the answer carries `scope`.
   * `'ignore'`: the parameter is dropped before the provider reads the request, so the tokens
   * get the original grant's scope, a wider one is no error, and the answer has no `scope` member.
   */
  refreshScope?: 'honour' | 'ignore'
  /**
   * Claims of the ID token the token endpoint issues on a refresh_token grant. `'full'` (the
   * default, Auth0's behaviour) repeats the profile, email, organization and custom claims;
   * `'minimal'` leaves only the protocol claims (`iss`, `sub`, `aud`, `exp`, `iat`, and `nonce`,
   * `auth_time`, `acr`, `amr`, `azp`, `sid` when they apply).
   */
  refreshIdTokenClaims?: 'full' | 'minimal'
  /**
   * The same as {@link DevProviderOptions.refreshIdTokenClaims} for the ID token the token
   * endpoint issues when a code is redeemed (authorization_code grant). The front-channel ID
   * token always keeps the claims of its scopes. Default `'full'`.
   */
  codeIdTokenClaims?: 'full' | 'minimal'
  /**
   * Audiences added to every ID token (front channel and token endpoint): `aud` becomes
   * `[client_id, ...extraIdTokenAudiences]` and `azp` is `client_id`. Default `[]`: `aud` is the
   * `client_id` string and there is no `azp`.
   */
  extraIdTokenAudiences?: string[]
  /**
   * `'real'` (the default): `auth_time` is the time of the login, present when the client asks
   * for it (`max_age`, the `claims` parameter). `'zero-at-token-endpoint'` reproduces Glewlwyd
   * 2.7.5's defect: every ID token carries `auth_time`, the front-channel one the real time and
   * the token endpoint's ones (code and refresh) `0`.
   */
  idTokenAuthTime?: 'real' | 'zero-at-token-endpoint'
  /**
   * Pushed authorization requests (RFC 9126) are always offered at `/oauth/par`
   * (`pushed_authorization_request_endpoint`). `'optional'` (the default): a client may push or
   * not. `'required'`: discovery says `require_pushed_authorization_requests: true` and every
   * authorization request must come through a push.
   */
  pushedAuthorizationRequests?: 'optional' | 'required'
  /**
   * Signed request objects (RFC 9101, OIDC Core 6.1), verified with the client's `jwks`. `'off'`
   * (the default): not accepted. `'optional'`: accepted. `'required'`: every authorization request
   * must be one (`require_signed_request_object`).
   */
  requestObjects?: 'off' | 'optional' | 'required'
  /**
   * Authentication context classes the provider offers (`acr_values_supported`; oidc-provider's
   * `acrValues`), e.g. `['urn:example:pwd', 'urn:example:mfa']`. Default `[]`: no `acr` claim, as
   * before. With values: the login page offers them (`completeLogin(url, user, { acr, amr })`
   * picks one), ID tokens carry the login's `acr` (and `amr`), JWT access tokens its `acr`,
   * `amr` and `auth_time` (RFC 9068 2.2.1, for RFC 9470 checks), and a request whose
   * `acr_values` the provider session does not meet asks the user to log in again, as a real
   * provider asks for the second factor; the login may still answer another `acr` (the user picks
   * one), as a provider that cannot meet it would.
   */
  acrValues?: string[]
  /**
   * `true` (the default): DPoP (RFC 9449) is accepted, see {@link DevProviderOptions.dpopNonces}.
   * `false`: oidc-provider's DPoP feature is off, as at a provider that does not bind tokens: a
   * `DPoP` proof header and `dpop_jkt` are ignored, the token endpoint answers `token_type`
   * `Bearer` and discovery lists no `dpop_signing_alg_values_supported`.
   */
  dpop?: boolean
  /**
   * DPoP (RFC 9449) is accepted unless `dpop: false`: a token request with a `DPoP` proof gets a
   * sender-constrained access token (`token_type` `DPoP`, `cnf.jkt`). `true`: the token endpoint
   * also requires a server nonce (RFC 9449 8): a proof without the current one is answered 400
   * `use_dpop_nonce` with a `DPoP-Nonce` header to retry with. Default `false`; not with
   * `dpop: false`.
   */
  dpopNonces?: boolean
}

/**
 * The parts of the oidc-provider instance this package exposes. It is the full `Provider` object
 * (a Koa application); cast it if you need more.
 */
export interface OidcProviderInstance {
  readonly issuer: string
  callback(): (req: IncomingMessage, res: ServerResponse) => void
  on(event: string, listener: (...args: unknown[]) => void): unknown
}

/** A running provider, returned by {@link start}. */
export interface DevProvider {
  /** The issuer identifier, with its trailing slash. */
  issuer: string
  /** The URL the server listens on, without a trailing slash, e.g. `http://127.0.0.1:4000`. */
  url: string
  port: number
  clients: DevClient[]
  users: DevUser[]
  apis: DevApi[]
  organizations: DevOrganization[]
  /** Stops listening and closes open connections. Safe to call twice. */
  close(): Promise<void>
  provider: OidcProviderInstance
}
