// Test-only DPoP helpers (RFC 9449) built on jose and node:crypto, never on the library's own code:
// proof keys with their thumbprints, and proofs with any header or claim changed.
import { createHash, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import type { Jwk } from '../../src/protocol/types.js'
import { signJws } from './jwt.js'

export type ProofAlg = 'ES256' | 'ES384' | 'PS256' | 'RS256' | 'EdDSA'

export interface ProofKey {
  alg: ProofAlg
  privateKey: CryptoKey
  /** The public JWK as a DPoP client puts it in the proof header (no kid, alg or use). */
  jwk: Jwk
  /** Its RFC 7638 SHA-256 thumbprint, computed by jose. */
  jkt: string
}

/** A client's proof key for `alg` (EC on the alg's curve, RSA 2048, Ed25519). */
export async function proofKey(alg: ProofAlg = 'ES256'): Promise<ProofKey> {
  const options = alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { extractable: true }
  const { publicKey, privateKey } = await generateKeyPair(alg, options)
  const exported = await exportJWK(publicKey)
  const jwk = { ...exported, kty: exported.kty ?? '' }
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(exported, 'sha256') }
}

/** `ath` as RFC 9449 4.2 defines it: base64url(SHA-256(ASCII access token)), by node:crypto. */
export function athOf(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

export interface ProofInput {
  htm: string
  htu: string
  iat: number
  accessToken: string
  /** Protected header members to add or (with `undefined`) remove. */
  header?: Record<string, unknown>
  /** Claims to add or (with `undefined`) remove. */
  claims?: Record<string, unknown>
}

/** A DPoP proof signed with `key`: `typ` dpop+jwt, the key's alg and public jwk; a fresh jti. */
export function proofOf(key: ProofKey, input: ProofInput): Promise<string> {
  const header = { alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...input.header }
  const claims = {
    jti: randomUUID(),
    htm: input.htm,
    htu: input.htu,
    iat: input.iat,
    ath: athOf(input.accessToken),
    ...input.claims,
  }
  return signJws(
    JSON.parse(JSON.stringify(header)) as Record<string, unknown> & { alg: string },
    JSON.parse(JSON.stringify(claims)),
    key.privateKey,
  )
}
