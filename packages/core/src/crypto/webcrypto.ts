/**
 * The default {@link CryptoProvider}: WebCrypto, available on Node >= 20, Deno, Bun, workerd and
 * browsers. Imported keys are cached per key object so a warm JWKS costs no re-import.
 */
import { algSpec } from '../lib/alg.js'
import type { Jwk, JwsAlgorithm } from '../protocol/types.js'
import type { CryptoProvider, DigestAlgorithm } from './provider.js'

const NAMES: Record<string, string> = {
  R: 'RSASSA-PKCS1-v1_5',
  P: 'RSA-PSS',
  E: 'ECDSA',
  H: 'HMAC',
  O: 'Ed25519',
}

// The public members WebCrypto needs per key type; `use`, `key_ops`, `alg` were checked by the
// caller, and a private member (`d`) is never passed on.
const MEMBERS: Record<string, string> = { RSA: 'n e', EC: 'crv x y', OKP: 'crv x' }

const MIN_RSA_BITS = 2048

type Bytes = Uint8Array<ArrayBuffer>

/** key, iv, data, aad */
type AesArguments = [key: Uint8Array, iv: Uint8Array, data: Uint8Array, aad: Uint8Array]

/** `map.get(key)`, computed by `make` and remembered on a miss. */
function memo<K extends object, V>(map: WeakMap<K, V>, key: K, make: () => V): V {
  let value = map.get(key)
  if (value === undefined) {
    value = make()
    map.set(key, value)
  }
  return value
}

export class WebCryptoProvider implements CryptoProvider {
  readonly #subtle: SubtleCrypto
  readonly #verifyKeys = new WeakMap<object, Record<string, Promise<CryptoKey | undefined>>>()
  readonly #aesKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>()

  constructor(subtle: SubtleCrypto = globalThis.crypto.subtle) {
    this.#subtle = subtle
  }

  async digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await this.#subtle.digest(algorithm, data as Bytes))
  }

  async verifySignature(
    alg: JwsAlgorithm,
    key: Jwk | Uint8Array,
    signingInput: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean | undefined> {
    const spec = algSpec(alg)
    if (!spec) return undefined
    const { family, kty, crv, hash } = spec
    // One dictionary for import and verify: WebCrypto reads only the members each step defines.
    const params = { name: NAMES[family]!, hash, namedCurve: crv, saltLength: +hash.slice(4) / 8 }
    const cached: Record<string, Promise<CryptoKey | undefined>> = memo(
      this.#verifyKeys,
      key,
      () => ({}),
    )
    cached[alg] ??= this.#import(
      params,
      key instanceof Uint8Array
        ? kty === 'oct'
          ? key
          : undefined
        : key.kty === kty && (!crv || key.crv === crv)
          ? publicJwk(key)
          : undefined,
    )
    const cryptoKey = await cached[alg]
    if (!cryptoKey) return undefined
    try {
      return await this.#subtle.verify(params, cryptoKey, signature as Bytes, signingInput as Bytes)
    } catch {
      return false
    }
  }

  /** The key, or undefined when it cannot be used (wrong type, unparseable, RSA < 2048 bits). */
  async #import(
    params: RsaHashedImportParams,
    data: Uint8Array | JsonWebKey | undefined,
  ): Promise<CryptoKey | undefined> {
    if (!data) return undefined
    try {
      const key = await this.#subtle.importKey(
        (data instanceof Uint8Array ? 'raw' : 'jwk') as 'jwk',
        data as JsonWebKey,
        params,
        false,
        ['verify'],
      )
      const bits = (key.algorithm as RsaKeyAlgorithm).modulusLength
      return bits < MIN_RSA_BITS ? undefined : key
    } catch {
      return undefined
    }
  }

  async deriveKey(secret: Uint8Array, salt: Uint8Array, info: Uint8Array): Promise<Uint8Array> {
    const base = await this.#subtle.importKey('raw', secret as Bytes, 'HKDF', false, ['deriveBits'])
    const params = { name: 'HKDF', hash: 'SHA-256', salt: salt as Bytes, info: info as Bytes }
    return new Uint8Array(await this.#subtle.deriveBits(params, base, 256))
  }

  /** AES-256-GCM of `plaintext` under `key` and `iv`, authenticating `aad`. */
  encrypt(...args: AesArguments): Promise<Uint8Array> {
    return this.#aes('encrypt', ...args) as Promise<Uint8Array>
  }

  /** The plaintext, or `undefined` when the tag fails (altered, or another key or `aad`). */
  decrypt(...args: AesArguments): Promise<Uint8Array | undefined> {
    return this.#aes('decrypt', ...args)
  }

  randomBytes(length: number): Uint8Array {
    return globalThis.crypto.getRandomValues(new Uint8Array(length))
  }

  /** AES-256-GCM; a decryption whose tag fails is `undefined`, any other failure throws. */
  async #aes(
    op: 'encrypt' | 'decrypt',
    key: Uint8Array,
    iv: Uint8Array,
    data: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    const cryptoKey = await memo(this.#aesKeys, key, () =>
      this.#subtle.importKey('raw', key as Bytes, 'AES-GCM', false, ['encrypt', 'decrypt']),
    )
    const params = { name: 'AES-GCM', iv: iv as Bytes, additionalData: aad as Bytes }
    try {
      return new Uint8Array(await this.#subtle[op](params, cryptoKey, data as Bytes))
    } catch (error) {
      if (op === 'encrypt') throw error
      return undefined
    }
  }
}

function publicJwk(jwk: Jwk): JsonWebKey | undefined {
  const names = MEMBERS[jwk.kty]
  const out: Record<string, unknown> = { kty: jwk.kty }
  if (!names) return undefined
  for (const name of names.split(' ')) {
    const value = jwk[name]
    if (typeof value !== 'string' || !value) return undefined
    out[name] = value
  }
  return out
}
