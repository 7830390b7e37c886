import { describe, expect, it } from 'vitest'
import { Jar, parseSetCookie } from '../src/index.js'

/** A response carrying these Set-Cookie lines. */
function setting(...lines: string[]): Response {
  const headers = new Headers()
  for (const line of lines) headers.append('set-cookie', line)
  return new Response(null, { headers })
}

/** A jar on a clock the test moves by hand. */
function jarAt(start = Date.parse('2026-01-01T00:00:00Z')) {
  const clock = { now: start }
  return { jar: new Jar({ now: () => clock.now }), clock }
}

describe('parseSetCookie', () => {
  it('reads name and value, trimmed, and ignores the attributes it does not need', () => {
    expect(parseSetCookie(' a = b=c ; Path=/; Secure; HttpOnly; SameSite=Lax', 0)).toEqual({
      name: 'a',
      value: 'b=c',
    })
  })

  it('Max-Age wins over Expires; zero or less is already expired; junk is ignored', () => {
    const now = 1_000_000
    expect(parseSetCookie('a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT', now)).toEqual({
      name: 'a',
      value: '1',
      expiresAt: now + 60_000,
    })
    expect(parseSetCookie('a=; max-age=0', now)?.expiresAt).toBe(Number.NEGATIVE_INFINITY)
    expect(parseSetCookie('a=; Max-Age=-5', now)?.expiresAt).toBe(Number.NEGATIVE_INFINITY)
    expect(parseSetCookie('a=1; Max-Age=soon', now)).toEqual({ name: 'a', value: '1' })
    expect(parseSetCookie('a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', now)?.expiresAt).toBe(
      Date.parse('2015-10-21T07:28:00Z'),
    )
  })

  it('a line without a name or without "=" is no cookie', () => {
    expect(parseSetCookie('novalue; Path=/', 0)).toBeUndefined()
    expect(parseSetCookie('=value', 0)).toBeUndefined()
  })
})

describe('Jar', () => {
  it('stores, replaces, and sends the cookies as one Cookie header', () => {
    const { jar } = jarAt()
    expect(jar.header()).toBe('')
    jar.store(setting('a=1; Path=/; HttpOnly', 'b=2; Path=/; Max-Age=600'))
    jar.store(setting('a=3; Path=/'))
    expect(jar.header()).toBe('a=3; b=2')
    expect(jar.has('a')).toBe(true)
    expect(jar.has('c')).toBe(false)
  })

  it('deletes a cookie set with Max-Age=0, or with an Expires date in the past', () => {
    const { jar } = jarAt()
    jar.store(setting('a=1; Path=/', 'b=2; Path=/', 'c=3; Path=/'))
    jar.store(
      setting(
        'a=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax',
        'b=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
      ),
    )
    expect([...jar.cookies.keys()]).toEqual(['c'])
    // Deleting what is not held is no error; an expired line never adds a cookie.
    jar.store(setting('d=4; Max-Age=0'))
    expect(jar.header()).toBe('c=3')
  })

  it('drops a cookie once its Max-Age or Expires has passed on its clock', () => {
    const { jar, clock } = jarAt()
    jar.store(
      setting(
        'short=1; Max-Age=60',
        `dated=2; Expires=${new Date(clock.now + 120_000).toUTCString()}`,
        'session=3',
      ),
    )
    clock.now += 59_000
    expect(jar.header()).toBe('short=1; dated=2; session=3')
    clock.now += 1_000
    expect(jar.header()).toBe('dated=2; session=3')
    clock.now += 60_000
    expect(jar.header()).toBe('session=3')
    expect(jar.has('dated')).toBe(false)
    // A new Set-Cookie without expiry makes a session cookie of it again.
    jar.store(setting('short=4; Max-Age=10'))
    jar.store(setting('short=5'))
    clock.now += 3_600_000
    expect(jar.get('short')).toBe('5')
  })

  it('get() joins the chunks of a value split over name.0, name.1, ...; has() sees them', () => {
    const { jar } = jarAt()
    jar.store(setting('s.1=def; Path=/', 's.0=abc; Path=/', 's.2=gh; Path=/'))
    expect(jar.get('s')).toBe('abcdefgh')
    expect(jar.has('s')).toBe(true)
    expect(jar.get('t')).toBeUndefined()
    // Back to one cookie: the server expires the chunks and sets the whole value.
    jar.store(setting('s=whole; Path=/', 's.0=; Max-Age=0', 's.1=; Max-Age=0', 's.2=; Max-Age=0'))
    expect(jar.get('s')).toBe('whole')
    expect(jar.header()).toBe('s=whole')
    // A gap ends the value: only consecutive chunks from .0 count.
    jar.cookies.clear()
    jar.cookies.set('s.0', 'a')
    jar.cookies.set('s.2', 'c')
    expect(jar.get('s')).toBe('a')
  })

  it('takes Headers as well as a Response, and may be changed directly', () => {
    const { jar } = jarAt()
    const headers = new Headers()
    headers.append('set-cookie', 'a=1')
    jar.store(headers)
    jar.cookies.set('b', '2')
    expect(jar.header()).toBe('a=1; b=2')
    jar.cookies.clear()
    expect(jar.header()).toBe('')
  })
})
