/**
 * The default {@link CryptoProvider}: WebCrypto, available on Node >= 20, Deno, Bun, workerd and
 * browsers. Imported keys are cached per key object so a warm JWKS costs no re-import.
 */
import type { Jwk, JwsAlgorithm } from '../protocol/types.js'
import type { CryptoProvider, DigestAlgorithm } from './provider.js'

type VerifyParams = { name: string; saltLength?: number; hash?: string }
type ImportParams = { name: string; hash?: string; namedCurve?: string }

interface AlgorithmSpec {
  importParams: ImportParams
  verifyParams: VerifyParams
  kty: 'RSA' | 'EC' | 'OKP' | 'oct'
  crv?: string
}

const SPECS: Record<JwsAlgorithm, AlgorithmSpec> = {
  RS256: rsa('RSASSA-PKCS1-v1_5', 'SHA-256'),
  RS384: rsa('RSASSA-PKCS1-v1_5', 'SHA-384'),
  RS512: rsa('RSASSA-PKCS1-v1_5', 'SHA-512'),
  PS256: rsa('RSA-PSS', 'SHA-256', 32),
  PS384: rsa('RSA-PSS', 'SHA-384', 48),
  PS512: rsa('RSA-PSS', 'SHA-512', 64),
  ES256: ec('P-256', 'SHA-256'),
  ES384: ec('P-384', 'SHA-384'),
  ES512: ec('P-521', 'SHA-512'),
  EdDSA: {
    importParams: { name: 'Ed25519' },
    verifyParams: { name: 'Ed25519' },
    kty: 'OKP',
    crv: 'Ed25519',
  },
  Ed25519: {
    importParams: { name: 'Ed25519' },
    verifyParams: { name: 'Ed25519' },
    kty: 'OKP',
    crv: 'Ed25519',
  },
  HS256: hmac('SHA-256'),
  HS384: hmac('SHA-384'),
  HS512: hmac('SHA-512'),
}

function rsa(name: string, hash: string, saltLength?: number): AlgorithmSpec {
  return {
    importParams: { name, hash },
    verifyParams: saltLength === undefined ? { name } : { name, saltLength },
    kty: 'RSA',
  }
}

function ec(namedCurve: string, hash: string): AlgorithmSpec {
  return {
    importParams: { name: 'ECDSA', namedCurve },
    verifyParams: { name: 'ECDSA', hash },
    kty: 'EC',
    crv: namedCurve,
  }
}

function hmac(hash: string): AlgorithmSpec {
  return { importParams: { name: 'HMAC', hash }, verifyParams: { name: 'HMAC' }, kty: 'oct' }
}

/** Only the members WebCrypto needs; `use`, `key_ops`, `alg` were checked by the caller. */
function publicMembers(jwk: Jwk): JsonWebKey | undefined {
  const pick = (name: string) => {
    const value = jwk[name]
    return typeof value === 'string' ? value : undefined
  }
  switch (jwk.kty) {
    case 'RSA': {
      const n = pick('n')
      const e = pick('e')
      return n && e ? { kty: 'RSA', n, e } : undefined
    }
    case 'EC': {
      const crv = pick('crv')
      const x = pick('x')
      const y = pick('y')
      return crv && x && y ? { kty: 'EC', crv, x, y } : undefined
    }
    case 'OKP': {
      const crv = pick('crv')
      const x = pick('x')
      return crv && x ? { kty: 'OKP', crv, x } : undefined
    }
    default:
      return undefined
  }
}

const MIN_RSA_BITS = 2048

export class WebCryptoProvider implements CryptoProvider {
  readonly #subtle: SubtleCrypto
  readonly #verifyKeys = new WeakMap<object, Map<JwsAlgorithm, CryptoKey | null>>()
  readonly #aesKeys = new WeakMap<Uint8Array, CryptoKey>()

  constructor(subtle: SubtleCrypto = globalThis.crypto.subtle) {
    this.#subtle = subtle
  }

  async digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await this.#subtle.digest(algorithm, data as BufferSource))
  }

  async verifySignature(
    alg: JwsAlgorithm,
    key: Jwk | Uint8Array,
    signingInput: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean | undefined> {
    const spec = SPECS[alg]
    if (spec === undefined) return undefined
    const cryptoKey = await this.#importVerifyKey(alg, spec, key)
    if (cryptoKey === null) return undefined
    try {
      return await this.#subtle.verify(
        spec.verifyParams,
        cryptoKey,
        signature as BufferSource,
        signingInput as BufferSource,
      )
    } catch {
      return false
    }
  }

  async #importVerifyKey(
    alg: JwsAlgorithm,
    spec: AlgorithmSpec,
    key: Jwk | Uint8Array,
  ): Promise<CryptoKey | null> {
    let perKey = this.#verifyKeys.get(key)
    const cached = perKey?.get(alg)
    if (cached !== undefined) return cached
    let imported: CryptoKey | null = null
    try {
      if (key instanceof Uint8Array) {
        if (spec.kty === 'oct') {
          imported = await this.#subtle.importKey(
            'raw',
            key as BufferSource,
            spec.importParams,
            false,
            ['verify'],
          )
        }
      } else if (key.kty === spec.kty && (spec.crv === undefined || key.crv === spec.crv)) {
        const jwk = publicMembers(key)
        if (jwk) {
          imported = await this.#subtle.importKey('jwk', jwk, spec.importParams, false, ['verify'])
          const bits = (imported.algorithm as { modulusLength?: number }).modulusLength
          if (bits !== undefined && bits < MIN_RSA_BITS) imported = null
        }
      }
    } catch {
      imported = null
    }
    if (perKey === undefined) {
      perKey = new Map()
      this.#verifyKeys.set(key, perKey)
    }
    perKey.set(alg, imported)
    return imported
  }

  async deriveKey(secret: Uint8Array, salt: Uint8Array, info: Uint8Array): Promise<Uint8Array> {
    const base = await this.#subtle.importKey('raw', secret as BufferSource, 'HKDF', false, [
      'deriveBits',
    ])
    const bits = await this.#subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-256', salt: salt as BufferSource, info: info as BufferSource },
      base,
      256,
    )
    return new Uint8Array(bits)
  }

  async encrypt(
    key: Uint8Array,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array> {
    const cryptoKey = await this.#aesKey(key)
    const sealed = await this.#subtle.encrypt(
      { name: 'AES-GCM', iv: iv as BufferSource, additionalData: aad as BufferSource },
      cryptoKey,
      plaintext as BufferSource,
    )
    return new Uint8Array(sealed)
  }

  async decrypt(
    key: Uint8Array,
    iv: Uint8Array,
    ciphertext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    const cryptoKey = await this.#aesKey(key)
    try {
      const opened = await this.#subtle.decrypt(
        { name: 'AES-GCM', iv: iv as BufferSource, additionalData: aad as BufferSource },
        cryptoKey,
        ciphertext as BufferSource,
      )
      return new Uint8Array(opened)
    } catch {
      return undefined
    }
  }

  randomBytes(length: number): Uint8Array {
    return globalThis.crypto.getRandomValues(new Uint8Array(length))
  }

  async #aesKey(key: Uint8Array): Promise<CryptoKey> {
    let cryptoKey = this.#aesKeys.get(key)
    if (cryptoKey === undefined) {
      cryptoKey = await this.#subtle.importKey('raw', key as BufferSource, 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ])
      this.#aesKeys.set(key, cryptoKey)
    }
    return cryptoKey
  }
}
