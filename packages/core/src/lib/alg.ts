// What a JWS `alg` needs (RFC 7518 3.1, RFC 8037 3.1): one table for the JWS checks and WebCrypto.
import type { DigestAlgorithm } from '../crypto/provider.js'
import type { JwsAlgorithm } from '../protocol/types.js'

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

const algs = (names: string) => Object.freeze(names.split(' ')) as readonly JwsAlgorithm[]

/** Every asymmetric algorithm understood, in preference order. Never `none`, never HS*. */
export const ASYMMETRIC_ALGS = algs(
  'RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519',
)

/** The algorithms keyed by a shared secret; only ever accepted with an explicit secret. */
export const SYMMETRIC_ALGS = algs('HS256 HS384 HS512')

// Built once for the 14 names, so a lookup per token allocates nothing and runs no regex.
const SPECS: Record<string, AlgSpec> = {}
for (const alg of [...ASYMMETRIC_ALGS, ...SYMMETRIC_ALGS]) {
  const ed = alg[1] === 'd'
  const family = ed ? 'O' : alg[0]!
  const bits = ed ? '512' : alg.slice(2)
  SPECS[alg] = {
    family,
    kty: family === 'E' ? 'EC' : family === 'H' ? 'oct' : ed ? 'OKP' : 'RSA',
    crv: family === 'E' ? `P-${bits === '512' ? 521 : bits}` : ed ? 'Ed25519' : undefined,
    hash: `SHA-${bits}` as DigestAlgorithm,
  }
}

/** `undefined` for an algorithm this library does not implement, `none` included. */
export function algSpec(alg: string): AlgSpec | undefined {
  return Object.hasOwn(SPECS, alg) ? SPECS[alg] : undefined
}
