/**
 * The Hybrid Flow authorization request: the URL the browser is sent to, and the transaction
 * that must come back with the callback. Randomness and time are arguments, so the same inputs
 * always give the same URL.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import type { ConfigurationError } from '../errors.js'
import { encode, utf8 } from '../lib/base64url.js'
import { isRecord, parseJson } from '../lib/compare.js'
import { configError, endpointUrl, parseUrl } from './http.js'
import type {
  ClientMetadata,
  HybridResponseType,
  ProviderMetadata,
  ResponseMode,
  Transaction,
} from './types.js'

export interface AuthorizationOptions {
  /** Default `code id_token`. The words may come in any order (`id_token code`). */
  responseType?: HybridResponseType
  /** Default `form_post`. */
  responseMode?: ResponseMode
  /** Default `openid profile email`. `openid` is added when absent; repeated words are dropped. */
  scope?: string
  /** Auth0: the API the access token is for. */
  audience?: string
  /** Auth0: an `org_...` id or an organization name; the ID token must then carry it. */
  organization?: string
  /** Auth0: an organization invitation id. */
  invitation?: string
  /** Maximum authentication age in seconds; the ID token's `auth_time` is checked against it. */
  maxAge?: number
  prompt?: string
  loginHint?: string
  acrValues?: string
  uiLocales?: string
  /**
   * Any extra authorization parameter (e.g. `connection`, `screen_hint`). Parameters the library
   * owns, or that have an option of their own, are refused with a {@link ConfigurationError}.
   */
  extra?: Record<string, string>
  /** Stored in the transaction; validate it first with `validateReturnTo`. */
  returnTo?: string
  /**
   * The login's DPoP private key, stored in the transaction (`dpop()` sets it, and sends its
   * thumbprint as `dpop_jkt` in `extra`; [RFC 9449 10](https://www.rfc-editor.org/rfc/rfc9449#section-10)).
   */
  dpop?: JsonWebKey
}

/** An `acr` entry of the `claims` parameter (OIDC Core 5.5.1). */
interface AcrRequest {
  essential?: boolean
  value?: string
  values?: string[]
}

/** Fresh per login, from a CSPRNG; kept in the transaction cookie. */
export interface AuthorizationRandom {
  /** 43 to 512 base64url characters (at least 256 bits of entropy). */
  state: string
  /** 43 to 512 base64url characters. */
  nonce: string
  /** 43 to 128 characters of `[A-Za-z0-9-._~]` ([RFC 7636 4.1](https://www.rfc-editor.org/rfc/rfc7636#section-4.1)). */
  codeVerifier: string
}

export interface AuthorizationRequest {
  url: URL
  transaction: Transaction
}

// Sent in this order after the required ones; each comes from the option of the camelCase name.
const OPTIONAL_PARAMETERS =
  'audience organization invitation max_age prompt login_hint acr_values ui_locales'.split(' ')
// Parameters with an option of their own. Set through `extra`, `max_age`, `organization` or
// `audience` would bypass the transaction, and with it the `auth_time` and organization checks.
const OPTION_PARAMETERS = new RegExp(
  `^(response_type|response_mode|scope|${OPTIONAL_PARAMETERS.join('|')})$`,
)

/**
 * Returns the canonical spelling of a hybrid `response_type`, whatever the order of its words.
 * Anything that is not one of the three hybrid types is a {@link ConfigurationError}.
 *
 * @see [OAuth 2.0 Multiple Response Type Encoding Practices 3](https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html#Combinations)
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 * @example
 * normalizeResponseType('id_token id_token') // throws CONFIG_INVALID
 * normalizeResponseType('id_token code') // 'code id_token'
 */
export function normalizeResponseType(value: string): HybridResponseType {
  // Sorted, the three types read `code id_token`, `code id_token token`, `code token`; a repeated
  // word never matches.
  const canonical = sortedWords(value)
  if (!/^code( id_token( token)?| token)?$/.test(canonical)) {
    throw configError(
      'not a response type for this library: use code id_token, code token, code id_token token or code',
      { responseType: value },
    )
  }
  return canonical as HybridResponseType
}

/**
 * Builds the authorization request URL and the transaction to keep (sealed, in a cookie bound to
 * the browser) until the callback. Always sends `nonce` (also for `code token`), PKCE with S256,
 * and `response_mode` explicitly.
 *
 * @see [OIDC Core 3.3.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthRequest)
 * @see [RFC 7636 4](https://www.rfc-editor.org/rfc/rfc7636#section-4) (PKCE)
 * @see [RFC 9700 2.1.1](https://www.rfc-editor.org/rfc/rfc9700#section-2.1.1) (S256, never plain)
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 * @example
 * // state, nonce, codeVerifier: 32 random bytes each, base64url; now: seconds since the epoch.
 * const { url, transaction } = await buildAuthorizationRequest(
 *   provider,
 *   { client_id: 'abc', redirect_uri: 'https://app.example.com/callback' },
 *   { audience: 'https://api.example.com', scope: 'openid profile offline_access' },
 *   { state, nonce, codeVerifier },
 *   now,
 *   new WebCryptoProvider(),
 * )
 */
export async function buildAuthorizationRequest(
  provider: ProviderMetadata,
  client: ClientMetadata,
  options: AuthorizationOptions,
  random: AuthorizationRandom,
  now: number,
  crypto: CryptoProvider,
): Promise<AuthorizationRequest> {
  checkAuthorizationInputs(client, random)
  return authorizationRequest(provider, client, options, random, now, crypto)
}

/**
 * {@link buildAuthorizationRequest} for a caller that generated `random` itself and whose `client`
 * was checked already (the engine: 32 random bytes each, and a configuration checked at setup), so
 * the hybrid path does not carry those checks twice. Everything else is checked the same.
 *
 * @internal
 */
export async function authorizationRequest(
  provider: ProviderMetadata,
  client: ClientMetadata,
  options: AuthorizationOptions,
  random: AuthorizationRandom,
  now: number,
  crypto: CryptoProvider,
): Promise<AuthorizationRequest> {
  const responseType = normalizeResponseType(options.responseType ?? 'code id_token')
  const responseMode = options.responseMode ?? 'form_post'
  // Multiple Response Type Encoding Practices 5: hybrid responses never travel in a query; the
  // plain code flow's may (RFC 6749 4.1.2).
  if (!/^(form_post|fragment)$/.test(responseMode) && responseMode + responseType !== 'querycode') {
    throw configError('responseMode must be form_post or fragment (or query for code)', {
      responseMode,
    })
  }
  const scope = normalizeScope(options.scope ?? 'openid profile email')
  const maxAge = options.maxAge
  if (maxAge !== undefined && !(Number.isSafeInteger(maxAge) && maxAge >= 0)) {
    throw configError('maxAge must be whole seconds >= 0', { maxAge })
  }
  const extra = options.extra
  checkExtra(extra)
  // OIDC Core 5.5.1.1: an essential `acr` with a value or values is a requirement (the provider
  // must meet it or fail the login), kept to be checked; `acr_values` alone is a voluntary hint.
  // A `claims` that is not JSON requires nothing here (the provider refuses it).
  const acr = (parseJson(extra?.claims) as { id_token?: { acr?: AcrRequest } })?.id_token?.acr
  checkProviderSupport(provider, client, responseType, responseMode)

  const url = endpointUrl(provider, 'authorization_endpoint')

  const parameters: Record<string, string | undefined> = {
    response_type: responseType,
    response_mode: responseMode,
    client_id: client.client_id,
    redirect_uri: client.redirect_uri,
    scope,
    state: random.state,
    nonce: random.nonce,
    code_challenge: encode(
      await crypto.digest('SHA-256', utf8(random.codeVerifier, crypto)),
      crypto,
    ),
    code_challenge_method: 'S256',
  }
  for (const name of OPTIONAL_PARAMETERS) {
    parameters[name] =
      name === 'max_age' ? maxAge?.toString() : optionalString(camelCase(name), options)
  }
  // set(), not append(): the endpoint's own query parameters stay, none is sent twice.
  for (const [name, value] of Object.entries({ ...parameters, ...extra })) {
    if (value !== undefined) url.searchParams.set(name, value)
  }

  return {
    url,
    // Unset options are undefined here, so that they stay out of the transaction cookie's JSON.
    transaction: {
      state: random.state,
      nonce: random.nonce,
      codeVerifier: random.codeVerifier,
      responseType,
      responseMode,
      redirectUri: client.redirect_uri,
      issuer: provider.issuer,
      scope,
      maxAge,
      audience: parameters.audience,
      organization: parameters.organization,
      acr: acr?.essential ? (acr.values ?? acr.value) : undefined,
      prompt: parameters.prompt,
      returnTo: optionalString('returnTo', options),
      dpop: options.dpop,
      createdAt: now,
    },
  }
}

function normalizeScope(value: string): string {
  // RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
  if (typeof value !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E ]*$/.test(value)) {
    throw configError('scope must be printable ASCII words, no quotes', { scope: value })
  }
  // openid first: it is what makes the request an OpenID Connect request (OIDC Core 3.1.2.1).
  return [...new Set(['openid', ...words(value)])].join(' ')
}

function checkExtra(extra: Record<string, string> | undefined): void {
  if (extra === undefined) return
  // Not an object: refused below as one entry without a name.
  for (const name of isRecord(extra) ? Object.keys(extra) : ['']) {
    const instead = OPTION_PARAMETERS.test(name)
      ? `the ${camelCase(name)} option`
      : /^(state|nonce|code_challenge(_method)?)$/.test(name)
        ? 'AuthorizationRandom (S256 of codeVerifier)'
        : /^(client_id|redirect_uri)$/.test(name)
          ? 'the client'
          : undefined
    if (instead !== undefined) throw configError(`extra may not set ${name}: use ${instead}`)
    if (name === '' || typeof extra[name] !== 'string') {
      throw configError('extra must map names to strings', { name })
    }
  }
}

/**
 * What {@link buildAuthorizationRequest} checks of its caller's values before it builds: the
 * random `state`, `nonce` and `codeVerifier` (base64url, long enough, short enough for a cookie
 * name) and the client (`client_id`; `redirect_uri` absolute, no fragment).
 *
 * @throws {ConfigurationError} naming the value
 * @see [RFC 7636 4.1](https://www.rfc-editor.org/rfc/rfc7636#section-4.1)
 * @see [RFC 6749 3.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2)
 */
export function checkAuthorizationInputs(
  client: ClientMetadata,
  random: AuthorizationRandom,
): void {
  checkRandom(random)
  checkClient(client)
}

function checkRandom(random: AuthorizationRandom): void {
  for (const name of ['state', 'nonce', 'codeVerifier'] as const) {
    const value: unknown = isRecord(random) ? random[name] : undefined
    // State and nonce also go into a callback that refuses more than 512 characters.
    const pattern = name === 'codeVerifier' ? /^[\w.~-]{43,128}$/ : /^[\w-]{43,512}$/
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw configError(`AuthorizationRandom.${name}: use 32 random bytes, base64url`)
    }
  }
}

function checkClient(client: ClientMetadata): void {
  if (typeof client.client_id !== 'string' || client.client_id === '') {
    throw configError('client_id (clientID) is required')
  }
  // RFC 6749 3.1.2: an absolute URI without a fragment.
  if (parseUrl(client.redirect_uri) === undefined || client.redirect_uri.includes('#')) {
    throw configError('redirect_uri must be an absolute URL without #')
  }
}

/**
 * What the provider's discovery lists must hold for this login: the response type and mode, PKCE
 * S256 and the client's authentication method (an omitted `token_endpoint_auth_methods_supported`
 * means `client_secret_basic`, Discovery 1.0 3). A list the app overrules is skipped.
 *
 * @throws {ConfigurationError} naming the list and what to set
 * @see [OpenID Connect Discovery 1.0 3](https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata)
 */
export function checkProviderSupport(
  provider: ProviderMetadata,
  { token_endpoint_auth_method: method, ignore_discovery_for: ignored }: ClientMetadata,
  responseType: HybridResponseType,
  responseMode: ResponseMode,
): void {
  // Auth0: the Hybrid Flow needs the Implicit and Authorization Code grants of the application;
  // RFC 9700 2.1.1: PKCE plain is never used. Listed response types may order their words freely
  // (word-sorting a mode, a PKCE method or an auth method changes nothing).
  const wanted: [string, string | undefined, string?][] = [
    ['response_types', responseType],
    ['response_modes', responseMode],
    ['code_challenge_methods', 'S256'],
    [
      'token_endpoint_auth_methods',
      method,
      method === 'none' ? 'set clientSecret' : 'set clientAuthMethod',
    ],
  ]
  for (const [name, value, fix = 'enable it there'] of wanted) {
    const field = `${name}_supported`
    let list = provider[field]
    if (list === undefined && name[0] === 't') list = ['client_secret_basic']
    if (
      value &&
      Array.isArray(list) &&
      !ignored?.includes(field) &&
      !list.map(sortedWords).includes(value)
    ) {
      throw configError(
        `provider ${field} lacks ${value}: ${fix}${name[0] === 'c' ? '' : `, or ignoreDiscoveryFor: ['${field}']`}`,
        { [field]: list },
      )
    }
  }
}

function optionalString(name: string, options: object): string | undefined {
  const value = (options as Record<string, unknown>)[name]
  // RFC 6749 3.1: a parameter sent without a value is treated as omitted, so do not send one.
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw configError(`${name} must be a string`)
  return value
}

/** `login_hint` → `loginHint`: the option named after a parameter. */
function camelCase(name: string): string {
  return name.replace(/_(.)/g, (_, letter: string) => letter.toUpperCase())
}

function sortedWords(value: unknown): string {
  return typeof value === 'string' ? words(value).sort().join(' ') : ''
}

/** The space-separated words of `value` (RFC 6749 3.3: single spaces; tolerant of more). */
function words(value: string): string[] {
  return value.match(/[^ ]+/g) ?? []
}
