// Base64url without padding (RFC 4648 section 5) and strict UTF-8, on Uint8Array only: no Buffer,
// and btoa/atob only behind a strict check of the one canonical spelling (no atob quirks). Each takes the CryptoProvider so a runtime-native fast path is used when it has
// one (see CryptoProvider.decodeBase64url); the JS below is the portable reference.
import type { CryptoProvider } from '../crypto/provider.js'

// The one spelling of each byte string: whole groups of four, then two characters whose last
// carries 2 bits (4 unused, zero) or three whose last carries 4 (2 unused, zero). No padding, no
// other characters, no length of 4n+1. Linear: each group is tried once.
const CANONICAL = /^(?:[\w-]{4})*(?:[\w-][AQgw]|[\w-]{2}[AEIMQUYcgkosw048])?$/

export function encode(bytes: Uint8Array, crypto?: CryptoProvider): string {
  if (crypto?.encodeBase64url) return crypto.encodeBase64url(bytes)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
}

/** Decodes strict base64url (no padding, no other characters); returns undefined when invalid. */
export function decode(text: string, crypto?: CryptoProvider): Uint8Array | undefined {
  if (crypto?.decodeBase64url) return crypto.decodeBase64url(text)
  // atob alone would accept padding, whitespace and non-zero unused bits (a second spelling).
  if (!CANONICAL.test(text)) return undefined
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
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
