/**
 * Typed errors. Every failure the library can report is an {@link OidcHybridError} with a stable
 * string `code`, so `switch (err.code)` narrows; the human-readable `message` says what to do.
 *
 * - {@link ConfigurationError}: local misuse (bad options). Fix the code or the config.
 * - {@link AuthorizationResponseError}: the provider answered the login with `error=...`.
 * - {@link TokenEndpointError}: the token endpoint answered with an OAuth error (incl. 429).
 * - {@link OidcHybridError}: everything else received from outside that failed a check.
 */

/** Every stable error code, grouped by the step that raises it. */
export type ErrorCode =
  // local misuse
  | 'CONFIG_INVALID'
  | 'ILLEGAL_TRANSITION'
  // discovery / keys
  | 'DISCOVERY_INVALID'
  | 'DISCOVERY_ISSUER_MISMATCH'
  | 'JWKS_INVALID'
  // callback (OAuth 2.0 Form Post Response Mode, Multiple Response Type Encoding Practices, RFC 9207)
  | 'CALLBACK_METHOD_NOT_ALLOWED'
  | 'CALLBACK_CONTENT_TYPE_INVALID'
  | 'CALLBACK_PARAMETERS_IN_QUERY'
  | 'CALLBACK_PARAMETER_DUPLICATED'
  | 'CALLBACK_PARAMETER_MISSING'
  | 'CALLBACK_PARAMETER_INVALID'
  | 'STATE_MISSING'
  | 'STATE_MISMATCH'
  | 'TRANSACTION_MISSING'
  | 'TRANSACTION_EXPIRED'
  | 'ISSUER_MISMATCH'
  | 'ISSUER_MISSING'
  | 'AUTHORIZATION_ERROR'
  // ID token (OIDC Core 3.1.3.7, 3.3.2.9-12)
  | 'ID_TOKEN_MALFORMED'
  | 'ID_TOKEN_ALG_NOT_ALLOWED'
  | 'ID_TOKEN_KEY_NOT_FOUND'
  | 'ID_TOKEN_SIGNATURE_INVALID'
  | 'ID_TOKEN_ISSUER_MISMATCH'
  | 'ID_TOKEN_SUBJECT_MISSING'
  | 'ID_TOKEN_AUDIENCE_MISMATCH'
  | 'ID_TOKEN_AZP_MISMATCH'
  | 'ID_TOKEN_EXPIRED'
  | 'ID_TOKEN_IAT_INVALID'
  | 'ID_TOKEN_NOT_YET_VALID'
  | 'NONCE_MISMATCH'
  | 'AUTH_TIME_INVALID'
  | 'C_HASH_MISSING'
  | 'C_HASH_MISMATCH'
  | 'AT_HASH_MISSING'
  | 'AT_HASH_MISMATCH'
  | 'ORGANIZATION_MISMATCH'
  // step-up (OIDC Core 5.5.1.1, 3.1.2.1; RFC 9470)
  | 'ACR_NOT_SATISFIED'
  | 'STEP_UP_REQUIRED'
  // token endpoint (OIDC Core 3.1.3.3-5, 3.3.3, 12; RFC 6749 5.2)
  | 'TOKEN_ENDPOINT_ERROR'
  | 'RATE_LIMITED'
  | 'TOKEN_RESPONSE_INVALID'
  | 'ID_TOKEN_SUBJECT_CHANGED'
  | 'ID_TOKEN_ISSUER_CHANGED'
  | 'ID_TOKEN_AUDIENCE_CHANGED'
  | 'AUTH_TIME_MISMATCH'
  | 'REFRESH_TOKEN_MISSING'
  // pushed authorization requests (RFC 9126)
  | 'PAR_ERROR'
  | 'PAR_RESPONSE_INVALID'
  // userinfo (OIDC Core 5.3)
  | 'USERINFO_ERROR'
  | 'USERINFO_INVALID'
  | 'USERINFO_SUB_MISMATCH'
  // bearer (RFC 6750, RFC 9068)
  | 'BEARER_TOKEN_MISSING'
  | 'BEARER_REQUEST_INVALID'
  | 'BEARER_TOKEN_INVALID'
  | 'BEARER_INSUFFICIENT_SCOPE'
  // DPoP-bound access tokens (RFC 9449)
  | 'DPOP_PROOF_INVALID'
  | 'DPOP_NONCE_REQUIRED'
  | 'DPOP_BINDING_MISMATCH'
  // sessions and cookies
  | 'SESSION_MISSING'
  | 'SESSION_EXPIRED'
  | 'SESSION_STORE_FAILED'
  | 'LOGOUT_TOKEN_INVALID'
  | 'COOKIE_INVALID'
  | 'COOKIE_TOO_LARGE'
  | 'RETURN_TO_INVALID'
  | 'BODY_TOO_LARGE'
  // transport
  | 'HTTP_REQUEST_FAILED'
  | 'HTTP_TIMEOUT'
  | 'HTTP_RESPONSE_TOO_LARGE'

export interface OidcHybridErrorOptions {
  cause?: unknown
  /** Extra, non-secret facts for logs (expected/received claim names, status, ...). */
  details?: Record<string, unknown>
}

/**
 * The one base class of every error this library throws. `code` is stable; `message` is one short
 * actionable clause; `details` holds the values that help debugging.
 *
 * @see `docs/errors.md` at the repository root: every code, the HTTP status the engine answers
 *   with, what causes it and what to do.
 */
export class OidcHybridError extends Error {
  override readonly name: string = 'OidcHybridError'
  declare readonly code: ErrorCode
  declare readonly details: Readonly<Record<string, unknown>>

  constructor(code: ErrorCode, message: string, options: OidcHybridErrorOptions = {}) {
    // Error installs `cause` when the options have one, even `undefined`: pass none then.
    super(message, options.cause === undefined ? undefined : options)
    Object.assign(this, { code, details: Object.freeze({ ...options.details }) })
  }
}

/** Local misuse: an option is missing or invalid. Thrown at setup, never for received data. */
export class ConfigurationError extends OidcHybridError {
  override readonly name = 'ConfigurationError'
  constructor(message: string, options?: OidcHybridErrorOptions) {
    super('CONFIG_INVALID', message, options)
  }
}

/** ` (description)` when there is one. */
const described = (description: string | undefined) => (description ? ` (${description})` : '')

/**
 * The provider answered the authorization request with an error
 * ([OIDC Core 3.1.2.6](https://openid.net/specs/openid-connect-core-1_0-errata2.html#AuthError)).
 */
export class AuthorizationResponseError extends OidcHybridError {
  override readonly name = 'AuthorizationResponseError'
  /** The OAuth `error` value, e.g. `access_denied`, `login_required`. */
  declare readonly error: string
  declare readonly errorDescription: string | undefined
  declare readonly errorUri: string | undefined

  constructor(error: string, errorDescription?: string, errorUri?: string) {
    super(
      'AUTHORIZATION_ERROR',
      `the identity provider refused the login: ${error}${described(errorDescription)}`,
      { details: { error, error_description: errorDescription, error_uri: errorUri } },
    )
    // `declare`d fields, set here once (class fields would be emitted twice).
    Object.assign(this, { error, errorDescription, errorUri })
  }
}

/** Rate-limit facts from a 429 answer (Auth0 sends `X-RateLimit-*`, RFC 9110 `Retry-After`). */
export interface RateLimitInfo {
  retryAfter?: number
  limit?: number
  remaining?: number
  reset?: number
}

/**
 * The token endpoint answered with an OAuth error
 * ([RFC 6749 5.2](https://www.rfc-editor.org/rfc/rfc6749#section-5.2)) or a 429; with code
 * `PAR_ERROR`, the pushed authorization request endpoint did (RFC 9126 2.3). A 429 means
 * this client refreshes too often: `rateLimit.retryAfter` says when to try again.
 */
export class TokenEndpointError extends OidcHybridError {
  override readonly name = 'TokenEndpointError'
  declare readonly status: number
  declare readonly error: string
  declare readonly errorDescription: string | undefined
  declare readonly rateLimit: RateLimitInfo | undefined

  constructor(
    code: 'TOKEN_ENDPOINT_ERROR' | 'RATE_LIMITED' | 'PAR_ERROR',
    status: number,
    error: string,
    errorDescription: string | undefined,
    rateLimit?: RateLimitInfo,
  ) {
    super(
      code,
      code === 'RATE_LIMITED'
        ? 'rate limited by the token endpoint: retry later'
        : `the token endpoint refused the request: ${error}${described(errorDescription)}`,
      { details: { status, error, error_description: errorDescription, rateLimit } },
    )
    Object.assign(this, { status, error, errorDescription, rateLimit })
  }
}

/** True when `value` is one of this library's errors (works across realms and bundle copies). */
export function isOidcHybridError(value: unknown): value is OidcHybridError {
  return (
    value instanceof OidcHybridError ||
    (value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      typeof (value as { details?: unknown }).details === 'object')
  )
}
