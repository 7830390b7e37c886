import { createPublicKey, type KeyObject } from 'node:crypto'
import { decodeObject, JWS_COMPACT, verifies } from './jws.js'

/** What {@link verifyAccessTokenJwt} checks a token against: the provider's own signing key. */
export interface AccessTokenJwtVerification {
  issuer: string
  /** The `aud` value the token must contain, e.g. `${issuer}userinfo`. */
  audience: string
  alg: 'RS256' | 'ES256'
  kid: string
  key: KeyObject
  /** Seconds since epoch. */
  now: number
}

/** The claims {@link verifyAccessTokenJwt} guarantees, plus the rest of the payload. */
export interface VerifiedAccessTokenJwt {
  iss: string
  sub: string
  client_id: string
  jti: string
  exp: number
  aud: string[]
  [claim: string]: unknown
}

export type AccessTokenJwtResult =
  | { ok: true; claims: VerifiedAccessTokenJwt }
  | { ok: false; reason: string }

/** The public half of the provider's private signing JWK. */
export function publicKeyOf(privateJwk: Record<string, unknown>): KeyObject {
  return createPublicKey({ key: privateJwk, format: 'jwk' })
}

/**
 * Verifies a JWT access token this provider issued (RFC 9068) for use at one of its own
 * endpoints: `typ` `at+jwt`, the provider's `alg` and `kid`, the signature, `iss`, `exp`, and an
 * `aud` that contains `options.audience`. Failures are returned, not thrown, with the reason for
 * the log; the caller answers every one of them with `invalid_token` alike.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export function verifyAccessTokenJwt(
  jwt: string,
  options: AccessTokenJwtVerification,
): AccessTokenJwtResult {
  const parts = JWS_COMPACT.exec(jwt)
  if (!parts) return { ok: false, reason: 'not a JWS in compact serialization' }
  const [, encodedHeader = '', encodedPayload = '', signature = ''] = parts
  const header = decodeObject(encodedHeader)
  if (!header) return { ok: false, reason: 'the JOSE header is not a JSON object' }
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') {
    return { ok: false, reason: `typ is ${JSON.stringify(header.typ)}, expected "at+jwt"` }
  }
  if (header.alg !== options.alg || header.kid !== options.kid) {
    return { ok: false, reason: 'not signed with the provider key (alg or kid differ)' }
  }
  if (header.crit !== undefined) return { ok: false, reason: 'unsupported crit header' }
  if (!verifies(options.alg, options.key, `${encodedHeader}.${encodedPayload}`, signature)) {
    return { ok: false, reason: 'signature verification failed' }
  }
  const payload = decodeObject(encodedPayload)
  if (!payload) return { ok: false, reason: 'the payload is not a JSON object' }
  if (payload.iss !== options.issuer) {
    return {
      ok: false,
      reason: `iss is ${JSON.stringify(payload.iss)}, expected "${options.issuer}"`,
    }
  }
  const { exp, nbf, sub, client_id, jti } = payload
  if (typeof exp !== 'number' || exp <= options.now) return { ok: false, reason: 'expired' }
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > options.now)) {
    return { ok: false, reason: 'not yet valid (nbf)' }
  }
  const aud = typeof payload.aud === 'string' ? [payload.aud] : payload.aud
  if (!Array.isArray(aud) || !aud.every((value) => typeof value === 'string')) {
    return { ok: false, reason: 'aud is missing or not a string array' }
  }
  if (!aud.includes(options.audience)) {
    return { ok: false, reason: `aud does not contain "${options.audience}"` }
  }
  if (typeof sub !== 'string' || sub === '') return { ok: false, reason: 'sub is missing' }
  if (typeof client_id !== 'string' || client_id === '') {
    return { ok: false, reason: 'client_id is missing' }
  }
  if (typeof jti !== 'string' || jti === '') return { ok: false, reason: 'jti is missing' }
  return { ok: true, claims: { ...payload, iss: options.issuer, sub, client_id, jti, exp, aud } }
}
