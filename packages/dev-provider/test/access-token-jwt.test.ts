import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { type JWTPayload, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  type AccessTokenJwtVerification,
  publicKeyOf,
  verifyAccessTokenJwt,
} from '../src/lib/access-token-jwt.js'

const ISSUER = 'http://127.0.0.1:4000/'
const USERINFO = `${ISSUER}userinfo`
const NOW = 1_700_000_000

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 })

const options: AccessTokenJwtVerification = {
  issuer: ISSUER,
  audience: USERINFO,
  alg: 'RS256',
  kid: 'key-1',
  key: rsa.publicKey,
  now: NOW,
}

const claims: JWTPayload = {
  iss: ISSUER,
  sub: 'auth0|demo-user',
  aud: ['https://api.example.com', USERINFO],
  client_id: 'demo-app',
  jti: 'jti-1',
  iat: NOW - 10,
  exp: NOW + 60,
  scope: 'read:messages',
}

/** Signs with jose, never with the code under test. */
function sign(
  payload: JWTPayload = claims,
  header: Record<string, unknown> = {},
  key: KeyObject = rsa.privateKey,
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1', typ: 'at+jwt', ...header })
    .sign(key)
}

function reason(jwt: string, overrides: Partial<AccessTokenJwtVerification> = {}): string {
  const result = verifyAccessTokenJwt(jwt, { ...options, ...overrides })
  return result.ok ? 'ok' : result.reason
}

describe('verifyAccessTokenJwt (RFC 9068 access tokens at the provider’s own userinfo)', () => {
  it('accepts a token of the provider for the audience and returns its claims', async () => {
    const result = verifyAccessTokenJwt(await sign(), options)
    expect(result).toEqual({ ok: true, claims })
  })

  it('accepts an ES256 token (JWS r || s signature)', async () => {
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'key-1', typ: 'at+jwt' })
      .sign(ec.privateKey)
    expect(reason(jwt, { alg: 'ES256', key: ec.publicKey })).toBe('ok')
  })

  it('accepts a string aud equal to the audience', async () => {
    expect(reason(await sign({ ...claims, aud: USERINFO }))).toBe('ok')
  })

  it('accepts the media type form of typ', async () => {
    expect(reason(await sign(claims, { typ: 'application/at+jwt' }))).toBe('ok')
  })

  it('derives the public key from the provider’s private JWK', async () => {
    const jwk = rsa.privateKey.export({ format: 'jwk' })
    expect(reason(await sign(), { key: publicKeyOf(jwk) })).toBe('ok')
  })

  it('refuses what is not a compact JWS', () => {
    expect(reason('opaque-token')).toBe('not a JWS in compact serialization')
  })

  it('refuses a header that is not JSON', async () => {
    const [, payload, signature] = (await sign()).split('.')
    expect(reason(`bm90IGpzb24.${payload}.${signature}`)).toMatch(/JOSE header/)
  })

  it('refuses another typ (an ID token, say)', async () => {
    expect(reason(await sign(claims, { typ: 'JWT' }))).toMatch(/^typ is "JWT"/)
  })

  it('refuses another alg', async () => {
    expect(reason(await sign(claims, { alg: 'RS384' }))).toMatch(/alg or kid/)
  })

  it('refuses another kid', async () => {
    expect(reason(await sign(claims, { kid: 'key-2' }))).toMatch(/alg or kid/)
  })

  it('refuses a crit header', async () => {
    const jwt = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1', typ: 'at+jwt', crit: ['b64'], b64: true })
      .sign(rsa.privateKey)
    expect(reason(jwt)).toBe('unsupported crit header')
  })

  it('refuses a token signed with another key', async () => {
    expect(reason(await sign(claims, {}, otherRsa.privateKey))).toBe(
      'signature verification failed',
    )
  })

  it('refuses a tampered signature', async () => {
    const [header, payload, signature = ''] = (await sign()).split('.')
    const i = Math.floor(signature.length / 2)
    const tampered = `${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`
    expect(reason(`${header}.${payload}.${tampered}`)).toBe('signature verification failed')
  })

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await sign()).split('.')
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'auth0|someone-else' })).toString(
      'base64url',
    )
    expect(reason(`${header}.${forged}.${signature}`)).toBe('signature verification failed')
  })

  it('refuses another issuer', async () => {
    expect(reason(await sign({ ...claims, iss: 'https://evil.example/' }))).toMatch(/^iss is/)
  })

  it('refuses an expired token (exp is now)', async () => {
    expect(reason(await sign({ ...claims, exp: NOW }))).toBe('expired')
  })

  it('refuses a token without exp', async () => {
    const { exp: _, ...withoutExp } = claims
    expect(reason(await sign(withoutExp))).toBe('expired')
  })

  it('refuses a token that is not valid yet', async () => {
    expect(reason(await sign({ ...claims, nbf: NOW + 30 }))).toBe('not yet valid (nbf)')
  })

  it('refuses a token for the API only (aud without userinfo)', async () => {
    expect(reason(await sign({ ...claims, aud: 'https://api.example.com' }))).toBe(
      `aud does not contain "${USERINFO}"`,
    )
  })

  it('refuses a token without aud', async () => {
    const { aud: _, ...withoutAud } = claims
    expect(reason(await sign(withoutAud))).toMatch(/^aud is missing/)
  })

  it('refuses a token without sub', async () => {
    const { sub: _, ...withoutSub } = claims
    expect(reason(await sign(withoutSub))).toBe('sub is missing')
  })

  it('refuses a token without client_id', async () => {
    const { client_id: _, ...withoutClient } = claims
    expect(reason(await sign(withoutClient))).toBe('client_id is missing')
  })

  it('refuses a token without jti', async () => {
    const { jti: _, ...withoutJti } = claims
    expect(reason(await sign(withoutJti))).toBe('jti is missing')
  })
})
