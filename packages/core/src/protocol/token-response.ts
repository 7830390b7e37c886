/**
 * The token endpoint response at the HTTP and JSON level: status, media type, OAuth errors, rate
 * limits and the types of the token parameters. The ID token inside is verified elsewhere.
 */
import { OidcHybridError, TokenEndpointError } from '../errors.js'
import { isJsonResponse, mediaType, parseJsonObject, parseRateLimit } from './http.js'
import type { HttpResponseData } from './types.js'

/** A successful token response whose parameters have the types RFC 6749 5.1 gives them. */
export interface TokenEndpointResponse {
  access_token: string
  /** Normalised from any letter case; other token types are rejected. */
  token_type: 'Bearer'
  /** Seconds; converted from a numeric string when the provider sent one. */
  expires_in?: number
  refresh_token?: string
  id_token?: string
  scope?: string
  [parameter: string]: unknown
}

export interface ParseTokenEndpointResponseOptions {
  /** True for the authorization_code grant ([OIDC Core 3.1.3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#TokenResponse)). */
  requireIdToken: boolean
}

// RFC 6749 A.12, A.17: access and refresh tokens are 1*VSCHAR.
const VSCHARS = /^[\x20-\x7e]+$/
const NUMERIC_STRING = /^\d+(?:\.\d+)?$/

/**
 * Parses a token endpoint response.
 *
 * - 429: `TokenEndpointError('RATE_LIMITED')` with `Retry-After` and `X-RateLimit-*` in
 *   `rateLimit`.
 * - Other non-200: `TokenEndpointError('TOKEN_ENDPOINT_ERROR')` when the body is a JSON object
 *   with a string `error` (read whatever the `Content-Type`: the answer is a failure either way and
 *   its `error` is the most useful thing to report); otherwise `TOKEN_RESPONSE_INVALID` with the
 *   status and media type, never the body.
 * - 200: an `application/json` object with a `Bearer` `access_token` (`token_type` compared
 *   case-insensitively), `expires_in` a non-negative number (or numeric string), `refresh_token`,
 *   `id_token`, `scope` strings when present, and an `id_token` when `requireIdToken`.
 *
 * @example
 * ```ts
 * const tokens = parseTokenEndpointResponse(response, { requireIdToken: true })
 * ```
 *
 * @throws {TokenEndpointError} `RATE_LIMITED`, `TOKEN_ENDPOINT_ERROR`
 * @throws {OidcHybridError} `TOKEN_RESPONSE_INVALID`
 * @see [RFC 6749 5.1, 5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.1)
 * @see [OIDC Core 3.1.3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#TokenResponse)
 */
export function parseTokenEndpointResponse(
  response: HttpResponseData,
  options: ParseTokenEndpointResponseOptions,
): TokenEndpointResponse {
  if (response.status !== 200) throw errorResponse(response)
  if (!isJsonResponse(response.headers)) {
    throw invalid(
      `the token response is '${mediaType(response.headers) ?? 'without Content-Type'}', expected application/json`,
      { status: response.status, contentType: mediaType(response.headers) },
    )
  }
  const document = parseJsonObject(response.body)
  if (document === undefined) throw invalid('the token response is not a JSON object')

  const accessToken = document.access_token
  if (typeof accessToken !== 'string' || accessToken === '') {
    throw invalid('the token response has no access_token', { parameter: 'access_token' })
  }
  if (!VSCHARS.test(accessToken)) {
    throw invalid('the access_token contains characters outside RFC 6749 VSCHAR', {
      parameter: 'access_token',
    })
  }
  const tokenType = document.token_type
  if (typeof tokenType !== 'string') {
    throw invalid('the token response has no token_type', { parameter: 'token_type' })
  }
  if (tokenType.toLowerCase() !== 'bearer') {
    throw invalid(
      `the token_type is '${tokenType}': only Bearer tokens are supported, sender-constrained tokens (DPoP, mTLS) are not supported yet`,
      { parameter: 'token_type', tokenType },
    )
  }
  const expiresIn = parseExpiresIn(document.expires_in)
  const refreshToken = document.refresh_token
  if (
    refreshToken !== undefined &&
    (typeof refreshToken !== 'string' || !VSCHARS.test(refreshToken))
  ) {
    throw invalid('the refresh_token must be a non-empty string of RFC 6749 VSCHAR', {
      parameter: 'refresh_token',
    })
  }
  const idToken = document.id_token
  if (idToken !== undefined && (typeof idToken !== 'string' || idToken === '')) {
    throw invalid('the id_token must be a non-empty string', { parameter: 'id_token' })
  }
  if (idToken === undefined && options.requireIdToken) {
    throw invalid(
      'the token response has no id_token: is the openid scope requested and granted? (OIDC Core 3.1.3.3)',
      { parameter: 'id_token' },
    )
  }
  if (document.scope !== undefined && typeof document.scope !== 'string') {
    throw invalid('the scope must be a string', { parameter: 'scope' })
  }
  const tokens: TokenEndpointResponse = {
    ...document,
    access_token: accessToken,
    token_type: 'Bearer',
  }
  if (expiresIn !== undefined) tokens.expires_in = expiresIn
  return tokens
}

function parseExpiresIn(value: unknown): number | undefined {
  if (value === undefined) return undefined
  // Some providers send a numeric string; RFC 6749 5.1 says a number.
  const seconds = typeof value === 'string' && NUMERIC_STRING.test(value) ? Number(value) : value
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw invalid('the expires_in must be a non-negative number of seconds', {
      parameter: 'expires_in',
    })
  }
  return seconds
}

function errorResponse(response: HttpResponseData): OidcHybridError {
  const document = parseJsonObject(response.body)
  const error =
    typeof document?.error === 'string' && document.error !== '' ? document.error : undefined
  const description =
    typeof document?.error_description === 'string' ? document.error_description : undefined
  if (response.status === 429) {
    return new TokenEndpointError(
      'RATE_LIMITED',
      429,
      error ?? 'too_many_requests',
      description,
      parseRateLimit(response.headers),
    )
  }
  if (error !== undefined) {
    return new TokenEndpointError('TOKEN_ENDPOINT_ERROR', response.status, error, description)
  }
  return invalid(
    `the token endpoint answered HTTP ${response.status} without an OAuth error: check the token_endpoint and any proxy in between`,
    { status: response.status, contentType: mediaType(response.headers) },
  )
}

function invalid(message: string, details?: Record<string, unknown>): OidcHybridError {
  return new OidcHybridError('TOKEN_RESPONSE_INVALID', message, { details })
}
