// Base64url without padding (RFC 4648 section 5), on Uint8Array only: no Buffer, no atob quirks.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

export function encode(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!
    out +=
      ALPHABET[(n >> 18) & 63]! +
      ALPHABET[(n >> 12) & 63]! +
      ALPHABET[(n >> 6) & 63]! +
      ALPHABET[n & 63]!
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = bytes[i]! << 16
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]!
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8)
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!
  }
  return out
}

/** Decodes strict base64url (no padding, no other characters); returns undefined when invalid. */
export function decode(text: string): Uint8Array | undefined {
  const rest = text.length % 4
  if (rest === 1) return undefined
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  let o = 0
  let i = 0
  for (; i + 3 < text.length; i += 4) {
    const a = value(text, i)
    const b = value(text, i + 1)
    const c = value(text, i + 2)
    const d = value(text, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = (n >> 16) & 255
    out[o++] = (n >> 8) & 255
    out[o++] = n & 255
  }
  if (rest >= 2) {
    const a = value(text, i)
    const b = value(text, i + 1)
    const c = rest === 3 ? value(text, i + 2) : 0
    if ((a | b | c) < 0) return undefined
    const n = (a << 18) | (b << 12) | (c << 6)
    // Non-canonical trailing bits would let two strings decode to the same bytes.
    if (rest === 2 ? (n & 0xffff) !== 0 : (n & 0xff) !== 0) return undefined
    out[o++] = (n >> 16) & 255
    if (rest === 3) out[o++] = (n >> 8) & 255
  }
  return out.subarray(0, o)
}

function value(text: string, index: number): number {
  const code = text.charCodeAt(index)
  return code < 128 ? LOOKUP[code]! : -1
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Strict UTF-8 decoding; undefined for invalid byte sequences. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes)
  } catch {
    return undefined
  }
}

export function encodeText(text: string): string {
  return encode(encoder.encode(text))
}

/** Decodes base64url to a UTF-8 string; undefined when either layer is invalid. */
export function decodeText(text: string): string | undefined {
  const bytes = decode(text)
  return bytes === undefined ? undefined : fromUtf8(bytes)
}
