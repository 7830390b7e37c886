// NodeCryptoProvider against the same vectors as the WebCrypto provider, against jose's
// signatures, and against WebCryptoProvider itself on random inputs: the two must be
// interchangeable byte for byte, and agree on every key they refuse.
import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto'
import { type JwsAlgorithm, WebCryptoProvider } from '@oidc-hybrid/core'
import { CookieSealer } from '@oidc-hybrid/core/adapter'
import { type Jwk, type ProviderMetadata, verifyIdToken } from '@oidc-hybrid/core/protocol'
import { CompactSign, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
// The core's portable codec, which the fast paths must match exactly (not part of its API).
import * as portable from '../../core/src/lib/base64url.js'
import { NodeCryptoProvider } from '../src/index.js'

const node = new NodeCryptoProvider()
const web = new WebCryptoProvider()
const text = (value: string) => new TextEncoder().encode(value)

const SECRET = '0123456789abcdef0123456789abcdef'
const NOW = 1_700_000_000
/** core/test/engine/seal.test.ts "format v1": sealed with a zero IV, also reproduced with node:crypto there. */
const VECTOR =
  'v1.AzeZIw.AAAAAAAAAAAAAAAA.ZcM9vd5B8diw884o1vYMxbd30AvHik3gRLVwahosPTfN7wq8JMYo6iMGXfL1fJr_7w8scfgUzRo'

/** The Node provider with all-zero "random" bytes, so a seal is reproducible. */
class ZeroRandomNodeProvider extends NodeCryptoProvider {
  override randomBytes(length: number): Uint8Array {
    return new Uint8Array(length)
  }
}

function flipped(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice()
  copy[copy.length - 1]! ^= 1
  return copy
}

/** A random Uint8Array of `min` to `max` bytes. */
function randomInput(max: number, min = 0): Uint8Array {
  return new Uint8Array(randomBytes(min + Math.floor(Math.random() * (max - min + 1))))
}

describe('sealed cookies: format v1 across providers', () => {
  it('unseals the fixed test vector', async () => {
    const sealer = await CookieSealer.create(SECRET, node)
    await expect(sealer.unseal('session', VECTOR)).resolves.toEqual({
      payload: { sub: 'auth0|123' },
      expiresAt: NOW,
      stale: false,
    })
  })

  it('produces the fixed test vector with a zero IV', async () => {
    const sealer = await CookieSealer.create(SECRET, new ZeroRandomNodeProvider())
    await expect(sealer.seal('session', { sub: 'auth0|123' }, NOW)).resolves.toBe(VECTOR)
  })

  it('values sealed by WebCrypto unseal with node:crypto, and the reverse', async () => {
    const payload = {
      session: { sub: 'auth0|123', claims: { name: 'Zoë 🐙' }, idToken: 'x'.repeat(1500) },
    }
    const byWeb = await CookieSealer.create(SECRET, web)
    const byNode = await CookieSealer.create(SECRET, node)
    for (const [from, to] of [
      [byWeb, byNode],
      [byNode, byWeb],
    ] as const) {
      const sealed = await from.seal('__Host-appSession', payload, NOW)
      await expect(to.unseal('__Host-appSession', sealed)).resolves.toEqual({
        payload,
        expiresAt: NOW,
        stale: false,
      })
    }
  })

  it('compressed values (v2) move between providers: zlib deflate and CompressionStream agree', async () => {
    const payload = {
      session: { groups: Array.from({ length: 300 }, (_, i) => `engineering-team-${i}`) },
    }
    const byWeb = await CookieSealer.create(SECRET, web)
    const byNode = await CookieSealer.create(SECRET, node)
    for (const [from, to] of [
      [byWeb, byNode],
      [byNode, byWeb],
    ] as const) {
      const sealed = await from.seal('__Host-appSession', payload, NOW)
      expect(sealed).toMatch(/^v2\./)
      expect((await to.unseal('__Host-appSession', sealed)).payload).toEqual(payload)
    }
  })

  it('inflate: the bound holds, and bad input is undefined, never an exception', () => {
    const bomb = node.deflate(new Uint8Array(1 << 20))
    expect(bomb.length).toBeLessThan(2048)
    expect(node.inflate(bomb, 256 * 1024)).toBeUndefined()
    expect(node.inflate(bomb, 1 << 20)?.length).toBe(1 << 20)
    expect(node.inflate(text('not deflate'), 1024)).toBeUndefined()
  })

  it('a value sealed by one provider fails the other for another cookie name (AAD)', async () => {
    const sealed = await (await CookieSealer.create(SECRET, web)).seal('session', 1, NOW)
    const sealer = await CookieSealer.create(SECRET, node)
    await expect(sealer.unseal('transaction', sealed)).rejects.toMatchObject({
      code: 'COOKIE_INVALID',
      details: { reason: 'tag' },
    })
  })

  it('rotation: an old secret sealed with WebCrypto is stale under node:crypto', async () => {
    const old = 'fedcba9876543210fedcba9876543210'
    const sealed = await (await CookieSealer.create(old, web)).seal('session', 'hello', NOW)
    const rotated = await CookieSealer.create([SECRET, old], node)
    await expect(rotated.unseal('session', sealed)).resolves.toEqual({
      payload: 'hello',
      expiresAt: NOW,
      stale: true,
    })
  })
})

describe('signatures made by jose verify for every algorithm', () => {
  const payload = text('{"sub":"auth0|123","iss":"https://tenant.example.com/"}')

  async function signed(alg: JwsAlgorithm) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
    const jwk = (await exportJWK(publicKey)) as Jwk
    const jws = await new CompactSign(payload).setProtectedHeader({ alg }).sign(privateKey)
    const [header, body, signature] = jws.split('.') as [string, string, string]
    return {
      jwk,
      input: text(`${header}.${body}`),
      signature: new Uint8Array(Buffer.from(signature, 'base64url')),
    }
  }

  it.each([
    'RS256',
    'RS384',
    'RS512',
    'PS256',
    'PS384',
    'PS512',
    'ES256',
    'ES384',
    'ES512',
    'EdDSA',
    'Ed25519',
  ] as const)('%s: true, false when altered, as WebCrypto says', async (alg) => {
    const { jwk, input, signature } = await signed(alg)
    expect(await node.verifySignature(alg, jwk, input, signature)).toBe(true)
    expect(await node.verifySignature(alg, jwk, input, flipped(signature))).toBe(false)
    expect(await node.verifySignature(alg, jwk, flipped(input), signature)).toBe(false)
    expect(await web.verifySignature(alg, jwk, input, signature)).toBe(true)
    expect(await web.verifySignature(alg, jwk, input, flipped(signature))).toBe(false)
  })

  it.each(['HS256', 'HS384', 'HS512'] as const)(
    '%s with the raw secret: true, false with another secret or a truncated MAC',
    async (alg) => {
      const secret = text('client-secret-with-enough-entropy-0123456789')
      const jws = await new CompactSign(payload).setProtectedHeader({ alg }).sign(secret)
      const [header, body, mac] = jws.split('.') as [string, string, string]
      const input = text(`${header}.${body}`)
      const signature = new Uint8Array(Buffer.from(mac, 'base64url'))
      expect(await node.verifySignature(alg, secret, input, signature)).toBe(true)
      expect(await web.verifySignature(alg, secret, input, signature)).toBe(true)
      const other = text('another-secret-with-enough-entropy-012345')
      expect(await node.verifySignature(alg, other, input, signature)).toBe(false)
      expect(await node.verifySignature(alg, secret, input, signature.subarray(1))).toBe(false)
    },
  )

  it('ES256 rejects the DER encoding of a valid signature (JWS is R || S)', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = pair.publicKey.export({ format: 'jwk' }) as Jwk
    const input = text('header.payload')
    const der = new Uint8Array(sign('sha256', input, pair.privateKey))
    const p1363 = new Uint8Array(
      sign('sha256', input, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }),
    )
    expect(await node.verifySignature('ES256', jwk, input, p1363)).toBe(true)
    expect(await node.verifySignature('ES256', jwk, input, der)).toBe(false)
    expect(await web.verifySignature('ES256', jwk, input, der)).toBe(false)
  })

  it('PS256 refuses a signature with another salt length (RFC 7518 3.5: salt = hash size)', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const jwk = pair.publicKey.export({ format: 'jwk' }) as Jwk
    const input = text('header.payload')
    const pss = (saltLength: number) =>
      new Uint8Array(
        sign('sha256', input, {
          key: pair.privateKey,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength,
        }),
      )
    expect(await node.verifySignature('PS256', jwk, input, pss(32))).toBe(true)
    expect(await node.verifySignature('PS256', jwk, input, pss(20))).toBe(false)
    expect(await web.verifySignature('PS256', jwk, input, pss(20))).toBe(false)
  })

  it('plugs into verifyIdToken: c_hash through digest, and a wrong c_hash fails', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const jwk = { ...((await exportJWK(publicKey)) as Jwk), kid: 'k1', use: 'sig' }
    const issuer = 'https://tenant.example.com/'
    const code = 'SplxlOBeZQQYbYS6WxSbIA'
    const cHash = createHash('sha256').update(code).digest().subarray(0, 16).toString('base64url')
    const now = Math.floor(Date.now() / 1000)
    const idToken = await new SignJWT({ nonce: 'n-0S6_WzA2Mj', c_hash: cHash })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(issuer)
      .setSubject('auth0|123')
      .setAudience('client-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey)
    const context = {
      provider: {
        issuer,
        authorization_endpoint: `${issuer}authorize`,
        token_endpoint: `${issuer}oauth/token`,
        jwks_uri: `${issuer}.well-known/jwks.json`,
      } satisfies ProviderMetadata,
      client: { client_id: 'client-1', redirect_uri: 'https://app.example.com/callback' },
      now,
      clockTolerance: 60,
      jwks: { keys: [jwk] },
      crypto: node,
    }
    await expect(
      verifyIdToken(context, idToken, {
        nonce: 'n-0S6_WzA2Mj',
        code: { value: code, required: true },
      }),
    ).resolves.toMatchObject({ kind: 'verified', alg: 'RS256', claims: { sub: 'auth0|123' } })
    await expect(
      verifyIdToken(context, idToken, {
        nonce: 'n-0S6_WzA2Mj',
        code: { value: `${code}x`, required: true },
      }),
    ).rejects.toMatchObject({ code: 'C_HASH_MISMATCH' })
  })
})

describe('keys that cannot be used are undefined, as WebCrypto says', () => {
  interface NodeKey {
    privateKey: KeyObject
    jwk: Jwk
  }
  const nodeKey = (pair: { privateKey: KeyObject; publicKey: KeyObject }): NodeKey => ({
    privateKey: pair.privateKey,
    jwk: pair.publicKey.export({ format: 'jwk' }) as Jwk,
  })
  const input = text('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ')
  let rsa2048: NodeKey
  let rsa1024: NodeKey
  let p256: NodeKey
  let p384: NodeKey
  let ed25519: NodeKey

  beforeAll(() => {
    rsa2048 = nodeKey(generateKeyPairSync('rsa', { modulusLength: 2048 }))
    rsa1024 = nodeKey(generateKeyPairSync('rsa', { modulusLength: 1024 }))
    p256 = nodeKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }))
    p384 = nodeKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }))
    ed25519 = nodeKey(generateKeyPairSync('ed25519'))
  })

  const ecdsa = (hash: string, key: NodeKey) =>
    new Uint8Array(sign(hash, input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }))
  const pkcs1 = (key: NodeKey) => new Uint8Array(sign('sha256', input, key.privateKey))

  /** Both providers' answers, which the tests expect to be the same. */
  async function both(alg: JwsAlgorithm, key: Jwk | Uint8Array, signature: Uint8Array) {
    return [
      await node.verifySignature(alg, key, input, signature),
      await web.verifySignature(alg, key, input, signature),
    ]
  }

  it('an RSA key under 2048 bits, even with a correct signature', async () => {
    expect(await both('RS256', rsa1024.jwk, pkcs1(rsa1024))).toEqual([undefined, undefined])
  })

  it('an RSA key of 2048 bits is usable (control for the size rule)', async () => {
    expect(await both('RS256', rsa2048.jwk, pkcs1(rsa2048))).toEqual([true, true])
  })

  it('an RSA key for ES256 (wrong key type)', async () => {
    expect(await both('ES256', rsa2048.jwk, ecdsa('sha256', p256))).toEqual([undefined, undefined])
  })

  it('an EC key for RS256 (wrong key type)', async () => {
    expect(await both('RS256', p256.jwk, pkcs1(rsa2048))).toEqual([undefined, undefined])
  })

  it('a P-384 key for ES256 (wrong curve)', async () => {
    expect(await both('ES256', p384.jwk, ecdsa('sha384', p384))).toEqual([undefined, undefined])
  })

  it('a P-384 key whose JWK claims P-256 (the parsed curve is checked too)', async () => {
    const lying = { ...p384.jwk, crv: 'P-256' }
    expect(await both('ES256', lying, ecdsa('sha384', p384))).toEqual([undefined, undefined])
  })

  it('an Ed25519 key for ES256, and a P-256 key for EdDSA', async () => {
    expect(await both('ES256', ed25519.jwk, new Uint8Array(64))).toEqual([undefined, undefined])
    expect(await both('EdDSA', p256.jwk, new Uint8Array(64))).toEqual([undefined, undefined])
  })

  it.each([
    ['RSA without n', 'RS256', () => ({ ...rsa2048.jwk, n: undefined })],
    ['RSA with a numeric e', 'RS256', () => ({ ...rsa2048.jwk, e: 65537 })],
    ['EC without y', 'ES256', () => ({ ...p256.jwk, y: undefined })],
    ['EC without crv', 'ES256', () => ({ ...p256.jwk, crv: undefined })],
    ['OKP without x', 'EdDSA', () => ({ ...ed25519.jwk, x: undefined })],
  ] as const)('a JWK with missing members: %s', async (_name, alg, jwk) => {
    expect(await both(alg, jwk() as Jwk, new Uint8Array(64))).toEqual([undefined, undefined])
  })

  it('an EC point that is not on the curve (the parse fails)', async () => {
    const offCurve = { ...p256.jwk, y: p256.jwk.x }
    expect(await both('ES256', offCurve, ecdsa('sha256', p256))).toEqual([undefined, undefined])
  })

  it('an oct JWK for HS256: secrets come as raw bytes only, never from a key set', async () => {
    const jwk: Jwk = { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' }
    expect(await both('HS256', jwk, new Uint8Array(32))).toEqual([undefined, undefined])
  })

  it('an empty HMAC secret', async () => {
    expect(await both('HS256', new Uint8Array(0), new Uint8Array(32))).toEqual([
      undefined,
      undefined,
    ])
  })

  it('raw bytes for an asymmetric algorithm', async () => {
    expect(await both('RS256', text('not-a-public-key'), pkcs1(rsa2048))).toEqual([
      undefined,
      undefined,
    ])
  })

  it('an algorithm it does not know, including inherited property names', async () => {
    for (const alg of ['none', 'constructor', 'toString']) {
      expect(
        await node.verifySignature(alg as JwsAlgorithm, p256.jwk, input, new Uint8Array()),
      ).toBeUndefined()
    }
    expect(
      await web.verifySignature('none' as JwsAlgorithm, p256.jwk, input, new Uint8Array()),
    ).toBeUndefined()
  })

  it('a signature of the wrong length is false, not an exception', async () => {
    expect(await both('ES256', p256.jwk, new Uint8Array(10))).toEqual([false, false])
    expect(await both('RS256', rsa2048.jwk, new Uint8Array(10))).toEqual([false, false])
    expect(await both('EdDSA', ed25519.jwk, new Uint8Array(10))).toEqual([false, false])
  })
})

describe('parsed keys are cached per JWK object and algorithm', () => {
  /** A JWK that counts reads of `n`, which only a parse makes. */
  function counted(jwk: Jwk) {
    const reads = { n: 0 }
    const proxy = new Proxy(jwk, {
      get(target, property, receiver) {
        if (property === 'n') reads.n++
        return Reflect.get(target, property, receiver)
      },
    })
    return { proxy, reads }
  }
  const input = text('header.payload')
  let rsa: { privateKey: KeyObject; jwk: Jwk }
  let weak: { privateKey: KeyObject; jwk: Jwk }

  beforeAll(() => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
    rsa = { privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as Jwk }
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
    weak = { privateKey: small.privateKey, jwk: small.publicKey.export({ format: 'jwk' }) as Jwk }
  })

  it('a second verification with the same JWK does not parse it again', async () => {
    const crypto = new NodeCryptoProvider()
    const { proxy, reads } = counted(rsa.jwk)
    const signature = new Uint8Array(sign('sha256', input, rsa.privateKey))
    expect(await crypto.verifySignature('RS256', proxy, input, signature)).toBe(true)
    expect(await crypto.verifySignature('RS256', proxy, input, signature)).toBe(true)
    expect(reads.n).toBe(1)
  })

  it('another algorithm for the same JWK is parsed once more (its own verify options)', async () => {
    const crypto = new NodeCryptoProvider()
    const { proxy, reads } = counted(rsa.jwk)
    await crypto.verifySignature('RS256', proxy, input, new Uint8Array(256))
    await crypto.verifySignature('PS256', proxy, input, new Uint8Array(256))
    await crypto.verifySignature('PS256', proxy, input, new Uint8Array(256))
    expect(reads.n).toBe(2)
  })

  it('an unusable key is remembered as unusable', async () => {
    const crypto = new NodeCryptoProvider()
    const { proxy, reads } = counted(weak.jwk)
    const signature = new Uint8Array(sign('sha256', input, weak.privateKey))
    expect(await crypto.verifySignature('RS256', proxy, input, signature)).toBeUndefined()
    expect(await crypto.verifySignature('RS256', proxy, input, signature)).toBeUndefined()
    expect(reads.n).toBe(1)
  })
})

describe('digest, deriveKey, encrypt and decrypt match WebCrypto on random inputs', () => {
  const ROUNDS = 40

  it('SHA-256 of "abc" (FIPS 180-2 vector)', async () => {
    expect(Buffer.from(await node.digest('SHA-256', text('abc'))).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
  })

  it.each(['SHA-256', 'SHA-384', 'SHA-512'] as const)('%s', async (algorithm) => {
    for (let round = 0; round < ROUNDS; round++) {
      const data = randomInput(3000)
      expect(await node.digest(algorithm, data)).toEqual(await web.digest(algorithm, data))
    }
  })

  it('HKDF-SHA-256: RFC 5869 A.1, first 32 bytes of the OKM', async () => {
    const ikm = new Uint8Array(22).fill(0x0b)
    const salt = Uint8Array.from(Buffer.from('000102030405060708090a0b0c', 'hex'))
    const info = Uint8Array.from(Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'))
    expect(Buffer.from(await node.deriveKey(ikm, salt, info)).toString('hex')).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf',
    )
  })

  it('HKDF-SHA-256', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [secret, salt, info] = [randomInput(64, 1), randomInput(32), randomInput(64)]
      expect(await node.deriveKey(secret, salt, info)).toEqual(
        await web.deriveKey(secret, salt, info),
      )
    }
  })

  it('AES-256-GCM: same bytes both ways, and each opens the other', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const key = new Uint8Array(randomBytes(32))
      const iv = new Uint8Array(randomBytes(12))
      const plaintext = randomInput(2000)
      const aad = randomInput(64)
      const byNode = await node.encrypt(key, iv, plaintext, aad)
      expect(byNode).toEqual(await web.encrypt(key, iv, plaintext, aad))
      expect(byNode).toHaveLength(plaintext.length + 16)
      expect(await web.decrypt(key, iv, byNode, aad)).toEqual(plaintext)
      expect(await node.decrypt(key, iv, byNode, aad)).toEqual(plaintext)
    }
  })

  it('results are plain Uint8Arrays, not Buffers (slice copies)', async () => {
    const key = new Uint8Array(32)
    const iv = new Uint8Array(12)
    const sealed = await node.encrypt(key, iv, text('hello'), new Uint8Array())
    const results = [
      await node.digest('SHA-256', text('abc')),
      await node.deriveKey(text('secret'), new Uint8Array(), new Uint8Array()),
      sealed,
      await node.decrypt(key, iv, sealed, new Uint8Array()),
      node.randomBytes(8),
    ]
    for (const result of results) expect(Object.getPrototypeOf(result)).toBe(Uint8Array.prototype)
  })
})

describe('native base64url and UTF-8 fast paths give exactly what the core computes without them', () => {
  const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  // Characters Buffer's decoder would accept or skip, but strict base64url refuses.
  // \u012b and \u012f read as `+` `/`, \u0131 and \u0141 as `1` `A` (Buffer takes a UTF-16 code
  // unit's low byte), \ud83d\udc19 a surrogate pair.
  const TROUBLE = '+/= \n.%\u00e9\u00ff\u0100\u0131\u0141\u012b\u012f\ud83d\udc19'
  const pick = (chars: string) => chars[Math.floor(Math.random() * chars.length)]!

  it('decodes RFC 4648 vectors and refuses every non-canonical spelling the core refuses', () => {
    expect(new Uint8Array(node.decodeBase64url('Zm9vYmE')!)).toEqual(text('fooba'))
    expect(node.decodeBase64url('')).toHaveLength(0)
    for (const bad of [
      'Zg==',
      'Zm+v',
      'Zm/v',
      'Zm9v Yg',
      'Zh',
      'Zm9',
      'Z',
      'Zm9\u0131',
      'Zm9\u00e9',
      'Zm9\u0141',
      'Zm9v\u0141\u0141',
      'Zm9vYh',
      'Zm9vYmF',
      'Zm9vYmE=',
    ]) {
      expect(portable.decode(bad)).toBeUndefined()
      expect(node.decodeBase64url(bad)).toBeUndefined()
    }
  })

  it('agrees with the portable decoder on random near-base64url strings', () => {
    for (let round = 0; round < 20_000; round++) {
      let value = ''
      const length = Math.floor(Math.random() * 14)
      for (let i = 0; i < length; i++) value += pick(Math.random() < 0.9 ? BASE64URL : TROUBLE)
      const expected = portable.decode(value)
      const actual = node.decodeBase64url(value)
      if (expected === undefined) expect(actual, JSON.stringify(value)).toBeUndefined()
      else expect(actual && new Uint8Array(actual), JSON.stringify(value)).toEqual(expected)
    }
  })

  it('encodes random bytes as the portable encoder does, and decodes them back', () => {
    for (let round = 0; round < 500; round++) {
      const bytes = randomInput(70)
      const encoded = node.encodeBase64url(bytes)
      expect(encoded).toBe(portable.encode(bytes))
      expect(new Uint8Array(node.decodeBase64url(encoded)!)).toEqual(bytes)
      // A view into a larger buffer encodes only its own bytes.
      expect(node.encodeBase64url(bytes.subarray(1))).toBe(portable.encode(bytes.subarray(1)))
    }
  })

  it('encodes UTF-8 as TextEncoder does, lone surrogates included', () => {
    for (const value of ['', 'ascii', 'Zoë 🐙', '\ud800', 'a\udc00b', '\udbff\udfff']) {
      expect(new Uint8Array(node.encodeUtf8(value))).toEqual(new TextEncoder().encode(value))
    }
  })

  it('the core takes them: an unseal decodes and encodes natively', async () => {
    const calls = { decode: 0, utf8: 0 }
    const counting = new (class extends NodeCryptoProvider {
      override decodeBase64url(value: string) {
        calls.decode++
        return super.decodeBase64url(value)
      }
      override encodeUtf8(value: string) {
        calls.utf8++
        return super.encodeUtf8(value)
      }
    })()
    const sealer = await CookieSealer.create(SECRET, counting)
    await sealer.unseal('session', VECTOR)
    expect(calls).toEqual({ decode: 2, utf8: 1 })
  })
})

describe('decrypt: failures are undefined', () => {
  const key = new Uint8Array(32).map((_, i) => i)
  const iv = new Uint8Array(12).map((_, i) => 100 + i)
  const aad = text('appSession')
  const plaintext = text('{"session":"..."}')

  it('opens what it sealed (control)', async () => {
    const sealed = await node.encrypt(key, iv, plaintext, aad)
    expect(await node.decrypt(key, iv, sealed, aad)).toEqual(plaintext)
  })

  it('the wrong key', async () => {
    const sealed = await node.encrypt(key, iv, plaintext, aad)
    expect(await node.decrypt(new Uint8Array(32).fill(1), iv, sealed, aad)).toBeUndefined()
  })

  it('the wrong IV', async () => {
    const sealed = await node.encrypt(key, iv, plaintext, aad)
    expect(await node.decrypt(key, new Uint8Array(12), sealed, aad)).toBeUndefined()
  })

  it('the wrong AAD', async () => {
    const sealed = await node.encrypt(key, iv, plaintext, aad)
    expect(await node.decrypt(key, iv, sealed, text('oidc_tx'))).toBeUndefined()
  })

  it('an altered tag', async () => {
    const sealed = await node.encrypt(key, iv, plaintext, aad)
    expect(await node.decrypt(key, iv, flipped(sealed), aad)).toBeUndefined()
  })

  it('a truncated value, and one shorter than a tag', async () => {
    const sealed = await node.encrypt(key, iv, plaintext, aad)
    expect(await node.decrypt(key, iv, sealed.subarray(0, sealed.length - 1), aad)).toBeUndefined()
    expect(await node.decrypt(key, iv, sealed.subarray(0, 10), aad)).toBeUndefined()
  })

  it('the empty plaintext roundtrips (a bare tag)', async () => {
    const sealed = await node.encrypt(key, iv, new Uint8Array(), aad)
    expect(sealed).toHaveLength(16)
    expect(await node.decrypt(key, iv, sealed, aad)).toEqual(new Uint8Array())
  })
})

describe('misuse is a ConfigurationError, never a RangeError', () => {
  it('encrypt and decrypt with a key that is not 32 bytes', async () => {
    const iv = new Uint8Array(12)
    await expect(
      node.encrypt(new Uint8Array(16), iv, text('x'), new Uint8Array()),
    ).rejects.toMatchObject({ name: 'ConfigurationError', code: 'CONFIG_INVALID' })
    await expect(
      node.decrypt(new Uint8Array(16), iv, new Uint8Array(32), new Uint8Array()),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('encrypt and decrypt with an IV that is not 12 bytes', async () => {
    const key = new Uint8Array(32)
    await expect(
      node.encrypt(key, new Uint8Array(16), text('x'), new Uint8Array()),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await expect(
      node.decrypt(key, new Uint8Array(8), new Uint8Array(32), new Uint8Array()),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('an unknown digest algorithm', async () => {
    await expect(node.digest('MD5' as 'SHA-256', text('abc'))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    })
  })

  it('randomBytes: the length asked for, fresh each time; a bad length is refused', () => {
    const a = node.randomBytes(32)
    expect(a).toHaveLength(32)
    expect(Buffer.from(a).equals(Buffer.from(node.randomBytes(32)))).toBe(false)
    expect(node.randomBytes(0)).toHaveLength(0)
    for (const length of [-1, 1.5, Number.NaN, 65_537]) {
      expect(() => node.randomBytes(length)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
    }
  })
})

describe('signWithJwk: DPoP proof signatures (ES256 r || s, EdDSA) that WebCrypto and jose verify', () => {
  const node = new NodeCryptoProvider()
  const web = new WebCryptoProvider()
  const input = new TextEncoder().encode('eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiIxIn0')

  it.each([
    ['ES256', { name: 'ECDSA', namedCurve: 'P-256' }],
    ['EdDSA', { name: 'Ed25519' }],
  ] as const)('%s', async (alg, params) => {
    const pair = (await crypto.subtle.generateKey(params, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey)
    const { d: _d, key_ops: _k, ext: _e, ...publicJwk } = privateJwk
    const signature = await node.signWithJwk(alg, privateJwk, input)
    // JWS form: 64 bytes for both (r || s for ES256, RFC 7518 3.4; RFC 8037 3.1 for Ed25519).
    expect(signature).toHaveLength(64)
    expect(await web.verifySignature(alg, publicJwk as Jwk, input, signature)).toBe(true)
    expect(await node.verifySignature(alg, publicJwk as Jwk, input, signature)).toBe(true)
    const other = new TextEncoder().encode('another input')
    expect(await web.verifySignature(alg, publicJwk as Jwk, other, signature)).toBe(false)
  })

  it('a key of another type or curve, or without d, is a ConfigurationError', async () => {
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const privateJwk = await crypto.subtle.exportKey('jwk', pair.privateKey)
    await expect(node.signWithJwk('EdDSA', privateJwk, input)).rejects.toThrow(/Ed25519/)
    await expect(node.signWithJwk('ES256', { ...privateJwk, crv: 'P-384' }, input)).rejects.toThrow(
      /P-256/,
    )
    const { d: _d, ...publicOnly } = privateJwk
    await expect(node.signWithJwk('ES256', publicOnly, input)).rejects.toThrow(/private/)
  })
})
