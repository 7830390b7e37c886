/**
 * The engine's types: the configuration as given and as resolved, the request and response every
 * adapter translates, and what an opt-in module (back-channel logout, `checkProvider`, a bearer
 * verifier sharing the engine) reads of it. Types only, so no module imports the engine for them.
 */
import type { ClientAuth } from 'oauth4webapi'
import type { CryptoProvider } from '../crypto/provider.js'
import type { OidcHybridError } from '../errors.js'
import type { AuthorizationOptions } from '../protocol/authorize.js'
import type {
  ClientAuthentication,
  HttpRequest,
  HttpResponseData,
  HybridResponseType,
  JwsAlgorithm,
  ResponseMode,
  Session,
} from '../protocol/types.js'
import type { ApiTokens } from './api-tokens.js'
import type { ClaimsFilter } from './claims-filter.js'
import type { ProviderCache } from './provider-cache.js'
import type { ServerSessions } from './server-sessions.js'

/** The parts of an incoming request the engine reads. */
export interface AuthRequest {
  method: string
  /** Absolute URL as the browser sent it. */
  url: string
  headers: { get(name: string): string | null }
  /** The raw body (form_post callback, back-channel logout). */
  body?: string | null
}

/** What to answer: status, headers (Location, Set-Cookie, ...), an optional body and error. */
export interface AuthResponse {
  status: number
  headers: Headers
  body?: string
  error?: OidcHybridError
}

export interface LoginOptions {
  /** Same-origin path to return to after login. */
  returnTo?: string
  /** Overrides of the configured authorization parameters for this login. */
  authorizationParams?: AuthorizationParams
  /**
   * The login's DPoP private key (a JWK), kept in the transaction and then the session: set by
   * `dpop()`, which also sends its thumbprint as `dpop_jkt` (RFC 9449 10).
   */
  dpop?: JsonWebKey
}

/**
 * What an opt-in module (back-channel logout, `checkProvider`, a bearer verifier given
 * `{ engine }`) reads of an engine; `HybridAuth` is one.
 */
export interface EngineView {
  readonly config: ResolvedConfig
  /** Discovery and JWKS, cached. */
  readonly provider: ProviderCache
}

/**
 * The engine as an {@link Extension} sees it: its routes, its refresh and `send` (the one way it
 * reaches the provider's endpoints), each of which an extension may wrap by assigning a function
 * that keeps the wrapped one's contract (call it, answer the same shapes, let its errors through
 * or turn them into an answer with `error` set). `HybridAuth` is one.
 */
export interface ExtensibleEngine extends EngineView {
  login(request: AuthRequest, options?: LoginOptions): Promise<AuthResponse>
  callback(request: AuthRequest): Promise<AuthResponse>
  logout(request: AuthRequest, options?: { returnTo?: string }): Promise<AuthResponse>
  backchannelLogout(request: AuthRequest): Promise<AuthResponse>
  refreshSession(
    session: Session,
    scope?: string,
    force?: boolean,
    extra?: Record<string, string>,
  ): Promise<Session>
  send(request: HttpRequest): Promise<HttpResponseData>
  fetchApi(request: Request, dpop?: JsonWebKey): Promise<Response>
}

/**
 * An opt-in module that takes part in the engine's work (pushed authorization requests, signed
 * requests, events): `engine` is called once, by `createHybridAuth`, after the configuration was
 * checked. Opt-in code: a Worker that does not import one does not bundle it.
 */
export interface Extension {
  engine?(engine: ExtensibleEngine): void
}

/** What the `backchannelLogout` option takes; create one with `backchannelLogout()`. */
export interface BackchannelLogoutHandler {
  /**
   * Answers one back-channel logout request for `engine`, failures included: a library error is
   * answered 400 (Back-Channel Logout 1.0 2.8; a misconfiguration 500), anything else is thrown.
   */
  handle(engine: EngineView, request: AuthRequest): Promise<AuthResponse>
}

/** Authorization request parameters ([OIDC Core 3.3.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthRequest)). */
export interface AuthorizationParams {
  /** `code id_token` (default), `code token` or `code id_token token`. */
  response_type?: HybridResponseType | string
  /** `form_post` (default). */
  response_mode?: ResponseMode
  /** Default `openid profile email`; `openid` is always added. Add `offline_access` for refresh tokens. */
  scope?: string
  /** Auth0: the API identifier the access token is for. */
  audience?: string
  /** Auth0 organization id (`org_...`) or name. The ID token's org claim is then required to match. */
  organization?: string
  /** Auth0 organization invitation ticket id. */
  invitation?: string
  max_age?: number
  prompt?: string
  login_hint?: string
  acr_values?: string
  ui_locales?: string
  /** Any other authorization parameter, e.g. `connection`, `screen_hint`. */
  [parameter: string]: string | number | undefined
}

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error'
  event: string
  code?: string
  message?: string
  [field: string]: unknown
}

export type ClientAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'none'

/** The discovery lists that `ignoreDiscoveryFor` can overrule. */
export type DiscoveryListField =
  | 'response_types_supported'
  | 'response_modes_supported'
  | 'token_endpoint_auth_methods_supported'

export interface HybridAuthConfig {
  /** The provider's issuer URL, e.g. `https://tenant.auth0.com` (a trailing slash is fine). */
  issuerBaseURL: string
  /** Where this app is served, e.g. `https://app.example.com`; callback URLs are built on it. */
  baseURL: string
  clientID: string
  /** Needed for client_secret_basic (default when set) and client_secret_post. */
  clientSecret?: string
  /**
   * Defaults to client_secret_basic with a secret, else none; `clientAuth` when given.
   * `private_key_jwt` needs `clientAuth`.
   */
  clientAuthMethod?: ClientAuthMethod
  /**
   * Custom token-endpoint client authentication, an oauth4webapi `ClientAuth`; it wins over
   * `clientAuthMethod`. For private_key_jwt (RFC 7523) from a key in the configuration (a private
   * JWK or a PKCS#8 PEM), use `privateKeyJwt` (an import, so apps that use a secret do not
   * bundle it); oauth4webapi's `PrivateKeyJwt` with a `CryptoKey` works too:
   *
   * @example
   * ```ts
   * import { privateKeyJwt } from '@oidc-hybrid/core'
   * createHybridAuth({ ...options, clientAuth: privateKeyJwt({ key: pem, kid: 'k1', alg: 'ES256' }) })
   * ```
   * @see [OIDC Core 9](https://openid.net/specs/openid-connect-core-1_0-errata2.html#ClientAuthentication)
   */
  clientAuth?: ClientAuth
  /**
   * Discovery lists not to check the configuration against, for a provider that supports more
   * than it lists. By default the first discovery document fetched (and each refetch) is checked
   * before any login redirect: the configured `response_type` must be in
   * `response_types_supported`, `form_post` in `response_modes_supported`, the client's
   * authentication method (`clientAuthMethod`, or what `clientSecret` implies; a `clientAuth`
   * function only when `clientAuthMethod` is given) in `token_endpoint_auth_methods_supported`
   * (`client_secret_basic` when omitted, OpenID Connect Discovery 1.0 3), else logins answer
   * `CONFIG_INVALID`. Each field named here is not checked, nor are per-login overrides against it.
   *
   * @example
   * ```ts
   * // Glewlwyd answers response_type=code token but does not list it.
   * ignoreDiscoveryFor: ['response_types_supported']
   * ```
   */
  ignoreDiscoveryFor?: DiscoveryListField[]
  /** Secret(s) for sealing cookies, >= 32 characters. A list rotates: the first seals, all open. */
  secret: string | string[]
  authorizationParams?: AuthorizationParams
  routes?: {
    /** Default `/login`. */
    login?: string
    /** Default `/callback`. */
    callback?: string
    /** Default `/logout`. */
    logout?: string
    /** Where to go after logout when no `returnTo` is given. Default `/`. */
    postLogoutRedirect?: string
    /** Back-channel logout (POST), with `backchannelLogout`. Default `/backchannel-logout`. */
    backchannelLogout?: string
  }
  session?: {
    /** Cookie name, default `__Host-appSession` (`appSession` with a domain or path set). */
    name?: string
    /** Extend the session on activity (default true). */
    rolling?: boolean
    /** Seconds of inactivity before the session ends (default 1 day). */
    rollingDuration?: number
    /** Seconds after login when the session ends regardless (default 7 days). */
    absoluteDuration?: number
    cookie?: { domain?: string; path?: string; sameSite?: 'Lax' | 'Strict' | 'None' }
    /**
     * Keep sessions on the server: the cookie then holds only a sealed session id. Default none
     * (the whole session is sealed into the cookie). See {@link SessionStore}.
     */
    store?: ServerSessions
  }
  transaction?: {
    /** Cookie name prefix, default `__Host-oidc_tx`. */
    name?: string
    /** Seconds a login may take (default 600). */
    maxAge?: number
    /** How many logins may be in flight in one browser (default 5). */
    maxCount?: number
  }
  /**
   * `backchannelLogout()`: answer the provider's back-channel logout requests at
   * `routes.backchannelLogout`, so a user whose provider session ends is logged out here too
   * (OIDC Back-Channel Logout 1.0). Needs `session.store` with `deleteBy`. Default off; opt-in
   * code, so apps without it do not bundle it.
   */
  backchannelLogout?: BackchannelLogoutHandler
  /** Log out of the provider too (RP-initiated logout, or Auth0 `/v2/logout`). Default true. */
  idpLogout?: boolean
  /**
   * At logout, revoke the session's refresh token at the provider's `revocation_endpoint`
   * (RFC 7009), when it has one: a copy of the session (a stolen cookie) can then not get new
   * tokens. Best effort: a failing revocation does not stop the logout. Default true.
   */
  revokeOnLogout?: boolean
  /** Which provider logout to use; `auto` picks end_session_endpoint, then Auth0's. */
  logoutMode?: 'auto' | 'oidc' | 'auth0'
  /** Seconds of clock skew tolerated on token times. Default 60, as Auth0's SDKs. */
  clockTolerance?: number
  /** Refresh this many seconds before the access token expires. Default 30. */
  refreshLeeway?: number
  /** Allowed ID token algorithms; default every asymmetric algorithm the provider lists. */
  idTokenSigningAlgs?: JwsAlgorithm[]
  /** Accept HS256/384/512 ID tokens signed with the client secret. Default false. */
  allowSymmetricIdTokens?: boolean
  /**
   * Audiences besides `clientID` that an ID token's `aud` may list, e.g. an API identifier the
   * provider adds (`aud: [clientID, "https://api.example/"]`, `azp: clientID`). Default none: an
   * ID token with any other audience is refused, `ID_TOKEN_AUDIENCE_MISMATCH`.
   *
   * @see [OIDC Core 3.1.3.7 step 3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDTokenValidation)
   */
  trustedAudiences?: string[]
  /**
   * Which ID token claims the session keeps (login and refresh), to keep a cookie session small or
   * to drop what the app does not need: `claimsFilter(keep)`, opt-in code. The protocol's own
   * claims are always kept; when a claim is dropped the raw ID token goes too (RP-initiated
   * logout then sends `client_id` instead of `id_token_hint`).
   *
   * @example
   * ```ts
   * import { claimsFilter } from '@oidc-hybrid/core'
   * filterClaims: claimsFilter(({ groups, ...claims }) => claims)
   * ```
   */
  filterClaims?: ClaimsFilter
  /**
   * Tokens for other APIs through the refresh token: `getAccessToken({ audience })` (Auth0) or
   * `{ resource }` (RFC 8707), kept in the session. `apiTokens()`, opt-in code; without it those
   * options are a configuration error.
   */
  apiTokens?: ApiTokens
  /**
   * Opt-in modules that join the engine when it is created, in order: `pushedAuthorization()`
   * (RFC 9126), `signedRequests()` (RFC 9101), `events()`. Each is an import of its own.
   *
   * @example
   * ```ts
   * import { pushedAuthorization } from '@oidc-hybrid/core'
   * createHybridAuth({ ...options, extensions: [pushedAuthorization()] })
   * ```
   */
  extensions?: Extension[]
  /** Injected fetch (proxies, tests). Default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** Milliseconds per request to the provider, body included. Default 5000. */
  httpTimeout?: number
  /** Seconds between JWKS refetches triggered by unknown `kid`s. Default 30. */
  jwksCooldown?: number
  /** Seconds discovery and JWKS stay cached. Default 600. */
  cacheMaxAge?: number
  /** Crypto implementation; default WebCrypto. */
  crypto?: CryptoProvider
  /** Clock in seconds since the epoch (tests). Default `Date.now() / 1000`. */
  now?: () => number
  /** Log hook; the library never writes to the console. */
  logger?: (entry: LogEntry) => void
}

export interface ResolvedConfig {
  issuerBaseURL: string
  baseURL: URL
  clientID: string
  clientSecret?: string
  clientAuth: ClientAuthentication
  /** The `clientAuth` function (method `custom`): the engine applies it when it sends. */
  applyClientAuth?: ClientAuth
  /** The method `token_endpoint_auth_methods_supported` must list; none for an unnamed `clientAuth`. */
  clientAuthMethod?: ClientAuthMethod
  ignoreDiscoveryFor: DiscoveryListField[]
  secrets: string[]
  authorization: AuthorizationOptions
  routes: {
    login: string
    callback: string
    logout: string
    postLogoutRedirect: string
    /** Undefined unless `backchannelLogout` is on. */
    backchannelLogout?: string
  }
  backchannelLogout?: BackchannelLogoutHandler
  redirectUri: string
  session: {
    name: string
    rolling: boolean
    rollingDuration: number
    absoluteDuration: number
    domain?: string
    path: string
    sameSite: 'Lax' | 'Strict' | 'None'
    store?: ServerSessions
  }
  transaction: { name: string; maxAge: number; maxCount: number }
  idpLogout: boolean
  revokeOnLogout: boolean
  logoutMode: 'auto' | 'oidc' | 'auth0'
  clockTolerance: number
  refreshLeeway: number
  idTokenSigningAlgs?: JwsAlgorithm[]
  allowSymmetricIdTokens: boolean
  trustedAudiences: string[]
  filterClaims?: ClaimsFilter
  apiTokens: ApiTokens
  fetch: typeof fetch
  httpTimeout: number
  jwksCooldown: number
  cacheMaxAge: number
  crypto: CryptoProvider
  now: () => number
  log: (entry: LogEntry) => void
}
