/**
 * Properties of the relying party's DPoP proofs (RFC 9449 4.2): for arbitrary methods, URLs (with
 * queries and fragments), nonces and access tokens, a DpopProofSigner proof verifies with jose by
 * the public key its header carries, and its claims are exactly `jti`, `htm`, `htu` (the URL
 * without query and fragment), `iat`, and `nonce` and `ath` when, and only when, they were given.
 * `pnpm fuzz` style: FUZZ_RUNS sets the number of cases.
 */
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { DpopProofSigner, generateDpopKey } from '../../src/engine/dpop-client.js'
import { athOf, verifyProof } from '../support/dpop.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 100)
const crypto = new WebCryptoProvider()

/** RFC 7230 token characters: what an HTTP method is made of. */
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
  fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/),
)
/** RFC 9449 8.1: nonce = 1*NQCHAR. */
const nonce = fc.stringMatching(/^[\x21\x23-\x5b\x5d-\x7e]{1,40}$/)
/** RFC 6750 b64token: what an access token may be. */
const accessToken = fc.stringMatching(/^[\w\-.~+/]{1,80}=*$/)
const url = fc.webUrl({
  withQueryParameters: true,
  withFragments: true,
  validSchemes: ['https', 'http'],
})

describe('DpopProofSigner (property)', () => {
  const keys: Record<string, JsonWebKey> = {}
  beforeAll(async () => {
    keys.ES256 = (await generateDpopKey('ES256', crypto)).key
    keys.EdDSA = (await generateDpopKey('EdDSA', crypto)).key
  })

  it('a proof always verifies with jose and carries exactly the claims given', async () => {
    const signer = new DpopProofSigner(crypto)
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('ES256', 'EdDSA'),
        method,
        url,
        fc.option(nonce, { nil: undefined }),
        fc.option(accessToken, { nil: undefined }),
        fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
        async (alg, htm, target, givenNonce, token, now) => {
          const proof = await signer.sign(keys[alg]!, {
            method: htm,
            url: target,
            now,
            nonce: givenNonce,
            accessToken: token,
          })
          // verifyProof checks the signature by the embedded public jwk (jose), typ, htm, htu
          // (the URL's origin and path), iat and ath (absent without a token).
          const { header, claims } = await verifyProof(proof, {
            method: htm,
            url: target,
            now,
            accessToken: token,
          })
          expect(header.alg).toBe(alg)
          const parsed = new URL(target)
          const expected: Record<string, unknown> = {
            htm,
            htu: `${parsed.origin}${parsed.pathname}`,
            iat: now,
            jti: claims.jti,
          }
          if (givenNonce !== undefined) expected.nonce = givenNonce
          if (token !== undefined) expected.ath = athOf(token)
          expect(claims).toStrictEqual(expected)
          expect(claims.jti).toMatch(/^[\w-]{16,}$/)
          expect(String(claims.htu)).not.toMatch(/[?#]/)
        },
      ),
      { numRuns: RUNS },
    )
  })
})
