/**
 * Provider metadata and keys, received as data: the engine fetches, these functions decide.
 */
import type { ErrorCode } from '../errors.js'
import { isRecord, isStrings } from '../lib/compare.js'
import { configError, isLoopbackHost, oidcError, parseUrl, readJsonObject } from './http.js'
import type { HttpResponseData, JsonWebKeySet, Jwk, ProviderMetadata } from './types.js'

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
  secureUrl('issuerBaseURL', issuerBaseURL)
  return new URL(`${issuerBaseURL.replace(/\/$/, '')}/.well-known/openid-configuration`)
}

/**
 * The option `name`'s `value` as a URL when it is https (http on a loopback host) without `?` or
 * `#`, else a {@link ConfigurationError} naming it: the rule for `issuerBaseURL` and `baseURL`.
 */
export function secureUrl(name: string, value: unknown): URL {
  if (!isSecureUrl(value, /[?#]/)) {
    throw configError(`\`${name}\` must be an https URL (http on localhost) without ? or #`, {
      [name]: value,
    })
  }
  return new URL(value as string)
}

/**
 * An absolute `https:` URL, or `http:` on a loopback host (`localhost`, 127.0.0.0/8, `[::1]`:
 * local development, RFC 8252 8.3), without the characters of `forbidden`. The string is looked
 * at: `new URL` drops an empty `?` or `#` from `search` and `hash`.
 *
 * @see [RFC 9700 2.6](https://www.rfc-editor.org/rfc/rfc9700#section-2.6)
 */
function isSecureUrl(value: unknown, forbidden: RegExp): boolean {
  const url = typeof value === 'string' && !forbidden.test(value) ? parseUrl(value) : undefined
  return url?.protocol === 'https:' || (url?.protocol === 'http:' && isLoopbackHost(url.hostname))
}

// The metadata fields checked, as [fields, what each must be, its check, how many of the first
// fields are required]. Endpoints carry no fragment (RFC 6749 3.1, 3.2).
const FIELD_RULES: [string, string, (value: unknown) => boolean, number][] = [
  [
    'authorization_endpoint token_endpoint jwks_uri userinfo_endpoint end_session_endpoint revocation_endpoint',
    'an https URL without fragment',
    (value) => isSecureUrl(value, /#/),
    3,
  ],
  [
    'response_types_supported response_modes_supported id_token_signing_alg_values_supported token_endpoint_auth_methods_supported code_challenge_methods_supported',
    'an array of strings',
    isStrings,
    0,
  ],
  [
    'authorization_response_iss_parameter_supported',
    'a boolean',
    (value) => typeof value === 'boolean',
    0,
  ],
]

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
  const document = readDocument(response, 'DISCOVERY_INVALID', 'discovery', 'issuerBaseURL')
  const fieldError = (field: string, expected: string) =>
    oidcError('DISCOVERY_INVALID', `discovery ${field} must be ${expected}`, { field })
  const { issuer } = document
  if (typeof issuer !== 'string') throw fieldError('issuer', 'a string')
  if (issuer !== issuerBaseURL && issuer !== `${issuerBaseURL}/`) {
    throw oidcError(
      'DISCOVERY_ISSUER_MISMATCH',
      'discovery issuer differs: set issuerBaseURL to it',
      { expected: issuerBaseURL, received: issuer },
    )
  }
  for (const [fields, expected, valid, required] of FIELD_RULES) {
    fields.split(' ').forEach((field, index) => {
      const value = document[field]
      if ((value !== undefined || index < required) && !valid(value)) {
        throw fieldError(field, expected)
      }
    })
  }
  // Every field the type declares has just been checked.
  return document as ProviderMetadata
}

/**
 * HTTP 200 and a JSON object. A `Content-Type` other than JSON is rejected (usually an HTML error
 * page at a wrong URL); a missing one is tolerated, since these documents are public and
 * authenticated by TLS and the issuer check, not by their media type.
 */
function readDocument(
  response: HttpResponseData,
  code: ErrorCode,
  what: string,
  setting: string,
  types = /^(application\/json)?$/,
): Record<string, unknown> {
  const fail = (problem: string, details?: Record<string, unknown>) =>
    oidcError(code, `${what} ${problem}: check ${setting}`, details)
  const { status } = response
  if (status !== 200) throw fail(`answered HTTP ${status}`, { status })
  return readJsonObject(response, fail, types)
}

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
  const { keys } = readDocument(
    response,
    'JWKS_INVALID',
    'the JWKS',
    'jwks_uri',
    /^(application\/(jwk-set\+)?json)?$/,
  )
  if (!Array.isArray(keys)) {
    throw oidcError('JWKS_INVALID', 'the JWKS has no keys array')
  }
  return { keys: keys.filter(isUsablePublicKey) }
}

// Members that only a private or symmetric key has (RFC 7518 6.2.2, 6.3.2, 6.4.1).
const PRIVATE_MEMBERS = 'd p q dp dq qi oth k'.split(' ')

function isUsablePublicKey(entry: unknown): entry is Jwk {
  return (
    isRecord(entry) &&
    typeof entry.kty === 'string' &&
    entry.kty !== 'oct' &&
    !PRIVATE_MEMBERS.some((member) => Object.hasOwn(entry, member))
  )
}
