/**
 * Configuration, named as express-openid-connect users know it, validated once at setup.
 * Misuse is a {@link ConfigurationError} thrown by `createHybridAuth`, never at request time.
 */
import { WebCryptoProvider } from '../crypto/webcrypto.js'
import { isStrings } from '../lib/compare.js'
import { type AuthorizationOptions, normalizeResponseType } from '../protocol/authorize.js'
import { secureUrl } from '../protocol/discovery.js'
import { configError, parseUrl } from '../protocol/http.js'
import type { ClientAuthentication, ClientMetadata } from '../protocol/types.js'
import type { ApiTokens } from './api-tokens.js'
import { checkSecrets } from './seal.js'
import type { AuthorizationParams, HybridAuthConfig, ResolvedConfig } from './types.js'

export type {
  AuthorizationParams,
  ClientAuthMethod,
  DiscoveryListField,
  HybridAuthConfig,
  LogEntry,
  ResolvedConfig,
} from './types.js'

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

/**
 * Responses must reach the server: form_post, or for the plain code flow (`response_type=code`)
 * also query (RFC 6749 4.1.2); hybrid responses never travel in a query (MRT 5), and a fragment
 * never reaches a server.
 */
export function assertFormPost({ responseMode, responseType }: AuthorizationOptions): void {
  check(
    responseMode === undefined ||
      responseMode === 'form_post' ||
      responseMode + responseType === 'querycode',
    '`response_mode` must be form_post (or query for code)',
  )
}

/** Throws a {@link ConfigurationError} with `message` and `details` unless `ok`. */
function check(ok: unknown, message: string, details?: Record<string, unknown>): asserts ok {
  if (!ok) throw configError(message, details)
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

/** `routes[name]`, by default `/name`. */
function route(routes: Record<string, unknown>, name: string, fallback = `/${name}`): string {
  const value = routes[name] ?? fallback
  check(
    typeof value === 'string' && /^\/(?!\/)[^?#\s]*$/.test(value),
    `\`routes.${name}\` must be a path starting with "/"`,
    { [name]: value },
  )
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
  check(
    Number.isInteger(value) && (value as number) >= min,
    `\`${prefix}${name}\` must be a whole number >= ${min}`,
  )
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
  check(typeof config === 'object' && config, 'createHybridAuth needs a configuration object')
  const { routes = {}, session = {}, transaction = {} } = config
  const options = config as unknown as Record<string, unknown>
  const { issuerBaseURL } = config
  // Checked in full (https, no ? or #) by discovery, at first use.
  check(
    /^https?:$/.test(parseUrl(issuerBaseURL)?.protocol as string),
    '`issuerBaseURL` must be an absolute http(s) URL',
    { issuerBaseURL },
  )
  // Browsers drop Secure cookies on plain http, except on loopback hosts (RFC 8252 8.3). The
  // callback URL is built on it (redirect_uri: absolute, no fragment, RFC 6749 3.1.2), checked
  // as text (URL parsing drops a bare ? or #).
  const baseURL = secureUrl('baseURL', config.baseURL)
  check(typeof config.clientID === 'string' && config.clientID, '`clientID` is required')
  const secrets = checkSecrets(config.secret)
  const callback = route(routes, 'callback')
  const authorization = toAuthorizationOptions(config.authorizationParams)
  assertFormPost(authorization)
  const { domain, path = '/', sameSite = 'Lax' } = session.cookie ?? {}
  const { store } = session
  check(!lacks(store, 'lend'), '`session.store` takes serverSessions(store)')
  check(!lacks(config.filterClaims, 'filter'), '`filterClaims` takes claimsFilter(keep)')
  const backchannel = config.backchannelLogout
  check(!lacks(backchannel, 'handle'), '`backchannelLogout` takes backchannelLogout()')
  check(
    !backchannel || typeof store?.store.deleteBy === 'function',
    '`backchannelLogout` needs a `session.store` with deleteBy',
  )
  const answered = {
    login: route(routes, 'login'),
    callback,
    logout: route(routes, 'logout'),
    backchannelLogout: backchannel && route(routes, 'backchannelLogout', '/backchannel-logout'),
  }
  // One path per route: a shared one would leave a route unreachable.
  const paths = Object.values(answered).filter(Boolean)
  check(new Set(paths).size === paths.length, '`routes` must be distinct paths', answered)
  const auth = clientAuth(config)
  return {
    issuerBaseURL,
    baseURL,
    clientID: config.clientID,
    clientSecret: config.clientSecret,
    clientAuth: auth,
    applyClientAuth: config.clientAuth,
    // A clientAuth function is checked against discovery only under the method the config names.
    clientAuthMethod: auth.method === 'custom' ? config.clientAuthMethod : auth.method,
    ignoreDiscoveryFor: list(
      options,
      'ignoreDiscoveryFor',
      /^(response_(type|mode)s|token_endpoint_auth_methods)_supported$/,
      'discovery field names',
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
    revokeOnLogout: config.revokeOnLogout ?? true,
    logoutMode: config.logoutMode ?? 'auto',
    clockTolerance: whole(options, 'clockTolerance', 60),
    refreshLeeway: whole(options, 'refreshLeeway', 30),
    idTokenSigningAlgs: config.idTokenSigningAlgs,
    allowSymmetricIdTokens: config.allowSymmetricIdTokens ?? false,
    trustedAudiences: list(options, 'trustedAudiences'),
    filterClaims: config.filterClaims,
    apiTokens: config.apiTokens ?? NO_API_TOKENS,
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
const NO_API_TOKENS: ApiTokens = {
  get() {
    throw configError('audience and resource need apiTokens()')
  },
}

function list<T extends string>(
  options: Record<string, unknown>,
  name: string,
  pattern?: RegExp,
  what = 'strings',
): T[] {
  const value = options[name] ?? []
  check(isStrings(value, pattern), `\`${name}\` must be a list of ${what}`)
  return [...value] as T[]
}

const PRIVATE_KEY_JWT = 'use `clientAuth: privateKeyJwt({ key })`'

/** The token-endpoint client authentication: data for the protocol, no oauth4webapi code. */
function clientAuth(config: HybridAuthConfig): ClientAuthentication {
  const { clientAuth: apply, clientSecret: secret } = config
  const method =
    config.clientAuthMethod ?? (apply ? 'private_key_jwt' : secret ? 'client_secret_basic' : 'none')
  check(
    /^(client_secret_(basic|post)|private_key_jwt|none)$/.test(method),
    `unknown \`clientAuthMethod\` "${String(method)}"`,
  )
  // Removed in favour of `clientAuth`, which keeps oauth4webapi out of bundles that do not use it.
  if (apply !== undefined) {
    check(typeof apply === 'function', `\`clientAuth\` must be a function: ${PRIVATE_KEY_JWT}`)
    return { method: 'custom' }
  }
  check(method !== 'private_key_jwt', `private_key_jwt: ${PRIVATE_KEY_JWT}`)
  if (method === 'none') return { method }
  check(typeof secret === 'string' && secret, `\`clientSecret\` is required for ${method}`)
  return { method, secret }
}
