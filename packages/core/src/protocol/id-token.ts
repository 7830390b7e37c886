/**
 * ID token validation for the Hybrid Flow: the JWS signature against keys given as data, then
 * every claim rule of OIDC Core 3.1.3.7 and 3.3.2.12, plus the Auth0 organization claims.
 */
import { type ErrorCode, OidcHybridError } from '../errors.js'
import { utf8 } from '../lib/base64url.js'
import { timingSafeEqual } from '../lib/compare.js'
import {
  ASYMMETRIC_ALGS,
  decodeJws,
  type JwsErrorPolicy,
  leftHalfHash,
  SYMMETRIC_ALGS,
  verifyJwsSignature,
} from './jws.js'
import type { IdTokenClaims, JwsAlgorithm, JwsHeader, ProtocolContext } from './types.js'

/** What the ID token must additionally match, from the request and response it belongs to. */
export interface IdTokenExpectations {
  /** When given: `nonce` claim required and equal (timing-safe). */
  nonce?: string
  /** When given: `auth_time` required and `auth_time + maxAge >= now - clockTolerance`. */
  maxAge?: number
  /**
   * When given (Auth0 organizations): `org_...` -> `org_id` must equal exactly; otherwise
   * `org_name` must equal organization.toLowerCase(). Missing claim -> ORGANIZATION_MISMATCH.
   */
  organization?: string
  /** c_hash check: `required` true -> missing is C_HASH_MISSING; when present always verified. */
  code?: { value: string; required: boolean }
  /** at_hash check, same semantics (AT_HASH_MISSING / AT_HASH_MISMATCH). */
  accessToken?: { value: string; required: boolean }
}

export type IdTokenVerification =
  | { kind: 'verified'; claims: IdTokenClaims; header: JwsHeader; alg: JwsAlgorithm }
  | { kind: 'need-keys'; reason: 'unknown-kid' | 'no-usable-key'; kid?: string }

/** The ID token algorithms accepted unless the client lists its own: every asymmetric one. */
export const DEFAULT_ID_TOKEN_ALGS: readonly JwsAlgorithm[] = ASYMMETRIC_ALGS

const ID_TOKEN_ERRORS: JwsErrorPolicy = {
  tokenName: 'ID token',
  codes: {
    malformed: 'ID_TOKEN_MALFORMED',
    'alg-not-allowed': 'ID_TOKEN_ALG_NOT_ALLOWED',
    'key-not-found': 'ID_TOKEN_KEY_NOT_FOUND',
    'signature-invalid': 'ID_TOKEN_SIGNATURE_INVALID',
  },
  algorithmHint:
    "the accepted list is client id_token_signed_response_algs (default: every asymmetric algorithm) narrowed to the provider's id_token_signing_alg_values_supported; HS256/384/512 also need client_secret_for_hs",
}

/** Claims whose type OIDC Core 2 fixes; a wrong type means the token is malformed. */
const STRING_CLAIMS = ['nonce', 'azp', 'acr', 'c_hash', 'at_hash', 'org_id', 'org_name'] as const
const NUMBER_CLAIMS = ['nbf', 'auth_time'] as const

function failure(code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return new OidcHybridError(code, message, { details })
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/**
 * The allow-list: the client's algorithms (default: every asymmetric one, plus HS* when a client
 * secret is configured for them), narrowed to those the provider says it uses. A listed HS* still
 * fails without `client_secret_for_hs`, because the JWS check then has no secret.
 */
function acceptedAlgorithms(context: Pick<ProtocolContext, 'provider' | 'client'>) {
  const { client, provider } = context
  const requested =
    client.id_token_signed_response_algs ??
    (client.client_secret_for_hs
      ? [...DEFAULT_ID_TOKEN_ALGS, ...SYMMETRIC_ALGS]
      : DEFAULT_ID_TOKEN_ALGS)
  const supported = provider.id_token_signing_alg_values_supported
  return Array.isArray(supported) ? requested.filter((alg) => supported.includes(alg)) : requested
}

function checkClaimTypes(claims: Record<string, unknown>): void {
  const wrong = [
    ...STRING_CLAIMS.filter(
      (name) => claims[name] !== undefined && typeof claims[name] !== 'string',
    ),
    ...NUMBER_CLAIMS.filter((name) => claims[name] !== undefined && !isNumber(claims[name])),
    ...(claims.amr !== undefined &&
    !(Array.isArray(claims.amr) && claims.amr.every((value) => typeof value === 'string'))
      ? ['amr']
      : []),
  ]
  if (wrong.length > 0) {
    throw failure(
      'ID_TOKEN_MALFORMED',
      `the ID token has claims of the wrong JSON type (${wrong.join(', ')}); OIDC Core 2 fixes their types`,
      { claims: wrong },
    )
  }
}

function checkAudience(claims: Record<string, unknown>, context: Pick<ProtocolContext, 'client'>) {
  const { client_id, trusted_audiences = [] } = context.client
  const { aud } = claims
  const audiences =
    typeof aud === 'string'
      ? [aud]
      : Array.isArray(aud) && aud.every((value) => typeof value === 'string')
        ? (aud as string[])
        : []
  if (!audiences.includes(client_id)) {
    throw failure(
      'ID_TOKEN_AUDIENCE_MISMATCH',
      `the ID token is not meant for this client: its "aud" does not contain client_id "${client_id}"; check clientID`,
      { expected: client_id },
    )
  }
  const untrusted = audiences.filter(
    (value) => value !== client_id && !trusted_audiences.includes(value),
  )
  if (untrusted.length > 0) {
    throw failure(
      'ID_TOKEN_AUDIENCE_MISMATCH',
      `the ID token's "aud" also names ${untrusted.length} audience(s) this client does not trust: add them to trusted_audiences only if they are expected`,
      { untrusted },
    )
  }
  if (claims.azp === undefined ? audiences.length > 1 : claims.azp !== client_id) {
    throw failure(
      'ID_TOKEN_AZP_MISMATCH',
      `the ID token's authorized party ("azp") must be client_id "${client_id}"${claims.azp === undefined ? ', and it is required when "aud" has several values' : ''}`,
      { expected: client_id },
    )
  }
}

function checkTimes(
  claims: Record<string, unknown>,
  context: Pick<ProtocolContext, 'now' | 'clockTolerance'>,
): void {
  const { now, clockTolerance } = context
  const { exp, iat, nbf } = claims
  if (!isNumber(exp)) {
    throw failure('ID_TOKEN_MALFORMED', 'the ID token has no numeric "exp" (expiry) claim')
  }
  if (now >= exp + clockTolerance) {
    throw failure(
      'ID_TOKEN_EXPIRED',
      `the ID token has expired (beyond the ${clockTolerance} s clock tolerance): log in again; if this repeats, check this server's clock`,
      { exp, now, clockTolerance },
    )
  }
  if (!isNumber(iat) || iat > now + clockTolerance) {
    throw failure(
      'ID_TOKEN_IAT_INVALID',
      isNumber(iat)
        ? `the ID token was issued in the future (beyond the ${clockTolerance} s clock tolerance): check this server's clock`
        : 'the ID token has no numeric "iat" (issued at) claim, which OIDC Core 2 requires',
      { iat, now, clockTolerance },
    )
  }
  if (isNumber(nbf) && nbf > now + clockTolerance) {
    throw failure(
      'ID_TOKEN_NOT_YET_VALID',
      `the ID token is not valid yet ("nbf" beyond the ${clockTolerance} s clock tolerance): check this server's clock`,
      { nbf, now, clockTolerance },
    )
  }
}

/** `c_hash` / `at_hash`: compared whenever present, required when the response type says so. */
async function checkHash(
  claims: Record<string, unknown>,
  claim: 'c_hash' | 'at_hash',
  expected: { value: string; required: boolean } | undefined,
  alg: JwsAlgorithm,
  context: Pick<ProtocolContext, 'crypto'>,
): Promise<void> {
  if (expected === undefined) return
  const received = claims[claim]
  const subject = claim === 'c_hash' ? 'authorization code' : 'access token'
  if (received === undefined) {
    if (!expected.required) return
    throw failure(
      claim === 'c_hash' ? 'C_HASH_MISSING' : 'AT_HASH_MISSING',
      `the ID token has no "${claim}", which this response type requires to bind the ${subject} to it (OIDC Core 3.3.2.11): the provider is not compliant or the response was tampered with`,
    )
  }
  const computed = await leftHalfHash(alg, expected.value, context.crypto)
  if (typeof received !== 'string' || !timingSafeEqual(received, computed)) {
    throw failure(
      claim === 'c_hash' ? 'C_HASH_MISMATCH' : 'AT_HASH_MISMATCH',
      `the ID token's "${claim}" does not match the ${subject} received with it: the ${subject} may have been swapped (injection); start the login again`,
    )
  }
}

function checkOrganization(claims: Record<string, unknown>, organization: string): void {
  if (organization.startsWith('org_')) {
    if (claims.org_id !== organization) {
      throw failure(
        'ORGANIZATION_MISMATCH',
        `the ID token's "org_id" is missing or is not the requested organization "${organization}"`,
        { expected: organization },
      )
    }
  } else if (claims.org_name !== organization.toLowerCase()) {
    throw failure(
      'ORGANIZATION_MISMATCH',
      `the ID token's "org_name" is missing or is not the requested organization "${organization.toLowerCase()}"`,
      { expected: organization.toLowerCase() },
    )
  }
}

/**
 * Verifies an ID token: signature with a key from `context.jwks` (or `need-keys` when none fits
 * and the JWKS was not just refreshed), then `iss`, `sub`, `aud`, `azp`, `exp`, `iat`, `nbf`,
 * `nonce`, `auth_time`, `c_hash`, `at_hash` and the Auth0 organization claim.
 *
 * @see [OIDC Core 3.1.3.7](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDTokenValidation)
 * @see [OIDC Core 3.3.2.12](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridIDTValidation)
 * @see [OIDC Core 3.3.2.11](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridIDToken)
 * @example
 * ```ts
 * const result = await verifyIdToken(context, callback.idToken, {
 *   nonce: transaction.nonce,
 *   code: { value: callback.code, required: true },
 * })
 * if (result.kind === 'need-keys') {
 *   // refetch the JWKS, then call again with jwksRefreshed: true
 * }
 * ```
 */
export async function verifyIdToken(
  context: Pick<
    ProtocolContext,
    'provider' | 'client' | 'now' | 'clockTolerance' | 'jwks' | 'jwksRefreshed' | 'crypto'
  >,
  idToken: string,
  expectations: IdTokenExpectations,
): Promise<IdTokenVerification> {
  const jws = decodeJws(idToken, ID_TOKEN_ERRORS)
  // RFC 8725 3.11 / RFC 9068 2.1: an access token must never pass as an ID token.
  const typ = typeof jws.header.typ === 'string' ? jws.header.typ.toLowerCase() : undefined
  if (typ === 'at+jwt' || typ === 'application/at+jwt') {
    throw new OidcHybridError(
      'ID_TOKEN_MALFORMED',
      'the ID token is typed as an access token (typ at+jwt); an access token is never accepted as an ID token',
      { details: { typ } },
    )
  }
  const secret = context.client.client_secret_for_hs
  const signature = await verifyJwsSignature(
    jws,
    {
      algorithms: acceptedAlgorithms(context),
      jwks: context.jwks,
      jwksRefreshed: context.jwksRefreshed,
      crypto: context.crypto,
      symmetricSecret: secret ? utf8(secret) : undefined,
    },
    ID_TOKEN_ERRORS,
  )
  if (signature.kind === 'need-keys') return signature
  const claims = jws.payload
  checkClaimTypes(claims)

  const { issuer } = context.provider
  if (claims.iss !== issuer) {
    throw failure(
      'ID_TOKEN_ISSUER_MISMATCH',
      `the ID token was not issued by "${issuer}" (the issuer must match exactly, trailing slash included): check issuerBaseURL`,
      { expected: issuer, received: typeof claims.iss === 'string' ? claims.iss : undefined },
    )
  }
  if (typeof claims.sub !== 'string' || claims.sub === '') {
    throw failure('ID_TOKEN_SUBJECT_MISSING', 'the ID token has no "sub" (subject) claim')
  }
  checkAudience(claims, context)
  checkTimes(claims, context)

  if (expectations.nonce !== undefined) {
    const { nonce } = claims
    if (typeof nonce !== 'string' || !timingSafeEqual(nonce, expectations.nonce)) {
      throw failure(
        'NONCE_MISMATCH',
        'the ID token\'s "nonce" is missing or differs from the one sent with the login: the token may be replayed; start the login again',
      )
    }
  }
  if (expectations.maxAge !== undefined) {
    const authTime = claims.auth_time
    if (
      !isNumber(authTime) ||
      authTime + expectations.maxAge < context.now - context.clockTolerance
    ) {
      throw failure(
        'AUTH_TIME_INVALID',
        isNumber(authTime)
          ? `the user authenticated longer ago than max_age (${expectations.maxAge} s) allows: the provider did not re-authenticate; log in again`
          : 'the ID token has no numeric "auth_time", which is required because max_age was sent',
        { maxAge: expectations.maxAge, authTime, now: context.now },
      )
    }
  }
  await checkHash(claims, 'c_hash', expectations.code, signature.alg, context)
  await checkHash(claims, 'at_hash', expectations.accessToken, signature.alg, context)
  if (expectations.organization !== undefined) checkOrganization(claims, expectations.organization)

  return {
    kind: 'verified',
    claims: claims as IdTokenClaims,
    header: jws.header,
    alg: signature.alg,
  }
}
