/**
 * A browser's cookie jar, enough for Set-Cookie round trips in tests: the one every core test
 * uses, from the engine scenarios down to the chunked-cookie unit tests.
 */
export class CookieJar {
  readonly cookies: Map<string, string>

  constructor(cookies: Iterable<readonly [string, string]> = []) {
    this.cookies = new Map(cookies)
  }

  /** Takes `Set-Cookie` lines as a browser does: `Max-Age` <= 0 deletes the cookie. */
  store(setCookies: Iterable<string>): this {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';')
      const index = pair!.indexOf('=')
      const name = pair!.slice(0, index).trim()
      const value = pair!.slice(index + 1).trim()
      const maxAge = attributes
        .map((a) => a.trim().toLowerCase())
        .find((a) => a.startsWith('max-age='))
      if (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return this
  }

  /**
   * The `Cookie` header the browser sends; `without` names cookies it would not send on this
   * request (the SameSite=Lax session cookie on a cross-site form_post, say).
   */
  header(without: readonly string[] = []): string {
    return [...this.cookies]
      .filter(([name]) => !without.includes(name))
      .map(([name, value]) => `${name}=${value}`)
      .join('; ')
  }

  /** What a request leaving the browser now carries, whatever the jar receives afterwards. */
  copy(): CookieJar {
    return new CookieJar(this.cookies)
  }

  /** Puts back what `copy()` took: the browser as it was then. */
  restore(copy: CookieJar): void {
    this.cookies.clear()
    for (const [name, value] of copy.cookies) this.cookies.set(name, value)
  }

  /** The names of the cookies that start with `prefix`, in the order they were set. */
  names(prefix = ''): string[] {
    return [...this.cookies.keys()].filter((name) => name.startsWith(prefix))
  }
}
