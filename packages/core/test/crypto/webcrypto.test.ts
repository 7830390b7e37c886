// The default CryptoProvider against node:crypto and published vectors: a key that cannot be used
// for an algorithm is `undefined` (skipped), a bad signature is `false`, imports are cached.
import {
  createCipheriv,
  createHash,
  createHmac,
  constants as cryptoConstants,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import type { Jwk, JwsAlgorithm } from '../../src/protocol/types.js'

const INPUT = new TextEncoder().encode('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ')

interface NodeKey {
  privateKey: KeyObject
  jwk: Jwk
}

function nodeKey(pair: { privateKey: KeyObject; publicKey: KeyObject }): NodeKey {
  return { privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as Jwk }
}

let rsa2048: NodeKey
let rsa1024: NodeKey
let p256: NodeKey
let p384: NodeKey
let ed25519: NodeKey

beforeAll(() => {
  rsa2048 = nodeKey(generateKeyPairSync('rsa', { modulusLength: 2048 }))
  rsa1024 = nodeKey(generateKeyPairSync('rsa', { modulusLength: 1024 }))
  p256 = nodeKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }))
  p384 = nodeKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }))
  ed25519 = nodeKey(generateKeyPairSync('ed25519'))
})

const ecdsa = (hash: string, key: NodeKey) =>
  new Uint8Array(sign(hash, INPUT, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }))
const pkcs1 = (hash: string, key: NodeKey) => new Uint8Array(sign(hash, INPUT, key.privateKey))
const pss = (hash: string, saltLength: number, key: NodeKey) =>
  new Uint8Array(
    sign(hash, INPUT, {
      key: key.privateKey,
      padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
      saltLength,
    }),
  )
const eddsa = (key: NodeKey) => new Uint8Array(sign(null, INPUT, key.privateKey))

function flipped(signature: Uint8Array): Uint8Array {
  const copy = signature.slice()
  copy[copy.length - 1]! ^= 1
  return copy
}

/** The real SubtleCrypto, counting calls per method. */
function countingSubtle() {
  const real = globalThis.crypto.subtle
  const calls: Record<string, number> = {}
  const subtle = new Proxy(real, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls[String(property)] = (calls[String(property)] ?? 0) + 1
        return value.apply(target, args)
      }
    },
  })
  return { subtle, calls }
}

describe('verifySignature: valid and invalid signatures', () => {
  const crypto = new WebCryptoProvider()

  it.each([
    ['RS256', () => rsa2048, () => pkcs1('sha256', rsa2048)],
    ['RS384', () => rsa2048, () => pkcs1('sha384', rsa2048)],
    ['RS512', () => rsa2048, () => pkcs1('sha512', rsa2048)],
    ['PS256', () => rsa2048, () => pss('sha256', 32, rsa2048)],
    ['PS384', () => rsa2048, () => pss('sha384', 48, rsa2048)],
    ['PS512', () => rsa2048, () => pss('sha512', 64, rsa2048)],
    ['ES256', () => p256, () => ecdsa('sha256', p256)],
    ['ES384', () => p384, () => ecdsa('sha384', p384)],
    ['EdDSA', () => ed25519, () => eddsa(ed25519)],
    ['Ed25519', () => ed25519, () => eddsa(ed25519)],
  ] as const)('%s: true for the signature, false when altered', async (alg, key, signature) => {
    const jwk = key().jwk
    expect(await crypto.verifySignature(alg, jwk, INPUT, signature())).toBe(true)
    expect(await crypto.verifySignature(alg, jwk, INPUT, flipped(signature()))).toBe(false)
  })

  it.each([
    ['HS256', 'sha256'],
    ['HS384', 'sha384'],
    ['HS512', 'sha512'],
  ] as const)('%s with the raw secret: true, and false with another secret', async (alg, hash) => {
    const secret = new TextEncoder().encode('client-secret-with-enough-entropy')
    const mac = new Uint8Array(createHmac(hash, secret).update(INPUT).digest())
    expect(await crypto.verifySignature(alg, secret, INPUT, mac)).toBe(true)
    const other = new TextEncoder().encode('another-secret-with-enough-entropy')
    expect(await crypto.verifySignature(alg, other, INPUT, mac)).toBe(false)
  })

  it('ES256 signature does not verify the same input under ES256 with another key', async () => {
    const other = nodeKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }))
    expect(await crypto.verifySignature('ES256', other.jwk, INPUT, ecdsa('sha256', p256))).toBe(
      false,
    )
  })
})

describe('verifySignature: keys that cannot be used are undefined', () => {
  const crypto = new WebCryptoProvider()

  it('an RSA key for ES256 (wrong key type)', async () => {
    expect(
      await crypto.verifySignature('ES256', rsa2048.jwk, INPUT, ecdsa('sha256', p256)),
    ).toBeUndefined()
  })

  it('an EC key for RS256 (wrong key type)', async () => {
    expect(
      await crypto.verifySignature('RS256', p256.jwk, INPUT, pkcs1('sha256', rsa2048)),
    ).toBeUndefined()
  })

  it('a P-384 key for ES256 (wrong curve)', async () => {
    expect(
      await crypto.verifySignature('ES256', p384.jwk, INPUT, ecdsa('sha256', p384)),
    ).toBeUndefined()
  })

  it('an RSA key under 2048 bits, even with a correct signature', async () => {
    const signature = pkcs1('sha256', rsa1024)
    expect(await crypto.verifySignature('RS256', rsa1024.jwk, INPUT, signature)).toBeUndefined()
    expect(
      await crypto.verifySignature('PS256', rsa1024.jwk, INPUT, pss('sha256', 32, rsa1024)),
    ).toBeUndefined()
  })

  it.each([
    ['RSA without n', 'RS256', () => ({ ...rsa2048.jwk, n: undefined })],
    ['RSA with a numeric e', 'RS256', () => ({ ...rsa2048.jwk, e: 65537 })],
    ['EC without y', 'ES256', () => ({ ...p256.jwk, y: undefined })],
    ['EC without crv', 'ES256', () => ({ ...p256.jwk, crv: undefined })],
    ['OKP without x', 'EdDSA', () => ({ ...ed25519.jwk, x: undefined })],
  ] as const)('a JWK with missing members: %s', async (_name, alg, jwk) => {
    expect(
      await crypto.verifySignature(alg as JwsAlgorithm, jwk() as Jwk, INPUT, new Uint8Array(64)),
    ).toBeUndefined()
  })

  it('an EC point that is not on the curve (the import fails)', async () => {
    const offCurve = { ...p256.jwk, y: p256.jwk.x }
    expect(
      await crypto.verifySignature('ES256', offCurve, INPUT, ecdsa('sha256', p256)),
    ).toBeUndefined()
  })

  it('an oct JWK for HS256: secrets come as raw bytes only, never from a key set', async () => {
    const jwk: Jwk = { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }
    expect(await crypto.verifySignature('HS256', jwk, INPUT, new Uint8Array(32))).toBeUndefined()
  })

  it('raw bytes for an asymmetric algorithm', async () => {
    const bytes = new TextEncoder().encode('not-a-public-key')
    expect(
      await crypto.verifySignature('RS256', bytes, INPUT, pkcs1('sha256', rsa2048)),
    ).toBeUndefined()
  })

  it('an algorithm it does not know', async () => {
    expect(
      await crypto.verifySignature('none' as JwsAlgorithm, p256.jwk, INPUT, new Uint8Array()),
    ).toBeUndefined()
  })

  it('a verify that throws (a runtime refusing the parameters) is false, not an exception', async () => {
    const real = globalThis.crypto.subtle
    const refusing = new Proxy(real, {
      get(target, property) {
        if (property === 'verify')
          return () => Promise.reject(new DOMException('no', 'OperationError'))
        const value = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const crypto = new WebCryptoProvider(refusing)
    expect(await crypto.verifySignature('ES256', p256.jwk, INPUT, ecdsa('sha256', p256))).toBe(
      false,
    )
  })
})

describe('imported keys are cached per key object and algorithm', () => {
  it('a second verification with the same JWK does not import it again', async () => {
    const { subtle, calls } = countingSubtle()
    const crypto = new WebCryptoProvider(subtle)
    const jwk = { ...rsa2048.jwk }
    expect(await crypto.verifySignature('RS256', jwk, INPUT, pkcs1('sha256', rsa2048))).toBe(true)
    expect(await crypto.verifySignature('RS256', jwk, INPUT, pkcs1('sha256', rsa2048))).toBe(true)
    expect(calls.importKey).toBe(1)
    // Another algorithm needs its own CryptoKey.
    expect(await crypto.verifySignature('PS256', jwk, INPUT, pss('sha256', 32, rsa2048))).toBe(true)
    expect(calls.importKey).toBe(2)
    // An equal but different object is another cache entry.
    await crypto.verifySignature('RS256', { ...jwk }, INPUT, pkcs1('sha256', rsa2048))
    expect(calls.importKey).toBe(3)
  })

  it('a key of the wrong type or curve is skipped without an import attempt', async () => {
    const { subtle, calls } = countingSubtle()
    const crypto = new WebCryptoProvider(subtle)
    const signature = ecdsa('sha384', p384)
    expect(await crypto.verifySignature('ES256', p384.jwk, INPUT, signature)).toBeUndefined()
    expect(await crypto.verifySignature('RS256', p384.jwk, INPUT, signature)).toBeUndefined()
    expect(calls.importKey).toBeUndefined()
  })

  it('an unusable key is remembered as unusable', async () => {
    const { subtle, calls } = countingSubtle()
    const crypto = new WebCryptoProvider(subtle)
    const jwk = { ...rsa1024.jwk }
    expect(
      await crypto.verifySignature('RS256', jwk, INPUT, pkcs1('sha256', rsa1024)),
    ).toBeUndefined()
    expect(
      await crypto.verifySignature('RS256', jwk, INPUT, pkcs1('sha256', rsa1024)),
    ).toBeUndefined()
    expect(calls.importKey).toBe(1)
    expect(calls.verify).toBeUndefined()
  })

  it('an HMAC secret is imported once', async () => {
    const { subtle, calls } = countingSubtle()
    const crypto = new WebCryptoProvider(subtle)
    const secret = new TextEncoder().encode('client-secret-with-enough-entropy')
    const mac = new Uint8Array(createHmac('sha256', secret).update(INPUT).digest())
    await crypto.verifySignature('HS256', secret, INPUT, mac)
    expect(await crypto.verifySignature('HS256', secret, INPUT, mac)).toBe(true)
    expect(calls.importKey).toBe(1)
  })

  it('an AES key is imported once for encrypt and decrypt', async () => {
    const { subtle, calls } = countingSubtle()
    const crypto = new WebCryptoProvider(subtle)
    const key = new Uint8Array(32).fill(7)
    const iv = new Uint8Array(12)
    const aad = new Uint8Array([1])
    const sealed = await crypto.encrypt(key, iv, new Uint8Array([1, 2, 3]), aad)
    await crypto.decrypt(key, iv, sealed, aad)
    await crypto.decrypt(key, iv, sealed, aad)
    expect(calls.importKey).toBe(1)
  })
})

describe('AES-256-GCM', () => {
  const crypto = new WebCryptoProvider()
  const key = new Uint8Array(32).map((_, i) => i)
  const iv = new Uint8Array(12).map((_, i) => 100 + i)
  const aad = new TextEncoder().encode('appSession')
  const plaintext = new TextEncoder().encode('{"session":"..."}')

  it('ciphertext followed by the 16-byte tag, as node:crypto produces it', async () => {
    const sealed = await crypto.encrypt(key, iv, plaintext, aad)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    cipher.setAAD(aad)
    const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
    expect(Buffer.from(sealed).equals(expected)).toBe(true)
    expect(await crypto.decrypt(key, iv, sealed, aad)).toEqual(plaintext)
  })

  it('decryption with the wrong key, iv, aad or an altered ciphertext is undefined', async () => {
    const sealed = await crypto.encrypt(key, iv, plaintext, aad)
    const otherKey = new Uint8Array(32).fill(1)
    expect(await crypto.decrypt(otherKey, iv, sealed, aad)).toBeUndefined()
    expect(await crypto.decrypt(key, new Uint8Array(12), sealed, aad)).toBeUndefined()
    expect(
      await crypto.decrypt(key, iv, sealed, new TextEncoder().encode('oidc_tx')),
    ).toBeUndefined()
    expect(await crypto.decrypt(key, iv, flipped(sealed), aad)).toBeUndefined()
    expect(await crypto.decrypt(key, iv, sealed.subarray(0, 10), aad)).toBeUndefined()
  })
})

describe('AES-256-GCM misuse throws (only a failed tag is undefined)', () => {
  const crypto = new WebCryptoProvider()
  const iv = new Uint8Array(12)

  it('encrypt with an empty IV rejects', async () => {
    await expect(
      crypto.encrypt(new Uint8Array(32), new Uint8Array(0), new Uint8Array(1), iv),
    ).rejects.toThrow()
  })

  it('decrypt with a key that is not an AES key rejects', async () => {
    await expect(
      crypto.decrypt(new Uint8Array(7), iv, new Uint8Array(16), new Uint8Array()),
    ).rejects.toThrow()
  })
})

describe('digest, deriveKey, randomBytes', () => {
  const crypto = new WebCryptoProvider()
  const abc = new TextEncoder().encode('abc')

  it('SHA-256 of "abc" (FIPS 180-2 vector)', async () => {
    expect(Buffer.from(await crypto.digest('SHA-256', abc)).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  it.each(['SHA-384', 'SHA-512'] as const)('%s matches node:crypto', async (algorithm) => {
    const expected = createHash(algorithm.replace('-', '').toLowerCase()).update(abc).digest()
    expect(Buffer.from(await crypto.digest(algorithm, abc)).equals(expected)).toBe(true)
  })

  it('HKDF-SHA-256: RFC 5869 A.1, first 32 bytes of the OKM', async () => {
    const ikm = new Uint8Array(22).fill(0x0b)
    const salt = Uint8Array.from(Buffer.from('000102030405060708090a0b0c', 'hex'))
    const info = Uint8Array.from(Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'))
    const okm = await crypto.deriveKey(ikm, salt, info)
    expect(Buffer.from(okm).toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf',
    )
  })

  it('randomBytes: the length asked for, different each time', () => {
    const a = crypto.randomBytes(32)
    const b = crypto.randomBytes(32)
    expect(a).toHaveLength(32)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })
})
