/**
 * ID token validation for the Hybrid Flow: the JWS signature against keys given as data, then
 * every claim rule of OIDC Core 3.1.3.7 and 3.3.2.12, plus the Auth0 organization claims.
 */
import type { ErrorCode } from '../errors.js'
import { utf8 } from '../lib/base64url.js'
import { isNumber, isStrings, timingSafeEqual } from '../lib/compare.js'
import { oidcError } from './http.js'
import {
  ASYMMETRIC_ALGS,
  decodeJws,
  isAccessTokenTyp,
  type JwsErrorPolicy,
  type JwsKeyOptions,
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
  /**
   * When given: the `acr` claim must be one of these (an essential `acr` the login requested,
   * OIDC Core 5.5.1.1), else ACR_NOT_SATISFIED; no retry, so a provider that cannot meet it
   * ends the login instead of looping.
   */
  acr?: string | string[]
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

// ID_TOKEN_MALFORMED, ID_TOKEN_ALG_NOT_ALLOWED, ID_TOKEN_KEY_NOT_FOUND, ID_TOKEN_SIGNATURE_INVALID
const ID_TOKEN_ERRORS: JwsErrorPolicy = {
  tokenName: 'ID token',
  code: (reason) => `ID_TOKEN_${reason.toUpperCase().replace(/-/g, '_')}` as ErrorCode,
}

// Claims whose type OIDC Core 2 fixes (a wrong type means the token is malformed): the first
// seven are strings, then numbers (`exp`, the eighth, required), then `amr`, an array of strings.
const TYPED_CLAIMS = 'nonce azp acr c_hash at_hash org_id org_name exp nbf auth_time amr'.split(' ')

function failure(code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return oidcError(code, `ID token ${message}`, details)
}

/**
 * The keys and algorithms an ID token's signature may be verified with (also a Logout Token's,
 * Back-Channel Logout 1.0 2.4): the client's algorithms (default every asymmetric one, plus HS*
 * with a client secret for them), narrowed to the provider's; the provider's JWKS.
 *
 * @see [OIDC Core 3.1.3.7](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDTokenValidation) (steps 6-8)
 */
export function idTokenKeys(
  context: Pick<ProtocolContext, 'provider' | 'client' | 'jwks' | 'jwksRefreshed' | 'crypto'>,
): JwsKeyOptions {
  const { client, crypto } = context
  const secret = client.client_secret_for_hs
  // `jwks`, `jwksRefreshed` and `crypto` come with the context.
  return {
    ...context,
    algorithms:
      client.id_token_signed_response_algs ??
      (secret ? [...DEFAULT_ID_TOKEN_ALGS, ...SYMMETRIC_ALGS] : DEFAULT_ID_TOKEN_ALGS),
    supported: context.provider.id_token_signing_alg_values_supported,
    symmetricSecret: secret ? utf8(secret, crypto) : undefined,
  }
}

/**
 * What is wrong with a token's `aud` and `azp` for `client`, if anything: `aud` must list the
 * client and may list only trusted other audiences; with several, `azp` must be present; when
 * present it must be the client. Shared by ID tokens and Logout Tokens (validated "in the same
 * way", Back-Channel Logout 1.0 2.6).
 *
 * @see [OIDC Core 3.1.3.7](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDTokenValidation) (steps 3-5)
 */
export function audienceProblem(
  aud: unknown,
  azp: unknown,
  client: Pick<ProtocolContext['client'], 'client_id' | 'trusted_audiences'>,
): { claim: 'aud'; untrusted: string[] } | { claim: 'azp' } | undefined {
  const { client_id, trusted_audiences = [] } = client
  const audiences = typeof aud === 'string' ? [aud] : isStrings(aud) ? aud : []
  const untrusted = audiences.filter((v) => v !== client_id && !trusted_audiences.includes(v))
  if (!audiences.includes(client_id) || untrusted.length) return { claim: 'aud', untrusted }
  if (azp === undefined ? audiences.length > 1 : azp !== client_id) return { claim: 'azp' }
}

/**
 * Verifies an ID token: signature with a key from `context.jwks` (or `need-keys` when none fits
 * and the JWKS was not just refreshed), then `iss`, `sub`, `aud`, `azp`, `exp`, `iat`, `nbf`,
 * `nonce`, `auth_time`, `c_hash`, `at_hash` and the Auth0 organization claim.
 *
 * The accepted algorithms are client `id_token_signed_response_algs` (default: every asymmetric
 * algorithm) narrowed to the provider's `id_token_signing_alg_values_supported`; HS256/384/512
 * also need `client_secret_for_hs`. An access token (`typ` `at+jwt`) is never accepted.
 *
 * @see [OIDC Core 3.1.3.7](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDTokenValidation)
 * @see [OIDC Core 3.3.2.12](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridIDTValidation)
 * @see [OIDC Core 3.3.2.11](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridIDToken)
 * @see [RFC 8725 3.11](https://www.rfc-editor.org/rfc/rfc8725#section-3.11) (explicit typing)
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
  const { crypto, now, clockTolerance, client, provider } = context
  const { client_id } = client
  const jws = decodeJws(idToken, ID_TOKEN_ERRORS, crypto)
  // RFC 8725 3.11 / RFC 9068 2.1: an access token must never pass as an ID token.
  if (isAccessTokenTyp(jws.header)) {
    throw failure('ID_TOKEN_MALFORMED', 'is an access token (typ at+jwt)')
  }
  // The client's algorithms (default: every asymmetric one, plus HS* with a client secret for
  // them) narrowed to the provider's; a listed HS* without the secret still fails in the JWS check.
  const signature = await verifyJwsSignature(jws, idTokenKeys(context), ID_TOKEN_ERRORS)
  if (signature.kind === 'need-keys') return signature
  const { alg } = signature
  const claims = jws.payload
  const { iss, sub, aud, azp, exp, iat, nbf, auth_time: authTime } = claims
  const wrong = TYPED_CLAIMS.filter((name, index) => {
    const value = claims[name]
    return (
      (value !== undefined || index === 7) &&
      !(index < 7 ? typeof value === 'string' : index < 10 ? isNumber(value) : isStrings(value))
    )
  })
  if (wrong.length) {
    throw failure('ID_TOKEN_MALFORMED', 'has claims of a wrong type', { claims: wrong })
  }
  const { issuer } = provider
  if (iss !== issuer) {
    throw failure('ID_TOKEN_ISSUER_MISMATCH', `iss is not "${issuer}"; check issuerBaseURL`, {
      expected: issuer,
    })
  }
  if (typeof sub !== 'string' || !sub) throw failure('ID_TOKEN_SUBJECT_MISSING', 'has no sub')

  const audience = audienceProblem(aud, azp, client)
  if (audience) {
    throw audience.claim === 'aud'
      ? failure('ID_TOKEN_AUDIENCE_MISMATCH', 'aud is not this client or untrusted', {
          expected: client_id,
          untrusted: audience.untrusted,
        })
      : failure('ID_TOKEN_AZP_MISMATCH', 'azp is missing or not client_id', {
          expected: client_id,
        })
  }

  const times = { exp, iat, nbf, now, clockTolerance }
  if (now >= (exp as number) + clockTolerance) {
    throw failure('ID_TOKEN_EXPIRED', 'has expired; check the clock', times)
  }
  if (!isNumber(iat) || iat > now + clockTolerance) {
    throw failure('ID_TOKEN_IAT_INVALID', 'iat is missing or in the future; check the clock', times)
  }
  if (isNumber(nbf) && nbf > now + clockTolerance) {
    throw failure('ID_TOKEN_NOT_YET_VALID', 'nbf is in the future; check the clock', times)
  }

  const { nonce, maxAge, organization, acr } = expectations
  if (
    nonce !== undefined &&
    (typeof claims.nonce !== 'string' || !timingSafeEqual(claims.nonce, nonce))
  ) {
    throw failure('NONCE_MISMATCH', 'nonce does not match; start a new login')
  }
  if (maxAge !== undefined && (!isNumber(authTime) || authTime + maxAge < now - clockTolerance)) {
    throw failure('AUTH_TIME_INVALID', 'auth_time is missing or too old; log in again', {
      maxAge,
      authTime,
      now,
    })
  }
  // c_hash / at_hash: compared whenever present, required when the response type says so.
  for (const [claim, expected] of [
    ['c_hash', expectations.code],
    ['at_hash', expectations.accessToken],
  ] as const) {
    const received = claims[claim]
    if (!expected || (received === undefined && !expected.required)) continue
    const code = claim.toUpperCase() as 'C_HASH' | 'AT_HASH'
    if (received === undefined) {
      throw failure(`${code}_MISSING`, `has no ${claim} (required)`)
    }
    if (
      typeof received !== 'string' ||
      !timingSafeEqual(received, await leftHalfHash(alg, expected.value, crypto))
    ) {
      throw failure(`${code}_MISMATCH`, `${claim} does not match; start a new login`)
    }
  }
  // What the login required: an essential acr (OIDC Core 5.5.1.1: one of its values, no retry, so
  // a provider that cannot meet it ends the login instead of looping), and an Auth0 organization
  // (an org_... value is an organization id, anything else a name, compared lower-cased).
  const id = organization?.startsWith('org_')
  for (const [code, claim, expected] of [
    ['ACR_NOT_SATISFIED', 'acr', acr],
    [
      'ORGANIZATION_MISMATCH',
      id ? 'org_id' : 'org_name',
      id ? organization : organization?.toLowerCase(),
    ],
  ] as const) {
    if (expected !== undefined && ![expected].flat().includes(claims[claim] as string)) {
      throw failure(code, `${claim} differs`, { expected })
    }
  }
  return { kind: 'verified', claims: claims as IdTokenClaims, header: jws.header, alg }
}
