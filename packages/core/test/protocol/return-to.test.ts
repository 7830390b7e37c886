import { describe, expect, it } from 'vitest'
import { validateReturnTo } from '../../src/protocol/return-to.js'

const BASE = 'https://app.example.com'

function refused(returnTo: string) {
  expect(() => validateReturnTo(returnTo, BASE)).toThrow(
    expect.objectContaining({ code: 'RETURN_TO_INVALID' }),
  )
}

describe('validateReturnTo', () => {
  it.each([[undefined], [null], ['']])('returns undefined for %j', (returnTo) => {
    expect(validateReturnTo(returnTo, BASE)).toBeUndefined()
  })

  it.each([
    ['/', '/'],
    ['/profile', '/profile'],
    ['/orders?page=2&sort=desc#top', '/orders?page=2&sort=desc#top'],
    ['/a/b/../c', '/a/c'],
    ['/caf\u00e9 menu', '/caf%C3%A9%20menu'],
    ['/%2e%2e/x', '/x'],
  ])('accepts the path %j as %j', (returnTo, expected) => {
    expect(validateReturnTo(returnTo, BASE)).toBe(expected)
  })

  it.each([
    ['https://app.example.com/orders?x=1#y', '/orders?x=1#y'],
    ['https://app.example.com', '/'],
    ['HTTPS://APP.EXAMPLE.COM:443/a', '/a'],
  ])('accepts the same-origin URL %j as the path %j', (returnTo, expected) => {
    expect(validateReturnTo(returnTo, BASE)).toBe(expected)
  })

  it('resolves against the origin of baseURL, not its path', () => {
    expect(validateReturnTo('/x', 'https://app.example.com/base/')).toBe('/x')
  })

  it.each(['//evil.com', '//app.example.com/x', '///evil.com'])(
    'rejects a protocol-relative URL: %j',
    refused,
  )

  it.each([
    ['//..', '/'],
    ['//%2E%2E', '/'],
    ['/%2F/..', '/'],
    ['/.//..?q', '/?q'],
  ])('returns the resolved same-origin path of %j, never the raw input', (input, path) => {
    expect(validateReturnTo(input, 'https://app.example.com')).toBe(path)
  })

  it.each(['/\\evil.com', '\\\\evil.com', '/path\\to', 'https://app.example.com/a\\b'])(
    'rejects a backslash: %j',
    refused,
  )

  it.each(['https://evil.com/', 'http://app.example.com/', 'https://app.example.com:8443/'])(
    'rejects another origin: %j',
    refused,
  )

  it('rejects a look-alike subdomain https://app.example.com.evil.com', () =>
    refused('https://app.example.com.evil.com/'))

  it('rejects userinfo that hides another host https://app.example.com@evil.com', () =>
    refused('https://app.example.com@evil.com/'))

  it.each([
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    // A blob URL has the origin of the URL inside it.
    'blob:https://app.example.com/0b8e7e1c',
  ])('rejects a non-HTTP scheme: %j', refused)

  it.each([
    '\t//evil.com',
    '/\t/evil.com',
    '/\r\nSet-Cookie: a=b',
    '/a\nb',
    '/\u0000',
    '/\u007f',
    '/\u0085',
  ])('rejects control characters: %j', refused)

  it('rejects more than 2048 characters', () => refused(`/${'a'.repeat(2048)}`))

  it('accepts 2048 characters', () => {
    expect(validateReturnTo(`/${'a'.repeat(2047)}`, BASE)).toHaveLength(2048)
  })

  it.each(['/%2F%2Fevil.com', '/%2f/evil.com', '/%5C%5Cevil.com'])(
    'rejects a path starting with an encoded slash or backslash: %j',
    refused,
  )

  it('rejects an absolute same-origin URL whose path starts with an encoded slash', () =>
    refused(`${BASE}/%2F%2Fevil.com`))

  it.each(['/.//evil.com', '/..//evil.com', 'https://app.example.com//evil.com'])(
    'rejects a path that resolves to //host: %j',
    refused,
  )

  it.each(['evil.com', 'profile', ' //evil.com', '?next=x', 'http:evil.com', 'https:/evil.com'])(
    'rejects what is neither a path nor an absolute same-origin URL: %j',
    refused,
  )

  it('rejects a value that is not a string', () => refused(42 as unknown as string))

  it.each(['not a url', '/relative', 'data:text/plain,x'])(
    'reports an unusable baseURL %j as a configuration error',
    (baseURL) => {
      expect(() => validateReturnTo('/x', baseURL)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
    },
  )
})
