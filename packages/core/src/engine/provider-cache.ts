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
import type { HttpOptions } from './http.js'
import { send } from './http.js'

interface Entry<T> {
  value: T
  fetchedAt: number
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
  #metadata?: Entry<ProviderMetadata>
  #metadataInFlight?: Promise<ProviderMetadata>
  #jwks?: Entry<JsonWebKeySet>
  #jwksInFlight?: Promise<JsonWebKeySet>
  #lastForcedRefetch?: number

  constructor(options: ProviderCacheOptions) {
    this.#options = options
  }

  /** Provider metadata, from cache when younger than `maxAge`. */
  metadata(): Promise<ProviderMetadata> {
    const cached = this.#metadata
    if (cached && this.#options.now() - cached.fetchedAt < this.#options.maxAge) {
      return Promise.resolve(cached.value)
    }
    this.#metadataInFlight ??= this.#fetchMetadata()
      .catch((error: unknown) => this.#stale(this.#metadata, error))
      .finally(() => {
        this.#metadataInFlight = undefined
      })
    return this.#metadataInFlight
  }

  /** The JWKS, from cache when younger than `maxAge`. */
  async jwks(): Promise<JsonWebKeySet> {
    const cached = this.#jwks
    if (cached && this.#options.now() - cached.fetchedAt < this.#options.maxAge) return cached.value
    return this.#refetchJwks()
  }

  /**
   * A fresh JWKS because a token named a key we do not have. Within the cooldown the cached set
   * is returned unchanged, so a flood of tokens with random `kid`s cannot make us hammer the
   * provider; the caller then fails the token with ID_TOKEN_KEY_NOT_FOUND.
   */
  async jwksAfterUnknownKid(): Promise<JsonWebKeySet> {
    // A refetch under way serves every waiting token, the legitimate ones after a rotation too.
    if (this.#jwksInFlight) return this.#jwksInFlight
    const cached = this.#jwks
    const now = this.#options.now()
    // The cooldown spaces refetches caused by unknown kids, not the first one after a regular
    // fetch: a provider that just rotated its key is followed at once.
    if (
      cached &&
      this.#lastForcedRefetch !== undefined &&
      now - this.#lastForcedRefetch < this.#options.jwksCooldown
    ) {
      return cached.value
    }
    this.#lastForcedRefetch = now
    return this.#refetchJwks()
  }

  #refetchJwks(): Promise<JsonWebKeySet> {
    this.#jwksInFlight ??= this.#fetchJwks()
      .catch((error: unknown) => this.#stale(this.#jwks, error))
      .finally(() => {
        this.#jwksInFlight = undefined
      })
    return this.#jwksInFlight
  }

  /**
   * A failed refetch keeps serving the copy we have (the provider's documents rarely change, an
   * outage should not end every login) and tries again after one cooldown, not on every request.
   * Without a copy, the error stands.
   */
  #stale<T>(entry: Entry<T> | undefined, error: unknown): T {
    if (entry === undefined) throw error
    entry.fetchedAt = this.#options.now() - this.#options.maxAge + this.#options.jwksCooldown
    this.#options.onStale?.(error)
    return entry.value
  }

  async #fetchMetadata(): Promise<ProviderMetadata> {
    const request = new Request(discoveryUrl(this.#options.issuerBaseURL), {
      headers: { accept: 'application/json' },
    })
    const metadata = processDiscoveryResponse(
      this.#options.issuerBaseURL,
      await send(request, this.#options.http),
    )
    this.#metadata = { value: metadata, fetchedAt: this.#options.now() }
    return metadata
  }

  async #fetchJwks(): Promise<JsonWebKeySet> {
    const metadata = await this.metadata()
    const request = new Request(metadata.jwks_uri, { headers: { accept: 'application/json' } })
    const jwks = processJwksResponse(await send(request, this.#options.http))
    this.#jwks = { value: jwks, fetchedAt: this.#options.now() }
    return jwks
  }
}
