import { beforeAll, describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { OidcHybridError } from '../../src/errors.js'
import {
  type BearerVerifyOptions,
  bearerChallenge,
  extractBearerToken,
  verifyAccessToken,
} from '../../src/protocol/bearer.js'
import {
  generateTestKey,
  jwksOf,
  signJws,
  signWith,
  type TestKeyPair,
  unsignedJws,
} from '../support/jwt.js'

const ISSUER = 'https://tenant.example.com/'
const API = 'https://api.example.com'
const NOW = 1_750_000_000
const TOLERANCE = 60
const AT_JWT = { typ: 'at+jwt' }

const crypto = new WebCryptoProvider()
let rs256: TestKeyPair
let otherRs256: TestKeyPair

beforeAll(async () => {
  rs256 = await generateTestKey('RS256', 'api-key')
  otherRs256 = await generateTestKey('RS256', 'api-key')
})

/** Valid RFC 9068 claims (Auth0 shape: azp, no client_id); `undefined` removes a claim. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'auth0|user-1',
    aud: [API, `${ISSUER}userinfo`],
    azp: 'client-abc',
    exp: NOW + 600,
    iat: NOW - 5,
    scope: 'openid read:orders',
    ...overrides,
  }
}

function options(overrides: Partial<BearerVerifyOptions> = {}): BearerVerifyOptions {
  return {
    issuer: ISSUER,
    audience: API,
    now: NOW,
    clockTolerance: TOLERANCE,
    jwks: jwksOf(rs256.publicJwk),
    crypto,
    ...overrides,
  }
}

async function token(
  overrides: Record<string, unknown> = {},
  header: Record<string, unknown> = AT_JWT,
) {
  return signWith(rs256, claims(overrides), header)
}

function invalid(reason: string) {
  return { code: 'BEARER_TOKEN_INVALID', details: expect.objectContaining({ reason }) }
}

describe('extractBearerToken (RFC 6750 2.1)', () => {
  it('returns the token', () => {
    expect(extractBearerToken('Bearer abc.DEF-_~+/123==')).toBe('abc.DEF-_~+/123==')
  })

  it('treats the scheme case-insensitively', () => {
    expect(extractBearerToken('bEARER abc')).toBe('abc')
  })

  it.each([undefined, null, '', '   '])('reports %j as BEARER_TOKEN_MISSING', (value) => {
    expect(() => extractBearerToken(value)).toThrow(
      expect.objectContaining({ code: 'BEARER_TOKEN_MISSING' }),
    )
  })

  it.each([
    ['no token', 'Bearer'],
    ['no token, lowercase scheme', 'bearer '],
    ['a tab instead of a space', 'Bearer\tabc'],
    ['two tokens', 'Bearer abc def'],
    ['two bearer credentials (two headers joined)', 'Bearer abc, Bearer def'],
    ['a character outside b64token', 'Bearer abc,def'],
    ['padding in the middle', 'Bearer ab=c'],
  ])('reports %s as BEARER_REQUEST_INVALID', (_name, value) => {
    expect(() => extractBearerToken(value)).toThrow(
      expect.objectContaining({ code: 'BEARER_REQUEST_INVALID' }),
    )
  })
})

describe('verifyAccessToken (RFC 9068 4)', () => {
  it('verifies an at+jwt access token and returns its scopes', async () => {
    const result = await verifyAccessToken(await token(), options())
    expect(result).toEqual({
      kind: 'verified',
      claims: claims(),
      scopes: ['openid', 'read:orders'],
    })
  })

  it('accepts typ application/at+jwt', async () => {
    const result = await verifyAccessToken(
      await token({}, { typ: 'application/at+jwt' }),
      options(),
    )
    expect(result.kind).toBe('verified')
  })

  it('rejects an ID token (typ JWT) presented as an access token under the default typ policy', async () => {
    const idToken = await token({ aud: API, nonce: 'n' }, { typ: 'JWT' })
    await expect(verifyAccessToken(idToken, options())).rejects.toMatchObject(invalid('typ'))
  })

  it('rejects a token without typ under the default typ policy', async () => {
    await expect(verifyAccessToken(await token({}, {}), options())).rejects.toMatchObject(
      invalid('typ'),
    )
  })

  it('accepts typ JWT with typ: "any" (Auth0 default profile)', async () => {
    const result = await verifyAccessToken(await token({}, { typ: 'JWT' }), options({ typ: 'any' }))
    expect(result.kind).toBe('verified')
  })

  it('rejects a token signed with a different key', async () => {
    const forged = await signWith(otherRs256, claims(), AT_JWT)
    await expect(verifyAccessToken(forged, options())).rejects.toMatchObject(
      invalid('signature-invalid'),
    )
  })

  it('rejects alg none', async () => {
    const unsigned = unsignedJws({ alg: 'none', typ: 'at+jwt' }, claims())
    await expect(verifyAccessToken(unsigned, options())).rejects.toMatchObject(
      invalid('alg-not-allowed'),
    )
  })

  it('rejects HS256, even when algorithms lists it', async () => {
    const secret = new TextEncoder().encode('s'.repeat(32))
    const hs = await signJws({ alg: 'HS256', typ: 'at+jwt' }, claims(), secret)
    await expect(verifyAccessToken(hs, options())).rejects.toMatchObject(invalid('alg-not-allowed'))
    await expect(
      verifyAccessToken(hs, options({ algorithms: ['HS256', 'RS256'] })),
    ).rejects.toMatchObject(invalid('alg-not-allowed'))
  })

  it('rejects an alg outside options.algorithms', async () => {
    await expect(
      verifyAccessToken(await token(), options({ algorithms: ['ES256'] })),
    ).rejects.toMatchObject(invalid('alg-not-allowed'))
  })

  it('rejects a malformed token', async () => {
    await expect(verifyAccessToken('not-a-jwt', options())).rejects.toMatchObject(
      invalid('malformed'),
    )
  })

  it('returns need-keys for an unknown kid', async () => {
    const rotated = await token({}, { ...AT_JWT, kid: 'rotated' })
    await expect(verifyAccessToken(rotated, options())).resolves.toEqual({
      kind: 'need-keys',
      reason: 'unknown-kid',
      kid: 'rotated',
    })
  })

  it('rejects an unknown kid after the JWKS was refreshed', async () => {
    const rotated = await token({}, { ...AT_JWT, kid: 'rotated' })
    await expect(
      verifyAccessToken(rotated, options({ jwksRefreshed: true })),
    ).rejects.toMatchObject(invalid('key-not-found'))
  })

  it('rejects another issuer (iss with "1" appended)', async () => {
    await expect(
      verifyAccessToken(await token({ iss: `${ISSUER}1` }), options()),
    ).rejects.toMatchObject(invalid('iss'))
  })

  it('rejects a token for another API', async () => {
    await expect(
      verifyAccessToken(await token({ aud: `${API}1` }), options()),
    ).rejects.toMatchObject(invalid('aud'))
  })

  it('accepts when aud contains any of several configured audiences', async () => {
    const result = await verifyAccessToken(
      await token({ aud: 'https://legacy.example.com' }),
      options({ audience: [API, 'https://legacy.example.com'] }),
    )
    expect(result.kind).toBe('verified')
  })

  it('rejects exp once now reaches exp + clockTolerance', async () => {
    await expect(
      verifyAccessToken(await token({ exp: NOW - TOLERANCE }), options()),
    ).rejects.toMatchObject(invalid('exp'))
  })

  it('accepts exp one second inside the clock tolerance', async () => {
    const result = await verifyAccessToken(await token({ exp: NOW - TOLERANCE + 1 }), options())
    expect(result.kind).toBe('verified')
  })

  it('rejects a token without exp', async () => {
    await expect(
      verifyAccessToken(await token({ exp: undefined }), options()),
    ).rejects.toMatchObject(invalid('exp'))
  })

  it('rejects nbf later than now + clockTolerance', async () => {
    await expect(
      verifyAccessToken(await token({ nbf: NOW + TOLERANCE + 1 }), options()),
    ).rejects.toMatchObject(invalid('nbf'))
  })

  it('rejects iat later than now + clockTolerance', async () => {
    await expect(
      verifyAccessToken(await token({ iat: NOW + TOLERANCE + 1 }), options()),
    ).rejects.toMatchObject(invalid('iat'))
  })

  it('rejects a token without sub', async () => {
    await expect(
      verifyAccessToken(await token({ sub: undefined }), options()),
    ).rejects.toMatchObject(invalid('sub'))
  })

  it('rejects a scope that is not a string', async () => {
    await expect(
      verifyAccessToken(await token({ scope: ['read:orders'] }), options()),
    ).rejects.toMatchObject(invalid('scope'))
  })

  it('reports missing scopes as BEARER_INSUFFICIENT_SCOPE with the required scopes', async () => {
    await expect(
      verifyAccessToken(
        await token(),
        options({ requiredScopes: ['read:orders', 'write:orders'] }),
      ),
    ).rejects.toMatchObject({
      code: 'BEARER_INSUFFICIENT_SCOPE',
      details: { requiredScopes: ['read:orders', 'write:orders'], missing: ['write:orders'] },
    })
  })

  it('accepts when every required scope is granted', async () => {
    const result = await verifyAccessToken(
      await token(),
      options({ requiredScopes: ['read:orders'] }),
    )
    expect(result.kind).toBe('verified')
  })

  it('reads Auth0 RBAC permissions as scopes when permissionsClaim is set', async () => {
    const result = await verifyAccessToken(
      await token({ permissions: ['write:orders'] }),
      options({ permissionsClaim: true, requiredScopes: ['write:orders'] }),
    )
    expect(result).toMatchObject({
      kind: 'verified',
      scopes: ['openid', 'read:orders', 'write:orders'],
    })
  })

  it('ignores permissions unless permissionsClaim is set', async () => {
    await expect(
      verifyAccessToken(
        await token({ permissions: ['write:orders'] }),
        options({ requiredScopes: ['write:orders'] }),
      ),
    ).rejects.toMatchObject({ code: 'BEARER_INSUFFICIENT_SCOPE' })
  })

  it('rejects a missing issuer option as CONFIG_INVALID', async () => {
    await expect(verifyAccessToken(await token(), options({ issuer: '' }))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    })
  })

  it('rejects an empty audience option as CONFIG_INVALID', async () => {
    await expect(verifyAccessToken(await token(), options({ audience: [] }))).rejects.toMatchObject(
      {
        code: 'CONFIG_INVALID',
      },
    )
  })
})

describe('bearerChallenge (RFC 6750 3)', () => {
  it('answers a missing token with 401 and no error code', () => {
    const error = new OidcHybridError('BEARER_TOKEN_MISSING', 'no token')
    expect(bearerChallenge(error, { realm: 'orders' })).toEqual({
      status: 401,
      wwwAuthenticate: 'Bearer realm="orders"',
    })
  })

  it('answers a malformed request with 400 invalid_request', () => {
    const error = new OidcHybridError('BEARER_REQUEST_INVALID', 'two tokens')
    expect(bearerChallenge(error, { realm: 'orders' })).toEqual({
      status: 400,
      wwwAuthenticate:
        'Bearer realm="orders", error="invalid_request", error_description="two tokens"',
    })
  })

  it('answers an invalid token with 401 invalid_token', () => {
    const error = new OidcHybridError('BEARER_TOKEN_INVALID', 'the access token has expired')
    expect(bearerChallenge(error)).toEqual({
      status: 401,
      wwwAuthenticate:
        'Bearer error="invalid_token", error_description="the access token has expired"',
    })
  })

  it('answers insufficient scope with 403 and the required scopes from the error', () => {
    const error = new OidcHybridError('BEARER_INSUFFICIENT_SCOPE', 'needs more', {
      details: { requiredScopes: ['read:orders', 'write:orders'] },
    })
    expect(bearerChallenge(error, { realm: 'orders' })).toEqual({
      status: 403,
      wwwAuthenticate:
        'Bearer realm="orders", error="insufficient_scope", error_description="needs more", scope="read:orders write:orders"',
    })
  })

  it('prefers options.requiredScopes for the scope attribute', () => {
    const error = new OidcHybridError('BEARER_INSUFFICIENT_SCOPE', 'needs more', {
      details: { requiredScopes: ['read:orders'] },
    })
    expect(bearerChallenge(error, { requiredScopes: ['admin'] }).wwwAuthenticate).toContain(
      'scope="admin"',
    )
  })

  it('strips quotes, backslashes and control characters from error_description', () => {
    const error = new OidcHybridError(
      'BEARER_TOKEN_INVALID',
      'bad"\\\r\nSet-Cookie: session=evil\u0000\u007f\u00e9',
    )
    const { wwwAuthenticate } = bearerChallenge(error)
    expect(wwwAuthenticate).toBe(
      'Bearer error="invalid_token", error_description="badSet-Cookie: session=evil"',
    )
  })

  it('strips the same characters from realm and scope', () => {
    const error = new OidcHybridError('BEARER_INSUFFICIENT_SCOPE', 'x')
    const { wwwAuthenticate } = bearerChallenge(error, {
      realm: 'a"\r\nb',
      requiredScopes: ['read"\nx', 'w r'],
    })
    expect(wwwAuthenticate).toBe(
      'Bearer realm="ab", error="insufficient_scope", error_description="x", scope="readx wr"',
    )
  })

  it('answers any other error with 500 and a plain challenge', () => {
    expect(bearerChallenge(new Error('boom'), { realm: 'orders' })).toEqual({
      status: 500,
      wwwAuthenticate: 'Bearer realm="orders"',
    })
    expect(bearerChallenge(new OidcHybridError('ILLEGAL_TRANSITION', 'bug'))).toEqual({
      status: 500,
      wwwAuthenticate: 'Bearer',
    })
  })
})

describe('extractBearerToken: other schemes are no Bearer credentials (RFC 6750 3.1)', () => {
  it.each([
    ['Basic', 'Basic dXNlcjpwYXNz'],
    ['Digest', 'Digest username="u", response="r"'],
    ['a scheme that only starts with Bearer', 'Bearerabc'],
    ['DPoP', 'DPoP abc'],
  ])('reports %s as BEARER_TOKEN_MISSING, not BEARER_REQUEST_INVALID', (_name, value) => {
    expect(() => extractBearerToken(value)).toThrow(
      expect.objectContaining({ code: 'BEARER_TOKEN_MISSING', details: { reason: 'scheme' } }),
    )
  })

  it.each(['bearer abc', 'BEARER abc', 'Bearer   abc'])('still reads %j', (value) => {
    expect(extractBearerToken(value)).toBe('abc')
  })

  it('answers another scheme 401 with the realm and no error code', () => {
    const error = (() => {
      try {
        extractBearerToken('Basic dXNlcjpwYXNz')
      } catch (caught) {
        return caught
      }
    })()
    expect(bearerChallenge(error, { realm: 'orders', requiredScopes: ['read:orders'] })).toEqual({
      status: 401,
      wwwAuthenticate: 'Bearer realm="orders"',
    })
  })
})

describe('bearerChallenge: a provider outage is 503, not the client’s fault', () => {
  it.each([
    'DISCOVERY_INVALID',
    'DISCOVERY_ISSUER_MISMATCH',
    'JWKS_INVALID',
    'HTTP_REQUEST_FAILED',
    'HTTP_TIMEOUT',
    'HTTP_RESPONSE_TOO_LARGE',
  ] as const)('%s: 503, Retry-After 30, a plain challenge without error', (code) => {
    const error = new OidcHybridError(code, 'GET https://op.example.com/jwks failed')
    expect(bearerChallenge(error, { realm: 'orders', requiredScopes: ['read:orders'] })).toEqual({
      status: 503,
      wwwAuthenticate: 'Bearer realm="orders"',
      retryAfter: 30,
    })
    expect(bearerChallenge(error)).toEqual({
      status: 503,
      wwwAuthenticate: 'Bearer',
      retryAfter: 30,
    })
  })

  it('gives no Retry-After to a client error', () => {
    const error = new OidcHybridError('BEARER_TOKEN_INVALID', 'expired')
    expect(bearerChallenge(error)).not.toHaveProperty('retryAfter')
  })
})
