import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isOidcHybridError } from '../../src/errors.js'
import type { ProviderMetadata } from '../../src/protocol/types.js'
import { buildUserinfoRequest, processUserinfoResponse } from '../../src/protocol/userinfo.js'
import { httpResponse } from '../support/protocol.js'

const SUB = 'auth0|5f7c8ec7c33c6c004bbafe82'

const provider: ProviderMetadata = {
  issuer: 'https://tenant.auth0.com/',
  authorization_endpoint: 'https://tenant.auth0.com/authorize',
  token_endpoint: 'https://tenant.auth0.com/oauth/token',
  jwks_uri: 'https://tenant.auth0.com/.well-known/jwks.json',
  userinfo_endpoint: 'https://tenant.auth0.com/userinfo',
}

const response = httpResponse

describe('buildUserinfoRequest', () => {
  it('rp-userinfo-bearer-header: sends the access token in the Authorization header only', () => {
    const request = buildUserinfoRequest(provider, 'eyJhbGciOi.eyJzdWIi.c2ln-_')
    expect(request).toEqual({
      url: 'https://tenant.auth0.com/userinfo',
      method: 'GET',
      headers: { authorization: 'Bearer eyJhbGciOi.eyJzdWIi.c2ln-_', accept: 'application/json' },
    })
  })

  it('without a DPoP key: Bearer, and no key on the request', () => {
    const request = buildUserinfoRequest(provider, 'token')
    expect(request.headers.authorization).toBe('Bearer token')
    expect(request.dpop).toBeUndefined()
  })

  it('RFC 9449 7.1: with the session DPoP key, the DPoP scheme and the key on the request for its proof', () => {
    const key: JsonWebKey = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }
    const request = buildUserinfoRequest(provider, 'eyJhbGciOi.eyJzdWIi.c2ln-_', key)
    expect(request).toEqual({
      url: 'https://tenant.auth0.com/userinfo',
      method: 'GET',
      headers: { authorization: 'DPoP eyJhbGciOi.eyJzdWIi.c2ln-_', accept: 'application/json' },
      dpop: key,
    })
    expect(request.dpop).toBe(key)
  })

  it('keeps a query the endpoint itself carries, and adds no token to it', () => {
    const request = buildUserinfoRequest(
      { ...provider, userinfo_endpoint: 'https://idp.example.com/userinfo?schema=openid' },
      'token',
    )
    expect(request.url).toBe('https://idp.example.com/userinfo?schema=openid')
  })

  it('rejects a provider without userinfo_endpoint', () => {
    const { userinfo_endpoint: _, ...withoutUserinfo } = provider
    expect(() => buildUserinfoRequest(withoutUserinfo, 'token')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it.each(['', 'two words', 'line\nbreak', 'é'])(
    'rejects an access token that is not an RFC 6750 b64token: %j',
    (token) => {
      expect(() => buildUserinfoRequest(provider, token)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
    },
  )
})

describe('processUserinfoResponse', () => {
  const claims = { sub: SUB, email: 'jane@example.com', email_verified: true }

  it('returns the claims of the ID token user', () => {
    expect(processUserinfoResponse(response(200, claims), SUB)).toEqual(claims)
  })

  it('accepts application/json with parameters', () => {
    const headers = { 'content-type': 'application/json; charset=utf-8' }
    expect(processUserinfoResponse(response(200, claims, headers), SUB)).toEqual(claims)
  })

  it('rp-userinfo-bad-sub-claim: rejects another sub', () => {
    expect(() =>
      processUserinfoResponse(response(200, { ...claims, sub: `${SUB}invalid` }), SUB),
    ).toThrow(expect.objectContaining({ code: 'USERINFO_SUB_MISMATCH' }))
  })

  it('rejects a response without sub', () => {
    const { sub: _, ...withoutSub } = claims
    expect(() => processUserinfoResponse(response(200, withoutSub), SUB)).toThrow(
      expect.objectContaining({ code: 'USERINFO_SUB_MISMATCH' }),
    )
  })

  it('rejects a non-200 answer and reads the Bearer challenge (RFC 6750 3)', () => {
    const headers = {
      'www-authenticate':
        'Bearer realm="tenant", error="invalid_token", error_description="the \\"token\\" expired"',
    }
    expect(() => processUserinfoResponse(response(401, '', headers), SUB)).toThrow(
      expect.objectContaining({
        code: 'USERINFO_ERROR',
        details: {
          status: 401,
          error: 'invalid_token',
          error_description: 'the "token" expired',
        },
      }),
    )
  })

  it('keeps the first value of a repeated challenge parameter', () => {
    const headers = {
      'www-authenticate': 'Bearer error=invalid_token, ERROR="insufficient_scope", scope=openid',
    }
    expect(() => processUserinfoResponse(response(403, '', headers), SUB)).toThrow(
      expect.objectContaining({
        details: { status: 403, error: 'invalid_token', scope: 'openid' },
      }),
    )
  })

  it('an oversized WWW-Authenticate is not parsed (no quadratic regex work)', () => {
    // Parsed, this challenge would put error=invalid_token in the details.
    const long = `Bearer error="invalid_token", realm="${'a'.repeat(64 * 1024)}"`
    expect(() =>
      processUserinfoResponse(response(401, '', { 'www-authenticate': long }), SUB),
    ).toThrow(expect.objectContaining({ code: 'USERINFO_ERROR', details: { status: 401 } }))
  })

  it('rejects a non-200 answer without a challenge', () => {
    expect(() => processUserinfoResponse(response(500, claims), SUB)).toThrow(
      expect.objectContaining({ code: 'USERINFO_ERROR', details: { status: 500 } }),
    )
  })

  it('does not read the error of a challenge with another scheme', () => {
    const headers = { 'www-authenticate': 'Basic realm="x", error="invalid_token"' }
    expect(() => processUserinfoResponse(response(401, '', headers), SUB)).toThrow(
      expect.objectContaining({ code: 'USERINFO_ERROR', details: { status: 401 } }),
    )
  })

  it("reads the error of a DPoP challenge (a DPoP-bound token's refusal, RFC 9449 7.1)", () => {
    const headers = {
      'www-authenticate': 'DPoP error="invalid_dpop_proof", error_description="ath mismatch"',
    }
    expect(() => processUserinfoResponse(response(401, '', headers), SUB)).toThrow(
      expect.objectContaining({
        code: 'USERINFO_ERROR',
        details: { status: 401, error: 'invalid_dpop_proof', error_description: 'ath mismatch' },
      }),
    )
  })

  it('rejects a signed UserInfo response, naming its media type', () => {
    const headers = { 'content-type': 'application/jwt' }
    expect(() => processUserinfoResponse(response(200, 'eyJ.eyJ.sig', headers), SUB)).toThrow(
      expect.objectContaining({
        code: 'USERINFO_INVALID',
        message: expect.stringContaining('not JSON'),
        details: { contentType: 'application/jwt' },
      }),
    )
  })

  it.each<Record<string, string>>([{ 'content-type': 'text/html' }, {}])(
    'rejects a media type other than application/json: %j',
    (headers) => {
      expect(() => processUserinfoResponse(response(200, claims, headers), SUB)).toThrow(
        expect.objectContaining({ code: 'USERINFO_INVALID' }),
      )
    },
  )

  it('rejects a body that is not JSON', () => {
    expect(() => processUserinfoResponse(response(200, '{sub:'), SUB)).toThrow(
      expect.objectContaining({ code: 'USERINFO_INVALID' }),
    )
  })

  it('rejects a JSON body that is not an object', () => {
    expect(() => processUserinfoResponse(response(200, [claims]), SUB)).toThrow(
      expect.objectContaining({ code: 'USERINFO_INVALID' }),
    )
  })

  it('throws only OidcHybridError, whatever the response', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(fc.json(), fc.string()),
        fc.constantFrom('application/json', 'application/jwt', 'text/plain'),
        fc.string(),
        (status, body, type, challenge) => {
          const headers = { 'content-type': type, 'www-authenticate': `Bearer ${challenge}` }
          try {
            processUserinfoResponse(response(status, body, headers), SUB)
          } catch (error) {
            expect(isOidcHybridError(error)).toBe(true)
          }
        },
      ),
    )
  })
})
