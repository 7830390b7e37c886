/**
 * Sealed cookie values: AES-256-GCM under a key derived with HKDF-SHA-256 from a secret; a list
 * of secrets lets you rotate (the first seals, all unseal).
 *
 * Format, version 1. This is a compatibility promise: every {@link CryptoProvider} (WebCrypto,
 * node:crypto) produces and accepts exactly these bytes, so cookies survive a change
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
 * Version 2 is the same with a compressed plaintext; {@link CookieSealer.seal} writes it when the
 * JSON is longer than {@link COMPRESS_ABOVE} characters (a large session then still fits in a few
 * cookies), and version 1 otherwise (no inflate cost on every request for a small one):
 *
 * ```text
 * sealed     = "v2" "." kid "." iv "." ciphertext
 * aad        = UTF-8("v2" "." kid "." name)
 * plaintext  = DEFLATE (RFC 1950 zlib format, CompressionStream "deflate") of UTF-8(JSON.stringify({ e, p }))
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
import { configError } from '../protocol/http.js'
import { tooLarge } from './cookies.js'

/** Shortest accepted secret, in characters (32 random hex characters carry 128 bits). */
export const MIN_SECRET_LENGTH = 32

/** Longest sealed value, in characters: {@link CookieSealer.seal} refuses to produce, and {@link CookieSealer.unseal} to read, anything longer. */
export const MAX_SEALED_LENGTH = 16 * 1024

/** JSON longer than this many characters is compressed before sealing (format v2). */
export const COMPRESS_ABOVE = 2048

/** Most bytes a compressed plaintext may inflate to (a bound, whatever was sealed). */
const MAX_PLAINTEXT_BYTES = 256 * 1024

/**
 * `bytes` through a (De)CompressionStream, or `undefined` when the output exceeds `max` bytes;
 * a stream error rejects.
 */
async function transform(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
  max: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array<ArrayBuffer>[] = []
  let length = 0
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(stream)
    .getReader()
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    length += read.value.length
    if (length > max) {
      await reader.cancel()
      return
    }
    chunks.push(read.value)
  }
  return new Uint8Array(await new Blob(chunks).arrayBuffer())
}

/**
 * `secrets` (one or a list) as a new list, each a string of at least {@link MIN_SECRET_LENGTH}
 * characters, else a {@link ConfigurationError} naming the first that is not (`details.index`).
 */
export function checkSecrets(secrets: unknown): string[] {
  const list: unknown[] = Array.isArray(secrets) ? [...secrets] : [secrets]
  const index = list.length
    ? list.findIndex((secret) => typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)
    : 0
  if (index >= 0) {
    throw configError(
      `\`secret\` needs ${MIN_SECRET_LENGTH}+ characters (#${index + 1}); try \`openssl rand -hex 32\``,
      { index },
    )
  }
  return list as string[]
}

/** What {@link CookieSealer.unseal} recovered. */
export interface UnsealResult<T = unknown> {
  payload: T
  /** Seconds since the epoch, as given to {@link CookieSealer.seal}. Not checked by `unseal`. */
  expiresAt: number
  /** sealed with a secret other than the current (first) one: reseal */
  stale: boolean
}

const SALT = 'oidc-hybrid/cookie'
const INFO = 'oidc-hybrid cookie '

interface SealingKey {
  id: string
  key: Uint8Array
}

/**
 * Why a value is refused (`details.reason`): `format` (not `v1.<kid>.<iv>.<ciphertext>`), `size`
 * (over {@link MAX_SEALED_LENGTH}), `version` (not `v1` or `v2`), `encoding` (IV or ciphertext not
 * base64url of the right length), `key` (no configured secret has its kid: was an old secret
 * removed too early?), `tag` (altered, or sealed for another cookie name), `payload` (not the
 * expected JSON), `crypto` (the provider failed).
 */
type InvalidReason =
  | 'format'
  | 'size'
  | 'version'
  | 'encoding'
  | 'key'
  | 'tag'
  | 'payload'
  | 'crypto'

function invalid(cookie: string, reason: InvalidReason, cause?: unknown): OidcHybridError {
  return new OidcHybridError(
    'COOKIE_INVALID',
    `cookie ${cookie} is not one this app sealed; see details.reason`,
    {
      details: { cookie, reason },
      cause,
    },
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
    const list = checkSecrets(secrets)
    const derive = (ikm: Uint8Array, info: string) =>
      crypto.deriveKey(ikm, utf8(SALT), utf8(INFO + info))
    const keys = await Promise.all(
      list.map(async (secret) => {
        const ikm = utf8(secret)
        const [key, id] = await Promise.all([
          derive(ikm, 'encryption key v1'),
          derive(ikm, 'key id v1'),
        ])
        return { key, id: encode(id.subarray(0, 4)) }
      }),
    )
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
    let json: string | undefined
    let cause: unknown
    try {
      json = payload === undefined ? undefined : JSON.stringify({ e: expiresAt, p: payload })
    } catch (error) {
      cause = error
    }
    if (json === undefined || !(Number.isFinite(expiresAt) && expiresAt >= 0)) {
      throw new ConfigurationError(
        `cookie ${name}: payload must be JSON, expiresAt epoch seconds >= 0`,
        { cause },
      )
    }
    const crypto = this.#crypto
    const { id, key } = this.#keys[0]!
    const iv = crypto.randomBytes(12)
    let plaintext = utf8(json, crypto)
    // What unseal would refuse to inflate is refused here already (no cookie that reads as none).
    if (plaintext.length > MAX_PLAINTEXT_BYTES) {
      throw tooLarge(name, { length: plaintext.length, max: MAX_PLAINTEXT_BYTES })
    }
    const compress = json.length > COMPRESS_ABOVE
    if (compress) {
      // Never over the bound (Infinity): a result, or the stream's own error.
      plaintext =
        crypto.deflate?.(plaintext) ??
        (await transform(plaintext, new CompressionStream('deflate'), Infinity))!
    }
    const header = `${compress ? 'v2' : 'v1'}.${id}`
    const ciphertext = await crypto.encrypt(key, iv, plaintext, utf8(`${header}.${name}`, crypto))
    const sealed = `${header}.${encode(iv, crypto)}.${encode(ciphertext, crypto)}`
    const { length } = sealed
    if (length > MAX_SEALED_LENGTH) throw tooLarge(name, { length, max: MAX_SEALED_LENGTH })
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
    // Three dots found with indexOf: a quarter of split's cost on a 2 KB value.
    const a = sealed.indexOf('.')
    const b = sealed.indexOf('.', a + 1)
    const c = sealed.indexOf('.', b + 1)
    // (No first dot means no second one: b < 0 covers a < 0.)
    if (b < 0 || c < 0 || sealed.includes('.', c + 1)) throw invalid(name, 'format')
    const version = sealed.slice(0, a)
    if (version !== 'v1' && version !== 'v2') throw invalid(name, 'version')
    const id = sealed.slice(a + 1, b)
    const crypto = this.#crypto
    const iv = decode(sealed.slice(b + 1, c), crypto)
    const ciphertext = decode(sealed.slice(c + 1), crypto)
    // 12-byte IV; the ciphertext ends with the 16-byte GCM tag.
    if (iv?.length !== 12 || !ciphertext || ciphertext.length < 16) throw invalid(name, 'encoding')
    const aad = utf8(`${version}.${id}.${name}`, crypto)
    let reason: InvalidReason = 'key'
    // Several secrets may share a 4-byte id by chance: try each one that matches.
    for (const [index, candidate] of this.#keys.entries()) {
      if (candidate.id !== id) continue
      reason = 'tag'
      let plaintext: Uint8Array | undefined
      try {
        plaintext = await crypto.decrypt(candidate.key, iv, ciphertext, aad)
      } catch (cause) {
        throw invalid(name, 'crypto', cause)
      }
      if (plaintext && version === 'v2') {
        plaintext = crypto.inflate
          ? crypto.inflate(plaintext, MAX_PLAINTEXT_BYTES)
          : await transform(
              plaintext,
              new DecompressionStream('deflate'),
              MAX_PLAINTEXT_BYTES,
            ).catch(() => undefined)
        if (!plaintext) throw invalid(name, 'payload')
      }
      if (plaintext) {
        const content = parseJson(fromUtf8(plaintext))
        if (!isRecord(content) || !Number.isFinite(content.e) || !Object.hasOwn(content, 'p')) {
          throw invalid(name, 'payload')
        }
        return { payload: content.p as T, expiresAt: content.e as number, stale: index > 0 }
      }
    }
    throw invalid(name, reason)
  }
}
