/**
 * Sealed cookie values: AES-256-GCM under a key derived with HKDF-SHA-256 from a secret; a list
 * of secrets lets you rotate (the first seals, all unseal).
 *
 * Format, version 1. This is a compatibility promise: every {@link CryptoProvider} (WebCrypto
 * today, node:crypto later) produces and accepts exactly these bytes, so cookies survive a change
 * of provider or runtime.
 *
 * ```text
 * sealed     = "v1" "." kid "." iv "." ciphertext           (at most MAX_SEALED_LENGTH chars)
 * salt       = UTF-8("oidc-hybrid/cookie")
 * key        = HKDF-SHA-256(ikm = UTF-8(secret), salt, info = UTF-8("oidc-hybrid cookie encryption key v1"), L = 32)
 * kid        = base64url(HKDF-SHA-256(ikm = UTF-8(secret), salt, info = UTF-8("oidc-hybrid cookie key id v1"), L = 4))
 * iv         = base64url(12 random bytes)
 * aad        = UTF-8("v1" "." kid "." name)                  name = the logical cookie name
 * plaintext  = UTF-8(JSON.stringify({ e: expiresAt, p: payload }))
 * ciphertext = base64url(AES-256-GCM-Encrypt(key, iv, plaintext, aad) || 16-byte tag)
 * ```
 *
 * base64url is RFC 4648 section 5, unpadded and canonical (unused trailing bits are zero). The
 * `kid` comes from HKDF with its own `info`, so it is independent of the encryption key and
 * reveals nothing about it; it only says which configured secret to try. Version and `kid` are
 * part of the AAD, so neither can be altered without the tag failing. `e` is seconds since the
 * epoch; the reader compares it with its own clock.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5869 HKDF
 * @see https://csrc.nist.gov/pubs/sp/800/38/d/final AES-GCM (NIST SP 800-38D)
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5 base64url
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { ConfigurationError, OidcHybridError } from '../errors.js'
import { decode, encode, fromUtf8, utf8 } from '../lib/base64url.js'
import { isRecord, parseJson } from '../lib/compare.js'

/** Shortest accepted secret, in characters (32 random hex characters carry 128 bits). */
export const MIN_SECRET_LENGTH = 32

/** Longest sealed value, in characters: {@link CookieSealer.seal} refuses to produce, and {@link CookieSealer.unseal} to read, anything longer. */
export const MAX_SEALED_LENGTH = 16 * 1024

/** What {@link CookieSealer.unseal} recovered. */
export interface UnsealResult<T = unknown> {
  payload: T
  /** Seconds since the epoch, as given to {@link CookieSealer.seal}. Not checked by `unseal`. */
  expiresAt: number
  /** sealed with a secret other than the current (first) one: reseal */
  stale: boolean
}

const VERSION = 'v1'
const SALT = utf8('oidc-hybrid/cookie')
const ENCRYPTION_INFO = utf8('oidc-hybrid cookie encryption key v1')
const KEY_ID_INFO = utf8('oidc-hybrid cookie key id v1')
const KEY_ID_BYTES = 4
const IV_BYTES = 12
const TAG_BYTES = 16

interface SealingKey {
  id: string
  key: Uint8Array
}

type InvalidReason =
  | 'format'
  | 'size'
  | 'version'
  | 'encoding'
  | 'key'
  | 'tag'
  | 'payload'
  | 'crypto'

const REASONS: Record<InvalidReason, string> = {
  format: 'it is not in the "v1.<kid>.<iv>.<ciphertext>" format',
  size: `it is longer than ${MAX_SEALED_LENGTH} characters`,
  version: 'its format version is not "v1"',
  encoding: 'its IV or ciphertext is not valid base64url of the expected length',
  key: 'it was sealed with a secret that is not configured (was an old secret removed too early?)',
  tag: 'its authentication tag does not verify (it was altered, or sealed for another cookie name)',
  payload: 'its content is not the expected JSON',
  crypto: 'the crypto provider failed to decrypt it',
}

function invalid(name: string, reason: InvalidReason, cause?: unknown): OidcHybridError {
  return new OidcHybridError(
    'COOKIE_INVALID',
    `the cookie "${name}" was not sealed by this application: ${REASONS[reason]}; it must be ignored and the user signed in again`,
    { details: { cookie: name, reason }, cause },
  )
}

/**
 * Seals and unseals cookie values with AES-256-GCM, binding each value to its cookie name.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5869 HKDF
 * @see https://csrc.nist.gov/pubs/sp/800/38/d/final AES-GCM (NIST SP 800-38D)
 *
 * @example
 * ```ts
 * const sealer = await CookieSealer.create([env.COOKIE_SECRET, env.OLD_COOKIE_SECRET], new WebCryptoProvider())
 * const value = await sealer.seal('session', { sub }, now + 86_400)
 * const { payload, expiresAt, stale } = await sealer.unseal('session', value)
 * ```
 */
export class CookieSealer {
  readonly #keys: readonly SealingKey[]
  readonly #crypto: CryptoProvider

  private constructor(keys: readonly SealingKey[], crypto: CryptoProvider) {
    this.#keys = keys
    this.#crypto = crypto
  }

  /**
   * Derives the keys for `secrets`: the FIRST seals, all unseal (rotation: put the new secret
   * first, keep the old one until every cookie it sealed has expired). Each must be a string of
   * at least {@link MIN_SECRET_LENGTH} characters, else a {@link ConfigurationError}.
   *
   * @see https://www.rfc-editor.org/rfc/rfc5869 HKDF
   */
  static async create(
    secrets: string | readonly string[],
    crypto: CryptoProvider,
  ): Promise<CookieSealer> {
    const list: readonly unknown[] = Array.isArray(secrets) ? secrets : [secrets]
    if (list.length === 0) {
      throw new ConfigurationError(
        'no cookie secret configured: set `secret` to a random string of at least 32 characters, e.g. the output of `openssl rand -hex 32`',
      )
    }
    const keys: SealingKey[] = []
    for (const [index, secret] of list.entries()) {
      if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
        const got = typeof secret === 'string' ? `${secret.length} characters` : typeof secret
        throw new ConfigurationError(
          `cookie secret #${index + 1} is too weak (${got}): use a random string of at least ${MIN_SECRET_LENGTH} characters, e.g. the output of \`openssl rand -hex 32\``,
          { details: { index } },
        )
      }
      const ikm = utf8(secret)
      const [key, id] = await Promise.all([
        crypto.deriveKey(ikm, SALT, ENCRYPTION_INFO),
        crypto.deriveKey(ikm, SALT, KEY_ID_INFO),
      ])
      keys.push({ key, id: encode(id.subarray(0, KEY_ID_BYTES)) })
    }
    return new CookieSealer(keys, crypto)
  }

  /**
   * Seals `payload` (any JSON value) and `expiresAt` (seconds since the epoch) for the cookie
   * `name`, with the first secret and a fresh random IV. Throws `COOKIE_TOO_LARGE` when the
   * result would exceed {@link MAX_SEALED_LENGTH}, {@link ConfigurationError} for a payload JSON
   * cannot represent or an `expiresAt` that is not a non-negative number.
   *
   * @see https://csrc.nist.gov/pubs/sp/800/38/d/final AES-GCM (NIST SP 800-38D)
   */
  async seal(name: string, payload: unknown, expiresAt: number): Promise<string> {
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt < 0) {
      throw new ConfigurationError(
        `cannot seal the cookie "${name}": expiresAt must be a non-negative number of seconds since the epoch, got ${String(expiresAt)}`,
      )
    }
    let json: string | undefined
    try {
      json = payload === undefined ? undefined : JSON.stringify({ e: expiresAt, p: payload })
    } catch (cause) {
      throw new ConfigurationError(
        `cannot seal the cookie "${name}": its payload is not JSON-serialisable (BigInt or a cycle?)`,
        { cause },
      )
    }
    if (json === undefined) {
      throw new ConfigurationError(
        `cannot seal the cookie "${name}": its payload is undefined; pass null or a JSON value`,
      )
    }
    const { id, key } = this.#keys[0]!
    const iv = this.#crypto.randomBytes(IV_BYTES)
    const aad = utf8(`${VERSION}.${id}.${name}`)
    const ciphertext = await this.#crypto.encrypt(key, iv, utf8(json), aad)
    const sealed = `${VERSION}.${id}.${encode(iv)}.${encode(ciphertext)}`
    if (sealed.length > MAX_SEALED_LENGTH) {
      throw new OidcHybridError(
        'COOKIE_TOO_LARGE',
        `the sealed cookie "${name}" would be ${sealed.length} characters, more than the ${MAX_SEALED_LENGTH} allowed: store less in it (e.g. fewer claims or tokens, or a server-side session store)`,
        { details: { cookie: name, length: sealed.length, max: MAX_SEALED_LENGTH } },
      )
    }
    return sealed
  }

  /**
   * Opens a value sealed by {@link CookieSealer.seal} for the same `name` with any configured
   * secret. Anything else (wrong format or version, bad base64url, tag failure, other name,
   * non-JSON, oversize) is an `OidcHybridError` with code `COOKIE_INVALID`, and nothing else is
   * ever thrown. Expiry is NOT checked: compare `expiresAt` with your clock.
   *
   * @see https://csrc.nist.gov/pubs/sp/800/38/d/final AES-GCM (NIST SP 800-38D)
   */
  async unseal<T = unknown>(name: string, sealed: string): Promise<UnsealResult<T>> {
    if (typeof sealed !== 'string') throw invalid(name, 'format')
    if (sealed.length > MAX_SEALED_LENGTH) throw invalid(name, 'size')
    const parts = sealed.split('.')
    if (parts.length !== 4) throw invalid(name, 'format')
    const [version, id, ivText, ciphertextText] = parts as [string, string, string, string]
    if (version !== VERSION) throw invalid(name, 'version')
    const iv = decode(ivText)
    const ciphertext = decode(ciphertextText)
    if (iv?.length !== IV_BYTES || ciphertext === undefined || ciphertext.length < TAG_BYTES) {
      throw invalid(name, 'encoding')
    }
    const aad = utf8(`${VERSION}.${id}.${name}`)
    let reason: InvalidReason = 'key'
    // Several secrets may share a 4-byte id by chance: try each one that matches.
    for (const [index, candidate] of this.#keys.entries()) {
      if (candidate.id !== id) continue
      reason = 'tag'
      let plaintext: Uint8Array | undefined
      try {
        plaintext = await this.#crypto.decrypt(candidate.key, iv, ciphertext, aad)
      } catch (cause) {
        throw invalid(name, 'crypto', cause)
      }
      if (plaintext !== undefined) return open<T>(name, plaintext, index !== 0)
    }
    throw invalid(name, reason)
  }
}

function open<T>(name: string, plaintext: Uint8Array, stale: boolean): UnsealResult<T> {
  const text = fromUtf8(plaintext)
  const content = text === undefined ? undefined : parseJson(text)
  if (
    !isRecord(content) ||
    typeof content.e !== 'number' ||
    !Number.isFinite(content.e) ||
    !Object.hasOwn(content, 'p')
  ) {
    throw invalid(name, 'payload')
  }
  return { payload: content.p as T, expiresAt: content.e, stale }
}
