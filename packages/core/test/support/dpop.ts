// Test-only DPoP helpers (RFC 9449) built on jose and node:crypto, never on the library's own code:
// proof keys with their thumbprints, and proofs with any header or claim changed.
import { createHash, randomUUID } from 'node:crypto'
import {
  calculateJwkThumbprint,
  EmbeddedJWK,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
} from 'jose'
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

/** Header and claims of a proof that `verifyProof` accepted, with its key's thumbprint. */
export interface VerifiedProof {
  header: Record<string, unknown> & { jwk: JWK }
  claims: Record<string, unknown>
  /** The RFC 7638 SHA-256 thumbprint of the header's `jwk`, by jose. */
  jkt: string
}

/** Members a public EC, OKP or RSA JWK never has. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/**
 * Verifies a DPoP proof as a server would (RFC 9449 4.3), with jose only: one JWS with `typ`
 * `dpop+jwt`, an ES256 or EdDSA signature by the public `jwk` it embeds (no private member),
 * `htm` `method`, `htu` `url` without query and fragment, `iat` within 60 s of `now`, a `jti`,
 * and `ath` = base64url(SHA-256(`accessToken`)) exactly when an access token is presented.
 * Throws an Error naming the first failed check.
 */
export async function verifyProof(
  proof: string | null | undefined,
  expected: { method: string; url: string; now: number; accessToken?: string },
): Promise<VerifiedProof> {
  if (!proof) throw new Error('no DPoP proof')
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
    typ: 'dpop+jwt',
    algorithms: ['ES256', 'EdDSA'],
    currentDate: new Date(expected.now * 1000),
  })
  const jwk = protectedHeader.jwk as JWK
  for (const member of PRIVATE_MEMBERS) {
    if (member in jwk) throw new Error(`the proof's jwk has the private member ${member}`)
  }
  const url = new URL(expected.url)
  if (payload.htm !== expected.method) throw new Error(`htm ${payload.htm}`)
  if (payload.htu !== `${url.origin}${url.pathname}`) throw new Error(`htu ${payload.htu}`)
  if (typeof payload.iat !== 'number' || Math.abs(payload.iat - expected.now) > 60) {
    throw new Error(`iat ${payload.iat}`)
  }
  if (typeof payload.jti !== 'string' || payload.jti === '') throw new Error('no jti')
  const ath = expected.accessToken === undefined ? undefined : athOf(expected.accessToken)
  if (payload.ath !== ath) throw new Error(`ath ${payload.ath}, expected ${ath}`)
  return {
    header: protectedHeader as VerifiedProof['header'],
    claims: payload as Record<string, unknown>,
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
  }
}

/** The RFC 7638 thumbprint (jose) of a private or public EC/OKP JWK's public members. */
export function thumbprintOf({ kty, crv, x, y }: JsonWebKey): Promise<string> {
  return calculateJwkThumbprint({ kty, crv, x, y } as JWK, 'sha256')
}
