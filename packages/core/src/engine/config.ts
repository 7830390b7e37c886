/**
 * Configuration, named as express-openid-connect users know it, validated once at setup.
 * Misuse is a {@link ConfigurationError} thrown by `createHybridAuth`, never at request time.
 */
import {
  type ClientAuth,
  ClientSecretBasic,
  ClientSecretPost,
  None,
  PrivateKeyJwt,
} from 'oauth4webapi'
import type { CryptoProvider } from '../crypto/provider.js'
import { WebCryptoProvider } from '../crypto/webcrypto.js'
import { ConfigurationError } from '../errors.js'
import { type AuthorizationOptions, normalizeResponseType } from '../protocol/authorize.js'
import type { HybridResponseType, JwsAlgorithm, ResponseMode } from '../protocol/types.js'
import { MIN_SECRET_LENGTH } from './seal.js'

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

export interface HybridAuthConfig {
  /** The provider's issuer URL, e.g. `https://tenant.auth0.com` (a trailing slash is fine). */
  issuerBaseURL: string
  /** Where this app is served, e.g. `https://app.example.com`; callback URLs are built on it. */
  baseURL: string
  clientID: string
  /** Needed for client_secret_basic (default when set) and client_secret_post. */
  clientSecret?: string
  /** Defaults to client_secret_basic with a secret, private_key_jwt with a key, else none. */
  clientAuthMethod?: ClientAuthMethod
  /** Private key for private_key_jwt (RFC 7523), with an optional `kid`. */
  clientAssertionSigningKey?: CryptoKey | { key: CryptoKey; kid?: string }
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
  }
  transaction?: {
    /** Cookie name prefix, default `__Host-oidc_tx`. */
    name?: string
    /** Seconds a login may take (default 600). */
    maxAge?: number
    /** How many logins may be in flight in one browser (default 5). */
    maxCount?: number
  }
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
  clientAuth: ClientAuth
  secrets: string[]
  authorization: AuthorizationOptions
  routes: { login: string; callback: string; logout: string; postLogoutRedirect: string }
  redirectUri: string
  session: {
    name: string
    rolling: boolean
    rollingDuration: number
    absoluteDuration: number
    domain?: string
    path: string
    sameSite: 'Lax' | 'Strict' | 'None'
  }
  transaction: { name: string; maxAge: number; maxCount: number }
  secureCookies: boolean
  idpLogout: boolean
  logoutMode: 'auto' | 'oidc' | 'auth0'
  clockTolerance: number
  refreshLeeway: number
  idTokenSigningAlgs?: JwsAlgorithm[]
  allowSymmetricIdTokens: boolean
  fetch: typeof fetch
  httpTimeout: number
  jwksCooldown: number
  cacheMaxAge: number
  crypto: CryptoProvider
  now: () => number
  log: (entry: LogEntry) => void
}

const OWNED_PARAMS = new Set([
  'response_type',
  'response_mode',
  'scope',
  'audience',
  'organization',
  'invitation',
  'max_age',
  'prompt',
  'login_hint',
  'acr_values',
  'ui_locales',
])

/** Turns `authorizationParams` (snake_case, as sent) into the protocol's options. */
export function toAuthorizationOptions(params: AuthorizationParams = {}): AuthorizationOptions {
  const extra: Record<string, string> = {}
  for (const [name, value] of Object.entries(params)) {
    if (!OWNED_PARAMS.has(name) && value !== undefined) extra[name] = String(value)
  }
  const text = (value: unknown) => (value === undefined ? undefined : String(value))
  const options: AuthorizationOptions = {
    responseType:
      params.response_type === undefined ? undefined : normalizeResponseType(params.response_type),
    responseMode: params.response_mode,
    scope: params.scope,
    audience: text(params.audience),
    organization: text(params.organization),
    invitation: text(params.invitation),
    maxAge: params.max_age === undefined ? undefined : Number(params.max_age),
    prompt: text(params.prompt),
    loginHint: text(params.login_hint),
    acrValues: text(params.acr_values),
    uiLocales: text(params.ui_locales),
    extra,
  }
  // Unset keys are left out, so a per-login override never erases a configured value.
  for (const key of Object.keys(options) as Array<keyof AuthorizationOptions>) {
    if (options[key] === undefined) delete options[key]
  }
  return options
}

/** Hybrid responses must reach the server: only form_post is accepted (MRT 5). */
export function assertFormPost(options: AuthorizationOptions): void {
  if (options.responseMode !== undefined && options.responseMode !== 'form_post') {
    throw new ConfigurationError(
      '`authorizationParams.response_mode` must be `form_post`: a hybrid response in a fragment never reaches the server',
    )
  }
}

function url(name: string, value: unknown): URL {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError(`\`${name}\` is required (an absolute http(s) URL)`)
  }
  try {
    const parsed = new URL(value)
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError()
    return parsed
  } catch {
    throw new ConfigurationError(`\`${name}\` must be an absolute http(s) URL, got "${value}"`)
  }
}

function route(name: string, value: string | undefined, fallback: string): string {
  const path = value ?? fallback
  if (!path.startsWith('/') || path.startsWith('//') || /[?#\s]/.test(path)) {
    throw new ConfigurationError(
      `\`routes.${name}\` must be a path starting with "/", got "${path}"`,
    )
  }
  return path
}

function seconds(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result < 0) {
    throw new ConfigurationError(`\`${name}\` must be a non-negative whole number of seconds`)
  }
  return result
}

function count(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result < 1) {
    throw new ConfigurationError(`\`${name}\` must be a whole number of at least 1`)
  }
  return result
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]'])

export function isLoopback(target: URL): boolean {
  return LOOPBACK.has(target.hostname) || target.hostname.endsWith('.localhost')
}

/** Validates and completes a configuration. */
export function resolveConfig(config: HybridAuthConfig): ResolvedConfig {
  if (typeof config !== 'object' || config === null) {
    throw new ConfigurationError('createHybridAuth needs a configuration object')
  }
  url('issuerBaseURL', config.issuerBaseURL)
  const baseURL = url('baseURL', config.baseURL)
  if (baseURL.protocol === 'http:' && !isLoopback(baseURL)) {
    throw new ConfigurationError(
      `\`baseURL\` must use https (browsers drop Secure cookies on plain http except on localhost), got "${config.baseURL}"`,
    )
  }
  if (typeof config.clientID !== 'string' || config.clientID === '') {
    throw new ConfigurationError('`clientID` is required: copy it from the application settings')
  }
  const secrets = Array.isArray(config.secret) ? config.secret : [config.secret]
  if (
    secrets.length === 0 ||
    secrets.some((s) => typeof s !== 'string' || s.length < MIN_SECRET_LENGTH)
  ) {
    throw new ConfigurationError(
      `\`secret\` must be a string (or a list) of at least ${MIN_SECRET_LENGTH} characters; generate one with \`openssl rand -hex 32\``,
    )
  }
  const routes = {
    login: route('login', config.routes?.login, '/login'),
    callback: route('callback', config.routes?.callback, '/callback'),
    logout: route('logout', config.routes?.logout, '/logout'),
    postLogoutRedirect: route('postLogoutRedirect', config.routes?.postLogoutRedirect, '/'),
  }
  const base = baseURL.href.endsWith('/') ? baseURL.href.slice(0, -1) : baseURL.href
  const authorization = toAuthorizationOptions(config.authorizationParams)
  assertFormPost(authorization)
  const sameSite = config.session?.cookie?.sameSite ?? 'Lax'
  return {
    issuerBaseURL: config.issuerBaseURL,
    baseURL,
    clientID: config.clientID,
    clientSecret: config.clientSecret,
    clientAuth: clientAuth(config),
    secrets,
    authorization,
    routes,
    redirectUri: `${base}${routes.callback}`,
    session: {
      // __Host- (RFC 6265bis 4.1.3.2): no sibling subdomain can plant or shadow the cookie.
      name:
        config.session?.name ??
        (config.session?.cookie?.domain === undefined &&
        (config.session?.cookie?.path ?? '/') === '/'
          ? '__Host-appSession'
          : 'appSession'),
      rolling: config.session?.rolling ?? true,
      rollingDuration: seconds('session.rollingDuration', config.session?.rollingDuration, 86_400),
      absoluteDuration: seconds(
        'session.absoluteDuration',
        config.session?.absoluteDuration,
        7 * 86_400,
      ),
      domain: config.session?.cookie?.domain,
      path: config.session?.cookie?.path ?? '/',
      sameSite,
    },
    transaction: {
      name: config.transaction?.name ?? '__Host-oidc_tx',
      maxAge: seconds('transaction.maxAge', config.transaction?.maxAge, 600),
      maxCount: count('transaction.maxCount', config.transaction?.maxCount, 5),
    },
    secureCookies: true,
    idpLogout: config.idpLogout ?? true,
    logoutMode: config.logoutMode ?? 'auto',
    clockTolerance: seconds('clockTolerance', config.clockTolerance, 60),
    refreshLeeway: seconds('refreshLeeway', config.refreshLeeway, 30),
    idTokenSigningAlgs: config.idTokenSigningAlgs,
    allowSymmetricIdTokens: config.allowSymmetricIdTokens ?? false,
    fetch: config.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    httpTimeout: seconds('httpTimeout', config.httpTimeout, 5000),
    jwksCooldown: seconds('jwksCooldown', config.jwksCooldown, 30),
    cacheMaxAge: seconds('cacheMaxAge', config.cacheMaxAge, 600),
    crypto: config.crypto ?? new WebCryptoProvider(),
    now: config.now ?? (() => Math.floor(Date.now() / 1000)),
    log: config.logger ?? (() => {}),
  }
}

function clientAuth(config: HybridAuthConfig): ClientAuth {
  const method =
    config.clientAuthMethod ??
    (config.clientAssertionSigningKey
      ? 'private_key_jwt'
      : config.clientSecret
        ? 'client_secret_basic'
        : 'none')
  switch (method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (!config.clientSecret) {
        throw new ConfigurationError(`\`clientSecret\` is required for ${method}`)
      }
      return method === 'client_secret_basic'
        ? ClientSecretBasic(config.clientSecret)
        : ClientSecretPost(config.clientSecret)
    case 'private_key_jwt':
      if (!config.clientAssertionSigningKey) {
        throw new ConfigurationError('`clientAssertionSigningKey` is required for private_key_jwt')
      }
      return PrivateKeyJwt(config.clientAssertionSigningKey)
    case 'none':
      return None()
    default:
      throw new ConfigurationError(`unknown \`clientAuthMethod\` "${String(method)}"`)
  }
}
