import { describe, expect, it } from 'vitest'
import {
  COOKIE_CHUNK_SIZE,
  type CookieAttributes,
  clearChunkedCookie,
  expireCookie,
  MAX_COOKIE_CHUNKS,
  MAX_COOKIE_HEADER_BYTES,
  parseCookieHeader,
  readChunkedCookie,
  serializeCookie,
  writeChunkedCookie,
} from '../../src/engine/cookies.js'
import { CookieJar } from '../support/cookie-jar.js'

const LAX: CookieAttributes = { path: '/', secure: true, httpOnly: true, sameSite: 'Lax' }

/** The cookies a browser would send after receiving these Set-Cookie lines (name=value only). */
const jar = (lines: readonly string[], before: ReadonlyMap<string, string> = new Map()) =>
  new CookieJar(before).store(lines).cookies

describe('parseCookieHeader', () => {
  it('parses name=value pairs separated by "; "', () => {
    expect(parseCookieHeader('a=1; b=two; c=')).toEqual(
      new Map([
        ['a', '1'],
        ['b', 'two'],
        ['c', ''],
      ]),
    )
  })

  it('returns an empty map for a missing header', () => {
    expect(parseCookieHeader(null).size).toBe(0)
    expect(parseCookieHeader(undefined).size).toBe(0)
    expect(parseCookieHeader('').size).toBe(0)
  })

  it('skips junk: pairs without "=" and empty names', () => {
    expect(parseCookieHeader('junk; =orphan; ;;a=1;  ; b')).toEqual(new Map([['a', '1']]))
  })

  it('trims spaces and tabs around names and values', () => {
    expect(parseCookieHeader(' \ta = 1 \t;b=2')).toEqual(
      new Map([
        ['a', '1'],
        ['b', '2'],
      ]),
    )
  })

  it('keeps "=" inside a value', () => {
    expect(parseCookieHeader('a=x=y==')).toEqual(new Map([['a', 'x=y==']]))
  })

  it('strips optional double quotes around a value', () => {
    expect(parseCookieHeader('a="quoted"; b="; c="x')).toEqual(
      new Map([
        ['a', 'quoted'],
        ['b', '"'],
        ['c', '"x'],
      ]),
    )
  })

  it('keeps the first occurrence of a duplicated name', () => {
    expect(parseCookieHeader('a=first; a=second').get('a')).toBe('first')
  })

  it('does not percent-decode values', () => {
    expect(parseCookieHeader('a=%41%3B').get('a')).toBe('%41%3B')
  })

  it('treats names like __proto__ as plain names', () => {
    expect(parseCookieHeader('__proto__=1; constructor=2').get('__proto__')).toBe('1')
  })

  it('ignores everything past MAX_COOKIE_HEADER_BYTES, including a pair cut in two', () => {
    const filler = `f=${'x'.repeat(MAX_COOKIE_HEADER_BYTES - 10)}`
    const cut = parseCookieHeader(`${filler}; a=123456789; b=2`)
    expect(cut.get('f')).toBe('x'.repeat(MAX_COOKIE_HEADER_BYTES - 10))
    expect(cut.has('a')).toBe(false)
    expect(cut.has('b')).toBe(false)
    // The limit falls just before a ";": the pair before it is whole.
    const exact = `a=${'x'.repeat(MAX_COOKIE_HEADER_BYTES - 2)}`
    expect(parseCookieHeader(`${exact};b=2`).get('a')).toHaveLength(MAX_COOKIE_HEADER_BYTES - 2)
    // One pair longer than the limit yields nothing.
    expect(parseCookieHeader(`a=${'x'.repeat(MAX_COOKIE_HEADER_BYTES)}`).size).toBe(0)
  })

  it('never throws on a non-string', () => {
    expect(parseCookieHeader(42 as unknown as string).size).toBe(0)
  })
})

describe('serializeCookie', () => {
  it('writes the attributes', () => {
    expect(
      serializeCookie('sid', 'abc', {
        path: '/app',
        domain: 'example.com',
        secure: true,
        httpOnly: true,
        sameSite: 'None',
        maxAge: 60,
      }),
    ).toBe('sid=abc; Path=/app; Domain=example.com; Max-Age=60; Secure; HttpOnly; SameSite=None')
    expect(
      serializeCookie('sid', '', { path: '/', secure: false, httpOnly: false, sameSite: 'Strict' }),
    ).toBe('sid=; Path=/; SameSite=Strict')
  })

  it.each([
    ['semicolon', 'a;b'],
    ['equals', 'a=b'],
    ['space', 'a b'],
    ['comma', 'a,b'],
    ['CR LF', 'a\r\nSet-Cookie: x'],
    ['control character', 'a\u0000'],
    ['empty', ''],
  ])('rejects a name with a %s', (_, name) => {
    expect(() => serializeCookie(name, 'v', LAX)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it.each([
    ['semicolon', 'v; Domain=evil.example'],
    ['space', 'a b'],
    ['comma', 'a,b'],
    ['CR LF', 'v\r\nLocation: https://evil.example'],
    ['LF', 'v\nx'],
    ['control character', 'v\u007f'],
    ['double quote', 'v"'],
    ['backslash', 'v\\'],
    ['non-ASCII', 'vé'],
  ])('rejects a value with a %s', (_, value) => {
    expect(() => serializeCookie('sid', value, LAX)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it.each([
    ['semicolon', '/; Domain=evil.example'],
    ['CR LF', '/\r\nx'],
    ['comma', '/a,b'],
    ['space', '/a b'],
    ['relative path', 'app'],
  ])('rejects a path with a %s', (_, path) => {
    expect(() => serializeCookie('sid', 'v', { ...LAX, path })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it.each([
    ['semicolon', 'example.com; Secure'],
    ['CR LF', 'example.com\r\nx'],
    ['comma', 'a.com,b.com'],
    ['space', 'example .com'],
    ['empty', ''],
  ])('rejects a domain with a %s', (_, domain) => {
    expect(() => serializeCookie('sid', 'v', { ...LAX, domain })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('accepts a domain with a leading dot', () => {
    expect(serializeCookie('sid', 'v', { ...LAX, domain: '.example.com' })).toContain(
      '; Domain=.example.com',
    )
  })

  it('rejects a maxAge that is not a whole non-negative number', () => {
    for (const maxAge of [-1, 1.5, Number.NaN]) {
      expect(() => serializeCookie('sid', 'v', { ...LAX, maxAge })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
    }
  })

  it('rejects an unknown sameSite', () => {
    const sameSite = 'Lax; Domain=evil.example' as CookieAttributes['sameSite']
    expect(() => serializeCookie('sid', 'v', { ...LAX, sameSite })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects SameSite=None without Secure', () => {
    expect(() => serializeCookie('sid', 'v', { ...LAX, sameSite: 'None', secure: false })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    expect(serializeCookie('sid', 'v', { ...LAX, sameSite: 'None', secure: true })).toContain(
      '; Secure; HttpOnly; SameSite=None',
    )
  })

  it('rejects a __Secure- cookie without Secure', () => {
    expect(() => serializeCookie('__Secure-sid', 'v', { ...LAX, secure: false })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects a __Host- cookie with a domain or a path other than "/"', () => {
    expect(() => serializeCookie('__Host-sid', 'v', { ...LAX, domain: 'example.com' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    expect(() => serializeCookie('__Host-sid', 'v', { ...LAX, path: '/app' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
    expect(serializeCookie('__Host-sid', 'v', LAX)).toMatch(/^__Host-sid=v; Path=\/;/)
  })

  it('rejects a name and value over the 4096 bytes browsers keep', () => {
    expect(() => serializeCookie('sid', 'x'.repeat(4094), LAX)).toThrow(
      expect.objectContaining({ code: 'COOKIE_TOO_LARGE' }),
    )
    expect(serializeCookie('sid', 'x'.repeat(4093), LAX)).toMatch(/^sid=x+; /)
  })
})

describe('expireCookie', () => {
  it('deletes with an empty value, Max-Age=0 and the same path and domain', () => {
    expect(expireCookie('sid', { ...LAX, path: '/app', domain: 'example.com', maxAge: 3600 })).toBe(
      'sid=; Path=/app; Domain=example.com; Max-Age=0; Secure; HttpOnly; SameSite=Lax',
    )
  })
})

describe('writeChunkedCookie / readChunkedCookie', () => {
  it('writes a value of exactly COOKIE_CHUNK_SIZE bytes as one plain cookie', () => {
    const value = 'a'.repeat(COOKIE_CHUNK_SIZE)
    const lines = writeChunkedCookie('sid', value, LAX, new Map())
    expect(lines).toEqual([serializeCookie('sid', value, LAX)])
    expect(readChunkedCookie('sid', jar(lines))).toBe(value)
  })

  it('splits a value of COOKIE_CHUNK_SIZE + 1 bytes into two chunks', () => {
    const value = `${'a'.repeat(COOKIE_CHUNK_SIZE)}b`
    const lines = writeChunkedCookie('sid', value, LAX, new Map())
    expect(lines).toEqual([
      serializeCookie('sid.0', 'a'.repeat(COOKIE_CHUNK_SIZE), LAX),
      serializeCookie('sid.1', 'b', LAX),
    ])
    expect(readChunkedCookie('sid', jar(lines))).toBe(value)
  })

  it('expires the chunks a shorter value no longer needs (3 chunks -> 1 plain)', () => {
    const big = 'x'.repeat(COOKIE_CHUNK_SIZE * 2 + 1)
    const before = jar(writeChunkedCookie('sid', big, LAX, new Map()))
    expect([...before.keys()]).toEqual(['sid.0', 'sid.1', 'sid.2'])
    const lines = writeChunkedCookie('sid', 'small', LAX, before)
    expect(lines).toEqual([
      serializeCookie('sid', 'small', LAX),
      expireCookie('sid.0', LAX),
      expireCookie('sid.1', LAX),
      expireCookie('sid.2', LAX),
    ])
    expect([...jar(lines, before)]).toEqual([['sid', 'small']])
  })

  it('expires the extra chunks when shrinking from 3 chunks to 2', () => {
    const before = jar(writeChunkedCookie('sid', 'x'.repeat(COOKIE_CHUNK_SIZE * 3), LAX, new Map()))
    const value = 'y'.repeat(COOKIE_CHUNK_SIZE + 1)
    const lines = writeChunkedCookie('sid', value, LAX, before)
    expect(lines).toContain(expireCookie('sid.2', LAX))
    expect(lines).not.toContain(expireCookie('sid.0', LAX))
    expect(readChunkedCookie('sid', jar(lines, before))).toBe(value)
    expect(jar(lines, before).has('sid.2')).toBe(false)
  })

  it('expires the plain cookie when growing into chunks', () => {
    const before = jar(writeChunkedCookie('sid', 'small', LAX, new Map()))
    const value = 'z'.repeat(COOKIE_CHUNK_SIZE + 10)
    const lines = writeChunkedCookie('sid', value, LAX, before)
    expect(lines).toContain(expireCookie('sid', LAX))
    const after = jar(lines, before)
    expect([...after.keys()].sort()).toEqual(['sid.0', 'sid.1'])
    expect(readChunkedCookie('sid', after)).toBe(value)
  })

  it('expires chunks beyond a gap too, and leaves unrelated cookies alone', () => {
    const existing = new Map([
      ['sid.0', 'a'],
      ['sid.5', 'stale'],
      ['sid.01', 'not ours'],
      ['sid.x', 'not ours'],
      ['sidecar', 'not ours'],
    ])
    const lines = writeChunkedCookie('sid', 'v', LAX, existing)
    expect(lines).toEqual([
      serializeCookie('sid', 'v', LAX),
      expireCookie('sid.0', LAX),
      expireCookie('sid.5', LAX),
    ])
  })

  it('refuses a value that needs more than MAX_COOKIE_CHUNKS cookies', () => {
    const four = 'x'.repeat(COOKIE_CHUNK_SIZE * MAX_COOKIE_CHUNKS)
    expect(writeChunkedCookie('sid', four, LAX, new Map())).toHaveLength(MAX_COOKIE_CHUNKS)
    expect(() => writeChunkedCookie('sid', `${four}x`, LAX, new Map())).toThrow(
      expect.objectContaining({
        code: 'COOKIE_TOO_LARGE',
        details: expect.objectContaining({ chunks: MAX_COOKIE_CHUNKS + 1 }),
      }),
    )
  })

  it('validates chunk values like serializeCookie', () => {
    expect(() =>
      writeChunkedCookie('sid', `${'x'.repeat(COOKIE_CHUNK_SIZE)};y`, LAX, new Map()),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('reassembles reordered chunks into a different string', () => {
    const value = `${'a'.repeat(COOKIE_CHUNK_SIZE)}${'b'.repeat(COOKIE_CHUNK_SIZE)}`
    const cookies = jar(writeChunkedCookie('sid', value, LAX, new Map()))
    const swapped = new Map([
      ['sid.0', cookies.get('sid.1')!],
      ['sid.1', cookies.get('sid.0')!],
    ])
    const read = readChunkedCookie('sid', swapped)
    expect(read).toHaveLength(value.length)
    expect(read).not.toBe(value)
  })

  it('stops at the first gap in chunk numbering', () => {
    const cookies = new Map([
      ['sid.0', 'a'],
      ['sid.1', 'b'],
      ['sid.3', 'd'],
    ])
    expect(readChunkedCookie('sid', cookies)).toBe('ab')
    expect(readChunkedCookie('sid', new Map([['sid.1', 'b']]))).toBeUndefined()
  })

  it('returns undefined when neither the cookie nor its chunks are present', () => {
    expect(readChunkedCookie('sid', new Map([['other', 'x']]))).toBeUndefined()
  })

  it('prefers the plain cookie when both shapes are present', () => {
    expect(
      readChunkedCookie(
        'sid',
        new Map([
          ['sid.0', 'chunk'],
          ['sid', 'plain'],
        ]),
      ),
    ).toBe('plain')
  })
})

describe('clearChunkedCookie', () => {
  it('expires the plain cookie and every chunk present', () => {
    const existing = new Map([
      ['sid.0', 'a'],
      ['sid.1', 'b'],
      ['sid.7', 'c'],
      ['other', 'x'],
    ])
    expect(clearChunkedCookie('sid', LAX, existing)).toEqual([
      expireCookie('sid', LAX),
      expireCookie('sid.0', LAX),
      expireCookie('sid.1', LAX),
      expireCookie('sid.7', LAX),
    ])
  })

  it('expires the plain cookie even when nothing is present', () => {
    expect(clearChunkedCookie('sid', LAX, new Map())).toEqual([expireCookie('sid', LAX)])
  })
})
