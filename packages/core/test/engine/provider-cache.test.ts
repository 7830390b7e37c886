// Discovery and JWKS caching: TTL, one fetch for concurrent misses, a cooldown on unknown-kid
// refetches, and failures that are not cached; an outage seen through the engine.
import { beforeEach, describe, expect, it } from 'vitest'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import { ProviderCache } from '../../src/engine/provider-cache.js'
import { baseConfig, setup } from '../support/harness.js'
import { ProviderFixture } from '../support/provider.js'

const DISCOVERY = '/.well-known/openid-configuration'
const JWKS = '/.well-known/jwks.json'

let provider: ProviderFixture
let clock: { now: number }
let failNext: number

function cache(
  options: { maxAge?: number; jwksCooldown?: number; onStale?: (error: unknown) => void } = {},
) {
  return new ProviderCache({
    issuerBaseURL: 'https://op.example.test',
    http: {
      fetch: (input, init) => {
        if (failNext > 0) {
          failNext--
          return Promise.reject(new TypeError('fetch failed'))
        }
        return provider.fetch(input, init)
      },
      timeout: 1000,
      maxBodyBytes: 1 << 20,
    },
    now: () => clock.now,
    maxAge: options.maxAge ?? 600,
    jwksCooldown: options.jwksCooldown ?? 30,
    onStale: options.onStale,
  })
}

beforeEach(async () => {
  provider = await ProviderFixture.create('ES256')
  clock = { now: 1_700_000_000 }
  failNext = 0
})

describe('metadata', () => {
  it('is fetched once and served from the cache while younger than maxAge', async () => {
    const providerCache = cache({ maxAge: 600 })
    const first = await providerCache.metadata()
    expect(first.issuer).toBe('https://op.example.test/')
    clock.now += 599
    expect(await providerCache.metadata()).toBe(first)
    expect(provider.count(DISCOVERY)).toBe(1)
  })

  it('is fetched again once maxAge has passed', async () => {
    const providerCache = cache({ maxAge: 600 })
    await providerCache.metadata()
    clock.now += 600
    await providerCache.metadata()
    expect(provider.count(DISCOVERY)).toBe(2)
  })

  it('concurrent misses share one fetch', async () => {
    const providerCache = cache()
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => providerCache.metadata()))
    expect(new Set(results).size).toBe(1)
    expect(provider.count(DISCOVERY)).toBe(1)
  })

  it('a failed fetch is reported and not cached: the next call fetches again', async () => {
    const providerCache = cache()
    failNext = 1
    await expect(providerCache.metadata()).rejects.toMatchObject({ code: 'HTTP_REQUEST_FAILED' })
    expect((await providerCache.metadata()).issuer).toBe('https://op.example.test/')
  })

  it('an invalid document is a typed error', async () => {
    const providerCache = new ProviderCache({
      issuerBaseURL: 'https://other.example.test',
      http: { fetch: provider.fetch, timeout: 1000, maxBodyBytes: 1 << 20 },
      now: () => clock.now,
      maxAge: 600,
      jwksCooldown: 30,
    })
    await expect(providerCache.metadata()).rejects.toMatchObject({
      code: 'DISCOVERY_ISSUER_MISMATCH',
    })
  })
})

describe('jwks', () => {
  it('is fetched from the jwks_uri once and cached while younger than maxAge', async () => {
    const providerCache = cache({ maxAge: 600 })
    const keys = await providerCache.jwks()
    expect(keys.keys.map((key) => key.kid)).toEqual(['key-1'])
    clock.now += 599
    expect(await providerCache.jwks()).toBe(keys)
    expect(provider.count(JWKS)).toBe(1)
  })

  it('is fetched again once maxAge has passed, picking up new keys', async () => {
    const providerCache = cache({ maxAge: 600 })
    await providerCache.jwks()
    await provider.rotateKey()
    clock.now += 600
    const keys = await providerCache.jwks()
    expect(keys.keys.map((key) => key.kid)).toEqual(['key-1', 'key-2'])
    expect(provider.count(JWKS)).toBe(2)
  })

  it('concurrent misses share one fetch (and one discovery)', async () => {
    const providerCache = cache()
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => providerCache.jwks()))
    expect(new Set(results).size).toBe(1)
    expect(provider.count(JWKS)).toBe(1)
    expect(provider.count(DISCOVERY)).toBe(1)
  })

  it('a failed fetch is not cached', async () => {
    const providerCache = cache()
    await providerCache.metadata()
    failNext = 1
    await expect(providerCache.jwks()).rejects.toMatchObject({ code: 'HTTP_REQUEST_FAILED' })
    expect((await providerCache.jwks()).keys).toHaveLength(1)
    expect(provider.count(JWKS)).toBe(1)
  })
})

describe('jwksAfterUnknownKid', () => {
  it('the first unknown kid after a regular fetch refetches at once (the provider just rotated)', async () => {
    const providerCache = cache({ jwksCooldown: 30 })
    await providerCache.jwks()
    await provider.rotateKey()
    clock.now += 1
    const keys = await providerCache.jwksAfterUnknownKid()
    expect(keys.keys.map((key) => key.kid)).toEqual(['key-1', 'key-2'])
    expect(provider.count(JWKS)).toBe(2)
  })

  it('within the cooldown of the last unknown-kid refetch: the cached set, no fetch', async () => {
    const providerCache = cache({ jwksCooldown: 30 })
    await providerCache.jwks()
    const keys = await providerCache.jwksAfterUnknownKid()
    await provider.rotateKey()
    clock.now += 29
    expect(await providerCache.jwksAfterUnknownKid()).toBe(keys)
    expect(provider.count(JWKS)).toBe(2)
  })

  it('after the cooldown: a fresh set with the rotated key', async () => {
    const providerCache = cache({ jwksCooldown: 30 })
    await providerCache.jwks()
    await providerCache.jwksAfterUnknownKid()
    await provider.rotateKey()
    clock.now += 30
    const keys = await providerCache.jwksAfterUnknownKid()
    expect(keys.keys.map((key) => key.kid)).toEqual(['key-1', 'key-2'])
    expect(provider.count(JWKS)).toBe(3)
    // The fresh set is what jwks() serves from now on.
    expect(await providerCache.jwks()).toBe(keys)
  })

  it('a flood of unknown kids after the cooldown causes one fetch', async () => {
    const providerCache = cache({ jwksCooldown: 30 })
    await providerCache.jwks()
    clock.now += 31
    await Promise.all(Array.from({ length: 10 }, () => providerCache.jwksAfterUnknownKid()))
    expect(provider.count(JWKS)).toBe(2)
  })

  it('without a cached set: fetches', async () => {
    const providerCache = cache()
    expect((await providerCache.jwksAfterUnknownKid()).keys).toHaveLength(1)
    expect(provider.count(JWKS)).toBe(1)
  })
})

describe('a failed refetch serves the copy it has', () => {
  it('metadata: the cached copy, the error reported, and one retry per cooldown', async () => {
    const stale: unknown[] = []
    const providerCache = cache({ maxAge: 600, jwksCooldown: 30, onStale: (e) => stale.push(e) })
    const first = await providerCache.metadata()
    clock.now += 600
    failNext = 1
    expect(await providerCache.metadata()).toBe(first)
    expect(stale).toEqual([expect.objectContaining({ code: 'HTTP_REQUEST_FAILED' })])
    // Not on every request: the next try waits one cooldown.
    clock.now += 29
    expect(await providerCache.metadata()).toBe(first)
    expect(provider.count(DISCOVERY)).toBe(1)
    clock.now += 1
    await providerCache.metadata()
    expect(provider.count(DISCOVERY)).toBe(2)
  })

  it('jwks: the cached set when the refetch fails, also without an onStale hook', async () => {
    const providerCache = cache({ maxAge: 600, jwksCooldown: 30 })
    const keys = await providerCache.jwks()
    clock.now += 600
    await providerCache.metadata()
    failNext = 1
    expect(await providerCache.jwks()).toBe(keys)
    clock.now += 29
    expect(await providerCache.jwks()).toBe(keys)
    expect(provider.count(JWKS)).toBe(1)
  })

  it('an unknown kid during an outage gets the cached set, not an error', async () => {
    const providerCache = cache({ jwksCooldown: 30 })
    const keys = await providerCache.jwks()
    clock.now += 30
    failNext = 1
    expect(await providerCache.jwksAfterUnknownKid()).toBe(keys)
  })
})

describe('jwksAfterUnknownKid during a refetch', () => {
  it('waits for the refetch under way instead of answering with the old set', async () => {
    const providerCache = cache({ jwksCooldown: 30 })
    await providerCache.jwks()
    await provider.rotateKey()
    const [first, second] = await Promise.all([
      providerCache.jwksAfterUnknownKid(),
      providerCache.jwksAfterUnknownKid(),
    ])
    expect(second).toBe(first)
    expect(second.keys.map((key) => key.kid)).toEqual(['key-1', 'key-2'])
    expect(provider.count(JWKS)).toBe(2)
  })
})

describe('provider outages through the engine', () => {
  const urlOf = (input: RequestInfo | URL) => (input instanceof Request ? input.url : String(input))

  it('a failed JWKS refetch after the cache expired serves the cached keys', async () => {
    const t = await setup({ cacheMaxAge: 60 })
    expect((await t.login()).callback.error).toBeUndefined()
    const logs: string[] = []
    let down = false
    const flaky: typeof fetch = (input, init) =>
      down && urlOf(input).endsWith('jwks.json')
        ? Promise.resolve(new Response('down', { status: 503 }))
        : t.provider.fetch(input, init)
    const engine = t.using(
      createHybridAuth({
        ...baseConfig(t),
        fetch: flaky,
        cacheMaxAge: 60,
        logger: (entry) => logs.push(entry.event),
      }),
    )
    expect((await engine.login()).callback.error).toBeUndefined()
    down = true
    t.clock.now += 120
    expect((await engine.login()).callback.error).toBeUndefined()
    expect(logs).toContain('provider_refetch_failed')
  })
})
