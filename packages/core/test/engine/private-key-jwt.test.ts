// private_key_jwt from the configuration (`clientAuth: privateKeyJwt({ key, kid, alg })`): a
// private JWK or a PKCS#8 PEM, WebCrypto only; each send gets a fresh assertion (RFC 7523 3)
// the provider's public key verifies.
import { exportJWK, exportPKCS8, generateKeyPair, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { type AssertionAlgorithm, privateKeyJwt } from '../../src/engine/private-key-jwt.js'
import { ConfigurationError } from '../../src/errors.js'
import { setup } from '../support/harness.js'

const AS = { issuer: 'https://op.example.test/' } as Parameters<ReturnType<typeof privateKeyJwt>>[0]
const CLIENT = { client_id: 'client-1' }

/** The assertion `auth` puts into a token request body, verified with `publicKey`. */
async function assertionOf(
  auth: ReturnType<typeof privateKeyJwt>,
  publicKey: CryptoKey,
  alg: AssertionAlgorithm,
) {
  const body = new URLSearchParams()
  await auth(AS, CLIENT, body, new Headers())
  expect(body.get('client_id')).toBe('client-1')
  expect(body.get('client_assertion_type')).toBe(
    'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  )
  return jwtVerify(body.get('client_assertion')!, publicKey, {
    issuer: 'client-1',
    subject: 'client-1',
    audience: AS.issuer,
    algorithms: [alg],
    typ: 'JWT',
  })
}

describe('privateKeyJwt', () => {
  for (const alg of ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'] as const) {
    it(`signs with a private JWK (${alg}), alg from the key when not given`, async () => {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
      const jwk = { ...(await exportJWK(privateKey)), kid: 'k1' }
      // PS256 and RS256 keys look alike: only PS256 has to be said.
      const auth = privateKeyJwt({ key: jwk, ...(alg === 'PS256' ? { alg } : {}) })
      const { payload, protectedHeader } = await assertionOf(auth, publicKey, alg)
      expect(protectedHeader).toMatchObject({ alg, kid: 'k1', typ: 'JWT' })
      expect(payload.exp! - payload.iat!).toBe(60)
      expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5)
      expect(payload.jti).toMatch(/^[\w-]{43}$/)
    })
  }

  it('signs with a PKCS#8 PEM and the given kid and alg; JSON text of a JWK works too', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const pem = await exportPKCS8(privateKey)
    const fromPem = privateKeyJwt({ key: pem, kid: 'pem-key', alg: 'ES256', lifetime: 30 })
    const { payload, protectedHeader } = await assertionOf(fromPem, publicKey, 'ES256')
    expect(protectedHeader.kid).toBe('pem-key')
    expect(payload.exp! - payload.iat!).toBe(30)
    const fromJson = privateKeyJwt({ key: JSON.stringify(await exportJWK(privateKey)) })
    const { protectedHeader: noKid } = await assertionOf(fromJson, publicKey, 'ES256')
    expect(noKid.kid).toBeUndefined()
  })

  it('every send gets a new jti', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const auth = privateKeyJwt({ key: await exportJWK(privateKey) })
    const first = await assertionOf(auth, publicKey, 'ES256')
    const second = await assertionOf(auth, publicKey, 'ES256')
    expect(first.payload.jti).not.toBe(second.payload.jti)
  })

  it('refuses what cannot be a private key, with advice', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const bad: Array<[unknown, RegExp]> = [
      [{ key: await exportJWK(publicKey) }, /no private part/],
      [{ key: await exportPKCS8(privateKey) }, /give alg/],
      [{ key: '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----' }, /PKCS#8/],
      [{ key: 'not a key' }, /private JWK .* or a PKCS#8 PEM/],
      [{ key: await exportJWK(privateKey), alg: 'HS256' }, /not one of/],
      [{ key: await exportJWK(privateKey), alg: 'none' }, /not one of/],
      [{ key: await exportJWK(privateKey), kid: '' }, /kid/],
      [{ key: await exportJWK(privateKey), lifetime: 0 }, /lifetime/],
      [undefined, /pass \{ key/],
    ]
    for (const [options, message] of bad) {
      expect(() => privateKeyJwt(options as never)).toThrow(ConfigurationError)
      expect(() => privateKeyJwt(options as never)).toThrow(message)
    }
  })

  it('a key WebCrypto refuses for its alg is CONFIG_INVALID at the first login, no session', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    // An EC key said to be for RS256: the shape passes, the import fails.
    const t = await setup({
      clientSecret: undefined,
      clientAuth: privateKeyJwt({ key: await exportJWK(privateKey), alg: 'RS256' }),
    })
    const { callback } = await t.login()
    expect(callback.status).toBe(500)
    expect(callback.error).toMatchObject({ code: 'CONFIG_INVALID' })
    expect(t.provider.calls.some((call) => call.path === '/oauth/token')).toBe(false)
    expect(await t.session()).toBeUndefined()
  })

  it('through the engine: the token request carries the assertion, not a secret', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
    const t = await setup({
      clientSecret: undefined,
      clientAuth: privateKeyJwt({ key: await exportJWK(privateKey), kid: 'k1' }),
    })
    await t.login()
    const token = t.provider.calls.find((call) => call.path === '/oauth/token')!
    expect(token.body.has('client_secret')).toBe(false)
    const { payload } = await jwtVerify(token.body.get('client_assertion')!, publicKey, {
      audience: t.provider.issuer,
    })
    expect(payload.sub).toBe(t.provider.clientId)
  })
})
