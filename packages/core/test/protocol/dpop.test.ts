/**
 * DPoP proof checks (RFC 9449 4.3), one by one: a valid proof passes, and each proof that breaks
 * one rule is refused with that rule's `details.reason`. Proofs are made with jose and
 * node:crypto (test/support/dpop.ts), never with the code under test.
 */
import { calculateJwkThumbprint } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { OidcHybridError } from '../../src/errors.js'
import { bearerChallenge } from '../../src/protocol/bearer.js'
import {
  checkDpopBinding,
  type DpopProofOptions,
  extractAccessToken,
  jwkThumbprint,
  normalizeHtu,
  openDpopNonce,
  sealDpopNonce,
  verifyDpopProof,
} from '../../src/protocol/dpop.js'
import {
  athOf,
  type ProofAlg,
  type ProofInput,
  type ProofKey,
  proofKey,
  proofOf,
} from '../support/dpop.js'
import { segment, signJws, unsignedJws } from '../support/jwt.js'

const crypto = new WebCryptoProvider()
const NOW = 1_750_000_000
const URL_ = 'https://api.example.com/orders'
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl'

let es256: ProofKey
let other: ProofKey
beforeAll(async () => {
  es256 = await proofKey('ES256')
  other = await proofKey('ES256')
})

function input(overrides: Partial<ProofInput> = {}): ProofInput {
  return { htm: 'GET', htu: URL_, iat: NOW, accessToken: TOKEN, ...overrides }
}

function options(overrides: Partial<DpopProofOptions> = {}): DpopProofOptions {
  return { method: 'GET', url: URL_, accessToken: TOKEN, now: NOW, crypto, ...overrides }
}

/** The `details.reason` of the DPOP_PROOF_INVALID `proof` is refused with. */
async function refusal(
  proof: string | null | undefined,
  overrides: Partial<DpopProofOptions> = {},
): Promise<unknown> {
  const error = await verifyDpopProof(proof, options(overrides)).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'the proof was accepted').toBeInstanceOf(OidcHybridError)
  expect(error).toMatchObject({ code: 'DPOP_PROOF_INVALID' })
  return (error as OidcHybridError).details.reason
}

/** A proof whose header and payload are given as they are, signed by `key`. */
function rawProof(key: ProofKey, header: Record<string, unknown>, claims: Record<string, unknown>) {
  return signJws({ alg: key.alg, ...header }, claims, key.privateKey)
}

describe('verifyDpopProof: a valid proof', () => {
  const ALGS: ProofAlg[] = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']
  for (const alg of ALGS) {
    it(`${alg}: passes when listed, with the key's RFC 7638 thumbprint`, async () => {
      const key = await proofKey(alg)
      const proof = await proofOf(key, input({ claims: { jti: 'proof-1' } }))
      const verified = await verifyDpopProof(proof, options({ algorithms: ALGS }))
      expect(verified).toEqual({
        jkt: key.jkt,
        jti: 'proof-1',
        replayUntil: NOW + 61,
        nonce: undefined,
      })
    })
  }

  it('returns the nonce the proof carries', async () => {
    const proof = await proofOf(es256, input({ claims: { nonce: 'server-nonce' } }))
    expect((await verifyDpopProof(proof, options())).nonce).toBe('server-nonce')
  })

  it('typ is compared as a media type: application/dpop+jwt and any case pass', async () => {
    for (const typ of ['application/dpop+jwt', 'DPoP+JWT']) {
      const proof = await proofOf(es256, input({ header: { typ } }))
      await expect(verifyDpopProof(proof, options())).resolves.toMatchObject({ jkt: es256.jkt })
    }
  })

  it('remembers the jti until the proof is too old: iat + window + 1', async () => {
    const proof = await proofOf(es256, input({ iat: NOW - 20 }))
    const verified = await verifyDpopProof(proof, options({ window: 30 }))
    expect(verified.replayUntil).toBe(NOW - 20 + 31)
  })
})

describe('verifyDpopProof: each check refuses', () => {
  it('no proof: missing', async () => {
    expect(await refusal(undefined)).toBe('missing')
    expect(await refusal(null)).toBe('missing')
    expect(await refusal('')).toBe('missing')
  })

  it('two DPoP headers (joined with a comma): multiple', async () => {
    const proof = await proofOf(es256, input())
    expect(await refusal(`${proof}, ${proof}`)).toBe('multiple')
    expect(await refusal(`${proof},${proof}`)).toBe('multiple')
  })

  it('a proof over 8192 characters, however valid: size', async () => {
    const padding = 'x'.repeat(8192)
    const proof = await proofOf(es256, input({ claims: { padding } }))
    expect(await refusal(proof)).toBe('size')
  })

  it('not one compact JWS: malformed', async () => {
    const proof = await proofOf(es256, input())
    for (const text of ['abc', `${proof}.x`, proof.split('.').slice(0, 2).join('.'), `x${proof}`]) {
      expect(await refusal(text)).toBe('malformed')
    }
    // An extension it does not understand is refused (RFC 7515 4.1.11).
    const critical = await signJws(
      { alg: 'ES256', typ: 'dpop+jwt', jwk: es256.jwk, crit: ['x'], x: 1 },
      { jti: 'j', htm: 'GET', htu: URL_, iat: NOW, ath: athOf(TOKEN) },
      es256.privateKey,
      ['x'],
    )
    expect(await refusal(critical)).toBe('malformed')
  })

  it('typ other than dpop+jwt, or none: typ', async () => {
    for (const typ of ['JWT', 'at+jwt', 'dpop+jwt2', 'application/dpop', undefined, 7]) {
      expect(await refusal(await proofOf(es256, input({ header: { typ } }))), String(typ)).toBe(
        'typ',
      )
    }
  })

  it('an alg outside the allow-list (ES384 when ES256 only), none, HS256: alg', async () => {
    const es384 = await proofKey('ES384')
    expect(await refusal(await proofOf(es384, input()))).toBe('alg')
    const claims = { jti: 'j', htm: 'GET', htu: URL_, iat: NOW, ath: athOf(TOKEN) }
    const none = unsignedJws({ alg: 'none', typ: 'dpop+jwt', jwk: es256.jwk }, claims)
    expect(await refusal(none)).toBe('alg')
    const secret = new TextEncoder().encode('a shared secret of 32 characters')
    const hs256 = await signJws({ alg: 'HS256', typ: 'dpop+jwt', jwk: es256.jwk }, claims, secret)
    expect(await refusal(hs256, { algorithms: ['ES256'] })).toBe('alg')
  })

  it('an allow-list with a symmetric algorithm is a misconfiguration', async () => {
    const proof = await proofOf(es256, input())
    for (const algorithms of [['HS256'], [], ['ES256', 'none']]) {
      await expect(
        verifyDpopProof(proof, options({ algorithms: algorithms as never })),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    }
  })

  it('no jwk, or not an object: jwk', async () => {
    for (const jwk of [undefined, 'key', [es256.jwk]]) {
      expect(await refusal(await proofOf(es256, input({ header: { jwk } })))).toBe('jwk')
    }
  })

  it('a jwk with a private member, though the signature verifies with its public part: jwk', async () => {
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
      const jwk = { ...es256.jwk, [member]: 'AAAA' }
      expect(await refusal(await proofOf(es256, input({ header: { jwk } }))), member).toBe('jwk')
    }
  })

  it('a jwk without a thumbprint (unknown kty, missing member), even where the crypto would take it: jwk', async () => {
    // A crypto provider that verifies anything: the jwk's shape alone must refuse these.
    const lenient: CryptoProvider = Object.assign(Object.create(crypto), {
      verifySignature: async () => true,
    })
    for (const jwk of [
      { kty: 'foo', x: 'AAAA' },
      { ...es256.jwk, y: undefined },
      { ...es256.jwk, x: '' },
    ]) {
      const proof = await proofOf(es256, input({ header: { jwk } }))
      expect(await refusal(proof, { crypto: lenient }), JSON.stringify(jwk)).toBe('jwk')
    }
  })

  it('a jwk that cannot verify the alg (a P-384 key in an ES256 proof, an RSA key): jwk', async () => {
    const es384 = await proofKey('ES384')
    const rsa = await proofKey('RS256')
    for (const jwk of [es384.jwk, rsa.jwk]) {
      expect(await refusal(await proofOf(es256, input({ header: { jwk } })))).toBe('jwk')
    }
  })

  it('a signature by another key than the jwk, or altered: signature', async () => {
    expect(await refusal(await proofOf(es256, input({ header: { jwk: other.jwk } })))).toBe(
      'signature',
    )
    const proof = await proofOf(es256, input())
    const [head, body, signature] = proof.split('.')
    const bytes = Buffer.from(signature!, 'base64url')
    bytes[5]! ^= 1
    expect(await refusal(`${head}.${body}.${bytes.toString('base64url')}`)).toBe('signature')
    // The payload changed after signing.
    const forged = { jti: 'j', htm: 'GET', htu: URL_, iat: NOW, ath: athOf(TOKEN), admin: true }
    expect(await refusal(`${head}.${segment(forged)}.${signature}`)).toBe('signature')
  })

  it('htm other than the method (compared as is), or none: htm', async () => {
    for (const htm of ['POST', 'get', undefined, ['GET']]) {
      expect(await refusal(await proofOf(es256, input({ htm: htm as string }))), String(htm)).toBe(
        'htm',
      )
    }
    const post = await proofOf(es256, input({ htm: 'POST' }))
    await expect(verifyDpopProof(post, options({ method: 'POST' }))).resolves.toBeDefined()
  })

  it('htu of another URL, path, scheme, port or host, or not a URL: htu', async () => {
    for (const htu of [
      'https://api.example.com/orders/1',
      'https://api.example.com/Orders',
      'http://api.example.com/orders',
      'https://api.example.com:8443/orders',
      'https://evil.example.com/orders',
      '/orders',
      'api.example.com/orders',
      'ftp://api.example.com/orders',
      undefined,
      42,
    ]) {
      const proof = await proofOf(es256, input({ htu: htu as string }))
      expect(await refusal(proof), String(htu)).toBe('htu')
    }
  })

  it('htu is compared normalized, without query and fragment (RFC 9449 4.3, RFC 3986 6.2)', async () => {
    for (const htu of [
      'HTTPS://API.Example.COM/orders',
      'https://api.example.com:443/orders',
      'https://api.example.com/a/../orders',
      'https://api.example.com/%6Frders',
      'https://api.example.com/orders?page=2',
      'https://api.example.com/orders#top',
    ]) {
      const proof = await proofOf(es256, input({ htu }))
      await expect(verifyDpopProof(proof, options()), htu).resolves.toBeDefined()
    }
    const proof = await proofOf(es256, input())
    await expect(
      verifyDpopProof(proof, options({ url: 'https://api.example.com/orders?page=2' })),
    ).resolves.toBeDefined()
  })

  it('a request URL that is not absolute never matches: htu', async () => {
    const proof = await proofOf(es256, input())
    expect(await refusal(proof, { url: '/orders' })).toBe('htu')
  })

  it('iat more than the window before or after now, or not a number: iat', async () => {
    for (const iat of [NOW - 61, NOW + 61, undefined, String(NOW), Number.NaN]) {
      expect(await refusal(await proofOf(es256, input({ iat: iat as number }))), String(iat)).toBe(
        'iat',
      )
    }
    await expect(
      verifyDpopProof(await proofOf(es256, input({ iat: NOW - 60 })), options()),
    ).resolves.toBeDefined()
    await expect(
      verifyDpopProof(await proofOf(es256, input({ iat: NOW + 60 })), options()),
    ).resolves.toBeDefined()
    expect(await refusal(await proofOf(es256, input({ iat: NOW - 11 })), { window: 10 })).toBe(
      'iat',
    )
  })

  it('no jti, an empty one, one over 256 characters, or not a string: jti', async () => {
    for (const jti of [undefined, '', 'j'.repeat(257), 12]) {
      const proof = await proofOf(es256, input({ claims: { jti } }))
      expect(await refusal(proof), String(jti)).toBe('jti')
    }
    const longest = await proofOf(es256, input({ claims: { jti: 'j'.repeat(256) } }))
    await expect(verifyDpopProof(longest, options())).resolves.toBeDefined()
  })

  it("no ath, or another token's hash: ath", async () => {
    for (const ath of [undefined, athOf(`${TOKEN}x`), athOf(TOKEN).toUpperCase(), 1]) {
      const proof = await proofOf(es256, input({ claims: { ath } }))
      expect(await refusal(proof), String(ath)).toBe('ath')
    }
    // The same proof, presented with another access token.
    expect(await refusal(await proofOf(es256, input()), { accessToken: `${TOKEN}x` })).toBe('ath')
  })

  it('a nonce that is not a string: nonce', async () => {
    for (const nonce of [1, null, ['n']]) {
      const proof = await proofOf(es256, input({ claims: { nonce } }))
      expect(await refusal(proof), String(nonce)).toBe('nonce')
    }
  })

  it('every failure names the DPoP scheme, for the challenge', async () => {
    const error = await verifyDpopProof('abc', options()).catch((e: unknown) => e)
    expect(bearerChallenge(error, { dpopAlgorithms: ['ES256'] }).wwwAuthenticate).toMatch(
      /^DPoP error="invalid_dpop_proof", error_description="DPoP proof is not a valid JWS[^"]*", algs="ES256", Bearer$/,
    )
  })

  it('header order and extra members do not matter', async () => {
    const proof = await rawProof(
      es256,
      { jwk: es256.jwk, kid: 'ignored', typ: 'dpop+jwt' },
      { ath: athOf(TOKEN), iat: NOW, htu: URL_, htm: 'GET', jti: 'x', extra: { a: 1 } },
    )
    await expect(verifyDpopProof(proof, options())).resolves.toMatchObject({ jti: 'x' })
  })
})

describe('extractAccessToken', () => {
  const both = { bearer: true, dpop: true }

  it('reads DPoP and Bearer credentials, schemes in any case', () => {
    expect(extractAccessToken('DPoP abc.def', both)).toEqual({ scheme: 'DPoP', token: 'abc.def' })
    expect(extractAccessToken('  dpop   abc ', both)).toEqual({ scheme: 'DPoP', token: 'abc' })
    expect(extractAccessToken('Bearer abc', both)).toEqual({ scheme: 'Bearer', token: 'abc' })
    expect(extractAccessToken('bearer abc', { bearer: true, dpop: false })).toEqual({
      scheme: 'Bearer',
      token: 'abc',
    })
  })

  it('a DPoP header that is not "DPoP <one token>" is invalid_request in the DPoP scheme', () => {
    for (const value of ['DPoP', 'DPoP a b', 'DPoP a,b', 'DPoP\tabc']) {
      expect(() => extractAccessToken(value, both), value).toThrow(
        expect.objectContaining({
          code: 'BEARER_REQUEST_INVALID',
          details: { reason: 'authorization', scheme: 'DPoP' },
        }),
      )
    }
  })

  it('DPoP when only Bearer is accepted is another scheme: no token', () => {
    expect(() => extractAccessToken('DPoP abc', { bearer: true, dpop: false })).toThrow(
      expect.objectContaining({ code: 'BEARER_TOKEN_MISSING' }),
    )
  })

  it('Bearer, another scheme or nothing when only DPoP is accepted: no token, DPoP challenged', () => {
    for (const value of ['Bearer abc', 'Basic dXNlcjpwYXNz', '', null, undefined]) {
      let error: unknown
      try {
        extractAccessToken(value, { bearer: false, dpop: true })
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({ code: 'BEARER_TOKEN_MISSING', details: { scheme: 'DPoP' } })
      expect(
        bearerChallenge(error, { dpopAlgorithms: ['ES256'], bearer: false }).wwwAuthenticate,
      ).toBe('DPoP algs="ES256"')
    }
  })
})

describe('jwkThumbprint (RFC 7638)', () => {
  it('is the SHA-256 thumbprint jose computes, for EC, RSA and OKP keys', async () => {
    for (const alg of ['ES256', 'ES384', 'RS256', 'EdDSA'] as const) {
      const key = await proofKey(alg)
      const extra = { ...key.jwk, kid: 'k', alg, use: 'sig', ext: true }
      expect(await jwkThumbprint(extra, crypto)).toBe(await calculateJwkThumbprint(key.jwk))
    }
  })

  it('RFC 7638 3.1: the example key has the example thumbprint', async () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    }
    expect(await jwkThumbprint(jwk, crypto)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it('is undefined for another key type or a missing or empty required member', async () => {
    const { jwk } = es256
    for (const key of [
      { kty: 'oct', k: 'AAAA' },
      { kty: 'constructor' },
      { ...jwk, crv: undefined },
      { ...jwk, y: 7 },
      { ...jwk, x: '' },
    ]) {
      expect(await jwkThumbprint(key as never, crypto), JSON.stringify(key)).toBeUndefined()
    }
  })
})

describe('normalizeHtu', () => {
  it('normalizes scheme and host case, default ports, dot segments and percent-encodings', () => {
    expect(normalizeHtu('HTTPS://Api.Example.com:443/a/./b/../c?q=1#f')).toBe(
      'https://api.example.com/a/c',
    )
    expect(normalizeHtu('http://api.example.com:80')).toBe('http://api.example.com/')
    expect(normalizeHtu('http://api.example.com:8080/x')).toBe('http://api.example.com:8080/x')
    // Unreserved characters decoded, others' hex upper-cased (RFC 3986 6.2.2.1-2).
    expect(normalizeHtu('https://a.example/%7e%41%2f%2F%e2%82%ac')).toBe(
      'https://a.example/~A%2F%2F%E2%82%AC',
    )
  })

  it('is undefined unless an absolute http(s) URL', () => {
    for (const value of ['/x', 'x', 'ftp://a.example/', 'javascript:alert(1)', '', 1, null]) {
      expect(normalizeHtu(value), String(value)).toBeUndefined()
    }
  })
})

describe('checkDpopBinding (RFC 9449 6.1, 7.2)', () => {
  const bound = { sub: 'u', cnf: { jkt: 'thumb' } }

  it('a DPoP request: the token must be bound to the proof key', () => {
    expect(() => checkDpopBinding(bound, 'thumb')).not.toThrow()
    for (const [claims, reason] of [
      [bound, 'cnf'],
      [{ sub: 'u' }, 'cnf'],
      [{ sub: 'u', cnf: 'thumb' }, 'cnf'],
      [{ sub: 'u', cnf: { jkt: 1 } }, 'cnf'],
      [{ sub: 'u', cnf: { 'x5t#S256': 'thumb' } }, 'cnf'],
    ] as const) {
      expect(() => checkDpopBinding(claims, 'another')).toThrow(
        expect.objectContaining({
          code: 'DPOP_BINDING_MISMATCH',
          details: { reason, scheme: 'DPoP' },
        }),
      )
    }
  })

  it('a Bearer request: a bound token is refused, an unbound one passes', () => {
    expect(() => checkDpopBinding(bound)).toThrow(
      expect.objectContaining({
        code: 'DPOP_BINDING_MISMATCH',
        details: { reason: 'bearer', scheme: 'Bearer' },
      }),
    )
    expect(() => checkDpopBinding({ sub: 'u' })).not.toThrow()
    expect(() => checkDpopBinding({ sub: 'u', cnf: { 'x5t#S256': 'x' } })).not.toThrow()
  })
})

describe('server nonces (RFC 9449 9)', () => {
  const key = new Uint8Array(32).fill(7)
  const iv = new Uint8Array(12).fill(1)

  it('a sealed nonce opens to its expiry with the same key, and is 43 base64url characters', async () => {
    const nonce = await sealDpopNonce(NOW + 300, iv, { key, crypto })
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(await openDpopNonce(nonce, { key, crypto })).toBe(NOW + 300)
  })

  it('another key, an altered nonce, or not a nonce at all opens to nothing', async () => {
    const nonce = await sealDpopNonce(NOW + 300, iv, { key, crypto })
    const otherKey = new Uint8Array(32).fill(8)
    expect(await openDpopNonce(nonce, { key: otherKey, crypto })).toBeUndefined()
    const bytes = Buffer.from(nonce, 'base64url')
    bytes[14]! ^= 1
    expect(await openDpopNonce(bytes.toString('base64url'), { key, crypto })).toBeUndefined()
    for (const text of ['', 'abc', `${nonce}AA`, nonce.slice(0, 40), '!'.repeat(43)]) {
      expect(await openDpopNonce(text, { key, crypto }), text).toBeUndefined()
    }
  })
})

describe('bearerChallenge with DPoP (RFC 9449 7.1, 7.2)', () => {
  const algs = ['ES256', 'PS256']
  const error = (code: string, scheme?: string) =>
    new OidcHybridError(code as never, 'why', { details: scheme ? { scheme } : {} })

  it('no token: both schemes offered, Bearer first; DPoP only when required', () => {
    const missing = error('BEARER_TOKEN_MISSING')
    expect(bearerChallenge(missing, { dpopAlgorithms: algs, realm: 'api' })).toEqual({
      status: 401,
      wwwAuthenticate: 'Bearer realm="api", DPoP realm="api", algs="ES256 PS256"',
    })
    expect(bearerChallenge(missing, { dpopAlgorithms: algs }).wwwAuthenticate).toBe(
      'Bearer, DPoP algs="ES256 PS256"',
    )
    expect(bearerChallenge(missing, { dpopAlgorithms: algs, bearer: false }).wwwAuthenticate).toBe(
      'DPoP algs="ES256 PS256"',
    )
    // Without DPoP algorithms `bearer: false` has nothing to fall back on: Bearer stays.
    expect(bearerChallenge(missing, { bearer: false }).wwwAuthenticate).toBe('Bearer')
  })

  it('each DPoP code has its status and error, in the DPoP challenge first', () => {
    for (const [code, status, kind] of [
      ['DPOP_PROOF_INVALID', 401, 'invalid_dpop_proof'],
      ['DPOP_NONCE_REQUIRED', 401, 'use_dpop_nonce'],
      ['DPOP_BINDING_MISMATCH', 401, 'invalid_token'],
    ] as const) {
      expect(bearerChallenge(error(code), { dpopAlgorithms: algs })).toEqual({
        status,
        wwwAuthenticate: `DPoP error="${kind}", error_description="why", algs="ES256 PS256", Bearer`,
      })
    }
  })

  it("a token's failure goes in the challenge of the scheme it came with", () => {
    const dpop = bearerChallenge(error('BEARER_TOKEN_INVALID', 'DPoP'), { dpopAlgorithms: algs })
    expect(dpop.wwwAuthenticate).toBe(
      'DPoP error="invalid_token", error_description="why", algs="ES256 PS256", Bearer',
    )
    const bearer = bearerChallenge(error('DPOP_BINDING_MISMATCH', 'Bearer'), {
      dpopAlgorithms: algs,
    })
    expect(bearer.wwwAuthenticate).toBe(
      'Bearer error="invalid_token", error_description="why", DPoP algs="ES256 PS256"',
    )
    const scope = new OidcHybridError('BEARER_INSUFFICIENT_SCOPE', 'more', {
      details: { scheme: 'DPoP', requiredScopes: ['read'] },
    })
    expect(bearerChallenge(scope, { dpopAlgorithms: algs, bearer: false })).toEqual({
      status: 403,
      wwwAuthenticate:
        'DPoP error="insufficient_scope", error_description="more", scope="read", algs="ES256 PS256"',
    })
  })

  it('a provider outage offers both schemes bare', () => {
    const outage = error('JWKS_INVALID', 'DPoP')
    expect(bearerChallenge(outage, { dpopAlgorithms: algs, realm: 'r' })).toEqual({
      status: 503,
      wwwAuthenticate: 'DPoP realm="r", algs="ES256 PS256", Bearer realm="r"',
      retryAfter: 30,
    })
  })

  it('algs are stripped of characters that would break the quoted string', () => {
    expect(
      bearerChallenge(error('BEARER_TOKEN_MISSING'), { dpopAlgorithms: ['ES256"', 'x\\y'] })
        .wwwAuthenticate,
    ).toBe('Bearer, DPoP algs="ES256 xy"')
  })
})
