/**
 * The API side: read the bearer token from a request (RFC 6750), verify it as a JWT access token
 * (RFC 9068) against keys given as data, and turn failures into `WWW-Authenticate` challenges.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import {
  ConfigurationError,
  type ErrorCode,
  isOidcHybridError,
  OidcHybridError,
} from '../errors.js'
import { isNumber } from '../lib/compare.js'
import {
  ASYMMETRIC_ALGS,
  decodeJws,
  isAccessTokenTyp,
  type JwsErrorPolicy,
  verifyJwsSignature,
} from './jws.js'
import type { JsonWebKeySet, JwsAlgorithm } from './types.js'

/** JWT access token claims ([RFC 9068 2.2](https://www.rfc-editor.org/rfc/rfc9068#section-2.2)). */
export interface AccessTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat?: number
  scope?: string
  client_id?: string
  [claim: string]: unknown
}

export interface BearerVerifyOptions {
  /** The issuer the token must come from, exactly (Auth0: with the trailing slash). */
  issuer: string
  /** This API's identifier(s); the token is accepted when its `aud` contains any of them. */
  audience: string | string[]
  /** Accepted algorithms. Default: every asymmetric algorithm; HS* is never accepted here. */
  algorithms?: JwsAlgorithm[]
  /** Scopes the request needs; all must be granted. */
  requiredScopes?: string[]
  /** Current time, seconds since the epoch. */
  now: number
  /** Seconds of clock skew tolerated on `exp`, `nbf`, `iat`. */
  clockTolerance: number
  jwks: JsonWebKeySet
  /** True when `jwks` was fetched because of this token: a second miss is final. */
  jwksRefreshed?: boolean
  crypto: CryptoProvider
  /**
   * `'at+jwt'` (default, RFC 9068 2.1: `typ` must be `at+jwt` or `application/at+jwt`) or
   * `'any'` (e.g. Auth0's default access token profile, `typ` JWT).
   */
  typ?: 'at+jwt' | 'any'
  /** Also read the Auth0 RBAC `permissions` array as scopes. Default false. */
  permissionsClaim?: boolean
}

export type BearerVerification =
  | { kind: 'verified'; claims: AccessTokenClaims; scopes: string[] }
  | { kind: 'need-keys'; reason: 'unknown-kid' | 'no-usable-key'; kid?: string }

const BEARER_ERRORS: JwsErrorPolicy = {
  tokenName: 'access token',
  code: () => 'BEARER_TOKEN_INVALID',
}

// RFC 6750 2.1: credentials = "Bearer" 1*SP b64token
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i

/**
 * Reads the access token from an `Authorization` header value. The scheme is case-insensitive;
 * the token must be one b64token. No header, or credentials of another scheme (`Basic ...`), is
 * `BEARER_TOKEN_MISSING` (no Bearer authentication was attempted: 401 without an error code); a
 * Bearer header that is not `Bearer <one token>` is `BEARER_REQUEST_INVALID` (400).
 *
 * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
 * @see [RFC 6750 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 * @see [RFC 7235 2.1](https://www.rfc-editor.org/rfc/rfc7235#section-2.1) (the scheme is case-insensitive)
 * @example
 * ```ts
 * const token = extractBearerToken(request.headers.get('authorization'))
 * ```
 */
export function extractBearerToken(authorization: string | null | undefined): string {
  const value = typeof authorization === 'string' ? authorization.trim() : ''
  if (!value) {
    throw new OidcHybridError('BEARER_TOKEN_MISSING', 'send "Authorization: Bearer <access token>"')
  }
  // RFC 7235 2.1: the scheme is the first token. Another one (Basic, Digest...) is not a malformed
  // bearer request but none at all: RFC 6750 3.1 says to answer it without an error code.
  if (value.split(/[ \t]/, 1)[0]!.toLowerCase() !== 'bearer') {
    throw new OidcHybridError(
      'BEARER_TOKEN_MISSING',
      'Authorization is not of the Bearer scheme; send "Authorization: Bearer <access token>"',
      { details: { reason: 'scheme' } },
    )
  }
  const match = BEARER_CREDENTIALS.exec(value)
  if (!match) {
    throw new OidcHybridError('BEARER_REQUEST_INVALID', 'Authorization is not "Bearer <one token>"')
  }
  return match[1]!
}

function invalid(reason: string, message: string, details?: Record<string, unknown>) {
  return new OidcHybridError('BEARER_TOKEN_INVALID', `access token ${message}`, {
    details: { reason, ...details },
  })
}

/**
 * Verifies a JWT access token for this API: `typ`, signature with a key from `options.jwks`
 * (or `need-keys`), `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, then the required scopes.
 * `client_id` is not required, since Auth0 puts the client in `azp`. HS* is never accepted.
 *
 * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4) (validating JWT access tokens)
 * @see [RFC 9068 2.1](https://www.rfc-editor.org/rfc/rfc9068#section-2.1) (`typ` `at+jwt`)
 * @see [RFC 6750 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1) (`insufficient_scope`)
 * @example
 * ```ts
 * const result = await verifyAccessToken(token, {
 *   issuer: 'https://tenant.auth0.com/',
 *   audience: 'https://api.example.com',
 *   requiredScopes: ['read:orders'],
 *   now: Math.floor(Date.now() / 1000),
 *   clockTolerance: 60,
 *   jwks,
 *   crypto,
 * })
 * ```
 */
export async function verifyAccessToken(
  token: string,
  options: BearerVerifyOptions,
): Promise<BearerVerification> {
  const { issuer, audience, now, clockTolerance, crypto } = options
  if (typeof issuer !== 'string' || !issuer) {
    throw new ConfigurationError('verifyAccessToken needs options.issuer')
  }
  const audiences = typeof audience === 'string' ? [audience] : audience
  if (!Array.isArray(audiences) || !audiences.length || audiences.includes('')) {
    throw new ConfigurationError('verifyAccessToken needs options.audience')
  }
  const jws = decodeJws(token, BEARER_ERRORS, crypto)
  // RFC 9068 2.1 / RFC 8725 3.11: the typ keeps ID tokens and other JWTs from passing as access tokens.
  if (options.typ !== 'any' && !isAccessTokenTyp(jws.header)) {
    throw invalid('typ', 'typ is not at+jwt; send an access token, or set typ: "any"')
  }
  const signature = await verifyJwsSignature(
    jws,
    {
      algorithms: options.algorithms ?? ASYMMETRIC_ALGS,
      jwks: options.jwks,
      jwksRefreshed: options.jwksRefreshed,
      crypto,
    },
    BEARER_ERRORS,
  )
  if (signature.kind === 'need-keys') return signature
  const claims = jws.payload
  const { aud, exp, nbf, iat, scope, permissions } = claims
  if (claims.iss !== issuer) throw invalid('iss', `iss is not "${issuer}"`, { expected: issuer })
  if (typeof claims.sub !== 'string' || !claims.sub) throw invalid('sub', 'has no sub claim')
  const tokenAudiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (!tokenAudiences.some((value) => audiences.includes(value))) {
    throw invalid('aud', 'aud is not this API; request a token for it', {
      expected: audiences,
    })
  }
  if (!isNumber(exp) || now >= exp + clockTolerance) {
    throw invalid('exp', 'has expired or has no exp; get a new one')
  }
  // Optional, but when present they must be numbers no later than now (+ tolerance).
  for (const [name, value] of [
    ['nbf', nbf],
    ['iat', iat],
  ] as const) {
    if (value !== undefined && !(isNumber(value) && value <= now + clockTolerance)) {
      throw invalid(name, `${name} is in the future; check the clocks`)
    }
  }
  if (scope !== undefined && typeof scope !== 'string') {
    throw invalid('scope', 'scope is not a string')
  }
  const granted = [
    ...(scope?.split(' ') ?? []),
    ...(options.permissionsClaim && Array.isArray(permissions) ? permissions : []),
  ]
  const scopes = [...new Set(granted.filter((s) => s && typeof s === 'string'))] as string[]
  const requiredScopes = options.requiredScopes ?? []
  const missing = requiredScopes.filter((s) => !scopes.includes(s))
  if (missing.length) {
    throw new OidcHybridError(
      'BEARER_INSUFFICIENT_SCOPE',
      `access token lacks scope ${missing.join(' ')}`,
      { details: { requiredScopes, missing } },
    )
  }
  return { kind: 'verified', claims: claims as AccessTokenClaims, scopes }
}

// RFC 6750 3: error_description and realm allow %x20-21 / %x23-5B / %x5D-7E only.
const NOT_QUOTABLE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/g
// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const NOT_SCOPE_TOKEN = /[^\x21\x23-\x5b\x5d-\x7e]/g

function quoted(value: string): string {
  return `"${value.replace(NOT_QUOTABLE, '')}"`
}

/**
 * Codes for a failure to get the provider's metadata or keys (discovery, JWKS, the request to
 * them): the token was not judged and the client is not at fault, so no `invalid_token`.
 */
const PROVIDER_FAILURES: readonly ErrorCode[] = [
  'DISCOVERY_INVALID',
  'DISCOVERY_ISSUER_MISMATCH',
  'JWKS_INVALID',
  'HTTP_REQUEST_FAILED',
  'HTTP_TIMEOUT',
  'HTTP_RESPONSE_TOO_LARGE',
]

/** Seconds a client is asked to wait (`Retry-After`) before retrying during a provider outage. */
const PROVIDER_RETRY_AFTER = 30

/**
 * The HTTP status and `WWW-Authenticate` value for a failed bearer request: 401 without an error
 * code when no Bearer token was sent (no header, or another scheme), `invalid_request` (400),
 * `invalid_token` (401), `insufficient_scope` (403, with `scope`); 503 with a plain challenge and
 * `retryAfter` (seconds, for `Retry-After`) when the provider's discovery or keys could not be had
 * (the token was not judged); 500 for anything else. Values are stripped of characters that could
 * break out of the quoted string.
 *
 * With `dpopAlgorithms` the API accepts DPoP too (RFC 9449 7.1): a `DPoP` challenge with `algs`
 * is offered beside the Bearer one (or alone, with `bearer: false`), and the DPoP errors answer
 * 401 `invalid_dpop_proof` (`DPOP_PROOF_INVALID`), `use_dpop_nonce` (`DPOP_NONCE_REQUIRED`) and
 * `invalid_token` (`DPOP_BINDING_MISMATCH`). The error goes in the challenge of the scheme the
 * request used (`details.scheme` of the error; when absent, DPoP for the `DPOP_*` codes and Bearer
 * for the others), which comes first.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 6750 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 * @see [RFC 9449 7.1](https://www.rfc-editor.org/rfc/rfc9449#section-7.1), [7.2](https://www.rfc-editor.org/rfc/rfc9449#section-7.2) (both schemes), [9](https://www.rfc-editor.org/rfc/rfc9449#section-9) (`use_dpop_nonce`)
 * @see [RFC 9110 15.6.4](https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4) (503, `Retry-After`)
 * @example
 * ```ts
 * const { status, wwwAuthenticate } = bearerChallenge(error, { realm: 'orders', dpopAlgorithms: ['ES256'] })
 * return new Response(null, { status, headers: { 'WWW-Authenticate': wwwAuthenticate } })
 * ```
 */
export function bearerChallenge(
  error: unknown,
  options: {
    realm?: string
    requiredScopes?: string[]
    /** The DPoP proof algorithms accepted: offer the DPoP scheme. Default: Bearer only. */
    dpopAlgorithms?: readonly string[]
    /** false: only DPoP is accepted (with `dpopAlgorithms`), so no Bearer challenge. */
    bearer?: boolean
  } = {},
): { status: 400 | 401 | 403 | 500 | 503; wwwAuthenticate: string; retryAfter?: number } {
  const { realm, requiredScopes, dpopAlgorithms } = options
  const bare = realm === undefined ? [] : [`realm=${quoted(realm)}`]
  const typed = isOidcHybridError(error) ? error : undefined
  // The challenges offered, the erring scheme's first; `params` are the erring one's.
  const schemes = [
    ...(options.bearer === false && dpopAlgorithms ? [] : ['Bearer']),
    ...(dpopAlgorithms ? ['DPoP'] : []),
  ]
  const erring = typed?.details.scheme ?? (typed?.code.startsWith('DPOP_') ? 'DPoP' : 'Bearer')
  if (erring === 'DPoP' && dpopAlgorithms) schemes.reverse()
  const params = [...bare]
  const challenges = () =>
    schemes
      .map((scheme, index) => {
        const list = index ? [...bare] : params
        if (scheme === 'DPoP') list.push(`algs=${quoted(dpopAlgorithms!.join(' '))}`)
        return `${scheme} ${list.join(', ')}`.trim()
      })
      .join(', ')
  if (typed && PROVIDER_FAILURES.includes(typed.code)) {
    return { status: 503, wwwAuthenticate: challenges(), retryAfter: PROVIDER_RETRY_AFTER }
  }
  // RFC 6750 3.1 / RFC 9449 7.1 error per code: none for a missing token, 500 for anything else.
  const index = [
    'BEARER_TOKEN_MISSING',
    'BEARER_REQUEST_INVALID',
    'BEARER_TOKEN_INVALID',
    'BEARER_INSUFFICIENT_SCOPE',
    'DPOP_PROOF_INVALID',
    'DPOP_NONCE_REQUIRED',
    'DPOP_BINDING_MISMATCH',
    'STEP_UP_REQUIRED',
  ].indexOf(typed?.code ?? '')
  const status = ([401, 400, 401, 403, 401, 401, 401, 401] as const)[index] ?? 500
  const kind = [
    '',
    'invalid_request',
    'invalid_token',
    'insufficient_scope',
    'invalid_dpop_proof',
    'use_dpop_nonce',
    'invalid_token',
    'insufficient_user_authentication',
  ][index]
  if (kind) {
    const { message, details } = typed!
    params.push(`error="${kind}"`, `error_description=${quoted(message)}`)
    const fromError = details?.requiredScopes
    const scope = (requiredScopes ?? (Array.isArray(fromError) ? fromError : []))
      .filter((s): s is string => typeof s === 'string')
      .map((s) => s.replace(NOT_SCOPE_TOKEN, ''))
      .filter(Boolean)
      .join(' ')
    if (status === 403 && scope) params.push(`scope="${scope}"`)
    // RFC 9470 3: what the user's authentication must be, for the client to log in again with.
    for (const name of ['acr_values', 'max_age']) {
      if (details[name] !== undefined) params.push(`${name}=${quoted(String(details[name]))}`)
    }
  }
  return { status, wwwAuthenticate: challenges() }
}
