import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { CookieSealer } from '../../src/engine/seal.js'
import { OidcHybridError } from '../../src/errors.js'

const crypto = new WebCryptoProvider()
const SECRET = '0123456789abcdef0123456789abcdef'
const NOW = 1_700_000_000
const sealerPromise = CookieSealer.create([SECRET, 'fedcba9876543210fedcba9876543210'], crypto)

/** Resolves to 'opened' or 'rejected'; fails the property on any other error. */
async function outcome(sealer: CookieSealer, sealed: string): Promise<'opened' | 'rejected'> {
  try {
    await sealer.unseal('session', sealed)
    return 'opened'
  } catch (error) {
    expect(error).toBeInstanceOf(OidcHybridError)
    expect((error as OidcHybridError).code).toBe('COOKIE_INVALID')
    return 'rejected'
  }
}

const base64urlChar = fc.constantFrom(
  ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.'.split(''),
)
const anyChar = fc.oneof(base64urlChar, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))

/** Strings shaped like a sealed value, so they reach the decoding and decryption steps. */
const lookalike = fc
  .tuple(
    fc.constantFrom('v1', 'v2', ''),
    fc.string({ unit: base64urlChar, maxLength: 8 }),
    fc.string({ unit: base64urlChar, minLength: 14, maxLength: 18 }),
    fc.string({ unit: base64urlChar, minLength: 18, maxLength: 80 }),
  )
  .map((parts) => parts.join('.'))

type Mutation =
  | { kind: 'replace'; at: number; with: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number }
  | { kind: 'insert'; at: number; with: string }
  | { kind: 'prepend' | 'append'; with: string }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), with: anyChar }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), with: anyChar }),
  fc.record({
    kind: fc.constantFrom('prepend' as const, 'append' as const),
    with: fc.oneof(fc.string({ minLength: 1 }), lookalike),
  }),
)

function mutate(sealed: string, change: Mutation): string {
  switch (change.kind) {
    case 'replace': {
      const at = change.at % sealed.length
      return sealed.slice(0, at) + change.with + sealed.slice(at + 1)
    }
    case 'truncate':
      return sealed.slice(0, change.at % sealed.length)
    case 'delete': {
      const at = change.at % sealed.length
      return sealed.slice(0, at) + sealed.slice(at + 1)
    }
    case 'insert': {
      const at = change.at % (sealed.length + 1)
      return sealed.slice(0, at) + change.with + sealed.slice(at)
    }
    case 'prepend':
      return change.with + sealed
    case 'append':
      return sealed + change.with
  }
}

describe('CookieSealer properties', () => {
  it('rejects arbitrary strings with COOKIE_INVALID and nothing else', async () => {
    const sealer = await sealerPromise
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), lookalike),
        async (text) => {
          expect(await outcome(sealer, text)).toBe('rejected')
        },
      ),
      { numRuns: 300 },
    )
  })

  it('never opens a mutated sealed value', async () => {
    const sealer = await sealerPromise
    const originals = await Promise.all([
      sealer.seal('session', { sub: 'auth0|123' }, NOW),
      sealer.seal('session', null, 0),
      sealer.seal('session', 'x'.repeat(500), NOW),
    ])
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...originals),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (original, changes) => {
          const mutated = changes.reduce(mutate, original)
          fc.pre(mutated !== original)
          expect(await outcome(sealer, mutated)).toBe('rejected')
        },
      ),
      { numRuns: 400 },
    )
  })

  it('never opens a concatenation of two sealed values', async () => {
    const sealer = await sealerPromise
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 2 }),
        fc.jsonValue({ maxDepth: 2 }),
        async (a, b) => {
          const first = await sealer.seal('session', a, NOW)
          const second = await sealer.seal('session', b, NOW)
          expect(await outcome(sealer, first + second)).toBe('rejected')
          expect(await outcome(sealer, `${first}.${second}`)).toBe('rejected')
        },
      ),
      { numRuns: 50 },
    )
  })

  it('roundtrips arbitrary JSON values and expiries', async () => {
    const sealer = await sealerPromise
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (payload, expiresAt, name) => {
          const sealed = await sealer.seal(name, payload, expiresAt)
          await expect(sealer.unseal(name, sealed)).resolves.toEqual({
            // JSON turns -0 into 0; compare with what JSON itself gives back.
            payload: JSON.parse(JSON.stringify(payload)),
            expiresAt,
            stale: false,
          })
        },
      ),
      { numRuns: 200 },
    )
  })
})
