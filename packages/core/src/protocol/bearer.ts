/**
 * The API side: read the bearer token from a request (RFC 6750), verify it as a JWT access token
 * (RFC 9068) against keys given as data, and turn failures into `WWW-Authenticate` challenges.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { ConfigurationError, isOidcHybridError, OidcHybridError } from '../errors.js'
import { isRecord } from '../lib/compare.js'
import { ASYMMETRIC_ALGS, decodeJws, type JwsErrorPolicy, verifyJwsSignature } from './jws.js'
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
  codes: {
    malformed: 'BEARER_TOKEN_INVALID',
    'alg-not-allowed': 'BEARER_TOKEN_INVALID',
    'key-not-found': 'BEARER_TOKEN_INVALID',
    'signature-invalid': 'BEARER_TOKEN_INVALID',
  },
}

// RFC 6750 2.1: credentials = "Bearer" 1*SP b64token
const BEARER_CREDENTIALS = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i

/**
 * Reads the access token from an `Authorization` header value. The scheme is case-insensitive;
 * the token must be one b64token.
 *
 * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
 * @example
 * ```ts
 * const token = extractBearerToken(request.headers.get('authorization'))
 * ```
 */
export function extractBearerToken(authorization: string | null | undefined): string {
  const value = typeof authorization === 'string' ? authorization.trim() : ''
  if (value === '') {
    throw new OidcHybridError(
      'BEARER_TOKEN_MISSING',
      'the request has no Authorization header: send "Authorization: Bearer <access token>"',
    )
  }
  const match = BEARER_CREDENTIALS.exec(value)
  if (match === null) {
    throw new OidcHybridError(
      'BEARER_REQUEST_INVALID',
      'the Authorization header is not "Bearer <access token>" with a single token',
    )
  }
  return match[1]!
}

function invalid(reason: string, message: string, details: Record<string, unknown> = {}) {
  return new OidcHybridError('BEARER_TOKEN_INVALID', message, { details: { reason, ...details } })
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function checkOptions(options: BearerVerifyOptions): string[] {
  if (typeof options.issuer !== 'string' || options.issuer === '') {
    throw new ConfigurationError(
      'verifyAccessToken needs options.issuer, the exact issuer of the access tokens',
    )
  }
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.includes('')) {
    throw new ConfigurationError(
      'verifyAccessToken needs options.audience, the identifier of this API (Auth0: the API audience)',
    )
  }
  return audiences
}

function checkClaims(
  claims: Record<string, unknown>,
  options: BearerVerifyOptions,
  audiences: string[],
): void {
  const { now, clockTolerance } = options
  if (claims.iss !== options.issuer) {
    throw invalid('iss', `the access token was not issued by "${options.issuer}"`, {
      expected: options.issuer,
    })
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw invalid('sub', 'the access token has no "sub" (subject) claim')
  }
  const { aud } = claims
  const tokenAudiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (!tokenAudiences.some((value) => audiences.includes(value))) {
    throw invalid(
      'aud',
      `the access token is not meant for this API: its "aud" does not contain ${audiences.map((a) => `"${a}"`).join(' or ')}; request the token with that audience`,
      { expected: audiences },
    )
  }
  if (!isNumber(claims.exp) || now >= claims.exp + clockTolerance) {
    throw invalid(
      'exp',
      isNumber(claims.exp)
        ? 'the access token has expired: get a new one (refresh)'
        : 'the access token has no numeric "exp" claim',
    )
  }
  if (claims.nbf !== undefined && !(isNumber(claims.nbf) && claims.nbf <= now + clockTolerance)) {
    throw invalid('nbf', 'the access token is not valid yet ("nbf"): check the clocks')
  }
  if (claims.iat !== undefined && !(isNumber(claims.iat) && claims.iat <= now + clockTolerance)) {
    throw invalid('iat', 'the access token was issued in the future ("iat"): check the clocks')
  }
  if (claims.scope !== undefined && typeof claims.scope !== 'string') {
    throw invalid('scope', 'the access token "scope" is not a space-separated string')
  }
}

function grantedScopes(claims: Record<string, unknown>, permissionsClaim: boolean): string[] {
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : []
  if (permissionsClaim && Array.isArray(claims.permissions)) {
    scopes.push(...claims.permissions.filter((value) => typeof value === 'string'))
  }
  return [...new Set(scopes.filter((scope) => scope !== ''))]
}

/**
 * Verifies a JWT access token for this API: `typ`, signature with a key from `options.jwks`
 * (or `need-keys`), `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, then the required scopes.
 * `client_id` is not required, since Auth0 puts the client in `azp`.
 *
 * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4) (validating JWT access tokens)
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
  const audiences = checkOptions(options)
  const jws = decodeJws(token, BEARER_ERRORS)
  // RFC 9068 2.1 / RFC 8725 3.11: the typ keeps ID tokens and other JWTs from passing as access tokens.
  const typ = typeof jws.header.typ === 'string' ? jws.header.typ.toLowerCase() : undefined
  if ((options.typ ?? 'at+jwt') === 'at+jwt' && typ !== 'at+jwt' && typ !== 'application/at+jwt') {
    throw invalid(
      'typ',
      'the token is not a JWT access token (its header "typ" is not "at+jwt"): send an access token, not an ID token; if the provider issues plain JWTs (Auth0 default profile), set typ: "any"',
    )
  }
  const signature = await verifyJwsSignature(
    jws,
    {
      algorithms: options.algorithms ?? ASYMMETRIC_ALGS,
      jwks: options.jwks,
      jwksRefreshed: options.jwksRefreshed,
      crypto: options.crypto,
    },
    BEARER_ERRORS,
  )
  if (signature.kind === 'need-keys') return signature
  const claims = jws.payload
  checkClaims(claims, options, audiences)

  const scopes = grantedScopes(claims, options.permissionsClaim ?? false)
  const requiredScopes = options.requiredScopes ?? []
  const missing = requiredScopes.filter((scope) => !scopes.includes(scope))
  if (missing.length > 0) {
    throw new OidcHybridError(
      'BEARER_INSUFFICIENT_SCOPE',
      `the access token lacks the scope(s) ${missing.join(' ')} that this request needs`,
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
 * The HTTP status and `WWW-Authenticate` value for a failed bearer request: 401 without an error
 * code when no token was sent, `invalid_request` (400), `invalid_token` (401),
 * `insufficient_scope` (403, with `scope`), and 500 for anything that is not a bearer error.
 * Values are stripped of characters that could break out of the quoted string.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 6750 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 * @example
 * ```ts
 * const { status, wwwAuthenticate } = bearerChallenge(error, { realm: 'orders' })
 * return new Response(null, { status, headers: { 'WWW-Authenticate': wwwAuthenticate } })
 * ```
 */
export function bearerChallenge(
  error: unknown,
  options: { realm?: string; requiredScopes?: string[] } = {},
): { status: 400 | 401 | 403 | 500; wwwAuthenticate: string } {
  const params = options.realm === undefined ? [] : [`realm=${quoted(options.realm)}`]
  const challenge = (extra: string[]) =>
    ['Bearer', [...params, ...extra].join(', ')].join(' ').trim()
  if (!isOidcHybridError(error)) return { status: 500, wwwAuthenticate: challenge([]) }
  const description = `error_description=${quoted(error.message)}`
  switch (error.code) {
    case 'BEARER_TOKEN_MISSING':
      return { status: 401, wwwAuthenticate: challenge([]) }
    case 'BEARER_REQUEST_INVALID':
      return { status: 400, wwwAuthenticate: challenge(['error="invalid_request"', description]) }
    case 'BEARER_TOKEN_INVALID':
      return { status: 401, wwwAuthenticate: challenge(['error="invalid_token"', description]) }
    case 'BEARER_INSUFFICIENT_SCOPE': {
      const fromError = isRecord(error.details) ? error.details.requiredScopes : undefined
      const required =
        options.requiredScopes ??
        (Array.isArray(fromError) ? fromError.filter((s) => typeof s === 'string') : [])
      const scope = required
        .map((s) => s.replace(NOT_SCOPE_TOKEN, ''))
        .filter((s) => s !== '')
        .join(' ')
      return {
        status: 403,
        wwwAuthenticate: challenge([
          'error="insufficient_scope"',
          description,
          ...(scope === '' ? [] : [`scope="${scope}"`]),
        ]),
      }
    }
    default:
      return { status: 500, wwwAuthenticate: challenge([]) }
  }
}
