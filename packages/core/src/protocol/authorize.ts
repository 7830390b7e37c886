/**
 * The Hybrid Flow authorization request: the URL the browser is sent to, and the transaction
 * that must come back with the callback. Randomness and time are arguments, so the same inputs
 * always give the same URL.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { ConfigurationError } from '../errors.js'
import { encode, utf8 } from '../lib/base64url.js'
import { isRecord } from '../lib/compare.js'
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

const DEFAULT_RESPONSE_TYPE: HybridResponseType = 'code id_token'
const DEFAULT_RESPONSE_MODE: ResponseMode = 'form_post'
const DEFAULT_SCOPE = 'openid profile email'

// Keyed by the sorted words, so that any order of the same set finds the canonical spelling.
const HYBRID_RESPONSE_TYPES: ReadonlyMap<string, HybridResponseType> = new Map([
  ['code id_token', 'code id_token'],
  ['code token', 'code token'],
  ['code id_token token', 'code id_token token'],
])

const RESPONSE_MODES: ReadonlySet<string> = new Set<ResponseMode>(['form_post', 'fragment'])

// state and nonce go into cookies and a callback that rejects anything longer than 512 chars.
const STATE_OR_NONCE = /^[A-Za-z0-9_-]{43,512}$/
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/
// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * Parameters that `extra` may not set, each with what to use instead. Besides the ones the
 * library owns, this lists those with an option of their own: `max_age`, `organization` and
 * `audience` set through `extra` would bypass the transaction, and with it the checks of
 * `auth_time` and of the organization claim.
 */
const NOT_IN_EXTRA: ReadonlyMap<string, string> = new Map([
  ['state', 'it is generated for every login (AuthorizationRandom.state)'],
  ['nonce', 'it is generated for every login (AuthorizationRandom.nonce)'],
  ['code_challenge', 'it is derived from AuthorizationRandom.codeVerifier'],
  ['code_challenge_method', 'the library always sends S256'],
  ['client_id', 'set the client_id of the client (clientID)'],
  ['redirect_uri', 'set the redirect_uri of the client'],
  ['response_type', 'use the responseType option'],
  ['response_mode', 'use the responseMode option'],
  ['scope', 'use the scope option'],
  ['audience', 'use the audience option'],
  ['organization', 'use the organization option'],
  ['invitation', 'use the invitation option'],
  ['max_age', 'use the maxAge option'],
  ['prompt', 'use the prompt option'],
  ['login_hint', 'use the loginHint option'],
  ['acr_values', 'use the acrValues option'],
  ['ui_locales', 'use the uiLocales option'],
])

/**
 * Returns the canonical spelling of a hybrid `response_type`, whatever the order of its words.
 * Anything that is not one of the three hybrid types is a {@link ConfigurationError}.
 *
 * @see [OAuth 2.0 Multiple Response Type Encoding Practices 3](https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html#Combinations)
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 * @example
 * normalizeResponseType('id_token code') // 'code id_token'
 */
export function normalizeResponseType(value: string): HybridResponseType {
  const words = typeof value === 'string' ? value.split(' ').filter((word) => word !== '') : []
  const canonical =
    new Set(words).size === words.length ? HYBRID_RESPONSE_TYPES.get(sortedWords(words)) : undefined
  if (canonical === undefined) {
    throw new ConfigurationError(
      `response_type ${describe(value)} is not a Hybrid Flow response type: use 'code id_token' (the default), 'code token' or 'code id_token token'`,
      { details: { responseType: typeof value === 'string' ? value : typeof value } },
    )
  }
  return canonical
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
  const responseType = normalizeResponseType(options.responseType ?? DEFAULT_RESPONSE_TYPE)
  const responseMode = checkResponseMode(options.responseMode ?? DEFAULT_RESPONSE_MODE)
  const scope = normalizeScope(options.scope ?? DEFAULT_SCOPE)
  const maxAge = checkMaxAge(options.maxAge)
  const extra = checkExtra(options.extra)
  checkRandom(random)
  checkClient(client)
  checkProviderSupport(provider, responseType, responseMode)

  const url = parseUrl(provider.authorization_endpoint)
  if (url === undefined) {
    throw new ConfigurationError(
      `the provider's authorization_endpoint ${describe(provider.authorization_endpoint)} is not an absolute URL: check the discovery document or issuerBaseURL`,
    )
  }

  const audience = optionalString('audience', options.audience)
  const organization = optionalString('organization', options.organization)
  const returnTo = optionalString('returnTo', options.returnTo)
  const challenge = encode(await crypto.digest('SHA-256', utf8(random.codeVerifier)))
  const parameters: [string, string | undefined][] = [
    ['response_type', responseType],
    ['response_mode', responseMode],
    ['client_id', client.client_id],
    ['redirect_uri', client.redirect_uri],
    ['scope', scope],
    ['state', random.state],
    ['nonce', random.nonce],
    ['code_challenge', challenge],
    ['code_challenge_method', 'S256'],
    ['audience', audience],
    ['organization', organization],
    ['invitation', optionalString('invitation', options.invitation)],
    ['max_age', maxAge === undefined ? undefined : String(maxAge)],
    ['prompt', optionalString('prompt', options.prompt)],
    ['login_hint', optionalString('loginHint', options.loginHint)],
    ['acr_values', optionalString('acrValues', options.acrValues)],
    ['ui_locales', optionalString('uiLocales', options.uiLocales)],
    ...extra,
  ]
  // set(), not append(): the endpoint's own query parameters stay, none is sent twice.
  for (const [name, value] of parameters) {
    if (value !== undefined) url.searchParams.set(name, value)
  }

  const transaction: Transaction = {
    state: random.state,
    nonce: random.nonce,
    codeVerifier: random.codeVerifier,
    responseType,
    responseMode,
    redirectUri: client.redirect_uri,
    issuer: provider.issuer,
    scope,
    ...(maxAge === undefined ? {} : { maxAge }),
    ...(audience === undefined ? {} : { audience }),
    ...(organization === undefined ? {} : { organization }),
    ...(returnTo === undefined ? {} : { returnTo }),
    createdAt: now,
  }
  return { url, transaction }
}

function checkResponseMode(value: ResponseMode): ResponseMode {
  if (!RESPONSE_MODES.has(value)) {
    throw new ConfigurationError(
      `response_mode ${describe(value)} is not usable with the Hybrid Flow: use 'form_post' (the default) or 'fragment'; hybrid responses must never be sent in a query string (Multiple Response Type Encoding Practices 5)`,
    )
  }
  return value
}

function normalizeScope(value: string): string {
  if (typeof value !== 'string') {
    throw new ConfigurationError('scope must be a string of space-separated scope values')
  }
  const words = value.split(' ').filter((word) => word !== '')
  const invalid = words.find((word) => !SCOPE_TOKEN.test(word))
  if (invalid !== undefined) {
    throw new ConfigurationError(
      `scope value ${describe(invalid)} contains characters RFC 6749 3.3 does not allow (quotes, backslashes, controls or non-ASCII); separate scope values with single spaces`,
    )
  }
  // openid first: it is what makes the request an OpenID Connect request (OIDC Core 3.1.2.1).
  return [...new Set(['openid', ...words])].join(' ')
}

function checkMaxAge(value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ConfigurationError(
      `maxAge must be a non-negative integer number of seconds, got ${describe(value)}`,
    )
  }
  return value
}

function checkExtra(extra: Record<string, string> | undefined): [string, string][] {
  if (extra === undefined) return []
  if (!isRecord(extra)) {
    throw new ConfigurationError('extra must be an object of authorization parameter strings')
  }
  return Object.entries(extra).map(([name, value]) => {
    const instead = NOT_IN_EXTRA.get(name)
    if (instead !== undefined) {
      throw new ConfigurationError(
        `the authorization parameter '${name}' cannot be set through extra: ${instead}`,
      )
    }
    if (name === '' || typeof value !== 'string') {
      throw new ConfigurationError(
        `extra parameter ${describe(name)} must have a non-empty name and a string value`,
      )
    }
    return [name, value]
  })
}

function checkRandom(random: AuthorizationRandom): void {
  const secrets: [keyof AuthorizationRandom, RegExp, string][] = [
    ['state', STATE_OR_NONCE, '43 to 512 base64url characters'],
    ['nonce', STATE_OR_NONCE, '43 to 512 base64url characters'],
    ['codeVerifier', CODE_VERIFIER, '43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 4.1)'],
  ]
  for (const [name, pattern, expected] of secrets) {
    const value: unknown = isRecord(random) ? random[name] : undefined
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new ConfigurationError(
        `the ${name} for a login must be ${expected}, e.g. 32 random bytes base64url-encoded; got ${typeof value === 'string' ? `${value.length} characters` : typeof value}`,
      )
    }
  }
}

function checkClient(client: ClientMetadata): void {
  if (typeof client.client_id !== 'string' || client.client_id === '') {
    throw new ConfigurationError('client_id (clientID) must be a non-empty string')
  }
  // RFC 6749 3.1.2: an absolute URI without a fragment.
  if (parseUrl(client.redirect_uri) === undefined || client.redirect_uri.includes('#')) {
    throw new ConfigurationError(
      `redirect_uri ${describe(client.redirect_uri)} must be an absolute URL without a fragment (RFC 6749 3.1.2), e.g. baseURL + '/callback'`,
    )
  }
}

function checkProviderSupport(
  provider: ProviderMetadata,
  responseType: HybridResponseType,
  responseMode: ResponseMode,
): void {
  const responseTypes = provider.response_types_supported
  if (
    Array.isArray(responseTypes) &&
    !responseTypes.some(
      (listed) =>
        typeof listed === 'string' &&
        sortedWords(listed.split(' ')) === sortedWords(responseType.split(' ')),
    )
  ) {
    throw new ConfigurationError(
      `the provider does not list response_type '${responseType}' in response_types_supported: enable the Hybrid Flow for this application at the provider (Auth0: allow the Implicit and Authorization Code grants) or choose one of ${JSON.stringify(responseTypes)}`,
    )
  }
  const responseModes = provider.response_modes_supported
  if (Array.isArray(responseModes) && !responseModes.includes(responseMode)) {
    throw new ConfigurationError(
      `the provider does not list response_mode '${responseMode}' in response_modes_supported: enable it at the provider or choose one of ${JSON.stringify(responseModes)}`,
    )
  }
  const challengeMethods = provider.code_challenge_methods_supported
  if (Array.isArray(challengeMethods) && !challengeMethods.includes('S256')) {
    throw new ConfigurationError(
      `the provider does not list S256 in code_challenge_methods_supported (${JSON.stringify(challengeMethods)}): enable PKCE with S256 at the provider; plain is never used (RFC 9700 2.1.1)`,
    )
  }
}

function optionalString(name: string, value: string | undefined): string | undefined {
  // RFC 6749 3.1: a parameter sent without a value is treated as omitted, so do not send one.
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') {
    throw new ConfigurationError(`the ${name} option must be a string, got ${typeof value}`)
  }
  return value
}

function sortedWords(words: string[]): string {
  return words
    .filter((word) => word !== '')
    .sort()
    .join(' ')
}

function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(typeof value)
}
