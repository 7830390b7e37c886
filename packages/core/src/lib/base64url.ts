// Base64url without padding (RFC 4648 section 5) and strict UTF-8, on Uint8Array only: no Buffer,
// no atob quirks. Each takes the CryptoProvider so a runtime-native fast path is used when it has
// one (see CryptoProvider.decodeBase64url); the JS below is the portable reference.
import type { CryptoProvider } from '../crypto/provider.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
// 64 marks a character outside the alphabet; codes >= 128 read undefined, also rejected.
const LOOKUP = new Uint8Array(128).fill(64)
for (let i = 0; i < 64; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

export function encode(bytes: Uint8Array, crypto?: CryptoProvider): string {
  if (crypto?.encodeBase64url) return crypto.encodeBase64url(bytes)
  let out = ''
  let bits = 0
  let buffer = 0
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff
    bits += 8
    while (bits >= 6) {
      bits -= 6
      out += ALPHABET[(buffer >> bits) & 63]
    }
  }
  return bits ? out + ALPHABET[(buffer << (6 - bits)) & 63] : out
}

/** Decodes strict base64url (no padding, no other characters); returns undefined when invalid. */
export function decode(text: string, crypto?: CryptoProvider): Uint8Array | undefined {
  if (crypto?.decodeBase64url) return crypto.decodeBase64url(text)
  const out = new Uint8Array((text.length * 3) >> 2)
  let bits = 0
  let buffer = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    const value = LOOKUP[text.charCodeAt(i)] as number
    if (!(value < 64)) return undefined
    buffer = ((buffer << 6) | value) & 0xffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = buffer >> bits
    }
  }
  // A length of 4n+1 (6 bits left) or non-zero unused bits would be a second spelling of `out`.
  return bits < 6 && !(buffer & ((1 << bits) - 1)) ? out : undefined
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function utf8(text: string, crypto?: CryptoProvider): Uint8Array {
  return crypto?.encodeUtf8 ? crypto.encodeUtf8(text) : encoder.encode(text)
}

/** Strict UTF-8 decoding; undefined for invalid byte sequences (and for no bytes). */
export function fromUtf8(bytes: Uint8Array | undefined): string | undefined {
  try {
    return bytes && decoder.decode(bytes)
  } catch {
    return undefined
  }
}
