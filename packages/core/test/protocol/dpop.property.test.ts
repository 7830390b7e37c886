/**
 * Properties of the DPoP proof parser (RFC 9449 4.3), against a model written here from the RFC:
 * arbitrary input only ever fails with DPOP_PROOF_INVALID; a signed proof built from valid and
 * invalid choices per member is accepted exactly when every choice is valid, and refused for the
 * first invalid one in the order of the checks; no single-character change of a valid proof
 * passes; `htu` ignores query and fragment. `pnpm fuzz` runs the same with many more cases.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { isOidcHybridError } from '../../src/errors.js'
import { extractAccessToken, normalizeHtu, verifyDpopProof } from '../../src/protocol/dpop.js'
import { athOf } from '../support/dpop.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 300)
const crypto = new WebCryptoProvider()
const NOW = 1_750_000_000
const URL_ = 'https://api.example.com/orders'
const TOKEN = 'access.token.value'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

function ecKey(): { privateKey: KeyObject; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { privateKey, jwk: publicKey.export({ format: 'jwk' }) }
}
const client = ecKey()
const stranger = ecKey()

/** A compact JWS of `header` and `claims`, ES256-signed by node:crypto with `key`. */
function signed(header: unknown, claims: unknown, key: KeyObject = client.privateKey): string {
  const input = `${b64(header)}.${b64(claims)}`
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

/** What the verifier throws for `proof`, or undefined when it accepts it. */
async function outcome(proof: string, method = 'GET', url = URL_): Promise<unknown> {
  try {
    await verifyDpopProof(proof, { method, url, accessToken: TOKEN, now: NOW, crypto })
    return undefined
  } catch (error) {
    return error
  }
}

/** One member's choices, each valid or not (the model of RFC 9449 4.3 for that member). */
type Choice = [value: unknown, valid: boolean]
const choice = (valid: unknown[], invalid: unknown[]) =>
  fc.oneof(
    fc.constantFrom(...valid.map((value): Choice => [value, true])),
    fc.constantFrom(...invalid.map((value): Choice => [value, false])),
  )
const ABSENT = Symbol('absent')

// In the order the verifier checks them, so the first invalid one names the refusal.
const MEMBERS = {
  typ: choice(['dpop+jwt', 'application/dpop+jwt', 'DPoP+JWT'], ['JWT', 'at+jwt', ABSENT, 1]),
  alg: choice(['ES256'], ['ES384', 'RS256', 'HS256', 'none']),
  jwk: choice(
    [client.jwk, { ...client.jwk, kid: 'k', use: 'sig' }],
    [ABSENT, 'key', { ...client.jwk, d: 'AAAA' }, { ...client.jwk, kty: 'oct' }],
  ),
  signer: choice(['client'], ['stranger']),
  htm: choice(['GET'], ['POST', 'get', ABSENT]),
  htu: choice(
    [
      URL_,
      'HTTPS://API.EXAMPLE.COM:443/orders',
      `${URL_}?q=1`,
      `${URL_}#f`,
      'https://api.example.com/./orders',
    ],
    ['https://api.example.com/orders/', 'http://api.example.com/orders', '/orders', ABSENT, 3],
  ),
  iat: choice([NOW, NOW - 60, NOW + 60, NOW - 1.5], [NOW - 61, NOW + 61, `${NOW}`, ABSENT]),
  jti: choice(['j', 'x'.repeat(256)], ['', 'x'.repeat(257), 7, ABSENT]),
  ath: choice([athOf(TOKEN)], [athOf(`${TOKEN}.`), '', ABSENT]),
  nonce: choice([ABSENT, 'n', ''], [1, null, ['n']]),
} as const
type Member = keyof typeof MEMBERS
// The reason each member's check gives; the signer's is the signature's.
const REASON: Record<Member, string> = {
  typ: 'typ',
  alg: 'alg',
  jwk: 'jwk',
  signer: 'signature',
  htm: 'htm',
  htu: 'htu',
  iat: 'iat',
  jti: 'jti',
  ath: 'ath',
  nonce: 'nonce',
}

const present = (entries: Array<[string, unknown]>) =>
  Object.fromEntries(entries.filter(([, value]) => value !== ABSENT))

describe('verifyDpopProof properties', () => {
  it('arbitrary text and arbitrary three-part strings fail only with DPOP_PROOF_INVALID', async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.json().map((json) => Buffer.from(json).toString('base64url')),
    )
    const proof = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
    )
    await fc.assert(
      fc.asyncProperty(proof, fc.constantFrom('GET', 'POST', ''), async (text, method) => {
        const error = await outcome(text, method)
        expect(isOidcHybridError(error) && error.code).toBe('DPOP_PROOF_INVALID')
      }),
      { numRuns: RUNS },
    )
  })

  it('a signed proof is accepted exactly when every member is valid, else refused for the first invalid one', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record(MEMBERS), async (picked) => {
        const value = (name: Member) => picked[name][0]
        const header = present([
          ['alg', value('alg')],
          ['typ', value('typ')],
          ['jwk', value('jwk')],
        ])
        const claims = present(
          (['htm', 'htu', 'iat', 'jti', 'ath', 'nonce'] as const).map((name) => [
            name,
            value(name),
          ]),
        )
        const key = value('signer') === 'client' ? client.privateKey : stranger.privateKey
        const error = await outcome(signed(header, claims, key))
        const firstInvalid = (Object.keys(MEMBERS) as Member[]).find((name) => !picked[name][1])
        if (firstInvalid === undefined) {
          expect(error).toBeUndefined()
        } else {
          expect(error).toMatchObject({
            code: 'DPOP_PROOF_INVALID',
            details: { reason: REASON[firstInvalid] },
          })
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('no single-character change of a valid proof is accepted', async () => {
    const valid = signed(
      { alg: 'ES256', typ: 'dpop+jwt', jwk: client.jwk },
      { htm: 'GET', htu: URL_, iat: NOW, jti: 'j', ath: athOf(TOKEN) },
    )
    expect(await outcome(valid)).toBeUndefined()
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.='
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: valid.length - 1 }),
        fc.constantFrom(...alphabet),
        async (at, char) => {
          fc.pre(valid[at] !== char)
          const error = await outcome(valid.slice(0, at) + char + valid.slice(at + 1))
          expect(isOidcHybridError(error) && error.code).toBe('DPOP_PROOF_INVALID')
        },
      ),
      { numRuns: RUNS },
    )
  })
})

describe('normalizeHtu and extractAccessToken properties', () => {
  it('normalizeHtu never throws, and its result is a fixed point', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true })),
        (text) => {
          const normalized = normalizeHtu(text)
          if (normalized !== undefined) expect(normalizeHtu(normalized)).toBe(normalized)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('query and fragment never change the URL compared', () => {
    fc.assert(
      fc.property(
        fc.webUrl({ validSchemes: ['http', 'https'] }),
        fc.webQueryParameters(),
        fc.webFragments(),
        (url, query, fragment) => {
          const base = normalizeHtu(url)
          expect(base).toBeDefined()
          expect(normalizeHtu(`${url}?${query}#${fragment}`)).toBe(base)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('extractAccessToken fails only with typed errors', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc
            .tuple(
              fc.constantFrom('DPoP', 'dpop', 'Bearer', 'Basic', ''),
              fc.string({ maxLength: 40 }),
            )
            .map(([scheme, rest]) => `${scheme} ${rest}`),
        ),
        fc.boolean(),
        fc.boolean(),
        (value, bearer, dpop) => {
          try {
            const { scheme, token } = extractAccessToken(value, { bearer, dpop })
            expect(scheme === 'DPoP' ? dpop : bearer).toBe(true)
            expect(token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/)
          } catch (error) {
            expect(isOidcHybridError(error)).toBe(true)
          }
        },
      ),
      { numRuns: RUNS },
    )
  })
})
