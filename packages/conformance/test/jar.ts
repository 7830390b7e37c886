/** A browser's cookie jar for the specs: Set-Cookie in, Cookie header out. */
export class Jar {
  readonly cookies = new Map<string, string>()
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name)
      else this.cookies.set(name, pair!.slice(at + 1).trim())
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ')
  }
  /** Whether a cookie whose name starts with `prefix` is held. */
  has(prefix: string): boolean {
    return [...this.cookies.keys()].some((name) => name.startsWith(prefix))
  }
  hasSession(): boolean {
    return [...this.cookies.keys()].some((n) => n.includes('appSession'))
  }
}
