/**
 * Compact JWS decoding and signature verification against keys given as data, shared by the ID
 * token and the access token (bearer) checks. Nothing here fetches: when no key fits, the result
 * is `need-keys` and the caller refetches the JWKS, then calls again with `jwksRefreshed`.
 */
import type { CryptoProvider, DigestAlgorithm } from '../crypto/provider.js'
import { type ErrorCode, OidcHybridError } from '../errors.js'
import { decode, encode, fromUtf8, utf8 } from '../lib/base64url.js'
import { isRecord, parseJson } from '../lib/compare.js'
import type { JsonWebKeySet, Jwk, JwsAlgorithm, JwsHeader } from './types.js'

/** Every asymmetric algorithm understood, in preference order. Never `none`, never HS*. */
export const ASYMMETRIC_ALGS: readonly JwsAlgorithm[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const)

/** The algorithms keyed by a shared secret; only ever accepted with an explicit secret. */
export const SYMMETRIC_ALGS: readonly JwsAlgorithm[] = Object.freeze([
  'HS256',
  'HS384',
  'HS512',
] as const)

/** Why a JWS was rejected; each caller maps these to its own error codes. */
export type JwsFailure = 'malformed' | 'alg-not-allowed' | 'key-not-found' | 'signature-invalid'

/** How a caller wants JWS failures reported. */
export interface JwsErrorPolicy {
  /** Names the token in messages, e.g. `ID token`. */
  tokenName: string
  codes: Readonly<Record<JwsFailure, ErrorCode>>
  /** Appended to the message when `alg` is not accepted: where to change the allow-list. */
  algorithmHint?: string
}

/** A structurally valid compact JWS whose signature is not verified yet. */
export interface DecodedJws {
  header: JwsHeader
  payload: Record<string, unknown>
  signingInput: Uint8Array
  signature: Uint8Array
}

/** The keys and algorithms a signature may be verified with. */
export interface JwsKeyOptions {
  /** The allow-list; `none` is rejected whatever it says. */
  algorithms: readonly JwsAlgorithm[]
  jwks: JsonWebKeySet
  /** True when `jwks` was just fetched for this token: a miss is then final. */
  jwksRefreshed?: boolean
  crypto: CryptoProvider
  /** The client secret octets; HS* is accepted only when listed in `algorithms` and this is set. */
  symmetricSecret?: Uint8Array
}

/** No key in the JWKS fits the token: refetch the JWKS (OIDC Core 10.1.1) and try again. */
export interface NeedKeys {
  kind: 'need-keys'
  reason: 'unknown-kid' | 'no-usable-key'
  kid?: string
}

/** The signature verified with `alg`, or no key fits yet. */
export type JwsVerification = { kind: 'verified'; alg: JwsAlgorithm } | NeedKeys

function failure(
  policy: JwsErrorPolicy,
  reason: JwsFailure,
  message: string,
  details: Record<string, unknown> = {},
): OidcHybridError {
  return new OidcHybridError(policy.codes[reason], message, { details: { reason, ...details } })
}

function decodeJson(segment: string): unknown {
  const bytes = decode(segment)
  const text = bytes === undefined ? undefined : fromUtf8(bytes)
  return text === undefined ? undefined : parseJson(text)
}

/**
 * Splits and decodes a compact JWS strictly: three base64url parts, a JSON object header with a
 * string `alg`, a JSON object payload. Any `crit` is rejected because no extension is understood.
 *
 * @see [RFC 7515 5.2](https://www.rfc-editor.org/rfc/rfc7515#section-5.2) (validation steps)
 * @see [RFC 7515 4.1.11](https://www.rfc-editor.org/rfc/rfc7515#section-4.1.11) (`crit`)
 */
export function decodeJws(token: string, policy: JwsErrorPolicy): DecodedJws {
  const name = policy.tokenName
  const parts = typeof token === 'string' ? token.split('.') : []
  if (parts.length !== 3) {
    throw failure(
      policy,
      'malformed',
      `the ${name} is not a compact JWS (three base64url parts separated by dots): check that the whole token was passed, without quotes or whitespace`,
    )
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]
  const header = decodeJson(headerPart)
  if (!isRecord(header) || typeof header.alg !== 'string') {
    throw failure(
      policy,
      'malformed',
      `the ${name} header is not base64url-encoded JSON with a string "alg"`,
    )
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw failure(policy, 'malformed', `the ${name} header "kid" is not a string`)
  }
  if (header.crit !== undefined) {
    throw failure(
      policy,
      'malformed',
      `the ${name} header lists critical extensions ("crit") that this library does not implement, so it must be rejected`,
    )
  }
  const payload = decodeJson(payloadPart)
  if (!isRecord(payload)) {
    throw failure(policy, 'malformed', `the ${name} payload is not a base64url-encoded JSON object`)
  }
  const signature = decode(signaturePart)
  if (signature === undefined) {
    throw failure(policy, 'malformed', `the ${name} signature is not valid base64url`)
  }
  return {
    header: header as JwsHeader,
    payload,
    signingInput: utf8(`${headerPart}.${payloadPart}`),
    signature,
  }
}

/** The key type (and curve) an algorithm needs ([RFC 7518 3.1](https://www.rfc-editor.org/rfc/rfc7518#section-3.1)). */
function keyTypeOf(alg: JwsAlgorithm): { kty: string; crv?: string } {
  switch (alg) {
    case 'ES256':
      return { kty: 'EC', crv: 'P-256' }
    case 'ES384':
      return { kty: 'EC', crv: 'P-384' }
    case 'ES512':
      return { kty: 'EC', crv: 'P-521' }
    case 'EdDSA':
    case 'Ed25519':
      return { kty: 'OKP', crv: 'Ed25519' }
    default:
      return { kty: 'RSA' }
  }
}

/** Keys that may verify `alg`: type, curve, `use`, `key_ops` and `alg` all permit it. */
function candidateKeys(jwks: JsonWebKeySet, alg: JwsAlgorithm): Jwk[] {
  const keys: unknown[] = isRecord(jwks) && Array.isArray(jwks.keys) ? jwks.keys : []
  const { kty, crv } = keyTypeOf(alg)
  return keys.filter(
    (key): key is Jwk =>
      isRecord(key) &&
      key.kty === kty &&
      (crv === undefined || key.crv === crv) &&
      (key.use === undefined || key.use === 'sig') &&
      (key.key_ops === undefined ||
        (Array.isArray(key.key_ops) && key.key_ops.includes('verify'))) &&
      (key.alg === undefined || key.alg === alg),
  )
}

function needKeys(
  keys: JwsKeyOptions,
  policy: JwsErrorPolicy,
  reason: NeedKeys['reason'],
  kid: string | undefined,
): NeedKeys {
  if (keys.jwksRefreshed) {
    throw failure(
      policy,
      'key-not-found',
      kid === undefined
        ? `no usable key in the provider's JWKS can verify the ${policy.tokenName}, even after fetching the JWKS again: check that the issuer and its jwks_uri are the right ones`
        : `no usable key in the provider's JWKS has the ${policy.tokenName}'s "kid", even after fetching the JWKS again: check that the issuer and its jwks_uri are the right ones`,
      { kid },
    )
  }
  return kid === undefined ? { kind: 'need-keys', reason } : { kind: 'need-keys', reason, kid }
}

/**
 * Checks `alg` against the allow-list and the signature against the JWKS (or the client secret
 * for HS*). With a `kid` only keys with that `kid` are tried; without one every candidate is
 * tried. Keys the crypto provider cannot import are skipped.
 *
 * @see [RFC 7515 5.2](https://www.rfc-editor.org/rfc/rfc7515#section-5.2)
 * @see [OIDC Core 10.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RotateSigKeys) (unknown `kid`: refetch)
 * @see [RFC 7517 5](https://www.rfc-editor.org/rfc/rfc7517#section-5) (ignore keys that cannot be used)
 * @see [RFC 8725 3.1](https://www.rfc-editor.org/rfc/rfc8725#section-3.1) (algorithm verification)
 */
export async function verifyJwsSignature(
  jws: DecodedJws,
  keys: JwsKeyOptions,
  policy: JwsErrorPolicy,
): Promise<JwsVerification> {
  const name = policy.tokenName
  const hint = policy.algorithmHint ? `: ${policy.algorithmHint}` : ''
  if (jws.header.alg === 'none') {
    throw failure(
      policy,
      'alg-not-allowed',
      `the ${name} is unsigned (alg "none"), which is never accepted`,
      { alg: 'none' },
    )
  }
  const alg = keys.algorithms.find((allowed) => allowed === jws.header.alg)
  if (alg === undefined) {
    const known = [...ASYMMETRIC_ALGS, ...SYMMETRIC_ALGS].find((a) => a === jws.header.alg)
    throw failure(
      policy,
      'alg-not-allowed',
      `the ${name} is signed with ${known ?? 'an unsupported algorithm'}, which is not among the accepted algorithms (${keys.algorithms.join(', ') || 'none'})${hint}`,
      { alg: known, accepted: [...keys.algorithms] },
    )
  }
  if (SYMMETRIC_ALGS.includes(alg)) {
    if (keys.symmetricSecret === undefined) {
      throw failure(
        policy,
        'alg-not-allowed',
        `the ${name} is signed with ${alg} (a shared secret) but no client secret is configured for it${hint}`,
        { alg },
      )
    }
    const valid = await keys.crypto.verifySignature(
      alg,
      keys.symmetricSecret,
      jws.signingInput,
      jws.signature,
    )
    if (valid !== true) {
      throw failure(
        policy,
        'signature-invalid',
        `the ${name} signature does not verify with the configured client secret: check the secret, or the token was altered`,
        { alg },
      )
    }
    return { kind: 'verified', alg }
  }
  const kid = jws.header.kid
  const candidates = candidateKeys(keys.jwks, alg).filter(
    (key) => kid === undefined || key.kid === kid,
  )
  if (candidates.length === 0) {
    return needKeys(keys, policy, kid === undefined ? 'no-usable-key' : 'unknown-kid', kid)
  }
  let rejected = false
  for (const key of candidates) {
    const valid = await keys.crypto.verifySignature(alg, key, jws.signingInput, jws.signature)
    if (valid === true) return { kind: 'verified', alg }
    if (valid === false) rejected = true
  }
  if (!rejected) return needKeys(keys, policy, 'no-usable-key', kid)
  throw failure(
    policy,
    'signature-invalid',
    `the ${name} signature does not verify with the provider's keys: the token was altered or was not issued by this provider`,
    { alg, kid },
  )
}

function digestOf(alg: JwsAlgorithm): DigestAlgorithm {
  switch (alg) {
    case 'RS384':
    case 'PS384':
    case 'ES384':
    case 'HS384':
      return 'SHA-384'
    case 'RS512':
    case 'PS512':
    case 'ES512':
    case 'HS512':
    case 'EdDSA':
    case 'Ed25519':
      return 'SHA-512'
    default:
      return 'SHA-256'
  }
}

/**
 * The `c_hash` / `at_hash` value of `value` for a token signed with `alg`: the left half of the
 * alg's SHA-2 digest of the ASCII octets, base64url-encoded (EdDSA uses SHA-512).
 *
 * @see [OIDC Core 3.3.2.11](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridIDToken) (`c_hash`)
 * @see [OIDC Core 3.2.2.9](https://openid.net/specs/openid-connect-core-1_0-errata2.html#ImplicitTokenValidation) (`at_hash`)
 */
export async function leftHalfHash(
  alg: JwsAlgorithm,
  value: string,
  crypto: CryptoProvider,
): Promise<string> {
  const digest = await crypto.digest(digestOf(alg), utf8(value))
  return encode(digest.subarray(0, digest.length / 2))
}
