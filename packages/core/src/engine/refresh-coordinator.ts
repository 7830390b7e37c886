/**
 * Refresh without races. Concurrent requests that carry the same refresh token share one token
 * endpoint call (single flight), and for a short grace period after a rotation the result is
 * handed to late requests that still carry the old cookie, so a rotated refresh token is never
 * sent again (Auth0 revokes the whole token family on reuse; RFC 9700 4.14.2).
 */
export class RefreshCoordinator<T> {
  readonly #inFlight = new Map<string, Promise<T>>()
  /** Results by the refresh token they replaced, with the time they are handed out until. */
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

  /** Runs `refresh` once per `key` at a time; returns a remembered result inside the grace. */
  run(key: string, refresh: () => Promise<T>): Promise<T> {
    const recent = this.#recent
    const now = this.#now()
    const remembered = recent.get(key)
    if (remembered) {
      if (remembered[1] > now) return Promise.resolve(remembered[0])
      recent.delete(key)
    }
    let running = this.#inFlight.get(key)
    if (!running) {
      running = refresh()
        .then((result) => {
          const now = this.#now()
          for (const [oldKey, [, until]] of recent) {
            if (until > now && recent.size < this.#maxEntries) break
            recent.delete(oldKey)
          }
          recent.set(key, [result, now + this.#grace])
          return result
        })
        .finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, running)
    }
    return running
  }

  /** Entries currently held (for tests and memory measurements). */
  get size(): { inFlight: number; recent: number } {
    return { inFlight: this.#inFlight.size, recent: this.#recent.size }
  }
}
