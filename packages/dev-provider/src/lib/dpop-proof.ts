import { createHash, createPublicKey, verify } from 'node:crypto'
import { decodeObject, JWS_COMPACT } from './jws.js'

/** What a DPoP proof is checked against: the request it came with and the token it presents. */
export interface DpopProofExpectation {
  method: string
  /** The endpoint's URL without query and fragment. */
  htu: string
  /** The access token the request presents (`ath`). */
  accessToken: string
  /** The token's `cnf.jkt`: the thumbprint the proof key must have. */
  jkt: string
  /** Seconds since epoch. */
  now: number
}

/** Seconds a proof's `iat` may be off (oidc-provider's own default window). */
const WINDOW = 60

const THUMBPRINT_MEMBERS: Record<string, string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
}

/** The RFC 7638 SHA-256 thumbprint of an EC or OKP public JWK; `undefined` for anything else. */
function thumbprint(jwk: Record<string, unknown>): string | undefined {
  const members = THUMBPRINT_MEMBERS[String(jwk.kty)]
  if (!members || members.some((name) => typeof jwk[name] !== 'string')) return undefined
  const canonical = JSON.stringify(Object.fromEntries(members.map((name) => [name, jwk[name]])))
  return createHash('sha256').update(canonical).digest('base64url')
}

/**
 * Checks a DPoP proof (RFC 9449 4.3) for a request presenting a DPoP-bound access token: one
 * compact JWS, `typ` `dpop+jwt`, `alg` ES256 or EdDSA, a public `jwk` whose signature verifies
 * and whose thumbprint is the token's `cnf.jkt`, `htm` and `htu` of this request, `iat` within a
 * minute, a `jti`, and `ath` the SHA-256 of the token. Replay is the caller's (`jti`). Returns why
 * it fails, `undefined` when it passes.
 */
export function checkDpopProof(
  proof: string | string[] | undefined,
  expected: DpopProofExpectation,
): string | undefined {
  if (typeof proof !== 'string') return 'not exactly one DPoP header'
  const parts = JWS_COMPACT.exec(proof)
  if (!parts) return 'the proof is not a compact JWS'
  const [, encodedHeader = '', encodedPayload = '', signature = ''] = parts
  const header = decodeObject(encodedHeader)
  const claims = decodeObject(encodedPayload)
  if (!header || !claims) return 'the proof header or payload is not a JSON object'
  if (header.typ !== 'dpop+jwt') return 'typ is not dpop+jwt'
  if (header.alg !== 'ES256' && header.alg !== 'EdDSA') return 'alg is not ES256 or EdDSA'
  const jwk = header.jwk
  if (typeof jwk !== 'object' || jwk === null || 'd' in jwk) return 'jwk is not a public key'
  if (thumbprint(jwk as Record<string, unknown>) !== expected.jkt) {
    return "the proof key is not the token's cnf.jkt"
  }
  let valid = false
  try {
    const key = createPublicKey({ key: jwk as never, format: 'jwk' })
    const input = Buffer.from(`${encodedHeader}.${encodedPayload}`)
    const bytes = Buffer.from(signature, 'base64url')
    valid =
      header.alg === 'ES256'
        ? verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, bytes)
        : verify(null, input, key, bytes)
  } catch {
    valid = false
  }
  if (!valid) return 'the proof signature does not verify'
  if (claims.htm !== expected.method) return 'htm is not the request method'
  if (claims.htu !== expected.htu) return 'htu is not this endpoint'
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - expected.now) > WINDOW) {
    return 'iat is not within a minute of now'
  }
  if (typeof claims.jti !== 'string' || claims.jti === '') return 'jti is missing'
  const ath = createHash('sha256').update(expected.accessToken).digest('base64url')
  if (claims.ath !== ath) return 'ath is not the SHA-256 of the access token'
  return undefined
}
