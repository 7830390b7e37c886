import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto'
import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { CryptoProvider } from '../../src/crypto/provider.js'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import {
  type CookieAttributes,
  readChunkedCookie,
  writeChunkedCookie,
} from '../../src/engine/cookies.js'
import {
  COMPRESS_ABOVE,
  CookieSealer,
  MAX_SEALED_LENGTH,
  MIN_SECRET_LENGTH,
} from '../../src/engine/seal.js'
import { CookieJar } from '../support/cookie-jar.js'

/** `length` characters that do not compress (random base64url). */
const incompressible = (length: number) =>
  randomBytes(Math.ceil((length * 3) / 4))
    .toString('base64url')
    .slice(0, length)

const crypto = new WebCryptoProvider()
const SECRET = '0123456789abcdef0123456789abcdef'
const OLD_SECRET = 'fedcba9876543210fedcba9876543210'
const NOW = 1_700_000_000

/** WebCrypto with all-zero "random" bytes, so a seal is reproducible. */
class ZeroRandomProvider extends WebCryptoProvider {
  override randomBytes(length: number): Uint8Array {
    return new Uint8Array(length)
  }
}

/**
 * The documented format, written independently with node:crypto: what a node:crypto provider
 * must produce. It also seals plaintexts our sealer never would (non-JSON, oversize).
 */
function referenceSeal(secret: string, name: string, plaintext: string, iv = Buffer.alloc(12)) {
  const salt = 'oidc-hybrid/cookie'
  const key = Buffer.from(
    hkdfSync('sha256', secret, salt, 'oidc-hybrid cookie encryption key v1', 32),
  )
  const kid = Buffer.from(hkdfSync('sha256', secret, salt, 'oidc-hybrid cookie key id v1', 4))
  const header = `v1.${kid.toString('base64url')}`
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(Buffer.from(`${header}.${name}`, 'utf8'))
  const ciphertext = Buffer.concat([
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ])
  return `${header}.${iv.toString('base64url')}.${ciphertext.toString('base64url')}`
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Replaces the character at `index` of part `part` with another base64url character. */
function flip(sealed: string, part: number, index: number): string {
  const parts = sealed.split('.')
  const text = parts[part]!
  const position = index < 0 ? text.length + index : index
  const current = text[position]!
  const replacement = BASE64URL[(BASE64URL.indexOf(current) + 1) % 64]!
  parts[part] = text.slice(0, position) + replacement + text.slice(position + 1)
  return parts.join('.')
}

describe('CookieSealer', () => {
  it('roundtrips a payload and its expiry', async () => {
    const sealer = await CookieSealer.create(SECRET, crypto)
    const sealed = await sealer.seal('session', { sub: 'auth0|123', scopes: ['openid'] }, NOW)
    await expect(sealer.unseal('session', sealed)).resolves.toEqual({
      payload: { sub: 'auth0|123', scopes: ['openid'] },
      expiresAt: NOW,
      stale: false,
    })
  })

  it('uses a fresh IV for every seal', async () => {
    const sealer = await CookieSealer.create(SECRET, crypto)
    const a = await sealer.seal('session', 'same', NOW)
    const b = await sealer.seal('session', 'same', NOW)
    expect(a.split('.')[2]).not.toBe(b.split('.')[2])
  })

  it('does not check expiry: that is the caller clock', async () => {
    const sealer = await CookieSealer.create(SECRET, crypto)
    const sealed = await sealer.seal('session', null, 0)
    await expect(sealer.unseal('session', sealed)).resolves.toMatchObject({ expiresAt: 0 })
  })

  describe('rotation', () => {
    it('unseals a value sealed with an old secret and reports it stale', async () => {
      const old = await CookieSealer.create(OLD_SECRET, crypto)
      const rotated = await CookieSealer.create([SECRET, OLD_SECRET], crypto)
      const sealed = await old.seal('session', 'hello', NOW)
      await expect(rotated.unseal('session', sealed)).resolves.toEqual({
        payload: 'hello',
        expiresAt: NOW,
        stale: true,
      })
    })

    it('seals with the first secret: not stale', async () => {
      const rotated = await CookieSealer.create([SECRET, OLD_SECRET], crypto)
      const sealed = await rotated.seal('session', 'hello', NOW)
      await expect(rotated.unseal('session', sealed)).resolves.toMatchObject({ stale: false })
      const current = await CookieSealer.create(SECRET, crypto)
      await expect(current.unseal('session', sealed)).resolves.toMatchObject({ stale: false })
    })

    it('rejects a value sealed with a secret that was removed', async () => {
      const old = await CookieSealer.create(OLD_SECRET, crypto)
      const current = await CookieSealer.create([SECRET], crypto)
      const sealed = await old.seal('session', 'hello', NOW)
      await expect(current.unseal('session', sealed)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'key' },
      })
    })

    it('tries every secret whose key id matches (4-byte ids can collide)', async () => {
      // A provider whose key-id derivation ignores the secret: both secrets get the same id.
      const keyIdInfo = 'oidc-hybrid cookie key id v1'
      const colliding: CryptoProvider = new (class extends WebCryptoProvider {
        override deriveKey(secret: Uint8Array, salt: Uint8Array, info: Uint8Array) {
          const same = new TextDecoder().decode(info) === keyIdInfo
          return super.deriveKey(same ? new Uint8Array(32) : secret, salt, info)
        }
      })()
      const old = await CookieSealer.create(OLD_SECRET, colliding)
      const rotated = await CookieSealer.create([SECRET, OLD_SECRET], colliding)
      const sealed = await old.seal('session', 'hello', NOW)
      await expect(rotated.unseal('session', sealed)).resolves.toMatchObject({
        payload: 'hello',
        stale: true,
      })
    })
  })

  describe('tampering', () => {
    const sealed = CookieSealer.create(SECRET, crypto).then(async (sealer) => ({
      sealer,
      value: await sealer.seal('session', { sub: 'auth0|123' }, NOW),
    }))

    it('accepts the untampered value (control)', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('session', value)).resolves.toMatchObject({ stale: false })
    })

    it('rejects another version', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('session', `v3${value.slice(2)}`)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'version' },
      })
    })

    it('rejects a v1 value relabelled v2 (the version is in the AAD)', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('session', `v2${value.slice(2)}`)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'tag' },
      })
    })

    it('rejects a changed key id', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('session', flip(value, 1, 0))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
      })
    })

    it('rejects a changed IV', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('session', flip(value, 2, 3))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'tag' },
      })
    })

    it('rejects a changed ciphertext', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('session', flip(value, 3, 0))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'tag' },
      })
    })

    it('rejects a changed tag', async () => {
      const { sealer, value } = await sealed
      // The tag is the last 16 bytes; -5 is inside it and not a padding character.
      await expect(sealer.unseal('session', flip(value, 3, -5))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'tag' },
      })
    })

    it('rejects a truncated value', async () => {
      const { sealer, value } = await sealed
      // One byte less of ciphertext+tag, still canonical base64url.
      const parts = value.split('.')
      parts[3] = Buffer.from(parts[3]!, 'base64url').subarray(0, -1).toString('base64url')
      await expect(sealer.unseal('session', parts.join('.'))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'tag' },
      })
      await expect(
        sealer.unseal('session', value.slice(0, value.lastIndexOf('.'))),
      ).rejects.toMatchObject({ code: 'COOKIE_INVALID', details: { reason: 'format' } })
    })

    it('rejects an extra part', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('session', `${value}.AAAA`)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'format' },
      })
    })

    it('rejects values with fewer than three dots', async () => {
      const { sealer, value } = await sealed
      const [version, id, iv] = value.split('.')
      for (const short of ['', 'v1', `${version}.${id}`, `${version}.${id}${iv}`]) {
        await expect(sealer.unseal('session', short)).rejects.toMatchObject({
          code: 'COOKIE_INVALID',
          details: { reason: 'format' },
        })
      }
    })

    it('rejects bad base64url', async () => {
      const { sealer, value } = await sealed
      const parts = value.split('.')
      parts[3] = `${parts[3]!.slice(0, 4)}+${parts[3]!.slice(5)}`
      await expect(sealer.unseal('session', parts.join('.'))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'encoding' },
      })
    })

    it('rejects an IV of the wrong length', async () => {
      const { sealer, value } = await sealed
      const parts = value.split('.')
      parts[2] = `${parts[2]}AAAA`
      await expect(sealer.unseal('session', parts.join('.'))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'encoding' },
      })
    })

    it('rejects a ciphertext shorter than a tag', async () => {
      const { sealer, value } = await sealed
      const parts = value.split('.')
      parts[3] = parts[3]!.slice(0, 20)
      await expect(sealer.unseal('session', parts.join('.'))).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'encoding' },
      })
    })

    it('rejects a value sealed for another cookie name (AAD)', async () => {
      const { sealer, value } = await sealed
      await expect(sealer.unseal('transaction', value)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'tag' },
      })
    })

    it('rejects a non-string', async () => {
      const { sealer } = await sealed
      await expect(sealer.unseal('session', 42 as unknown as string)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'format' },
      })
    })

    it('rejects reordered chunks of a sealed value', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      const value = await sealer.seal('session', incompressible(9000), NOW)
      const attributes: CookieAttributes = {
        path: '/',
        secure: true,
        httpOnly: true,
        sameSite: 'Lax',
      }
      const lines = writeChunkedCookie('session', value, attributes, new Map())
      const cookies = new CookieJar().store(lines).cookies
      expect(lines).toHaveLength(3)
      await expect(
        sealer.unseal('session', readChunkedCookie('session', cookies)!),
      ).resolves.toMatchObject({
        stale: false,
      })
      const swapped = new Map(cookies)
      swapped.set('session.0', cookies.get('session.1')!)
      swapped.set('session.1', cookies.get('session.0')!)
      await expect(
        sealer.unseal('session', readChunkedCookie('session', swapped)!),
      ).rejects.toMatchObject({ code: 'COOKIE_INVALID' })
    })
  })

  describe('plaintext', () => {
    it('rejects authentic plaintext that is not JSON', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      await expect(
        sealer.unseal('session', referenceSeal(SECRET, 'session', 'not json')),
      ).rejects.toMatchObject({ code: 'COOKIE_INVALID', details: { reason: 'payload' } })
    })

    it('rejects authentic plaintext without a numeric expiry', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      await expect(
        sealer.unseal('session', referenceSeal(SECRET, 'session', '{"e":"soon","p":1}')),
      ).rejects.toMatchObject({ code: 'COOKIE_INVALID', details: { reason: 'payload' } })
    })

    it('rejects authentic plaintext without a payload', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      await expect(
        sealer.unseal('session', referenceSeal(SECRET, 'session', '{"e":1}')),
      ).rejects.toMatchObject({ code: 'COOKIE_INVALID', details: { reason: 'payload' } })
    })

    it('rejects authentic plaintext that is not UTF-8', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      // U+FFFF survives the reference UTF-8 encoding; a lone surrogate does not, so use raw bytes.
      const salt = 'oidc-hybrid/cookie'
      const key = Buffer.from(
        hkdfSync('sha256', SECRET, salt, 'oidc-hybrid cookie encryption key v1', 32),
      )
      const header = referenceSeal(SECRET, 'session', '').split('.').slice(0, 2).join('.')
      const iv = Buffer.alloc(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(`${header}.session`))
      const body = Buffer.concat([
        cipher.update(Buffer.from([0xff, 0xfe])),
        cipher.final(),
        cipher.getAuthTag(),
      ])
      const value = `${header}.${iv.toString('base64url')}.${body.toString('base64url')}`
      await expect(sealer.unseal('session', value)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'payload' },
      })
    })
  })

  describe('size', () => {
    it('refuses to seal more than MAX_SEALED_LENGTH characters', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      await expect(sealer.seal('session', incompressible(16 * 1024), NOW)).rejects.toMatchObject({
        code: 'COOKIE_TOO_LARGE',
      })
      await expect(sealer.seal('session', incompressible(11 * 1024), NOW)).resolves.toMatch(/^v2\./)
    })

    it(`compresses JSON over ${COMPRESS_ABOVE} characters (v2) and not below (v1)`, async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      const small = { groups: Array.from({ length: 10 }, (_, i) => `group-${i}`) }
      const large = { groups: Array.from({ length: 400 }, (_, i) => `engineering-group-${i}`) }
      const smallValue = await sealer.seal('session', small, NOW)
      const largeValue = await sealer.seal('session', large, NOW)
      expect(smallValue).toMatch(/^v1\./)
      expect(largeValue).toMatch(/^v2\./)
      // 400 repetitive names: about 10 KB of JSON in well under one 4 KB cookie.
      expect(JSON.stringify(large).length).toBeGreaterThan(9000)
      expect(largeValue.length).toBeLessThan(3800)
      expect((await sealer.unseal('session', largeValue)).payload).toEqual(large)
    })

    it('refuses to seal what unseal would refuse to inflate (over 256 KiB of JSON)', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      // Compresses to a few hundred bytes, so only the plaintext bound can catch it.
      await expect(sealer.seal('session', 'a'.repeat(300_000), NOW)).rejects.toMatchObject({
        code: 'COOKIE_TOO_LARGE',
      })
    })

    it('refuses a v2 plaintext that inflates beyond the bound (a decompression bomb)', async () => {
      // Sealed by hand with the documented format: 1 MB of zeros deflates to about 1 KB.
      const keyId = Buffer.from(
        hkdfSync('sha256', SECRET, 'oidc-hybrid/cookie', 'oidc-hybrid cookie key id v1', 4),
      ).toString('base64url')
      const key = Buffer.from(
        hkdfSync(
          'sha256',
          SECRET,
          'oidc-hybrid/cookie',
          'oidc-hybrid cookie encryption key v1',
          32,
        ),
      )
      const bomb = deflateSync(`{"e":${NOW},"p":"${'0'.repeat(1 << 20)}"}`)
      const iv = randomBytes(12)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(`v2.${keyId}.session`))
      const body = Buffer.concat([cipher.update(bomb), cipher.final(), cipher.getAuthTag()])
      const value = `v2.${keyId}.${iv.toString('base64url')}.${body.toString('base64url')}`
      const sealer = await CookieSealer.create(SECRET, crypto)
      await expect(sealer.unseal('session', value)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'payload' },
      })
    })

    it('refuses to unseal more than MAX_SEALED_LENGTH characters', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      const plaintext = (length: number) => JSON.stringify({ e: NOW, p: 'x'.repeat(length) })
      // Authentic values around the limit, made by the reference implementation.
      let under = ''
      let over = ''
      for (let length = 12_200; over === ''; length++) {
        const value = referenceSeal(SECRET, 'session', plaintext(length))
        if (value.length <= MAX_SEALED_LENGTH) under = value
        else over = value
      }
      expect(under.length).toBeLessThanOrEqual(MAX_SEALED_LENGTH)
      await expect(sealer.unseal('session', under)).resolves.toMatchObject({ expiresAt: NOW })
      await expect(sealer.unseal('session', over)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'size' },
      })
    })
  })

  describe('configuration', () => {
    it('rejects a secret shorter than MIN_SECRET_LENGTH, telling how to make one', async () => {
      await expect(
        CookieSealer.create('x'.repeat(MIN_SECRET_LENGTH - 1), crypto),
      ).rejects.toMatchObject({
        name: 'ConfigurationError',
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('openssl rand -hex 32'),
      })
      await expect(
        CookieSealer.create('x'.repeat(MIN_SECRET_LENGTH), crypto),
      ).resolves.toBeInstanceOf(CookieSealer)
    })

    it('rejects a short secret anywhere in the list', async () => {
      await expect(CookieSealer.create([SECRET, 'short'], crypto)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        details: { index: 1 },
      })
    })

    it('rejects a non-string secret', async () => {
      await expect(
        CookieSealer.create([SECRET, undefined as unknown as string], crypto),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    })

    it('rejects an empty list of secrets', async () => {
      await expect(CookieSealer.create([], crypto)).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
      })
    })

    it('refuses an expiry that is not a non-negative number', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      for (const expiresAt of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
        await expect(sealer.seal('session', 1, expiresAt)).rejects.toMatchObject({
          code: 'CONFIG_INVALID',
        })
      }
    })

    it('refuses a payload JSON cannot represent', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      for (const payload of [undefined, 1n, cyclic]) {
        await expect(sealer.seal('session', payload, NOW)).rejects.toMatchObject({
          code: 'CONFIG_INVALID',
        })
      }
    })
  })

  describe('provider failures', () => {
    it('turns a throwing decrypt into COOKIE_INVALID', async () => {
      const throwing = new (class extends WebCryptoProvider {
        override decrypt(): Promise<Uint8Array | undefined> {
          return Promise.reject(new TypeError('boom'))
        }
      })()
      const value = await (await CookieSealer.create(SECRET, crypto)).seal('session', 1, NOW)
      const sealer = await CookieSealer.create(SECRET, throwing)
      await expect(sealer.unseal('session', value)).rejects.toMatchObject({
        code: 'COOKIE_INVALID',
        details: { reason: 'crypto' },
      })
    })
  })

  describe('format v1 (compatibility across providers)', () => {
    const VECTOR =
      'v1.AzeZIw.AAAAAAAAAAAAAAAA.ZcM9vd5B8diw884o1vYMxbd30AvHik3gRLVwahosPTfN7wq8JMYo6iMGXfL1fJr_7w8scfgUzRo'

    it('produces the fixed test vector with a zero IV', async () => {
      const sealer = await CookieSealer.create(SECRET, new ZeroRandomProvider())
      await expect(sealer.seal('session', { sub: 'auth0|123' }, NOW)).resolves.toBe(VECTOR)
    })

    it('unseals the fixed test vector with the normal WebCrypto provider', async () => {
      const sealer = await CookieSealer.create(SECRET, crypto)
      await expect(sealer.unseal('session', VECTOR)).resolves.toEqual({
        payload: { sub: 'auth0|123' },
        expiresAt: NOW,
        stale: false,
      })
    })

    it('matches the documented format computed with node:crypto', () => {
      expect(
        referenceSeal(SECRET, 'session', JSON.stringify({ e: NOW, p: { sub: 'auth0|123' } })),
      ).toBe(VECTOR)
    })
  })
})
