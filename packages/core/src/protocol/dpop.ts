/**
 * DPoP on the API side (RFC 9449): read `Authorization: DPoP <token>`, check the `DPoP` proof
 * that comes with it, and the access token's binding to the proof's key. Pure: the time, the
 * crypto provider and the nonce key come in; what must be remembered (the proof's `jti`) goes
 * out, for the caller's replay memory.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import type { ErrorCode, OidcHybridError } from '../errors.js'
import { ASYMMETRIC_ALGS } from '../lib/alg.js'
import { decode, encode, utf8 } from '../lib/base64url.js'
import { isNumber, isRecord, timingSafeEqual } from '../lib/compare.js'
import { extractBearerToken } from './bearer.js'
import { configError, oidcError } from './http.js'
import { decodeJws } from './jws.js'
import type { Jwk, JwsAlgorithm } from './types.js'

/** The proof algorithms accepted unless configured: ES256, what DPoP clients use by default. */
export const DEFAULT_DPOP_ALGS: readonly JwsAlgorithm[] = Object.freeze(['ES256'])

/** Seconds a proof's `iat` may lie before or after now, unless configured. */
export const DEFAULT_DPOP_WINDOW = 60

/** The authentication scheme an access token came with. */
export type AuthorizationScheme = 'Bearer' | 'DPoP'

/** Which schemes a route accepts. */
export interface AcceptedSchemes {
  bearer: boolean
  dpop: boolean
}

// RFC 9449 7.1: credentials = "DPoP" 1*SP token68
const DPOP_CREDENTIALS = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i

// Far above any real proof (an RSA-4096 jwk is ~750 characters): a cap on what is parsed.
const MAX_PROOF_LENGTH = 8192
// `jti`s are kept in the replay memory: bounded in size, not only in number.
const MAX_JTI_LENGTH = 256
// RFC 7517 / RFC 7518 6: the members only a private (or symmetric) key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
// RFC 7638 3.2: the required members per key type, in lexicographic order.
const THUMBPRINT_MEMBERS: Record<string, string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
}
// RFC 3986 2.3: unreserved characters, which a percent-encoding must not hide (6.2.2.2).
const UNRESERVED = /[A-Za-z0-9\-._~]/

/** A failure of the DPoP scheme; `details.scheme` tells the challenge which scheme erred. */
function dpopError(
  code: ErrorCode,
  message: string,
  reason: string,
  scheme: AuthorizationScheme = 'DPoP',
): OidcHybridError {
  return oidcError(code, message, { reason, scheme })
}

function invalidProof(reason: string, message: string): OidcHybridError {
  return dpopError('DPOP_PROOF_INVALID', `DPoP proof ${message}`, reason)
}

/**
 * Reads the access token and its scheme from an `Authorization` header value: `DPoP <token>` when
 * `accepted.dpop`, `Bearer <token>` when `accepted.bearer` (both schemes case-insensitive). No
 * header, or a scheme not accepted, is `BEARER_TOKEN_MISSING` (401 with a bare challenge, RFC 6750
 * 3.1); a DPoP header that is not `DPoP <one token>` is `BEARER_REQUEST_INVALID` (400).
 *
 * @see [RFC 9449 7.1](https://www.rfc-editor.org/rfc/rfc9449#section-7.1)
 * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
 * @example
 * ```ts
 * const { scheme, token } = extractAccessToken(request.headers.get('authorization'), { bearer: true, dpop: true })
 * ```
 */
export function extractAccessToken(
  authorization: string | null | undefined,
  accepted: AcceptedSchemes,
): { scheme: AuthorizationScheme; token: string } {
  const value = typeof authorization === 'string' ? authorization.trim() : ''
  if (accepted.dpop && value.split(/[ \t]/, 1)[0]!.toLowerCase() === 'dpop') {
    const match = DPOP_CREDENTIALS.exec(value)
    if (!match) {
      throw dpopError(
        'BEARER_REQUEST_INVALID',
        'Authorization is not "DPoP <one token>"',
        'authorization',
      )
    }
    return { scheme: 'DPoP', token: match[1]! }
  }
  if (!accepted.bearer) {
    throw dpopError(
      'BEARER_TOKEN_MISSING',
      'this API takes DPoP-bound tokens only: send "Authorization: DPoP <access token>" and a DPoP proof',
      'scheme',
    )
  }
  return { scheme: 'Bearer', token: extractBearerToken(authorization) }
}

/**
 * The JWK SHA-256 thumbprint of a public EC, RSA or OKP key, as `cnf.jkt` holds it; `undefined`
 * for another key type or a required member that is not a non-empty string.
 *
 * @see [RFC 7638 3](https://www.rfc-editor.org/rfc/rfc7638#section-3)
 * @see [RFC 9449 6.1](https://www.rfc-editor.org/rfc/rfc9449#section-6.1) (`cnf.jkt`)
 */
export async function jwkThumbprint(jwk: Jwk, crypto: CryptoProvider): Promise<string | undefined> {
  if (!Object.hasOwn(THUMBPRINT_MEMBERS, jwk.kty)) return undefined
  const members: Record<string, unknown> = {}
  for (const name of THUMBPRINT_MEMBERS[jwk.kty]!) {
    const value = jwk[name]
    if (typeof value !== 'string' || !value) return undefined
    members[name] = value
  }
  // In that order, no whitespace; base64url and curve names need no escaping.
  return encode(await crypto.digest('SHA-256', utf8(JSON.stringify(members), crypto)), crypto)
}

/**
 * An `htu` (or the request URL) as compared: scheme, host and port normalized (case, default
 * port), then the path with dot segments removed and percent-encodings normalized; no query, no
 * fragment. `undefined` unless it is an absolute http(s) URL.
 *
 * @see [RFC 9449 4.3](https://www.rfc-editor.org/rfc/rfc9449#section-4.3) (item 9)
 * @see [RFC 3986 6.2.2](https://www.rfc-editor.org/rfc/rfc3986#section-6.2.2), [6.2.3](https://www.rfc-editor.org/rfc/rfc3986#section-6.2.3)
 */
export function normalizeHtu(value: unknown): string | undefined {
  let url: URL
  try {
    url = new URL(typeof value === 'string' ? value : '')
  } catch {
    return undefined
  }
  if (!/^https?:$/.test(url.protocol)) return undefined
  const path = url.pathname.replace(/%[0-9a-f]{2}/gi, (encoded) => {
    const char = String.fromCharCode(Number.parseInt(encoded.slice(1), 16))
    return UNRESERVED.test(char) ? char : encoded.toUpperCase()
  })
  return url.origin + path
}

export interface DpopProofOptions {
  /** The request's method, as received. */
  method: string
  /** The request's absolute URL as the client addressed it (behind a proxy: the external one). */
  url: string
  /** The access token presented with the proof (`ath` must be its hash). */
  accessToken: string
  /** Accepted proof algorithms, all asymmetric. Default {@link DEFAULT_DPOP_ALGS}. */
  algorithms?: readonly JwsAlgorithm[]
  /** Current time, seconds since the epoch. */
  now: number
  /** Seconds `iat` may lie before or after `now`. Default {@link DEFAULT_DPOP_WINDOW}. */
  window?: number
  crypto: CryptoProvider
  /**
   * The JWK object to verify with for a proof key of thumbprint `jkt` (the `jwk` it came with, or
   * one seen before with the same thumbprint, hence the same public key): a crypto provider
   * remembers the keys it imported per JWK object, so a client's later proofs skip the import.
   */
  keyOf?: (jkt: string, jwk: Jwk) => Jwk
}

/** A proof that passed every check that needs no memory. */
export interface DpopProof {
  /** The RFC 7638 thumbprint of the proof's key: the access token's `cnf.jkt` must equal it. */
  jkt: string
  /** The proof's id: refuse it a second time (RFC 9449 11.1). */
  jti: string
  /** Remember `jti` (with `jkt`) while `now` is before this: later the proof is too old anyway. */
  replayUntil: number
  /** The server nonce the proof carries, if any: the caller checks it (RFC 9449 9). */
  nonce?: string
}

/**
 * Checks a `DPoP` header value against the request it came with: one compact JWS, `typ`
 * `dpop+jwt`, an accepted asymmetric `alg`, a public `jwk` (no private members) that verifies the
 * signature, `htm` = the method, `htu` = the URL (normalized, without query and fragment), `iat`
 * within the window, a `jti`, and `ath` = the access token's SHA-256. Throws `DPOP_PROOF_INVALID`
 * (`details.reason` names the check). Replay (`jti`), the server nonce and the token's binding
 * (`cnf.jkt` = `jkt`, {@link checkDpopBinding}) are the caller's to check.
 *
 * @see [RFC 9449 4.3](https://www.rfc-editor.org/rfc/rfc9449#section-4.3) (checking DPoP proofs)
 * @see [RFC 9449 7.1](https://www.rfc-editor.org/rfc/rfc9449#section-7.1) (`ath`)
 * @example
 * ```ts
 * const proof = await verifyDpopProof(request.headers.get('dpop'), {
 *   method: request.method,
 *   url: request.url,
 *   accessToken: token,
 *   now: Math.floor(Date.now() / 1000),
 *   crypto,
 * })
 * ```
 */
export async function verifyDpopProof(
  header: string | null | undefined,
  options: DpopProofOptions,
): Promise<DpopProof> {
  const { crypto, now, method } = options
  const algorithms = options.algorithms ?? DEFAULT_DPOP_ALGS
  const window = options.window ?? DEFAULT_DPOP_WINDOW
  if (!algorithms.length || !algorithms.every((alg) => ASYMMETRIC_ALGS.includes(alg))) {
    throw configError('DPoP proof algorithms must be asymmetric JWS algorithms', { algorithms })
  }
  if (typeof header !== 'string' || !header) {
    throw invalidProof('missing', 'is missing: send it in the DPoP header with the DPoP token')
  }
  // Fetch and Node join repeated headers with a comma, which a compact JWS never contains.
  if (header.includes(',')) throw invalidProof('multiple', 'must be sent once (one DPoP header)')
  if (header.length > MAX_PROOF_LENGTH) throw invalidProof('size', 'is too large')
  const jws = decodeJws(
    header,
    { tokenName: 'DPoP proof', code: () => 'DPOP_PROOF_INVALID' },
    crypto,
  )
  const { alg, typ, jwk } = jws.header
  if (typeof typ !== 'string' || !/^(application\/)?dpop\+jwt$/i.test(typ)) {
    throw invalidProof('typ', 'typ is not dpop+jwt')
  }
  if (!algorithms.includes(alg as JwsAlgorithm)) {
    throw invalidProof('alg', `alg is not one of ${algorithms.join(' ')}`)
  }
  if (!isRecord(jwk) || PRIVATE_MEMBERS.some((name) => name in jwk)) {
    throw invalidProof('jwk', 'jwk is missing or is not a public key')
  }
  const jkt = await jwkThumbprint(jwk as Jwk, crypto)
  if (!jkt) throw invalidProof('jwk', 'jwk is not a public EC, RSA or OKP key')
  const valid = await crypto.verifySignature(
    alg as JwsAlgorithm,
    options.keyOf?.(jkt, jwk as Jwk) ?? (jwk as Jwk),
    utf8(jws.signingInput, crypto),
    jws.signature,
  )
  if (valid === undefined) throw invalidProof('jwk', `jwk cannot verify ${alg}`)
  if (!valid) throw invalidProof('signature', 'signature is invalid')
  const { htm, htu, iat, jti, ath, nonce } = jws.payload
  if (htm !== method) throw invalidProof('htm', `htm is not ${method}`)
  const url = normalizeHtu(options.url)
  if (!url || normalizeHtu(htu) !== url) {
    throw invalidProof('htu', 'htu is not the URL of this request')
  }
  if (!isNumber(iat) || iat < now - window || iat > now + window) {
    throw invalidProof('iat', 'iat is missing or too far from now; make a new proof per request')
  }
  if (typeof jti !== 'string' || !jti || jti.length > MAX_JTI_LENGTH) {
    throw invalidProof('jti', 'jti is missing or too long')
  }
  const hash = encode(await crypto.digest('SHA-256', utf8(options.accessToken, crypto)), crypto)
  if (typeof ath !== 'string' || !timingSafeEqual(ath, hash)) {
    throw invalidProof('ath', 'ath is not the hash of this access token')
  }
  if (nonce !== undefined && typeof nonce !== 'string') {
    throw invalidProof('nonce', 'nonce is not a string')
  }
  return { jkt, jti, replayUntil: iat + window + 1, nonce }
}

/**
 * Checks an access token's key binding: with `jkt` (a DPoP request), `cnf.jkt` must equal it;
 * without (a Bearer request), the token must not be bound, since a DPoP-bound token sent as a
 * bearer token has lost its proof of possession. Throws `DPOP_BINDING_MISMATCH`.
 *
 * @see [RFC 9449 6.1](https://www.rfc-editor.org/rfc/rfc9449#section-6.1)
 * @see [RFC 9449 7.2](https://www.rfc-editor.org/rfc/rfc9449#section-7.2)
 */
export function checkDpopBinding(claims: Record<string, unknown>, jkt?: string): void {
  const { cnf } = claims
  const bound = isRecord(cnf) && typeof cnf.jkt === 'string' ? cnf.jkt : undefined
  if (jkt === undefined) {
    if (bound !== undefined) {
      throw dpopError(
        'DPOP_BINDING_MISMATCH',
        'access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof',
        'bearer',
        'Bearer',
      )
    }
  } else if (bound === undefined || !timingSafeEqual(bound, jkt)) {
    throw dpopError(
      'DPOP_BINDING_MISMATCH',
      bound === undefined
        ? 'access token is not DPoP-bound (no cnf.jkt): send it as a Bearer token'
        : "access token is bound to another key than the DPoP proof's",
      'cnf',
    )
  }
}

export interface DpopNonceKey {
  /** 32 bytes: the AES-256-GCM key nonces are sealed with. */
  key: Uint8Array
  crypto: CryptoProvider
}

const NONCE_AAD = 'oidc-hybrid dpop-nonce 1'
const NONCE_BYTES = 12 + 4 + 16

/**
 * A server nonce valid until `expiresAt` (seconds since the epoch): the expiry sealed with
 * AES-256-GCM under `key` (`iv`: 12 random bytes from the caller), so checking one needs no
 * memory and any instance holding the key can. 43 characters of base64url.
 *
 * @see [RFC 9449 9](https://www.rfc-editor.org/rfc/rfc9449#section-9)
 */
export async function sealDpopNonce(
  expiresAt: number,
  iv: Uint8Array,
  { key, crypto }: DpopNonceKey,
): Promise<string> {
  const expiry = new Uint8Array(4)
  new DataView(expiry.buffer).setUint32(0, expiresAt)
  const sealed = await crypto.encrypt(key, iv, expiry, utf8(NONCE_AAD, crypto))
  const nonce = new Uint8Array(NONCE_BYTES)
  nonce.set(iv)
  nonce.set(sealed, iv.length)
  return encode(nonce, crypto)
}

/**
 * The expiry sealed in a nonce from {@link sealDpopNonce} with the same key; `undefined` for
 * anything else (another key, altered, not a nonce at all). The caller compares it with now.
 */
export async function openDpopNonce(
  nonce: string,
  { key, crypto }: DpopNonceKey,
): Promise<number | undefined> {
  const bytes = decode(nonce, crypto)
  if (bytes?.length !== NONCE_BYTES) return undefined
  const expiry = await crypto.decrypt(
    key,
    bytes.subarray(0, 12),
    bytes.subarray(12),
    utf8(NONCE_AAD, crypto),
  )
  return expiry && new DataView(expiry.buffer, expiry.byteOffset, 4).getUint32(0)
}
