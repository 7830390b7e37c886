/**
 * Compact JWS decoding and signature verification against keys given as data, shared by the ID
 * token and the access token (bearer) checks. Nothing here fetches: when no key fits, the result
 * is `need-keys` and the caller refetches the JWKS, then calls again with `jwksRefreshed`.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import type { ErrorCode, OidcHybridError } from '../errors.js'
import { algSpec } from '../lib/alg.js'
import { decode, encode, fromUtf8, utf8 } from '../lib/base64url.js'
import { isRecord, parseJson } from '../lib/compare.js'
import { oidcError } from './http.js'
import type { JsonWebKeySet, Jwk, JwsAlgorithm, JwsHeader } from './types.js'

export { ASYMMETRIC_ALGS, SYMMETRIC_ALGS } from '../lib/alg.js'

/** Why a JWS was rejected; each caller maps these to its own error codes. */
export type JwsFailure = 'malformed' | 'alg-not-allowed' | 'key-not-found' | 'signature-invalid'

/** How a caller wants JWS failures reported. */
export interface JwsErrorPolicy {
  /** Names the token in messages, e.g. `ID token`. */
  tokenName: string
  /** The error code of each failure (`details.reason` names the failure). */
  code: (reason: JwsFailure) => ErrorCode
}

/** A structurally valid compact JWS whose signature is not verified yet. */
export interface DecodedJws {
  header: JwsHeader
  payload: Record<string, unknown>
  /** `header.payload`, the ASCII the signature covers. */
  signingInput: string
  signature: Uint8Array
}

/** The keys and algorithms a signature may be verified with. */
export interface JwsKeyOptions {
  /** The allow-list; `none` is rejected whatever it says. */
  algorithms: readonly JwsAlgorithm[]
  /** When an array (a provider's advertised algorithms): narrows `algorithms` to its members. */
  supported?: unknown
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
  details?: Record<string, unknown>,
): OidcHybridError {
  return oidcError(policy.code(reason), `${policy.tokenName} ${message}`, { reason, ...details })
}

/**
 * Splits and decodes a compact JWS strictly: three base64url parts, a JSON object header with a
 * string `alg` (and a string `kid`, if any), a JSON object payload. Any `crit` is rejected because
 * no extension is understood. `crypto` lends its native base64url decoder, when it has one.
 *
 * @see [RFC 7515 5.2](https://www.rfc-editor.org/rfc/rfc7515#section-5.2) (validation steps)
 * @see [RFC 7515 4.1.11](https://www.rfc-editor.org/rfc/rfc7515#section-4.1.11) (`crit`)
 */
export function decodeJws(
  token: string,
  policy: JwsErrorPolicy,
  crypto?: CryptoProvider,
): DecodedJws {
  // The two dots found with indexOf (no array of parts); any third one is malformed.
  const text = typeof token === 'string' ? token : ''
  const a = text.indexOf('.')
  const b = text.indexOf('.', a + 1)
  const json = (part: string) => parseJson(fromUtf8(decode(part, crypto)))
  const header = json(text.slice(0, a))
  const payload = json(text.slice(a + 1, b))
  const signature = decode(text.slice(b + 1), crypto)
  if (
    b < 0 ||
    text.includes('.', b + 1) ||
    !isRecord(header) ||
    typeof header.alg !== 'string' ||
    (header.kid !== undefined && typeof header.kid !== 'string') ||
    header.crit !== undefined ||
    !isRecord(payload) ||
    !signature
  ) {
    throw failure(policy, 'malformed', 'is not a valid JWS; pass it exactly as issued')
  }
  // A slice of the token: no concatenated copy.
  return { header: header as JwsHeader, payload, signingInput: text.slice(0, b), signature }
}

/**
 * Checks `alg` against the allow-list and the signature against the JWKS (or the client secret
 * for HS*). Only keys whose type, curve, `use`, `key_ops` and `alg` permit the algorithm are
 * candidates; with a `kid` only keys with that `kid` are tried, without one every candidate is.
 * Keys the crypto provider cannot import are skipped.
 *
 * @see [RFC 7515 5.2](https://www.rfc-editor.org/rfc/rfc7515#section-5.2)
 * @see [RFC 7518 3.1](https://www.rfc-editor.org/rfc/rfc7518#section-3.1) (key type per `alg`)
 * @see [OIDC Core 10.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RotateSigKeys) (unknown `kid`: refetch)
 * @see [RFC 7517 5](https://www.rfc-editor.org/rfc/rfc7517#section-5) (ignore keys that cannot be used)
 * @see [RFC 8725 3.1](https://www.rfc-editor.org/rfc/rfc8725#section-3.1) (algorithm verification)
 */
export async function verifyJwsSignature(
  jws: DecodedJws,
  keys: JwsKeyOptions,
  policy: JwsErrorPolicy,
): Promise<JwsVerification> {
  const { alg, kid } = jws.header
  const { algorithms, supported, crypto, symmetricSecret: secret } = keys
  const spec = algSpec(alg)
  const symmetric = spec?.kty === 'oct'
  // Checked for the one alg at hand; the narrowed list is built only for the error.
  const accepted = (name: string) =>
    algorithms.includes(name as JwsAlgorithm) &&
    (!Array.isArray(supported) || supported.includes(name))
  // `none` is never in the table; HS* also needs the client secret.
  if (!spec || !accepted(alg) || (symmetric && !secret)) {
    throw failure(policy, 'alg-not-allowed', 'alg is not allowed; see details.accepted', {
      alg: spec && alg,
      accepted: algorithms.filter(accepted),
    })
  }
  const input = utf8(jws.signingInput, crypto)
  const { jwks } = keys
  // The client secret is the only HS* key: a failure there is final, never a reason to refetch.
  let rejected = symmetric
  let tried = false
  for (const key of symmetric
    ? [secret!]
    : isRecord(jwks) && Array.isArray(jwks.keys)
      ? (jwks.keys as unknown[])
      : []) {
    if (
      !symmetric &&
      !(
        isRecord(key) &&
        key.kty === spec.kty &&
        (!spec.crv || key.crv === spec.crv) &&
        (key.use === undefined || key.use === 'sig') &&
        (key.key_ops === undefined ||
          (Array.isArray(key.key_ops) && key.key_ops.includes('verify'))) &&
        (key.alg === undefined || key.alg === alg) &&
        (kid === undefined || key.kid === kid)
      )
    ) {
      continue
    }
    tried = true
    const valid = await crypto.verifySignature(
      alg as JwsAlgorithm,
      key as Jwk | Uint8Array,
      input,
      jws.signature,
    )
    if (valid) return { kind: 'verified', alg: alg as JwsAlgorithm }
    rejected ||= valid === false
  }
  // No key fits, or none could be used: a miss, final only when the JWKS was just refetched.
  if (!tried || !rejected) {
    if (keys.jwksRefreshed) {
      throw failure(policy, 'key-not-found', 'key is not in the JWKS; check the issuer', { kid })
    }
    return {
      kind: 'need-keys',
      reason: tried || kid === undefined ? 'no-usable-key' : 'unknown-kid',
      kid,
    }
  }
  throw failure(policy, 'signature-invalid', 'signature is invalid; check the issuer', { alg, kid })
}

/**
 * Whether a JWS header types the token as an access token (`typ` `at+jwt` or
 * `application/at+jwt`, case-insensitive): required of access tokens, refused for ID tokens.
 *
 * @see [RFC 9068 2.1](https://www.rfc-editor.org/rfc/rfc9068#section-2.1)
 * @see [RFC 8725 3.11](https://www.rfc-editor.org/rfc/rfc8725#section-3.11) (explicit typing)
 */
export function isAccessTokenTyp({ typ }: JwsHeader): boolean {
  return typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ)
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
  const digest = await crypto.digest(algSpec(alg)!.hash, utf8(value, crypto))
  return encode(digest.subarray(0, digest.length / 2), crypto)
}
