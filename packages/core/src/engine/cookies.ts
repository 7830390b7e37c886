/**
 * Cookie header parsing, Set-Cookie serialisation, and chunking of values too large for one
 * cookie. Values are never percent-encoded or decoded: ours are base64url, which RFC 6265 allows
 * as-is.
 */
import type { OidcHybridError } from '../errors.js'
import { configError, oidcError, TOKEN } from '../protocol/http.js'

/** Attributes of a Set-Cookie line. */
export interface CookieAttributes {
  path: string
  domain?: string
  secure: boolean
  httpOnly: boolean
  sameSite: 'Lax' | 'Strict' | 'None'
  /** seconds */
  maxAge?: number
}

/** Bytes of a Cookie header that {@link parseCookieHeader} reads; the rest is ignored. */
export const MAX_COOKIE_HEADER_BYTES = 32 * 1024

/** bytes of value per cookie, under the 4096 browser limit with attributes */
export const COOKIE_CHUNK_SIZE = 3800

/** Most cookies one value is split into (browsers keep about 50 cookies per domain). */
export const MAX_COOKIE_CHUNKS = 4

// RFC 9110 5.6.2 token (RFC 6265 4.1.1 cookie-name).
const NAME = new RegExp(`^${TOKEN}$`)
// RFC 6265 4.1.1 cookie-octet: no CTLs, whitespace, DQUOTE, comma, semicolon or backslash.
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/
// RFC 6265 4.1.1 path-value, starting with "/" (5.1.4), and without comma or space.
const PATH = /^\/[\x21-\x2B\x2D-\x3A\x3C-\x7E]*$/
// RFC 1034 3.5 subdomain, optionally with the leading dot RFC 6265 5.2.3 ignores.
const DOMAIN = /^\.?[a-z\d]([a-z\d-]*[a-z\d])?(\.[a-z\d]([a-z\d-]*[a-z\d])?)*$/i
const CHUNK_INDEX = /^(0|[1-9]\d*)$/

/**
 * Parses a `Cookie` request header into name → value. Tolerant of junk: pairs without `=` or
 * with an empty name are skipped, optional double quotes around a value are removed, the first
 * occurrence of a name wins (the most specific path comes first, RFC 6265 5.4 step 2), and
 * anything past {@link MAX_COOKIE_HEADER_BYTES} is ignored. Never throws. Values are not
 * percent-decoded.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.4
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-4.2.1
 *
 * @example
 * ```ts
 * const cookies = parseCookieHeader(request.headers.get('cookie'))
 * const session = readChunkedCookie('__Host-session', cookies)
 * ```
 */
export function parseCookieHeader(header: string | null | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  if (typeof header !== 'string') return cookies
  let text = header.slice(0, MAX_COOKIE_HEADER_BYTES)
  // A pair cut in the middle would yield a wrong value: drop it.
  if (header.length > MAX_COOKIE_HEADER_BYTES && header[MAX_COOKIE_HEADER_BYTES] !== ';') {
    text = text.slice(0, Math.max(text.lastIndexOf(';'), 0))
  }
  for (const pair of text.split(';')) {
    const equals = pair.indexOf('=')
    const name = trimWhitespace(pair.slice(0, equals))
    if (equals < 0 || name === '' || cookies.has(name)) continue
    const value = trimWhitespace(pair.slice(equals + 1))
    cookies.set(name, /^".*"$/s.test(value) ? value.slice(1, -1) : value)
  }
  return cookies
}

/** Removes leading and trailing SP and HTAB only (RFC 6265 5.2 "WSP"); linear, unlike a regex. */
function trimWhitespace(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--
  return text.slice(start, end)
}

/** COOKIE_TOO_LARGE for `name`; `details` say by how much. */
export function tooLarge(name: string, details: Record<string, number>): OidcHybridError {
  return oidcError(
    'COOKIE_TOO_LARGE',
    `cookie ${name} too large: use session.store or filterClaims`,
    {
      cookie: name,
      ...details,
    },
  )
}

/**
 * Serialises one `Set-Cookie` header value (`maxAge`, when given, overrides the attributes').
 * Throws {@link ConfigurationError} for a name, value,
 * path or domain with characters that could inject attributes or headers (`;`, CR, LF, comma,
 * space, control characters...), for `SameSite=None` without `Secure`, and for `__Secure-` /
 * `__Host-` names whose attributes browsers would reject. Throws `COOKIE_TOO_LARGE` when name
 * and value exceed the 4096 bytes a browser stores (use {@link writeChunkedCookie}).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-4.1
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-4.1.3 cookie prefixes
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#section-5.6.7 SameSite=None requires Secure
 *
 * @example
 * ```ts
 * headers.append('set-cookie', serializeCookie('__Host-session', sealed, {
 *   path: '/', secure: true, httpOnly: true, sameSite: 'Lax', maxAge: 86_400,
 * }))
 * ```
 */
export function serializeCookie(
  name: string,
  value: string,
  attributes: CookieAttributes,
  maxAge = attributes.maxAge,
): string {
  const { path, domain, secure, httpOnly, sameSite } = attributes
  /** Throws a {@link ConfigurationError} about this cookie unless `ok`. */
  const check = (ok: boolean, problem: string) => {
    if (!ok) throw configError(`cookie ${JSON.stringify(name)}: ${problem}`, { cookie: name })
  }
  check(typeof name === 'string' && NAME.test(name), `bad name; use ${TOKEN}`)
  check(typeof value === 'string' && COOKIE_VALUE.test(value), 'bad value; encode it as base64url')
  // Browsers drop, silently, a cookie whose name and value together exceed 4096 (RFC 6265bis 5.7).
  const length = name.length + value.length
  if (length > 4096) throw tooLarge(name, { length, max: 4096 })
  check(
    typeof path === 'string' && PATH.test(path),
    'bad path; start with "/", no space, comma or semicolon',
  )
  check(
    domain === undefined || (typeof domain === 'string' && DOMAIN.test(domain)),
    'bad domain; give a host name or none',
  )
  check(
    maxAge === undefined || (Number.isSafeInteger(maxAge) && maxAge >= 0),
    'bad maxAge; give whole seconds >= 0',
  )
  check(['Lax', 'Strict', 'None'].includes(sameSite), 'bad sameSite; use Lax, Strict or None')
  // Browsers reject these combinations (RFC 6265bis 4.1.3, 5.6.7).
  check(
    secure === true || (sameSite !== 'None' && !/^__(secure|host)-/i.test(name)),
    'SameSite=None or a __Secure-/__Host- name needs secure: true',
  )
  check(
    !/^__host-/i.test(name) || (path === '/' && domain === undefined),
    '__Host- needs path "/" and no domain',
  )
  let line = `${name}=${value}; Path=${path}`
  if (domain !== undefined) line += `; Domain=${domain}`
  if (maxAge !== undefined) line += `; Max-Age=${maxAge}`
  if (secure) line += '; Secure'
  if (httpOnly) line += '; HttpOnly'
  return `${line}; SameSite=${sameSite}`
}

/**
 * A `Set-Cookie` value that deletes `name`: empty value, `Max-Age=0`, and the same path and
 * domain (a cookie is only replaced by one with the same name, domain and path).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.2.2
 */
export function expireCookie(name: string, attributes: CookieAttributes): string {
  return serializeCookie(name, '', attributes, 0)
}

/**
 * `Set-Cookie` values that store `value` as `name` when it fits in {@link COOKIE_CHUNK_SIZE}
 * bytes, else as `name.0`, `name.1`, ... They also expire what `existing` (the request's cookies)
 * holds of a previous value in the other shape — the unchunked `name`, or any `name.N` not
 * rewritten — so no stale chunk survives. Throws `COOKIE_TOO_LARGE` when more than
 * {@link MAX_COOKIE_CHUNKS} cookies would be needed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-6.1 browsers store at least 4096 bytes per cookie
 *
 * @example
 * ```ts
 * for (const line of writeChunkedCookie('__Host-session', sealed, attributes, parseCookieHeader(cookieHeader))) {
 *   headers.append('set-cookie', line)
 * }
 * ```
 */
export function writeChunkedCookie(
  name: string,
  value: string,
  attributes: CookieAttributes,
  existing: ReadonlyMap<string, string>,
): string[] {
  // 0: one unchunked cookie.
  const count = value.length > COOKIE_CHUNK_SIZE ? Math.ceil(value.length / COOKIE_CHUNK_SIZE) : 0
  if (count > MAX_COOKIE_CHUNKS) {
    throw tooLarge(name, { length: value.length, chunks: count, maxChunks: MAX_COOKIE_CHUNKS })
  }
  const lines = count ? [] : [serializeCookie(name, value, attributes)]
  for (let index = 0; index < count; index++) {
    const chunk = value.slice(index * COOKIE_CHUNK_SIZE, (index + 1) * COOKIE_CHUNK_SIZE)
    lines.push(serializeCookie(`${name}.${index}`, chunk, attributes))
  }
  if (count && existing.has(name)) lines.push(expireCookie(name, attributes))
  for (const [index, cookie] of chunksOf(name, existing)) {
    if (index >= count) lines.push(expireCookie(cookie, attributes))
  }
  return lines
}

/**
 * Reassembles the value written by {@link writeChunkedCookie}: `name` when present, else
 * `name.0`, `name.1`, ... concatenated, stopping at the first missing index. `undefined` when
 * neither `name` nor `name.0` is present. The result is only as trustworthy as its parts: open it
 * with {@link CookieSealer.unseal}, whose tag rejects reordered or mixed chunks.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-6.1
 */
export function readChunkedCookie(
  name: string,
  cookies: ReadonlyMap<string, string>,
): string | undefined {
  const whole = cookies.get(name)
  if (whole !== undefined) return whole
  let value: string | undefined
  for (let index = 0; ; index++) {
    const chunk = cookies.get(`${name}.${index}`)
    if (chunk === undefined) return value
    value = (value ?? '') + chunk
  }
}

/**
 * `Set-Cookie` values that delete `name` and every `name.N` present in `existing`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.2.2
 */
export function clearChunkedCookie(
  name: string,
  attributes: CookieAttributes,
  existing: ReadonlyMap<string, string>,
): string[] {
  return [name, ...chunksOf(name, existing).map(([, cookie]) => cookie)].map((cookie) =>
    expireCookie(cookie, attributes),
  )
}

/** The `name.N` cookies in `cookies` as `[N, cookie name]`, by N, gaps included. */
function chunksOf(name: string, cookies: ReadonlyMap<string, string>): [number, string][] {
  const chunks: [number, string][] = []
  for (const cookie of cookies.keys()) {
    const index = cookie.slice(name.length + 1)
    if (cookie.startsWith(`${name}.`) && CHUNK_INDEX.test(index)) chunks.push([+index, cookie])
  }
  return chunks.sort((a, b) => a[0] - b[0])
}
