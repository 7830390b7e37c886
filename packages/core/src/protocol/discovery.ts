/**
 * Provider metadata and keys, received as data: the engine fetches, these functions decide.
 */
import { ConfigurationError, OidcHybridError } from '../errors.js'
import { isRecord } from '../lib/compare.js'
import { isSecureUrl, mediaType, parseJsonObject, parseUrl } from './http.js'
import type { HttpResponseData, JsonWebKeySet, Jwk, ProviderMetadata } from './types.js'

const WELL_KNOWN = '/.well-known/openid-configuration'

/**
 * The discovery document URL of an issuer: `{issuer without trailing slash}/.well-known/openid-configuration`.
 *
 * The issuer must be `https:` (plain `http:` only on `localhost`, `127.0.0.1`, `[::1]`) and carry
 * no query or fragment, because it is compared byte for byte with the `iss` of every ID token.
 *
 * @example
 * ```ts
 * discoveryUrl('https://tenant.auth0.com').href
 * // 'https://tenant.auth0.com/.well-known/openid-configuration'
 * ```
 *
 * @see [OpenID Connect Discovery 1.0 4](https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig)
 * @see [RFC 8414 2](https://www.rfc-editor.org/rfc/rfc8414#section-2)
 */
export function discoveryUrl(issuerBaseURL: string): URL {
  const issuer = parseUrl(issuerBaseURL)
  if (issuer === undefined || (issuer.protocol !== 'https:' && issuer.protocol !== 'http:')) {
    throw new ConfigurationError(
      `issuerBaseURL must be an absolute https URL such as 'https://tenant.auth0.com', got '${String(issuerBaseURL)}'`,
    )
  }
  // Look at the string: `new URL` drops an empty `?` or `#` from `search` and `hash`.
  if (/[?#]/.test(issuerBaseURL)) {
    throw new ConfigurationError(
      `issuerBaseURL must not contain a query or fragment (OpenID Discovery 1.0 2), got '${issuerBaseURL}'`,
    )
  }
  if (!isSecureUrl(issuer)) {
    throw new ConfigurationError(
      `issuerBaseURL must use https (http is accepted on localhost only), got '${issuerBaseURL}'`,
    )
  }
  const base = issuerBaseURL.endsWith('/') ? issuerBaseURL.slice(0, -1) : issuerBaseURL
  return new URL(`${base}${WELL_KNOWN}`)
}

const REQUIRED_ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const
const OPTIONAL_ENDPOINTS = ['userinfo_endpoint', 'end_session_endpoint'] as const
const STRING_ARRAYS = [
  'response_types_supported',
  'response_modes_supported',
  'id_token_signing_alg_values_supported',
  'token_endpoint_auth_methods_supported',
  'code_challenge_methods_supported',
] as const

/**
 * Validates a discovery response and returns the provider metadata.
 *
 * - HTTP 200 with a JSON object. A `Content-Type` other than `application/json` is rejected (it is
 *   usually an HTML error page at a wrong `issuerBaseURL`); a missing one is tolerated, since the
 *   document is public and authenticated by TLS and the issuer check, not by its media type.
 * - `issuer` equals `issuerBaseURL`, or `issuerBaseURL + '/'` (Auth0 issuers end with a slash that
 *   users tend to leave out). The returned metadata keeps the document's `issuer`: every later
 *   comparison (`iss` parameter, ID token `iss`) is exact against it.
 * - `authorization_endpoint`, `token_endpoint`, `jwks_uri` (and `userinfo_endpoint`,
 *   `end_session_endpoint` when present) are absolute `https:` URLs without fragment.
 *
 * @example
 * ```ts
 * const response = await fetch(discoveryUrl(issuerBaseURL))
 * const provider = processDiscoveryResponse(issuerBaseURL, {
 *   status: response.status,
 *   headers: response.headers,
 *   body: await response.text(),
 * })
 * ```
 *
 * @throws {ConfigurationError} when `issuerBaseURL` itself is invalid (see {@link discoveryUrl})
 * @throws {OidcHybridError} `DISCOVERY_INVALID`, `DISCOVERY_ISSUER_MISMATCH`
 * @see [OpenID Connect Discovery 1.0 4.2, 4.3](https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationResponse)
 * @see [RFC 8414 3.2, 3.3](https://www.rfc-editor.org/rfc/rfc8414#section-3.2)
 */
export function processDiscoveryResponse(
  issuerBaseURL: string,
  response: HttpResponseData,
): ProviderMetadata {
  // The issuer the document must match has to be a valid one in the first place.
  discoveryUrl(issuerBaseURL)
  if (response.status !== 200) {
    throw invalid(
      `the discovery document could not be loaded (HTTP ${response.status}): check issuerBaseURL '${issuerBaseURL}'`,
      { status: response.status },
    )
  }
  const type = mediaType(response.headers)
  if (type !== undefined && type !== 'application/json') {
    throw invalid(
      `the discovery document is '${type}', expected application/json: check issuerBaseURL '${issuerBaseURL}'`,
      { contentType: type },
    )
  }
  const document = parseJsonObject(response.body)
  if (document === undefined) {
    throw invalid(
      `the discovery document is not a JSON object: check issuerBaseURL '${issuerBaseURL}'`,
    )
  }
  const issuer = document.issuer
  if (typeof issuer !== 'string') {
    throw invalid('the discovery document has no string "issuer"', { field: 'issuer' })
  }
  if (issuer !== issuerBaseURL && issuer !== `${issuerBaseURL}/`) {
    throw new OidcHybridError(
      'DISCOVERY_ISSUER_MISMATCH',
      `the provider calls itself '${issuer}' but issuerBaseURL is '${issuerBaseURL}': set issuerBaseURL to the provider's issuer`,
      { details: { expected: issuerBaseURL, received: issuer } },
    )
  }
  for (const field of REQUIRED_ENDPOINTS) {
    assertEndpoint(document, field, true)
  }
  for (const field of OPTIONAL_ENDPOINTS) {
    assertEndpoint(document, field, false)
  }
  for (const field of STRING_ARRAYS) {
    const value = document[field]
    if (
      value !== undefined &&
      !(Array.isArray(value) && value.every((item) => typeof item === 'string'))
    ) {
      throw invalid(`discovery "${field}" must be an array of strings`, { field })
    }
  }
  const issParameter = document.authorization_response_iss_parameter_supported
  if (issParameter !== undefined && typeof issParameter !== 'boolean') {
    throw invalid('discovery "authorization_response_iss_parameter_supported" must be a boolean', {
      field: 'authorization_response_iss_parameter_supported',
    })
  }
  // Every field the type declares has just been checked.
  return document as ProviderMetadata
}

function assertEndpoint(document: Record<string, unknown>, field: string, required: boolean): void {
  const value = document[field]
  if (value === undefined && !required) return
  // RFC 6749 3.1, 3.2: endpoints carry no fragment (an empty `#` would not show in `url.hash`).
  const url = typeof value === 'string' && !value.includes('#') ? parseUrl(value) : undefined
  if (url === undefined || !isSecureUrl(url)) {
    throw invalid(
      `discovery "${field}" must be an absolute https URL without fragment${value === undefined ? ', and it is missing' : ''}`,
      { field },
    )
  }
}

function invalid(message: string, details?: Record<string, unknown>): OidcHybridError {
  return new OidcHybridError('DISCOVERY_INVALID', message, { details })
}

// Members that only a private or symmetric key has (RFC 7518 6.2.2, 6.3.2, 6.4.1).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * Validates a JWKS response and keeps the keys that can be used to verify signatures.
 *
 * Entries that are not objects with a string `kty` are dropped ("ignore keys you cannot use").
 * Entries that carry private-key members, and symmetric (`oct`) keys, are dropped too: a published
 * key set must never hold secrets, and a symmetric key from a URL would let anyone who can read
 * that URL forge ID tokens. The `Content-Type` follows the discovery rule: `application/json` or
 * `application/jwk-set+json`, or none.
 *
 * @example
 * ```ts
 * const response = await fetch(provider.jwks_uri)
 * const jwks = processJwksResponse({
 *   status: response.status,
 *   headers: response.headers,
 *   body: await response.text(),
 * })
 * ```
 *
 * @throws {OidcHybridError} `JWKS_INVALID`
 * @see [RFC 7517 5](https://www.rfc-editor.org/rfc/rfc7517#section-5)
 * @see [OIDC Core 10.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RotateSigKeys)
 */
export function processJwksResponse(response: HttpResponseData): JsonWebKeySet {
  if (response.status !== 200) {
    throw new OidcHybridError(
      'JWKS_INVALID',
      `the provider's key set could not be loaded (HTTP ${response.status}): check the jwks_uri of the discovery document`,
      { details: { status: response.status } },
    )
  }
  const type = mediaType(response.headers)
  if (type !== undefined && type !== 'application/json' && type !== 'application/jwk-set+json') {
    throw new OidcHybridError(
      'JWKS_INVALID',
      `the provider's key set is '${type}', expected application/json or application/jwk-set+json`,
      { details: { contentType: type } },
    )
  }
  const document = parseJsonObject(response.body)
  if (document === undefined || !Array.isArray(document.keys)) {
    throw new OidcHybridError(
      'JWKS_INVALID',
      `the provider's key set is not a JSON object with a "keys" array (RFC 7517 5)`,
    )
  }
  return { keys: document.keys.filter(isUsablePublicKey) }
}

function isUsablePublicKey(entry: unknown): entry is Jwk {
  if (!isRecord(entry) || typeof entry.kty !== 'string' || entry.kty === 'oct') return false
  return PRIVATE_MEMBERS.every((member) => !Object.hasOwn(entry, member))
}
