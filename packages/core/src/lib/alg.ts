// What a JWS `alg` needs (RFC 7518 3.1, RFC 8037 3.1): one table for the JWS checks and WebCrypto.
import type { DigestAlgorithm } from '../crypto/provider.js'

export interface AlgSpec {
  /** `R`, `P`, `E`, `H` for RS*, PS*, ES*, HS*; `O` for EdDSA and Ed25519. */
  family: string
  /** The JWK `kty` that can verify it (`oct`: HS*, only ever from the client secret). */
  kty: string
  /** The JWK `crv`, for EC and OKP. */
  crv?: string
  /** Its SHA-2, also the `c_hash` / `at_hash` hash (SHA-512 for EdDSA, OIDC Core 3.3.2.11). */
  hash: DigestAlgorithm
}

const ALGS = /^(?:([RPEH])S(256|384|512)|EdDSA|Ed25519)$/

/** `undefined` for an algorithm this library does not implement, `none` included. */
export function algSpec(alg: string): AlgSpec | undefined {
  const match = ALGS.exec(alg)
  if (!match) return undefined
  const [, family = 'O', bits = '512'] = match
  return {
    family,
    kty: family === 'E' ? 'EC' : family === 'H' ? 'oct' : family === 'O' ? 'OKP' : 'RSA',
    crv:
      family === 'E' ? `P-${bits === '512' ? 521 : bits}` : family === 'O' ? 'Ed25519' : undefined,
    hash: `SHA-${bits}` as DigestAlgorithm,
  }
}
