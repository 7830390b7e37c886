/**
 * Configuration, named as express-openid-connect users know it, validated once at setup.
 * Misuse is a {@link ConfigurationError} thrown by `createHybridAuth`, never at request time.
 */
import type { ClientAuth } from 'oauth4webapi'
import type { CryptoProvider } from '../crypto/provider.js'
import { WebCryptoProvider } from '../crypto/webcrypto.js'
import { ConfigurationError } from '../errors.js'
import { type AuthorizationOptions, normalizeResponseType } from '../protocol/authorize.js'
import { isLoopbackHost, parseUrl } from '../protocol/http.js'
import type {
  ClientAuthentication,
  ClientMetadata,
  HybridResponseType,
  JwsAlgorithm,
  ResponseMode,
} from '../protocol/types.js'
import type { BackchannelLogoutHandler } from './backchannel-logout.js'
import type { ClaimsFilter } from './claims-filter.js'
import { checkSecrets } from './seal.js'
import type { ServerSessions } from './server-sessions.js'

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
   * `clientAuthMethod`. For private_key_jwt (RFC 7523), import oauth4webapi yourself, so apps
   * that use a secret do not ship it:
   *
   * @example
   * ```ts
   * import { PrivateKeyJwt } from 'oauth4webapi'
   * createHybridAuth({ ...options, clientAuth: PrivateKeyJwt({ key: privateKey, kid: 'k1' }) })
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
  logoutMode: 'auto' | 'oidc' | 'auth0'
  clockTolerance: number
  refreshLeeway: number
  idTokenSigningAlgs?: JwsAlgorithm[]
  allowSymmetricIdTokens: boolean
  trustedAudiences: string[]
  filterClaims?: ClaimsFilter
  fetch: typeof fetch
  httpTimeout: number
  jwksCooldown: number
  cacheMaxAge: number
  crypto: CryptoProvider
  now: () => number
  log: (entry: LogEntry) => void
}

/** The parameters with an option of their own: `login_hint` is `loginHint`, and so on. */
const OWNED =
  /^(response_type|response_mode|scope|audience|organization|invitation|max_age|prompt|login_hint|acr_values|ui_locales)$/

/**
 * Turns `authorizationParams` (snake_case, as sent) into the protocol's options. Unset keys are
 * left out, so a per-login override never erases a configured value.
 */
export function toAuthorizationOptions(params: AuthorizationParams = {}): AuthorizationOptions {
  const extra: Record<string, string> = {}
  const options: Record<string, unknown> = { extra }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue
    if (!OWNED.test(name)) extra[name] = String(value)
    else {
      options[name.replace(/_(.)/g, (_, letter: string) => letter.toUpperCase())] =
        name === 'response_type'
          ? normalizeResponseType(value as string)
          : name === 'max_age'
            ? Number(value)
            : // scope and response_mode are checked as given, by the protocol and assertFormPost.
              /^(scope|response_mode)$/.test(name)
              ? value
              : String(value)
    }
  }
  return options
}

/** Hybrid responses must reach the server: only form_post is accepted (MRT 5). */
export function assertFormPost(options: AuthorizationOptions): void {
  if (options.responseMode !== undefined && options.responseMode !== 'form_post') {
    throw new ConfigurationError('`response_mode` must be form_post')
  }
}

/** True when `value` is given but lacks one of the (space-separated) `methods`. */
function lacks(value: unknown, methods: string): boolean {
  return (
    value !== undefined &&
    methods
      .split(' ')
      .some((method) => typeof (value as Record<string, unknown> | null)?.[method] !== 'function')
  )
}

function url(name: string, value: unknown): URL {
  const parsed = parseUrl(value)
  if (!/^https?:$/.test(parsed?.protocol as string)) {
    throw new ConfigurationError(`\`${name}\` must be an absolute http(s) URL`, {
      details: { [name]: value },
    })
  }
  return parsed!
}

/** `routes[name]`, by default `/name`. */
function route(routes: Record<string, unknown>, name: string, fallback = `/${name}`): string {
  const value = routes[name] ?? fallback
  if (typeof value !== 'string' || !/^\/(?!\/)[^?#\s]*$/.test(value)) {
    throw new ConfigurationError(`\`routes.${name}\` must be a path starting with "/"`, {
      details: { [name]: value },
    })
  }
  return value
}

/** `options[name]`, a whole number >= `min`; `prefix` names the option's group in the message. */
function whole(
  options: Record<string, unknown>,
  name: string,
  fallback: number,
  prefix = '',
  min = 0,
): number {
  const value = options[name] ?? fallback
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new ConfigurationError(`\`${prefix}${name}\` must be a whole number >= ${min}`)
  }
  return value as number
}

/** The client as the protocol functions see it, from a resolved configuration. */
export function clientMetadata(config: ResolvedConfig): ClientMetadata {
  return {
    client_id: config.clientID,
    redirect_uri: config.redirectUri,
    id_token_signed_response_algs: config.idTokenSigningAlgs,
    client_secret_for_hs: config.allowSymmetricIdTokens ? config.clientSecret : undefined,
    trusted_audiences: config.trustedAudiences,
    token_endpoint_auth_method: config.clientAuthMethod,
    ignore_discovery_for: config.ignoreDiscoveryFor,
  }
}

/** Validates and completes a configuration. */
export function resolveConfig(config: HybridAuthConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigurationError('createHybridAuth needs a configuration object')
  }
  const { routes = {}, session = {}, transaction = {} } = config
  const options = config as unknown as Record<string, unknown>
  url('issuerBaseURL', config.issuerBaseURL)
  const baseURL = url('baseURL', config.baseURL)
  // Browsers drop Secure cookies on plain http, except on loopback hosts (RFC 8252 8.3).
  if (baseURL.protocol === 'http:' && !isLoopbackHost(baseURL.hostname)) {
    throw new ConfigurationError('`baseURL` must use https (http only on localhost)')
  }
  if (typeof config.clientID !== 'string' || config.clientID === '') {
    throw new ConfigurationError('`clientID` is required')
  }
  const secrets = checkSecrets(config.secret)
  const callback = route(routes, 'callback')
  const authorization = toAuthorizationOptions(config.authorizationParams)
  assertFormPost(authorization)
  const { domain, path = '/', sameSite = 'Lax' } = session.cookie ?? {}
  const { store } = session
  if (lacks(store, 'read write forget')) {
    throw new ConfigurationError('`session.store` takes serverSessions(store)')
  }
  if (lacks(config.filterClaims, 'filter')) {
    throw new ConfigurationError('`filterClaims` takes claimsFilter(keep), not a function')
  }
  const backchannel = config.backchannelLogout
  if (lacks(backchannel, 'handle')) {
    throw new ConfigurationError('`backchannelLogout` takes backchannelLogout(), not a flag')
  }
  if (backchannel && typeof store?.store.deleteBy !== 'function') {
    throw new ConfigurationError('`backchannelLogout` needs a `session.store` with deleteBy')
  }
  const answered = {
    login: route(routes, 'login'),
    callback,
    logout: route(routes, 'logout'),
    backchannelLogout: backchannel && route(routes, 'backchannelLogout', '/backchannel-logout'),
  }
  // One path per route: a shared one would leave a route unreachable.
  const paths = Object.values(answered).filter(Boolean)
  if (new Set(paths).size !== paths.length) {
    throw new ConfigurationError('`routes` must be distinct paths', { details: answered })
  }
  const auth = clientAuth(config)
  return {
    issuerBaseURL: config.issuerBaseURL,
    baseURL,
    clientID: config.clientID,
    clientSecret: config.clientSecret,
    clientAuth: auth,
    // A clientAuth function is checked against discovery only under the method the config names.
    clientAuthMethod: auth.method === 'custom' ? config.clientAuthMethod : auth.method,
    ignoreDiscoveryFor: list(
      options,
      'ignoreDiscoveryFor',
      /^(response_(type|mode)s|token_endpoint_auth_methods)_supported$/,
      'discovery list names, e.g. response_types_supported',
    ),
    secrets,
    authorization,
    routes: { ...answered, postLogoutRedirect: route(routes, 'postLogoutRedirect', '/') },
    backchannelLogout: backchannel,
    redirectUri: baseURL.href.replace(/\/$/, '') + callback,
    session: {
      // __Host- (RFC 6265bis 4.1.3.2): no sibling subdomain can plant or shadow the cookie.
      name:
        session.name ?? (domain === undefined && path === '/' ? '__Host-appSession' : 'appSession'),
      rolling: session.rolling ?? true,
      rollingDuration: whole(session, 'rollingDuration', 86_400, 'session.'),
      absoluteDuration: whole(session, 'absoluteDuration', 7 * 86_400, 'session.'),
      domain,
      path,
      sameSite,
      store,
    },
    transaction: {
      name: transaction.name ?? '__Host-oidc_tx',
      maxAge: whole(transaction, 'maxAge', 600, 'transaction.'),
      maxCount: whole(transaction, 'maxCount', 5, 'transaction.', 1),
    },
    idpLogout: config.idpLogout ?? true,
    logoutMode: config.logoutMode ?? 'auto',
    clockTolerance: whole(options, 'clockTolerance', 60),
    refreshLeeway: whole(options, 'refreshLeeway', 30),
    idTokenSigningAlgs: config.idTokenSigningAlgs,
    allowSymmetricIdTokens: config.allowSymmetricIdTokens ?? false,
    trustedAudiences: list(options, 'trustedAudiences'),
    filterClaims: config.filterClaims,
    // Late-bound, so a fetch installed after setup (test mocks, polyfills) is the one used.
    fetch: config.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    httpTimeout: whole(options, 'httpTimeout', 5000),
    jwksCooldown: whole(options, 'jwksCooldown', 30),
    cacheMaxAge: whole(options, 'cacheMaxAge', 600),
    crypto: config.crypto ?? new WebCryptoProvider(),
    now: config.now ?? (() => Math.floor(Date.now() / 1000)),
    log: config.logger ?? (() => {}),
  }
}

/** `options[name]`, a list of strings each matching `pattern` (`what` they are), `[]` if unset. */
function list<T extends string>(
  options: Record<string, unknown>,
  name: string,
  pattern = /./,
  what = 'strings',
): T[] {
  const value = options[name] ?? []
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !pattern.test(v))) {
    throw new ConfigurationError(`\`${name}\` must be a list of ${what}`)
  }
  return [...value]
}

const PRIVATE_KEY_JWT = 'pass `clientAuth: PrivateKeyJwt(key)` from oauth4webapi'

/** The token-endpoint client authentication: data for the protocol, no oauth4webapi code. */
function clientAuth(config: HybridAuthConfig): ClientAuthentication {
  const { clientAuth: apply, clientSecret: secret } = config
  const method =
    config.clientAuthMethod ?? (apply ? 'private_key_jwt' : secret ? 'client_secret_basic' : 'none')
  if (!/^(client_secret_(basic|post)|private_key_jwt|none)$/.test(method)) {
    throw new ConfigurationError(`unknown \`clientAuthMethod\` "${String(method)}"`)
  }
  // Removed in favour of `clientAuth`, which keeps oauth4webapi out of bundles that do not use it.
  if (apply !== undefined) {
    if (typeof apply !== 'function') {
      throw new ConfigurationError(`\`clientAuth\` must be a function: ${PRIVATE_KEY_JWT}`)
    }
    return { method: 'custom', apply }
  }
  if (method === 'private_key_jwt') {
    throw new ConfigurationError(`private_key_jwt: ${PRIVATE_KEY_JWT}`)
  }
  if (method === 'none') return { method }
  if (typeof secret !== 'string' || secret === '') {
    throw new ConfigurationError(`\`clientSecret\` is required for ${method}`)
  }
  return { method, secret }
}
