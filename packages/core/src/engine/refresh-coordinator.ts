/**
 * Refresh without races. Concurrent requests that carry the same refresh token share one token
 * endpoint call (single flight), and for a short grace period after a rotation the result is
 * handed to late requests that still carry the old cookie, so a rotated refresh token is never
 * sent again (Auth0 revokes the whole token family on reuse; RFC 9700 4.14.2).
 */

export interface RefreshCoordinatorOptions {
  now: () => number
  /** Seconds a rotated token's result is remembered. */
  grace: number
  /** Most remembered results; the oldest go first. */
  maxEntries: number
}

export class RefreshCoordinator<T> {
  readonly #inFlight = new Map<string, Promise<T>>()
  readonly #recent = new Map<string, { result: T; until: number }>()
  readonly #options: RefreshCoordinatorOptions

  constructor(options: RefreshCoordinatorOptions) {
    this.#options = options
  }

  /** Runs `refresh` once per `key` at a time; returns a remembered result inside the grace. */
  run(key: string, refresh: () => Promise<T>): Promise<T> {
    const now = this.#options.now()
    const recent = this.#recent.get(key)
    if (recent !== undefined) {
      if (recent.until > now) return Promise.resolve(recent.result)
      this.#recent.delete(key)
    }
    const running = this.#inFlight.get(key)
    if (running !== undefined) return running
    const promise = refresh()
      .then((result) => {
        this.#remember(key, result)
        return result
      })
      .finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, promise)
    return promise
  }

  /** Entries currently held (for tests and memory measurements). */
  get size(): { inFlight: number; recent: number } {
    return { inFlight: this.#inFlight.size, recent: this.#recent.size }
  }

  #remember(key: string, result: T): void {
    const now = this.#options.now()
    for (const [oldKey, entry] of this.#recent) {
      if (entry.until > now && this.#recent.size < this.#options.maxEntries) break
      this.#recent.delete(oldKey)
    }
    this.#recent.set(key, { result, until: now + this.#options.grace })
  }
}
