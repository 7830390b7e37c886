/**
 * Cookie header parsing, Set-Cookie serialisation, and chunking of values too large for one
 * cookie. Values are never percent-encoded or decoded: ours are base64url, which RFC 6265 allows
 * as-is.
 */
import { ConfigurationError, OidcHybridError } from '../errors.js'

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

/** Browsers drop, silently, a cookie whose name and value together exceed this (RFC 6265bis 5.7). */
const MAX_NAME_AND_VALUE_BYTES = 4096
const DEFAULT_MAX_CHUNKS = 4

// RFC 9110 5.6.2 token (RFC 6265 4.1.1 cookie-name).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// RFC 6265 4.1.1 cookie-octet: no CTLs, whitespace, DQUOTE, comma, semicolon or backslash.
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*$/
// RFC 6265 4.1.1 path-value, starting with "/" (5.1.4), and without comma or space.
const PATH = /^\/[\x21-\x2B\x2D-\x3A\x3C-\x7E]*$/
// RFC 1034 3.5 subdomain, optionally with the leading dot RFC 6265 5.2.3 ignores.
const DOMAIN =
  /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/
const CHUNK_INDEX = /^(?:0|[1-9][0-9]*)$/

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
  let text = header
  if (text.length > MAX_COOKIE_HEADER_BYTES) {
    text = text.slice(0, MAX_COOKIE_HEADER_BYTES)
    // A pair cut in the middle would yield a wrong value: drop it.
    if (header[MAX_COOKIE_HEADER_BYTES] !== ';')
      text = text.slice(0, Math.max(text.lastIndexOf(';'), 0))
  }
  for (const pair of text.split(';')) {
    const equals = pair.indexOf('=')
    if (equals === -1) continue
    const name = trimWhitespace(pair.slice(0, equals))
    if (name === '' || cookies.has(name)) continue
    let value = trimWhitespace(pair.slice(equals + 1))
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1)
    cookies.set(name, value)
  }
  return cookies
}

/** Removes leading and trailing SP and HTAB only (RFC 6265 5.2 "WSP"). */
function trimWhitespace(text: string): string {
  let start = 0
  let end = text.length
  while (start < end && (text[start] === ' ' || text[start] === '\t')) start++
  while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--
  return text.slice(start, end)
}

/**
 * Serialises one `Set-Cookie` header value. Throws {@link ConfigurationError} for a name, value,
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
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new ConfigurationError(
      `invalid cookie name ${JSON.stringify(name)}: use only letters, digits and !#$%&'*+-.^_\`|~ (RFC 6265 4.1.1)`,
    )
  }
  if (typeof value !== 'string' || !COOKIE_VALUE.test(value)) {
    throw new ConfigurationError(
      `invalid value for the cookie "${name}": it must not contain control characters, spaces, '"', ',', ';' or '\\' (RFC 6265 4.1.1); encode it, e.g. as base64url`,
    )
  }
  if (name.length + value.length > MAX_NAME_AND_VALUE_BYTES) {
    throw new OidcHybridError(
      'COOKIE_TOO_LARGE',
      `the cookie "${name}" has ${name.length + value.length} bytes of name and value; browsers silently drop more than ${MAX_NAME_AND_VALUE_BYTES}: store less in it or write it with writeChunkedCookie`,
      {
        details: {
          cookie: name,
          length: name.length + value.length,
          max: MAX_NAME_AND_VALUE_BYTES,
        },
      },
    )
  }
  const { path, domain, secure, httpOnly, sameSite, maxAge } = attributes
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw new ConfigurationError(
      `invalid path ${JSON.stringify(path)} for the cookie "${name}": it must start with "/" and contain no control characters, spaces, ',' or ';'`,
    )
  }
  if (domain !== undefined && (typeof domain !== 'string' || !DOMAIN.test(domain))) {
    throw new ConfigurationError(
      `invalid domain ${JSON.stringify(domain)} for the cookie "${name}": give a host name such as "example.com", or leave it out for a host-only cookie`,
    )
  }
  if (maxAge !== undefined && (!Number.isSafeInteger(maxAge) || maxAge < 0)) {
    throw new ConfigurationError(
      `invalid maxAge ${String(maxAge)} for the cookie "${name}": use a whole, non-negative number of seconds`,
    )
  }
  if (sameSite !== 'Lax' && sameSite !== 'Strict' && sameSite !== 'None') {
    throw new ConfigurationError(
      `invalid sameSite ${JSON.stringify(sameSite)} for the cookie "${name}": use 'Lax', 'Strict' or 'None'`,
    )
  }
  if (sameSite === 'None' && secure !== true) {
    throw new ConfigurationError(
      `the cookie "${name}" is SameSite=None without Secure, which browsers reject: set secure: true (browsers accept Secure cookies on http://localhost)`,
    )
  }
  const lowerName = name.toLowerCase()
  if ((lowerName.startsWith('__secure-') || lowerName.startsWith('__host-')) && secure !== true) {
    throw new ConfigurationError(
      `the cookie "${name}" has a __Secure- or __Host- prefix, so browsers require secure: true`,
    )
  }
  if (lowerName.startsWith('__host-') && (path !== '/' || domain !== undefined)) {
    throw new ConfigurationError(
      `the cookie "${name}" has a __Host- prefix, so browsers require path "/" and no domain`,
    )
  }
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
  return serializeCookie(name, '', { ...attributes, maxAge: 0 })
}

/**
 * `Set-Cookie` values that store `value` as `name` when it fits in {@link COOKIE_CHUNK_SIZE}
 * bytes, else as `name.0`, `name.1`, ... They also expire what `existing` (the request's cookies)
 * holds of a previous value in the other shape — the unchunked `name`, or any `name.N` not
 * rewritten — so no stale chunk survives. Throws `COOKIE_TOO_LARGE` when more than `maxChunks`
 * cookies would be needed.
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
  maxChunks: number = DEFAULT_MAX_CHUNKS,
): string[] {
  if (!Number.isSafeInteger(maxChunks) || maxChunks < 1) {
    throw new ConfigurationError(
      `invalid maxChunks ${String(maxChunks)} for the cookie "${name}": use a whole number >= 1`,
    )
  }
  if (value.length <= COOKIE_CHUNK_SIZE) {
    return [
      serializeCookie(name, value, attributes),
      ...existingChunks(name, existing).map(({ cookie }) => expireCookie(cookie, attributes)),
    ]
  }
  const count = Math.ceil(value.length / COOKIE_CHUNK_SIZE)
  if (count > maxChunks) {
    throw new OidcHybridError(
      'COOKIE_TOO_LARGE',
      `the cookie "${name}" needs ${count} chunks of ${COOKIE_CHUNK_SIZE} bytes, more than the ${maxChunks} allowed: store less in it (e.g. fewer claims or tokens, or a server-side session store)`,
      { details: { cookie: name, length: value.length, chunks: count, maxChunks } },
    )
  }
  const lines: string[] = []
  for (let index = 0; index < count; index++) {
    const chunk = value.slice(index * COOKIE_CHUNK_SIZE, (index + 1) * COOKIE_CHUNK_SIZE)
    lines.push(serializeCookie(`${name}.${index}`, chunk, attributes))
  }
  if (existing.has(name)) lines.push(expireCookie(name, attributes))
  for (const { index, cookie } of existingChunks(name, existing)) {
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
  return [
    expireCookie(name, attributes),
    ...existingChunks(name, existing).map(({ cookie }) => expireCookie(cookie, attributes)),
  ]
}

/** The `name.N` cookies in `cookies`, by index, gaps included. */
function existingChunks(
  name: string,
  cookies: ReadonlyMap<string, string>,
): { index: number; cookie: string }[] {
  const prefix = `${name}.`
  const chunks: { index: number; cookie: string }[] = []
  for (const cookie of cookies.keys()) {
    if (cookie.startsWith(prefix) && CHUNK_INDEX.test(cookie.slice(prefix.length))) {
      chunks.push({ index: Number(cookie.slice(prefix.length)), cookie })
    }
  }
  return chunks.sort((a, b) => a.index - b.index)
}
