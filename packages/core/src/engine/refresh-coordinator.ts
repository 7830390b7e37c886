/**
 * Refresh without races. Requests that carry the same refresh token while its refresh is in
 * flight share that one token endpoint call (single flight). When the provider rotated the
 * refresh token, the result is remembered for a short grace period under the old token, so a
 * late request that still carries the old cookie never sends the spent token again (Auth0 revokes
 * the whole token family on reuse; RFC 9700 4.14.2): it gets the result, or refreshes with its
 * successor. A provider that does not rotate (RFC 6749 6 allows it) leaves nothing remembered:
 * every later refresh reaches the provider.
 */
export class RefreshCoordinator<T> {
  readonly #inFlight = new Map<string, Promise<T>>()
  /** Results of rotations, by the refresh token they replaced, with the time they are kept until. */
  readonly #recent = new Map<string, [result: T, until: number]>()
  readonly #now: () => number
  readonly #grace: number
  readonly #maxEntries: number

  /**
   * @param now the clock, seconds since the epoch
   * @param grace seconds a rotated token's result is remembered
   * @param maxEntries most remembered results; the oldest go first
   */
  constructor(now: () => number, grace = 60, maxEntries = 1000) {
    this.#now = now
    this.#grace = grace
    this.#maxEntries = maxEntries
  }

  /**
   * The result that replaced the refresh token `key`, when it rotated within the grace period.
   * The caller decides whether it can serve it (same scope, access token still valid) or must
   * refresh again with its successor token.
   */
  rotated(key: string): T | undefined {
    const remembered = this.#recent.get(key)
    if (remembered && remembered[1] <= this.#now()) this.#recent.delete(key)
    else return remembered?.[0]
  }

  /**
   * Runs `refresh` once per `key` at a time: a call while one is in flight joins it. A result
   * for which `didRotate(result)` says the token rotated is remembered (see {@link rotated}).
   */
  run(key: string, refresh: () => Promise<T>, didRotate: (result: T) => boolean): Promise<T> {
    let running = this.#inFlight.get(key)
    if (!running) {
      running = refresh()
        .then((result) => {
          if (didRotate(result)) this.#remember(key, result)
          return result
        })
        .finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, running)
    }
    return running
  }

  #remember(key: string, result: T): void {
    const recent = this.#recent
    const now = this.#now()
    for (const [oldKey, [, until]] of recent) {
      if (until > now && recent.size < this.#maxEntries) break
      recent.delete(oldKey)
    }
    recent.set(key, [result, now + this.#grace])
  }

  /** Entries currently held (for tests and memory measurements). */
  get size(): { inFlight: number; recent: number } {
    return { inFlight: this.#inFlight.size, recent: this.#recent.size }
  }
}
