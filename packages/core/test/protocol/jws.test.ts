import { beforeAll, describe, expect, it } from 'vitest'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import {
  ASYMMETRIC_ALGS,
  decodeJws,
  type JwsErrorPolicy,
  type JwsKeyOptions,
  leftHalfHash,
  verifyJwsSignature,
} from '../../src/protocol/jws.js'
import type { Jwk, JwsAlgorithm } from '../../src/protocol/types.js'
import {
  ASYMMETRIC_TEST_ALGS,
  generateTestKey,
  halfHash,
  jwksOf,
  segment,
  signJws,
  signWith,
  type TestKeyPair,
  withoutMembers,
} from '../support/jwt.js'

const crypto = new WebCryptoProvider()

// Distinct codes per failure, so each test shows which failure the mapping reported.
const POLICY: JwsErrorPolicy = {
  tokenName: 'test token',
  code: (reason) =>
    (
      ({
        malformed: 'ID_TOKEN_MALFORMED',
        'alg-not-allowed': 'ID_TOKEN_ALG_NOT_ALLOWED',
        'key-not-found': 'ID_TOKEN_KEY_NOT_FOUND',
        'signature-invalid': 'ID_TOKEN_SIGNATURE_INVALID',
      }) as const
    )[reason],
}
const BEARER_POLICY: JwsErrorPolicy = {
  tokenName: 'access token',
  code: () => 'BEARER_TOKEN_INVALID',
}

const PAYLOAD = { sub: 'user-1' }

let rs256: TestKeyPair
let es256: TestKeyPair

beforeAll(async () => {
  rs256 = await generateTestKey('RS256', 'rs')
  es256 = await generateTestKey('ES256', 'es')
})

function keys(overrides: Partial<JwsKeyOptions> = {}): JwsKeyOptions {
  return { algorithms: ASYMMETRIC_ALGS, jwks: jwksOf(rs256.publicJwk), crypto, ...overrides }
}

async function verify(token: string, options: Partial<JwsKeyOptions> = {}) {
  return verifyJwsSignature(decodeJws(token, POLICY), keys(options), POLICY)
}

/** A provider that records the keys it is asked to verify with. */
function recordingCrypto(offered: Jwk[]): CryptoProvider {
  return Object.assign(Object.create(crypto) as CryptoProvider, {
    verifySignature: (
      alg: JwsAlgorithm,
      key: Jwk | Uint8Array,
      input: Uint8Array,
      signature: Uint8Array,
    ) => {
      if (!(key instanceof Uint8Array)) offered.push(key)
      return crypto.verifySignature(alg, key, input, signature)
    },
  })
}

describe('decodeJws', () => {
  it('decodes header, payload and signing input', async () => {
    const token = await signWith(rs256, PAYLOAD)
    const decoded = decodeJws(token, POLICY)
    expect(decoded.header).toEqual({ alg: 'RS256', kid: 'rs' })
    expect(decoded.payload).toEqual(PAYLOAD)
    expect(decoded.signingInput).toBe(token.slice(0, token.lastIndexOf('.')))
  })

  it.each([
    ['one part', segment({ alg: 'RS256' })],
    ['two parts', `${segment({ alg: 'RS256' })}.${segment(PAYLOAD)}`],
    ['four parts', `${segment({ alg: 'RS256' })}.${segment(PAYLOAD)}.AA.AA`],
    ['padding in base64url', `${segment({ alg: 'RS256' })}=.${segment(PAYLOAD)}.`],
    ['a non-UTF-8 header', `${segment(new Uint8Array([0xff, 0xfe]))}.${segment(PAYLOAD)}.`],
    ['a header array', `${segment([{ alg: 'RS256' }])}.${segment(PAYLOAD)}.`],
    ['a numeric alg', `${segment({ alg: 256 })}.${segment(PAYLOAD)}.`],
    ['a numeric kid', `${segment({ alg: 'RS256', kid: 1 })}.${segment(PAYLOAD)}.`],
    ['an empty crit', `${segment({ alg: 'RS256', crit: [] })}.${segment(PAYLOAD)}.`],
    ['a JSON string payload', `${segment({ alg: 'RS256' })}.${segment('sub')}.`],
    ['a non-JSON payload', `${segment({ alg: 'RS256' })}.${segment(new Uint8Array([123]))}.`],
    ['a bad signature encoding', `${segment({ alg: 'RS256' })}.${segment(PAYLOAD)}.A`],
  ])('rejects %s as malformed', (_name, token) => {
    expect(() => decodeJws(token, POLICY)).toThrow(
      expect.objectContaining({ code: 'ID_TOKEN_MALFORMED', details: { reason: 'malformed' } }),
    )
  })

  it('rejects a non-string token without a TypeError', () => {
    expect(() => decodeJws(undefined as unknown as string, POLICY)).toThrow(
      expect.objectContaining({ code: 'ID_TOKEN_MALFORMED' }),
    )
  })

  it('maps failures through the policy (bearer: BEARER_TOKEN_INVALID with a reason)', () => {
    expect(() => decodeJws('a.b', BEARER_POLICY)).toThrow(
      expect.objectContaining({ code: 'BEARER_TOKEN_INVALID', details: { reason: 'malformed' } }),
    )
  })
})

describe('verifyJwsSignature', () => {
  it('verifies with the key named by kid', async () => {
    const token = await signWith(rs256, PAYLOAD)
    await expect(verify(token)).resolves.toEqual({ kind: 'verified', alg: 'RS256' })
  })

  it('rejects alg "none" even when the allow-list names it', async () => {
    const token = `${segment({ alg: 'none' })}.${segment(PAYLOAD)}.`
    await expect(
      verify(token, { algorithms: ['none' as JwsAlgorithm, ...ASYMMETRIC_ALGS] }),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_ALG_NOT_ALLOWED' })
  })

  it('rejects an alg outside the allow-list', async () => {
    const token = await signWith(rs256, PAYLOAD)
    await expect(verify(token, { algorithms: ['ES256'] })).rejects.toMatchObject({
      code: 'ID_TOKEN_ALG_NOT_ALLOWED',
      details: { reason: 'alg-not-allowed' },
    })
  })

  it('does not echo an unknown alg value into the message', async () => {
    const token = `${segment({ alg: 'RS256\r\nX-Injected: 1' })}.${segment(PAYLOAD)}.`
    const error = (await verify(token).catch((e: Error) => e)) as Error
    expect(error.message).not.toContain('X-Injected')
  })

  it('rejects HS256 listed in the allow-list when no secret is given', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32))
    const token = await signJws({ alg: 'HS256' }, PAYLOAD, secret)
    await expect(verify(token, { algorithms: ['HS256'] })).rejects.toMatchObject({
      code: 'ID_TOKEN_ALG_NOT_ALLOWED',
    })
  })

  it('accepts HS256 when listed and the secret is given', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32))
    const token = await signJws({ alg: 'HS256' }, PAYLOAD, secret)
    await expect(
      verify(token, { algorithms: ['HS256'], symmetricSecret: secret }),
    ).resolves.toEqual({ kind: 'verified', alg: 'HS256' })
  })

  it('rejects HS256 when the secret is given but the allow-list lacks it', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32))
    const token = await signJws({ alg: 'HS256' }, PAYLOAD, secret)
    await expect(verify(token, { symmetricSecret: secret })).rejects.toMatchObject({
      code: 'ID_TOKEN_ALG_NOT_ALLOWED',
    })
  })

  it('never uses an oct key from the JWKS', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32))
    const token = await signJws({ alg: 'HS256', kid: 'oct' }, PAYLOAD, secret)
    const oct = { kty: 'oct', kid: 'oct', k: Buffer.from(secret).toString('base64url') }
    await expect(verify(token, { algorithms: ['HS256'], jwks: jwksOf(oct) })).rejects.toMatchObject(
      { code: 'ID_TOKEN_ALG_NOT_ALLOWED' },
    )
  })

  it('rejects a signature that verifies with no candidate key', async () => {
    const other = await generateTestKey('RS256', 'rs')
    const token = await signWith(other, PAYLOAD)
    await expect(verify(token)).rejects.toMatchObject({
      code: 'ID_TOKEN_SIGNATURE_INVALID',
      details: { reason: 'signature-invalid' },
    })
  })

  it('returns need-keys (unknown-kid) when no key has the header kid', async () => {
    const token = await signWith(rs256, PAYLOAD, { kid: 'next' })
    await expect(verify(token)).resolves.toEqual({
      kind: 'need-keys',
      reason: 'unknown-kid',
      kid: 'next',
    })
  })

  it('does not fall back to other keys when the kid is unknown', async () => {
    const token = await signWith(rs256, PAYLOAD, { kid: 'next' })
    const result = await verify(token, { jwks: jwksOf(withoutMembers(rs256.publicJwk, 'kid')) })
    expect(result.kind).toBe('need-keys')
  })

  it('throws key-not-found for an unknown kid after a refresh', async () => {
    const token = await signWith(rs256, PAYLOAD, { kid: 'next' })
    await expect(verify(token, { jwksRefreshed: true })).rejects.toMatchObject({
      code: 'ID_TOKEN_KEY_NOT_FOUND',
      details: { reason: 'key-not-found', kid: 'next' },
    })
  })

  it('tries every candidate when kid is absent', async () => {
    const token = await signWith(rs256, PAYLOAD, { kid: undefined })
    const other = await generateTestKey('RS256')
    await expect(
      verify(token, { jwks: jwksOf(other.publicJwk, rs256.publicJwk) }),
    ).resolves.toMatchObject({ kind: 'verified' })
  })

  it('returns need-keys (no-usable-key) when only unimportable keys match', async () => {
    const token = await signWith(rs256, PAYLOAD)
    const garbage = { ...rs256.publicJwk, n: 'AQAB' }
    await expect(verify(token, { jwks: jwksOf(garbage) })).resolves.toEqual({
      kind: 'need-keys',
      reason: 'no-usable-key',
      kid: 'rs',
    })
  })

  it('treats a JWKS without a keys array as empty', async () => {
    const token = await signWith(rs256, PAYLOAD, { kid: undefined })
    const jwks = { keys: 'none' } as unknown as JwsKeyOptions['jwks']
    await expect(verify(token, { jwks })).resolves.toEqual({
      kind: 'need-keys',
      reason: 'no-usable-key',
    })
  })

  it('offers only keys of the alg key type and curve', async () => {
    const es384 = await generateTestKey('ES384', 'es')
    const offered: Jwk[] = []
    const token = await signWith(es256, PAYLOAD)
    const result = await verify(token, {
      jwks: jwksOf(
        { ...rs256.publicJwk, kid: 'es', alg: undefined },
        { ...es384.publicJwk, alg: undefined },
        es256.publicJwk,
      ),
      crypto: recordingCrypto(offered),
    })
    expect(result.kind).toBe('verified')
    expect(offered).toEqual([es256.publicJwk])
  })

  it('offers no EC key for an RSA algorithm', async () => {
    const offered: Jwk[] = []
    const token = await signWith(rs256, PAYLOAD)
    const result = await verify(token, {
      jwks: jwksOf({ ...es256.publicJwk, kid: 'rs', alg: undefined }, rs256.publicJwk),
      crypto: recordingCrypto(offered),
    })
    expect(result.kind).toBe('verified')
    expect(offered).toEqual([rs256.publicJwk])
  })

  it.each([
    ['use "enc"', { use: 'enc' }],
    ['key_ops without verify', { key_ops: ['encrypt'] }],
    ['another alg', { alg: 'RS384' }],
  ])('skips a key with %s', async (_name, members) => {
    const token = await signWith(rs256, PAYLOAD)
    const result = await verify(token, { jwks: jwksOf({ ...rs256.publicJwk, ...members }) })
    expect(result).toEqual({ kind: 'need-keys', reason: 'unknown-kid', kid: 'rs' })
  })

  it('accepts a key with key_ops containing verify and no use', async () => {
    const token = await signWith(rs256, PAYLOAD)
    const jwk = { ...withoutMembers(rs256.publicJwk, 'use'), key_ops: ['verify'] }
    await expect(verify(token, { jwks: jwksOf(jwk) })).resolves.toMatchObject({
      kind: 'verified',
    })
  })
})

describe('leftHalfHash', () => {
  it('matches the OIDC Core examples (A.3 at_hash, A.4 c_hash)', async () => {
    await expect(
      leftHalfHash('RS256', 'jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', crypto),
    ).resolves.toBe('77QmUPtjPfzWtF2AnpK9RQ')
    await expect(
      leftHalfHash('RS256', 'Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk', crypto),
    ).resolves.toBe('LDktKdoQak3Pk0cnXxCltA')
  })

  it.each([...ASYMMETRIC_TEST_ALGS, 'HS256', 'HS384', 'HS512'] as const)(
    'uses the right SHA-2 for %s',
    async (alg) => {
      await expect(leftHalfHash(alg, 'value-1', crypto)).resolves.toBe(halfHash(alg, 'value-1'))
    },
  )
})
