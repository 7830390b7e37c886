import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { isRecord } from './is-record.js'

/** The provider's own signing key, as {@link resignPayload} needs it. */
export interface JwsSigner {
  alg: 'RS256' | 'ES256'
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
}

/** A compact JWS: three base64url segments. */
export const JWS_COMPACT = /^([\w-]+)\.([\w-]+)\.([\w-]+)$/

/** A signer for the provider's private signing JWK. */
export function signerOf(
  privateJwk: Record<string, unknown> & { kid: string },
  alg: 'RS256' | 'ES256',
): JwsSigner {
  const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' })
  return { alg, kid: privateJwk.kid, privateKey, publicKey: createPublicKey(privateKey) }
}

/** The JSON object a base64url segment holds; `undefined` for anything else. */
export function decodeObject(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return isRecord(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** JWS ES256 signatures are r || s (RFC 7518 §3.4), not DER. */
function keyFor({ alg }: { alg: 'RS256' | 'ES256' }, key: KeyObject) {
  return alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
}

/** Whether `signature` (base64url) is `key`'s `alg` signature of `signingInput`; never throws. */
export function verifies(
  alg: 'RS256' | 'ES256',
  key: KeyObject,
  signingInput: string,
  signature: string,
): boolean {
  try {
    return verify(
      'sha256',
      Buffer.from(signingInput),
      keyFor({ alg }, key),
      Buffer.from(signature, 'base64url'),
    )
  } catch {
    return false
  }
}

/**
 * Lets `edit` change the payload of a compact JWS signed with the provider's key, and signs the
 * result again with that key; the protected header is kept byte for byte. Returns the JWS
 * unchanged when `edit` changes nothing, and `undefined` when it is not a JWS this key signed
 * (another `alg` or `kid`, an encrypted token, a bad signature): nothing else is ever re-signed.
 */
export function resignPayload(
  jws: string,
  signer: JwsSigner,
  edit: (payload: Record<string, unknown>) => boolean,
): string | undefined {
  const parts = JWS_COMPACT.exec(jws)
  if (!parts) return undefined
  const [, headerSegment = '', payloadSegment = '', signature = ''] = parts
  const header = decodeObject(headerSegment)
  const payload = decodeObject(payloadSegment)
  if (!header || !payload || header.alg !== signer.alg || header.kid !== signer.kid)
    return undefined
  if (!verifies(signer.alg, signer.publicKey, `${headerSegment}.${payloadSegment}`, signature)) {
    return undefined
  }
  if (!edit(payload)) return jws
  const signingInput = `${headerSegment}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  const newSignature = sign('sha256', Buffer.from(signingInput), keyFor(signer, signer.privateKey))
  return `${signingInput}.${newSignature.toString('base64url')}`
}
