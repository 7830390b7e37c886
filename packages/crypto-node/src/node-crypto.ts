/**
 * A {@link CryptoProvider} on `node:crypto`: the same contract and the same bytes as the default
 * WebCrypto provider, without WebCrypto's per-call promise and copying overhead on Node. Parsed
 * keys are cached per JWK object, as WebCryptoProvider caches its CryptoKeys, so a warm JWKS
 * costs no re-parse.
 */
import { Buffer } from 'node:buffer'
import * as nodeCrypto from 'node:crypto'
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto'
import { deflateSync, inflateSync } from 'node:zlib'
import {
  ConfigurationError,
  type CryptoProvider,
  type DigestAlgorithm,
  type JwsAlgorithm,
} from '@oidc-hybrid/core'
import type { Jwk } from '@oidc-hybrid/core/protocol'

type HashName = 'sha256' | 'sha384' | 'sha512'

interface AlgorithmSpec {
  kty: 'RSA' | 'EC' | 'OKP' | 'oct'
  /** JWK `crv` the algorithm requires (RFC 7518 3.4, RFC 8037 3.1). */
  crv?: string
  /** The curve as node:crypto names it, checked again on the parsed key. */
  namedCurve?: string
  /** `null` for EdDSA: the hash is part of the signature algorithm. */
  hash: HashName | null
  /** RSA-PSS: the salt is as long as the hash ([RFC 7518 3.5](https://www.rfc-editor.org/rfc/rfc7518#section-3.5)). */
  saltLength?: number
}

/** A parsed key with the options `crypto.verify` needs for one algorithm, built once. */
interface VerifyKey {
  key: KeyObject
  padding?: number
  saltLength?: number
  dsaEncoding?: 'ieee-p1363'
}

const SPECS: Readonly<Record<JwsAlgorithm, AlgorithmSpec>> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', saltLength: 32 },
  PS384: { kty: 'RSA', hash: 'sha384', saltLength: 48 },
  PS512: { kty: 'RSA', hash: 'sha512', saltLength: 64 },
  ES256: { kty: 'EC', crv: 'P-256', namedCurve: 'prime256v1', hash: 'sha256' },
  ES384: { kty: 'EC', crv: 'P-384', namedCurve: 'secp384r1', hash: 'sha384' },
  ES512: { kty: 'EC', crv: 'P-521', namedCurve: 'secp521r1', hash: 'sha512' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', hash: null },
  HS256: { kty: 'oct', hash: 'sha256' },
  HS384: { kty: 'oct', hash: 'sha384' },
  HS512: { kty: 'oct', hash: 'sha512' },
}

const DIGESTS: Readonly<Record<DigestAlgorithm, HashName>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
}

/**
 * `crypto.hash` (Node >= 20.12): a one-shot digest without the Hash object `createHash` builds,
 * about a microsecond less per `c_hash` / `at_hash` / PKCE digest. Older Nodes use `createHash`.
 */
const oneShotHash = (
  nodeCrypto as {
    hash?: (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Buffer
  }
).hash

const MIN_RSA_BITS = 2048
const AES_KEY_BYTES = 32
const GCM_IV_BYTES = 12
const GCM_TAG_BYTES = 16
/** WebCrypto's getRandomValues limit; more in one call is a misuse either way. */
const MAX_RANDOM_BYTES = 65_536

/**
 * The members node:crypto needs, as strings; `use`, `key_ops`, `alg` were checked by the caller,
 * and a private member (`d`) is never passed on.
 */
function publicMembers(jwk: Jwk): Jwk | undefined {
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

/** Whether the parsed key is what `spec` needs: type, curve, and at least 2048 RSA bits. */
function fits(key: KeyObject, spec: AlgorithmSpec): boolean {
  if (key.type !== 'public') return false
  switch (spec.kty) {
    case 'RSA':
      return (
        key.asymmetricKeyType === 'rsa' &&
        (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS
      )
    case 'EC':
      return (
        key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === spec.namedCurve
      )
    case 'OKP':
      return key.asymmetricKeyType === 'ed25519'
    default:
      return false
  }
}

function verifyOptions(key: KeyObject, spec: AlgorithmSpec): VerifyKey {
  if (spec.saltLength !== undefined) {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.saltLength }
  }
  // JWS carries R || S (RFC 7518 3.4), not the DER that node:crypto defaults to.
  if (spec.kty === 'EC') return { key, dsaEncoding: 'ieee-p1363' }
  return { key }
}

/**
 * A Uint8Array over a Buffer's bytes, without copying: callers get the plain type the
 * interface promises (a Buffer's `slice` would share memory where a Uint8Array's copies).
 */
function plain(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function checkAesParameters(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== AES_KEY_BYTES || iv.length !== GCM_IV_BYTES) {
    throw new ConfigurationError(
      `AES-256-GCM needs a ${AES_KEY_BYTES}-byte key and a ${GCM_IV_BYTES}-byte IV, got ${key.length} and ${iv.length} bytes: derive the key with deriveKey and the IV with randomBytes(${GCM_IV_BYTES})`,
      { details: { keyLength: key.length, ivLength: iv.length } },
    )
  }
}

/**
 * {@link CryptoProvider} on `node:crypto`, for Node.js. Produces and accepts exactly what the
 * core's `WebCryptoProvider` does, so sealed cookies survive switching between the two. Keys
 * that cannot be used for an algorithm (wrong type or curve, RSA under 2048 bits, unparseable)
 * are `undefined`, a bad signature is `false`, a failed decryption is `undefined`.
 *
 * @see [RFC 7515 5.2](https://www.rfc-editor.org/rfc/rfc7515#section-5.2) (JWS validation)
 * @see [RFC 7518 3](https://www.rfc-editor.org/rfc/rfc7518#section-3) (JWS algorithms)
 * @see [RFC 8037 3.1](https://www.rfc-editor.org/rfc/rfc8037#section-3.1) (EdDSA)
 * @see [RFC 5869](https://www.rfc-editor.org/rfc/rfc5869) (HKDF)
 * @see [NIST SP 800-38D](https://csrc.nist.gov/pubs/sp/800/38/d/final) (AES-GCM)
 * @example
 * ```ts
 * import { createHybridAuth } from '@oidc-hybrid/core'
 * import { NodeCryptoProvider } from '@oidc-hybrid/crypto-node'
 *
 * const auth = createHybridAuth({ ...config, crypto: new NodeCryptoProvider() })
 * ```
 */
export class NodeCryptoProvider implements CryptoProvider {
  readonly #verifyKeys = new WeakMap<object, Map<JwsAlgorithm, VerifyKey | null>>()
  /** Private keys parsed for {@link signWithJwk}, by their members (at most 1 000, oldest out). */
  readonly #signKeys = new Map<string, KeyObject>()

  /**
   * The JWS signature of `signingInput` by a private JWK: `ES256` (`r || s`) or `EdDSA`
   * (Ed25519), for DPoP proofs; each key is parsed once.
   *
   * @see [RFC 7518 3.4](https://www.rfc-editor.org/rfc/rfc7518#section-3.4)
   * @see [RFC 8037 3.1](https://www.rfc-editor.org/rfc/rfc8037#section-3.1)
   */
  async signWithJwk(
    alg: 'ES256' | 'EdDSA',
    privateJwk: JsonWebKey,
    signingInput: Uint8Array,
  ): Promise<Uint8Array> {
    const { kty, crv, x, y, d } = privateJwk
    const expected =
      alg === 'ES256' ? kty === 'EC' && crv === 'P-256' : kty === 'OKP' && crv === 'Ed25519'
    if (!expected || typeof d !== 'string') {
      throw new ConfigurationError(
        `the key is not a private ${alg === 'ES256' ? 'P-256' : 'Ed25519'} JWK`,
      )
    }
    const id = `${kty}.${crv}.${x}.${y}.${d}`
    let key = this.#signKeys.get(id)
    if (!key) {
      key = createPrivateKey({ key: { kty, crv, x, y, d } as nodeCrypto.JsonWebKey, format: 'jwk' })
      if (this.#signKeys.size >= 1000) this.#signKeys.delete(this.#signKeys.keys().next().value!)
      this.#signKeys.set(id, key)
    }
    return plain(
      alg === 'ES256'
        ? sign('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' })
        : sign(null, signingInput, key),
    )
  }

  /**
   * SHA-2 digest of `data`.
   *
   * @see [FIPS 180-4](https://csrc.nist.gov/pubs/fips/180-4/upd1/final)
   */
  async digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    const name = Object.hasOwn(DIGESTS, algorithm) ? DIGESTS[algorithm] : undefined
    if (name === undefined) {
      throw new ConfigurationError(
        `unsupported digest algorithm ${JSON.stringify(algorithm)}: use SHA-256, SHA-384 or SHA-512`,
      )
    }
    return plain(
      oneShotHash ? oneShotHash(name, data, 'buffer') : createHash(name).update(data).digest(),
    )
  }

  /**
   * Verifies a JWS signature with a public JWK, or with the raw secret for HS*.
   *
   * @see [RFC 7515 5.2](https://www.rfc-editor.org/rfc/rfc7515#section-5.2)
   * @see [RFC 7517 5](https://www.rfc-editor.org/rfc/rfc7517#section-5) (unusable keys are skipped)
   */
  async verifySignature(
    alg: JwsAlgorithm,
    key: Jwk | Uint8Array,
    signingInput: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean | undefined> {
    const spec = Object.hasOwn(SPECS, alg) ? SPECS[alg] : undefined
    if (spec === undefined) return undefined
    if (spec.kty === 'oct') {
      // Secrets come as raw bytes only, never from a key set; an empty one is not a key.
      if (!(key instanceof Uint8Array) || key.length === 0 || spec.hash === null) return undefined
      const mac = createHmac(spec.hash, key).update(signingInput).digest()
      return mac.length === signature.length && timingSafeEqual(mac, signature)
    }
    if (key instanceof Uint8Array) return undefined
    const verifyKey = this.#verifyKey(alg, spec, key)
    if (verifyKey === null) return undefined
    try {
      return verify(spec.hash, signingInput, verifyKey, signature)
    } catch {
      return false
    }
  }

  #verifyKey(alg: JwsAlgorithm, spec: AlgorithmSpec, jwk: Jwk): VerifyKey | null {
    let perKey = this.#verifyKeys.get(jwk)
    const cached = perKey?.get(alg)
    if (cached !== undefined) return cached
    let parsed: VerifyKey | null = null
    if (jwk.kty === spec.kty && (spec.crv === undefined || jwk.crv === spec.crv)) {
      const members = publicMembers(jwk)
      if (members) {
        try {
          const key = createPublicKey({ key: members, format: 'jwk' })
          if (fits(key, spec)) parsed = verifyOptions(key, spec)
        } catch {
          // Not a valid key (e.g. an EC point off the curve): unusable, like a failed import.
        }
      }
    }
    if (perKey === undefined) {
      perKey = new Map()
      this.#verifyKeys.set(jwk, perKey)
    }
    perKey.set(alg, parsed)
    return parsed
  }

  /**
   * HKDF-SHA-256 to a 32-byte key.
   *
   * @see [RFC 5869](https://www.rfc-editor.org/rfc/rfc5869)
   */
  async deriveKey(secret: Uint8Array, salt: Uint8Array, info: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(hkdfSync('sha256', secret, salt, info, AES_KEY_BYTES))
  }

  /**
   * AES-256-GCM with a 12-byte IV; the ciphertext followed by the 16-byte tag, as WebCrypto
   * returns it.
   *
   * @see [NIST SP 800-38D](https://csrc.nist.gov/pubs/sp/800/38/d/final)
   */
  async encrypt(
    key: Uint8Array,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array> {
    checkAesParameters(key, iv)
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES })
    cipher.setAAD(aad)
    const head = cipher.update(plaintext)
    const tail = cipher.final()
    const tag = cipher.getAuthTag()
    const sealed = new Uint8Array(head.length + tail.length + tag.length)
    sealed.set(head, 0)
    sealed.set(tail, head.length)
    sealed.set(tag, head.length + tail.length)
    return sealed
  }

  /**
   * AES-256-GCM decryption of ciphertext followed by its 16-byte tag; `undefined` when the tag
   * does not verify (wrong key, IV, AAD, or altered bytes).
   *
   * @see [NIST SP 800-38D](https://csrc.nist.gov/pubs/sp/800/38/d/final)
   */
  async decrypt(
    key: Uint8Array,
    iv: Uint8Array,
    ciphertext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    checkAesParameters(key, iv)
    if (ciphertext.length < GCM_TAG_BYTES) return undefined
    const end = ciphertext.length - GCM_TAG_BYTES
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_BYTES })
    decipher.setAAD(aad)
    decipher.setAuthTag(ciphertext.subarray(end))
    // update() releases bytes before the tag is checked; they are returned only after final().
    const head = decipher.update(ciphertext.subarray(0, end))
    let tail: Buffer
    try {
      tail = decipher.final()
    } catch {
      return undefined
    }
    if (tail.length === 0) return plain(head)
    const opened = new Uint8Array(head.length + tail.length)
    opened.set(head, 0)
    opened.set(tail, head.length)
    return opened
  }

  /**
   * Strict base64url decoding with Buffer's native decoder. Buffer is lenient, so what it
   * decodes counts only when the text is canonical: it skips characters outside the alphabet
   * and stops at `=` (fewer bytes than `3n/4`), reads `+` `/` as `-` `_`, reads a UTF-16 code
   * unit by its low byte (so only ASCII text: UTF-8 length = length), and drops the unused bits
   * of the last character (which must be zero: the last character's value a multiple of 16 or
   * 4). Cheaper than re-encoding the bytes and comparing, with the same result for every string.
   * The result is the Buffer itself (a Uint8Array; the core only reads it), not a copy.
   *
   * @see [RFC 4648 5](https://www.rfc-editor.org/rfc/rfc4648#section-5)
   */
  decodeBase64url(text: string): Uint8Array | undefined {
    const bytes = Buffer.from(text, 'base64url')
    const { length } = text
    const rest = length & 3
    return bytes.length === (length * 3) >> 2 &&
      rest !== 1 &&
      Buffer.byteLength(text) === length &&
      !text.includes('+') &&
      !text.includes('/') &&
      (!rest || (rest === 2 ? 'AQgw' : 'AEIMQUYcgkosw048').includes(text[length - 1]!))
      ? bytes
      : undefined
  }

  /**
   * Unpadded base64url encoding with Buffer's native encoder.
   *
   * @see [RFC 4648 5](https://www.rfc-editor.org/rfc/rfc4648#section-5)
   */
  encodeBase64url(bytes: Uint8Array): string {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
  }

  /**
   * UTF-8 encoding with Buffer (lone surrogates become U+FFFD, as with `TextEncoder`); the
   * Buffer itself, which the core only reads.
   */
  encodeUtf8(text: string): Uint8Array {
    return Buffer.from(text, 'utf8')
  }

  /**
   * DEFLATE in the zlib format with node:zlib, synchronous: tens of microseconds where the
   * portable `CompressionStream` costs hundreds on Node 20. Any zlib-format output inflates the
   * same, so cookies move freely between providers.
   *
   * @see [RFC 1950](https://www.rfc-editor.org/rfc/rfc1950)
   */
  deflate(bytes: Uint8Array): Uint8Array {
    return deflateSync(bytes)
  }

  /** The inverse of {@link deflate}; `undefined` for invalid input or output over `max` bytes. */
  inflate(bytes: Uint8Array, max: number): Uint8Array | undefined {
    try {
      return inflateSync(bytes, { maxOutputLength: max })
    } catch {
      return undefined
    }
  }

  /** Cryptographically secure random bytes (the OpenSSL CSPRNG behind `crypto.randomBytes`). */
  randomBytes(length: number): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_RANDOM_BYTES) {
      throw new ConfigurationError(
        `randomBytes needs a whole number of bytes from 0 to ${MAX_RANDOM_BYTES}, got ${String(length)}`,
      )
    }
    return plain(randomBytes(length))
  }
}
