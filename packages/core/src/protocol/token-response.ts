/**
 * The token endpoint response at the HTTP and JSON level: status, media type, OAuth errors, rate
 * limits and the types of the token parameters. The ID token inside is verified elsewhere.
 */
import { type OidcHybridError, TokenEndpointError } from '../errors.js'
import { mediaType, oidcError, parseJsonObject, parseRateLimit, readJsonObject } from './http.js'
import type { HttpResponseData } from './types.js'

/** A successful token response whose parameters have the types RFC 6749 5.1 gives them. */
export interface TokenEndpointResponse {
  access_token: string
  /** Normalised from any letter case; other token types are rejected. */
  token_type: 'Bearer' | 'DPoP'
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
  /**
   * True when the request carried a DPoP proof: the token type must then be `DPoP` (a `Bearer`
   * answer means the provider did not bind the token), otherwise `Bearer`
   * ([RFC 9449 5](https://www.rfc-editor.org/rfc/rfc9449#section-5)).
   */
  dpop?: boolean
}

// RFC 6749 A.12, A.17: access and refresh tokens are 1*VSCHAR.
const isVschars = (value: unknown): value is string =>
  typeof value === 'string' && /^[\x20-\x7e]+$/.test(value)

/**
 * Parses a token endpoint response.
 *
 * - 429: `TokenEndpointError('RATE_LIMITED')` with `Retry-After` and `X-RateLimit-*` in
 *   `rateLimit`.
 * - Other non-200: `TokenEndpointError('TOKEN_ENDPOINT_ERROR')` when the body is a JSON object
 *   with a string `error` (read whatever the `Content-Type`: the answer is a failure either way and
 *   its `error` is the most useful thing to report); otherwise `TOKEN_RESPONSE_INVALID` with the
 *   status and media type, never the body.
 * - 200: an `application/json` object with a `Bearer` (with `dpop`, a `DPoP`) `access_token`
 *   (`token_type` compared case-insensitively), `expires_in` a non-negative number (or numeric string), `refresh_token`,
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
  { requireIdToken, dpop }: ParseTokenEndpointResponseOptions,
): TokenEndpointResponse {
  if (response.status !== 200) throw errorResponse(response)
  const document = readJsonObject(response, (problem, details) =>
    invalid(`token response ${problem}`, details),
  )
  const {
    access_token: accessToken,
    token_type: tokenType,
    refresh_token: refreshToken,
    id_token: idToken,
  } = document
  let expiresIn = document.expires_in
  // Some providers send a numeric string; RFC 6749 5.1 says a number.
  if (typeof expiresIn === 'string' && /^\d+(?:\.\d+)?$/.test(expiresIn)) {
    expiresIn = Number(expiresIn)
  }
  if (!isVschars(accessToken)) throw malformed('access_token')
  if (typeof tokenType !== 'string') throw malformed('token_type')
  const expected = dpop ? 'DPoP' : 'Bearer'
  if (tokenType.toLowerCase() !== expected.toLowerCase()) {
    throw invalid(`token response token_type is not ${expected}`, {
      parameter: 'token_type',
      tokenType,
    })
  }
  if (expiresIn !== undefined && !(Number.isFinite(expiresIn) && (expiresIn as number) >= 0)) {
    throw malformed('expires_in')
  }
  if (refreshToken !== undefined && !isVschars(refreshToken)) throw malformed('refresh_token')
  if (idToken === undefined) {
    if (requireIdToken) {
      throw invalid('token response lacks id_token: request openid scope', {
        parameter: 'id_token',
      })
    }
  } else if (typeof idToken !== 'string' || idToken === '') {
    throw malformed('id_token')
  }
  if (document.scope !== undefined && typeof document.scope !== 'string') throw malformed('scope')
  // The document was parsed for this call only: normalised in place rather than copied.
  document.token_type = expected
  if (expiresIn !== undefined) document.expires_in = expiresIn
  return document as TokenEndpointResponse
}

function errorResponse({ status, headers, body }: HttpResponseData): OidcHybridError {
  const document = parseJsonObject(body)
  const error = typeof document?.error === 'string' ? document.error : ''
  const description =
    typeof document?.error_description === 'string' ? document.error_description : undefined
  if (status === 429) {
    return new TokenEndpointError(
      'RATE_LIMITED',
      429,
      error || 'too_many_requests',
      description,
      parseRateLimit(headers),
    )
  }
  if (error) return new TokenEndpointError('TOKEN_ENDPOINT_ERROR', status, error, description)
  return invalid('token endpoint failed without an OAuth error', {
    status,
    contentType: mediaType(headers),
  })
}

function malformed(parameter: string): OidcHybridError {
  return invalid(`token response ${parameter} is missing or malformed`, { parameter })
}

function invalid(message: string, details?: Record<string, unknown>): OidcHybridError {
  return oidcError('TOKEN_RESPONSE_INVALID', message, details)
}
