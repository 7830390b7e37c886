/**
 * Discovery and JWKS, fetched on demand and cached for the life of the engine (one isolate).
 * Concurrent misses share one fetch. Unknown `kid`s refetch the JWKS at most once per cooldown
 * (OIDC Core 10.1.1: the provider may rotate keys at any time).
 */
import {
  discoveryUrl,
  processDiscoveryResponse,
  processJwksResponse,
} from '../protocol/discovery.js'
import type { JsonWebKeySet, ProviderMetadata } from '../protocol/types.js'
import { type HttpOptions, send } from './http.js'

/** One cached document: how to fetch it, the value, when it was fetched, the fetch under way. */
interface Slot<T> {
  fetch: () => Promise<T>
  value?: T
  /** Set with `value`. */
  fetchedAt?: number
  inFlight?: Promise<T>
}

export interface ProviderCacheOptions {
  issuerBaseURL: string
  http: HttpOptions
  now: () => number
  maxAge: number
  jwksCooldown: number
  /** Told when a refetch failed and the cached copy is served instead. */
  onStale?: (error: unknown) => void
}

export class ProviderCache {
  readonly #options: ProviderCacheOptions
  readonly #metadata: Slot<ProviderMetadata>
  readonly #jwks: Slot<JsonWebKeySet>
  #lastForcedRefetch?: number

  constructor(options: ProviderCacheOptions) {
    this.#options = options
    const { issuerBaseURL, http } = options
    const get = (url: string) =>
      send({ url, method: 'GET', headers: { accept: 'application/json' } }, http)
    this.#metadata = {
      fetch: async () =>
        processDiscoveryResponse(issuerBaseURL, await get(discoveryUrl(issuerBaseURL).href)),
    }
    this.#jwks = {
      fetch: async () => processJwksResponse(await get((await this.metadata()).jwks_uri)),
    }
  }

  /** Provider metadata, from cache when younger than `maxAge`. */
  metadata(): Promise<ProviderMetadata> {
    return this.#cached(this.#metadata)
  }

  /** The JWKS, from cache when younger than `maxAge`. */
  jwks(): Promise<JsonWebKeySet> {
    return this.#cached(this.#jwks)
  }

  /**
   * A fresh JWKS because a token named a key we do not have. Within the cooldown the cached set
   * is returned unchanged, so a flood of tokens with random `kid`s cannot make us hammer the
   * provider; the caller then fails the token with ID_TOKEN_KEY_NOT_FOUND.
   */
  async jwksAfterUnknownKid(): Promise<JsonWebKeySet> {
    const slot = this.#jwks
    // A refetch under way serves every waiting token, the legitimate ones after a rotation too.
    if (slot.inFlight) return slot.inFlight
    const now = this.#options.now()
    // The cooldown spaces refetches caused by unknown kids, not the first one after a regular
    // fetch: a provider that just rotated its key is followed at once.
    if (
      slot.value &&
      this.#lastForcedRefetch !== undefined &&
      now - this.#lastForcedRefetch < this.#options.jwksCooldown
    ) {
      return slot.value
    }
    this.#lastForcedRefetch = now
    return this.#load(slot)
  }

  /** The slot's value when younger than `maxAge`, else one shared fetch. */
  #cached<T>(slot: Slot<T>): Promise<T> {
    return slot.value !== undefined && this.#options.now() - slot.fetchedAt! < this.#options.maxAge
      ? Promise.resolve(slot.value)
      : this.#load(slot)
  }

  /**
   * One fetch for all concurrent callers. A failed refetch keeps serving the copy we have (the
   * provider's documents rarely change, an outage should not end every login) and tries again
   * after one cooldown, not on every request. Without a copy, the error stands.
   */
  #load<T>(slot: Slot<T>): Promise<T> {
    const { now, maxAge, jwksCooldown, onStale } = this.#options
    slot.inFlight ??= slot
      .fetch()
      .then(
        (value) => {
          slot.value = value
          slot.fetchedAt = now()
          return value
        },
        (error: unknown) => {
          if (slot.value === undefined) throw error
          slot.fetchedAt = now() - maxAge + jwksCooldown
          onStale?.(error)
          return slot.value
        },
      )
      .finally(() => {
        slot.inFlight = undefined
      })
    return slot.inFlight
  }
}

/**
 * Runs `verify` with `provider`'s cached JWKS and, when it asks for keys (a `kid` we do not have),
 * once more with {@link ProviderCache.jwksAfterUnknownKid}'s set and `refreshed` true (a miss is
 * then final). A function, not a method: the bearer verifier and back-channel logout use it, and
 * an app without them does not bundle it.
 *
 * @see [OIDC Core 10.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RotateSigKeys)
 */
export async function withKeys<T extends { kind: string }>(
  provider: ProviderCache,
  verify: (jwks: JsonWebKeySet, refreshed: boolean) => Promise<T>,
): Promise<T> {
  const result = await verify(await provider.jwks(), false)
  return result.kind === 'need-keys' ? verify(await provider.jwksAfterUnknownKid(), true) : result
}
