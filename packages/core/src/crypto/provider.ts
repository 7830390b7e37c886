/**
 * The crypto the library needs, behind one small interface. The default is WebCrypto (every
 * runtime); a runtime-native implementation (node:crypto) can be plugged in without changing
 * the sealed-cookie format, because the formats are defined here, not by the implementation.
 */
import type { Jwk, JwsAlgorithm } from '../protocol/jwk.js'

export type DigestAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512'

export interface CryptoProvider {
  /** SHA-2 digest of `data`. */
  digest(algorithm: DigestAlgorithm, data: Uint8Array): Promise<Uint8Array>
  /**
   * Verifies a JWS signature. `key` is a public JWK for asymmetric algorithms, or the UTF-8
   * secret for HS*. Returns `undefined` when the key cannot be used with `alg` (wrong type,
   * curve, size, or unparseable): callers skip such keys (RFC 7517 5).
   */
  verifySignature(
    alg: JwsAlgorithm,
    key: Jwk | Uint8Array,
    signingInput: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean | undefined>
  /** HKDF-SHA-256 ([RFC 5869](https://www.rfc-editor.org/rfc/rfc5869)) to a 32-byte key. */
  deriveKey(secret: Uint8Array, salt: Uint8Array, info: Uint8Array): Promise<Uint8Array>
  /** AES-256-GCM with a 12-byte IV; returns ciphertext followed by the 16-byte tag. */
  encrypt(
    key: Uint8Array,
    iv: Uint8Array,
    plaintext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array>
  /** AES-256-GCM decryption; `undefined` when the tag does not verify. */
  decrypt(
    key: Uint8Array,
    iv: Uint8Array,
    ciphertext: Uint8Array,
    aad: Uint8Array,
  ): Promise<Uint8Array | undefined>
  /** Cryptographically secure random bytes. Used by the engine only, never by the protocol. */
  randomBytes(length: number): Uint8Array

  // Optional fast paths for a runtime-native provider (e.g. node:crypto's Buffer). The core uses
  // its portable code when one is absent; when present, each must return exactly what that code
  // returns, for every input, so results never depend on the provider.

  /**
   * Strict base64url decoding ([RFC 4648 5](https://www.rfc-editor.org/rfc/rfc4648#section-5)):
   * `undefined` unless `text` is the canonical unpadded encoding of some bytes (no padding, no
   * other characters, no length 4n+1, unused trailing bits zero).
   */
  decodeBase64url?(text: string): Uint8Array | undefined
  /** Unpadded base64url encoding. */
  encodeBase64url?(bytes: Uint8Array): string
  /** UTF-8 encoding, lone surrogates as U+FFFD (as `TextEncoder`). */
  encodeUtf8?(text: string): Uint8Array
  /** DEFLATE in the zlib format ([RFC 1950](https://www.rfc-editor.org/rfc/rfc1950)), as `CompressionStream('deflate')`. */
  deflate?(bytes: Uint8Array): Uint8Array
  /** The inverse of {@link deflate}: `undefined` for invalid input or output over `max` bytes. */
  inflate?(bytes: Uint8Array, max: number): Uint8Array | undefined
  /**
   * The JWS signature of `signingInput` by a private JWK: `ES256` (P-256, `r || s` as RFC 7518
   * 3.4 says) or `EdDSA` (Ed25519, RFC 8037), for DPoP proofs. Without it they are signed with
   * WebCrypto. Rejects when the key cannot sign with `alg`.
   */
  signWithJwk?(
    alg: 'ES256' | 'EdDSA',
    privateJwk: JsonWebKey,
    signingInput: Uint8Array,
  ): Promise<Uint8Array>
}
