// Strict base64url (RFC 4648 5, no padding) and strict UTF-8: one spelling per byte string.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { decode, encode, fromUtf8, utf8 } from '../../src/lib/base64url.js'

const ascii = (text: string) => new TextEncoder().encode(text)

describe('encode / decode', () => {
  // RFC 4648 10, in the URL-safe alphabet and without padding.
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 vector %j <-> %j', (text, encoded) => {
    expect(encode(ascii(text))).toBe(encoded)
    expect(decode(encoded)).toEqual(ascii(text))
  })

  it("uses '-' and '_' for 62 and 63", () => {
    const bytes = new Uint8Array([0xfb, 0xef, 0xff])
    expect(encode(bytes)).toBe('--__')
    expect(decode('--__')).toEqual(bytes)
  })

  it('agrees with node for any bytes, and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const encoded = encode(bytes)
        expect(encoded).toBe(Buffer.from(bytes).toString('base64url'))
        expect(decode(encoded)).toEqual(bytes)
      }),
    )
  })

  it.each([
    ['standard alphabet +', 'Zm+v'],
    ['standard alphabet /', 'Zm/v'],
    ['padding', 'Zg=='],
    ['whitespace', 'Zm9v Yg'],
    ['non-ASCII', 'Zm9é'],
    ['a character above U+007F that is a letter elsewhere', 'Zm9\u0131'],
  ])('rejects %s', (_name, text) => {
    expect(decode(text)).toBeUndefined()
  })

  it('rejects an invalid character in the last, partial group', () => {
    expect(decode('Zm9vY=')).toBeUndefined()
    expect(decode('Zm9vY.E')).toBeUndefined()
  })

  it('rejects a length of 4n+1, which no byte string encodes to', () => {
    expect(decode('Z')).toBeUndefined()
    expect(decode('Zm9vY')).toBeUndefined()
  })

  it('rejects non-canonical trailing bits (two spellings of one byte string)', () => {
    // 'Zg' is "f"; 'Zh' has the same first 8 bits and stray low bits.
    expect(decode('Zg')).toEqual(ascii('f'))
    expect(decode('Zh')).toBeUndefined()
    // 'Zm8' is "fo"; 'Zm9' has stray low bits.
    expect(decode('Zm8')).toEqual(ascii('fo'))
    expect(decode('Zm9')).toBeUndefined()
  })

  it('every string that decodes is the one encoding of its bytes', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/), (text) => {
        const bytes = decode(text)
        if (bytes !== undefined) expect(encode(bytes)).toBe(text)
      }),
    )
  })
})

describe('UTF-8', () => {
  it('utf8 encodes and fromUtf8 decodes', () => {
    expect(utf8('é€😀')).toEqual(
      new Uint8Array([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]),
    )
    expect(fromUtf8(utf8('é€😀'))).toBe('é€😀')
  })

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an invalid byte', [0xff]],
    ['an overlong encoding of NUL', [0xc0, 0x80]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('fromUtf8 rejects %s', (_name, bytes) => {
    expect(fromUtf8(new Uint8Array(bytes))).toBeUndefined()
  })
})

describe("a provider's native fast paths", () => {
  const native = {
    decodeBase64url: (text: string) => (text === 'x' ? new Uint8Array([1]) : undefined),
    encodeBase64url: (bytes: Uint8Array) => `native:${bytes.length}`,
    encodeUtf8: (text: string) => new Uint8Array([text.length]),
  } as unknown as CryptoProvider

  it('are used when the provider has them', () => {
    expect(decode('x', native)).toEqual(new Uint8Array([1]))
    expect(decode('Zg', native)).toBeUndefined()
    expect(encode(new Uint8Array(3), native)).toBe('native:3')
    expect(utf8('abc', native)).toEqual(new Uint8Array([3]))
  })

  it('are optional: the portable code runs without them', () => {
    const portable = {} as CryptoProvider
    expect(decode('Zg', portable)).toEqual(ascii('f'))
    expect(encode(ascii('f'), portable)).toBe('Zg')
    expect(utf8('f', portable)).toEqual(ascii('f'))
  })
})

it('fromUtf8 of no bytes is undefined, not the empty string', () => {
  expect(fromUtf8(undefined)).toBeUndefined()
  expect(fromUtf8(new Uint8Array())).toBe('')
})
