// Test-only JWT helpers built on jose and node:crypto, never on the library's own code, so tests
// cannot agree with the implementation by construction.
import { createHash } from 'node:crypto'
import { CompactSign, exportJWK, generateKeyPair } from 'jose'
import type { JsonWebKeySet, Jwk } from '../../src/protocol/types.js'

export type AsymmetricAlg =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'

/** Every asymmetric JWS algorithm the tests sign with, one key type and hash each. */
export const ASYMMETRIC_TEST_ALGS: readonly AsymmetricAlg[] = [
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
]

export interface TestKeyPair {
  alg: AsymmetricAlg
  kid: string
  privateKey: CryptoKey
  /** Public JWK as a provider publishes it: with `kid`, `alg` and `use: 'sig'`. */
  publicJwk: Jwk
}

let keyCounter = 0

/** Generates a key pair for `alg` (RSA 2048, EC on the alg's curve, Ed25519). */
export async function generateTestKey(alg: AsymmetricAlg, kid?: string): Promise<TestKeyPair> {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true }
  const { publicKey, privateKey } = await generateKeyPair(alg, options)
  const id = kid ?? `${alg.toLowerCase()}-${++keyCounter}`
  const exported = await exportJWK(publicKey)
  return {
    alg,
    kid: id,
    privateKey,
    publicJwk: { ...exported, kty: exported.kty ?? '', kid: id, alg, use: 'sig' },
  }
}

/** A JWKS holding the given public keys. */
export function jwksOf(...keys: Jwk[]): JsonWebKeySet {
  return { keys }
}

/** base64url of raw bytes or of a value's JSON. */
export function segment(value: unknown): string {
  const bytes =
    value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(JSON.stringify(value), 'utf8')
  return bytes.toString('base64url')
}

/**
 * Signs an arbitrary protected header and payload with jose. `header.alg` must suit the key;
 * `crit` lists the critical header parameters jose should let through.
 */
export async function signJws(
  header: Record<string, unknown> & { alg: string },
  payload: unknown,
  key: CryptoKey | Uint8Array,
  crit?: string[],
): Promise<string> {
  const body =
    payload instanceof Uint8Array ? payload : new TextEncoder().encode(JSON.stringify(payload))
  return new CompactSign(body)
    .setProtectedHeader(header)
    .sign(key, crit ? { crit: Object.fromEntries(crit.map((name) => [name, true])) } : undefined)
}

/** Signs `payload` with a test key; the header gets the key's `alg` and `kid` unless overridden. */
export function signWith(
  key: TestKeyPair,
  payload: unknown,
  header: Record<string, unknown> = {},
): Promise<string> {
  return signJws({ alg: key.alg, kid: key.kid, ...header }, payload, key.privateKey)
}

/** An unsecured JWS (empty signature), e.g. `alg: none`; jose will not produce arbitrary ones. */
export function unsignedJws(header: Record<string, unknown>, payload: unknown): string {
  return `${segment(header)}.${segment(payload)}.`
}

/** The `c_hash`/`at_hash` of `value` for `alg`, computed with node:crypto (OIDC Core 3.3.2.11). */
export function halfHash(alg: string, value: string): string {
  const hash =
    alg === 'EdDSA' || alg === 'Ed25519' || alg.endsWith('512')
      ? 'sha512'
      : alg.endsWith('384')
        ? 'sha384'
        : 'sha256'
  const digest = createHash(hash).update(value, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

/** Drops `kid` (or other members) from a public JWK. */
export function withoutMembers(jwk: Jwk, ...names: string[]): Jwk {
  const copy: Jwk = { ...jwk }
  for (const name of names) delete copy[name]
  return copy
}
