/**
 * A browser's cookie jar for one site, as the specs need it: the `Set-Cookie` lines of a response
 * in, a `Cookie` header out. Enough of RFC 6265 for the apps under test, whose cookies all have
 * `Path=/` and no `Domain` (`__Host-` names): paths and domains are not matched.
 *
 * Web APIs only (no node:*), so that it runs wherever a spec runs.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.2
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5.3 storage model: expiry replaces and deletes
 */

export interface JarOptions {
  /** The clock that `Max-Age` and `Expires` are measured against, in ms (default `Date.now`). */
  now?: () => number
}

/** What one `Set-Cookie` line says, as far as the jar uses it. */
export interface SetCookie {
  name: string
  value: string
  /** When it expires (ms since the epoch): `Max-Age` wins over `Expires`; none is a session cookie. */
  expiresAt?: number
}

/**
 * Parses one `Set-Cookie` line: `undefined` for a line without a name (RFC 6265 5.2 step 5
 * ignores it). A `Max-Age` that is not a number is ignored; `Max-Age` of zero or less means
 * "expired" (`expiresAt` = -Infinity), as does an `Expires` date in the past.
 */
export function parseSetCookie(line: string, now: number = Date.now()): SetCookie | undefined {
  const [pair = '', ...attributes] = line.split(';')
  const at = pair.indexOf('=')
  if (at < 0) return undefined
  const name = pair.slice(0, at).trim()
  if (name === '') return undefined
  const cookie: SetCookie = { name, value: pair.slice(at + 1).trim() }
  let maxAge: number | undefined
  let expires: number | undefined
  for (const attribute of attributes) {
    const equals = attribute.indexOf('=')
    const key = (equals < 0 ? attribute : attribute.slice(0, equals)).trim().toLowerCase()
    const value = equals < 0 ? '' : attribute.slice(equals + 1).trim()
    if (key === 'max-age' && /^-?\d+$/.test(value)) maxAge = Number(value)
    if (key === 'expires' && !Number.isNaN(Date.parse(value))) expires = Date.parse(value)
  }
  if (maxAge !== undefined) {
    cookie.expiresAt = maxAge <= 0 ? Number.NEGATIVE_INFINITY : now + maxAge * 1000
  } else if (expires !== undefined) {
    cookie.expiresAt = expires
  }
  return cookie
}

export class Jar {
  /**
   * The cookies held, name → value, in the order they were first set. Specs may change it
   * directly (clear it to lose the cookies, put an old value back to replay it).
   */
  readonly cookies = new Map<string, string>()
  readonly #expiresAt = new Map<string, number>()
  readonly #now: () => number

  constructor(options: JarOptions = {}) {
    this.#now = options.now ?? Date.now
  }

  /** Takes the `Set-Cookie` lines of `response`: stores, replaces, or deletes (expired) cookies. */
  store(response: Response | Headers): void {
    const headers = response instanceof Headers ? response : response.headers
    const now = this.#now()
    for (const line of headers.getSetCookie()) {
      const cookie = parseSetCookie(line, now)
      if (!cookie) continue
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) {
        this.cookies.delete(cookie.name)
        this.#expiresAt.delete(cookie.name)
        continue
      }
      this.cookies.set(cookie.name, cookie.value)
      if (cookie.expiresAt === undefined) this.#expiresAt.delete(cookie.name)
      else this.#expiresAt.set(cookie.name, cookie.expiresAt)
    }
  }

  /** The `Cookie` header a browser sends: `name=value` pairs joined by `; `, `''` when none. */
  header(): string {
    this.#dropExpired()
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
  }

  /**
   * The value of `name`: the cookie itself, or its chunks `name.0`, `name.1`, ... joined (a
   * value too large for one cookie is split so); `undefined` when neither is held.
   */
  get(name: string): string | undefined {
    this.#dropExpired()
    const whole = this.cookies.get(name)
    if (whole !== undefined) return whole
    let value: string | undefined
    for (let index = 0; ; index++) {
      const chunk = this.cookies.get(`${name}.${index}`)
      if (chunk === undefined) return value
      value = (value ?? '') + chunk
    }
  }

  /** Whether a cookie whose name starts with `prefix` is held (so a chunked one counts too). */
  has(prefix: string): boolean {
    this.#dropExpired()
    return [...this.cookies.keys()].some((name) => name.startsWith(prefix))
  }

  #dropExpired(): void {
    const now = this.#now()
    for (const [name, expiresAt] of this.#expiresAt) {
      if (expiresAt > now) continue
      this.#expiresAt.delete(name)
      this.cookies.delete(name)
    }
  }
}
