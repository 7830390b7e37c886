import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isOidcHybridError } from '../../src/errors.js'
import { parseTokenEndpointResponse } from '../../src/protocol/token-response.js'
import { httpResponse } from '../support/protocol.js'

const response = httpResponse

const tokens = {
  access_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
  token_type: 'Bearer',
  expires_in: 86400,
  refresh_token: 'v1.MRrT8yB2',
  id_token: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
  scope: 'openid profile offline_access',
}

function parse(body: unknown, requireIdToken = true, dpop?: boolean) {
  return () => parseTokenEndpointResponse(response(200, body), { requireIdToken, dpop })
}

describe('parseTokenEndpointResponse: success', () => {
  it('returns the parameters of a valid response', () => {
    expect(parse(tokens)()).toEqual(tokens)
  })

  it('keeps parameters it does not know', () => {
    expect(parse({ ...tokens, 'https://example.com/claim': 1 })()).toMatchObject({
      'https://example.com/claim': 1,
    })
  })

  it('accepts application/json with parameters', () => {
    const result = parseTokenEndpointResponse(
      response(200, tokens, { 'content-type': 'application/json;charset=UTF-8' }),
      { requireIdToken: true },
    )
    expect(result.access_token).toBe(tokens.access_token)
  })

  it.each<Record<string, string>>([{ 'content-type': 'text/html' }, {}])(
    'rejects a media type other than application/json: %j',
    (headers) => {
      expect(() =>
        parseTokenEndpointResponse(response(200, tokens, headers), { requireIdToken: true }),
      ).toThrow(expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID' }))
    },
  )

  it('rejects a body that is not JSON', () => {
    expect(parse('access_token=x&token_type=bearer')).toThrow(
      expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID' }),
    )
  })

  it('rejects a JSON body that is not an object', () => {
    expect(parse([tokens])).toThrow(expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID' }))
  })

  it.each([undefined, '', 42])('rejects access_token %j', (accessToken) => {
    expect(parse({ ...tokens, access_token: accessToken })).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { parameter: 'access_token' },
      }),
    )
  })

  it('rejects an access_token with characters outside VSCHAR (RFC 6749 A.12)', () => {
    expect(parse({ ...tokens, access_token: 'abc\r\nX-Injected: 1' })).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { parameter: 'access_token' },
      }),
    )
  })

  it.each(['bearer', 'BEARER', 'BeArEr'])('normalises token_type %s to Bearer', (tokenType) => {
    expect(parse({ ...tokens, token_type: tokenType })().token_type).toBe('Bearer')
  })

  it.each([undefined, 1])('rejects token_type %j', (tokenType) => {
    expect(parse({ ...tokens, token_type: tokenType })).toThrow(
      expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID' }),
    )
  })

  it.each(['DPoP', 'N_A', 'mac'])('rejects token_type %s, saying Bearer is expected', (type) => {
    expect(parse({ ...tokens, token_type: type })).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        message: expect.stringContaining('not Bearer'),
        details: { parameter: 'token_type', tokenType: type },
      }),
    )
  })

  it.each(['DPoP', 'dpop', 'DPOP'])(
    'with a DPoP proof, normalises token_type %s to DPoP (RFC 9449 5)',
    (type) => {
      expect(parse({ ...tokens, token_type: type }, true, true)().token_type).toBe('DPoP')
    },
  )

  it.each(['Bearer', 'N_A'])(
    'with a DPoP proof, rejects token_type %s: the token is not bound',
    (type) => {
      expect(parse({ ...tokens, token_type: type }, true, true)).toThrow(
        expect.objectContaining({
          code: 'TOKEN_RESPONSE_INVALID',
          message: expect.stringContaining('not DPoP'),
          details: { parameter: 'token_type', tokenType: type },
        }),
      )
    },
  )

  it('accepts a missing expires_in', () => {
    const { expires_in: _, ...withoutExpiry } = tokens
    expect('expires_in' in parse(withoutExpiry)()).toBe(false)
  })

  it('converts a numeric string expires_in', () => {
    expect(parse({ ...tokens, expires_in: '3600' })().expires_in).toBe(3600)
  })

  it('accepts expires_in 0', () => {
    expect(parse({ ...tokens, expires_in: 0 })().expires_in).toBe(0)
  })

  it.each([-1, '-1', 'soon', '', true, null, [3600]])('rejects expires_in %j', (expiresIn) => {
    expect(parse({ ...tokens, expires_in: expiresIn })).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { parameter: 'expires_in' },
      }),
    )
  })

  it('rejects a non-finite expires_in', () => {
    const body = JSON.stringify(tokens).replace('86400', '1e400')
    expect(parse(body)).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { parameter: 'expires_in' },
      }),
    )
  })

  it.each([42, '', null, 'line\nbreak'])('rejects refresh_token %j', (refreshToken) => {
    expect(parse({ ...tokens, refresh_token: refreshToken })).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { parameter: 'refresh_token' },
      }),
    )
  })

  it.each([42, '', null])('rejects id_token %j', (idToken) => {
    expect(parse({ ...tokens, id_token: idToken })).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { parameter: 'id_token' },
      }),
    )
  })

  it.each([['openid'], null])('rejects scope %j', (scope) => {
    expect(parse({ ...tokens, scope })).toThrow(
      expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID', details: { parameter: 'scope' } }),
    )
  })

  it('requires an id_token for the authorization_code grant (OIDC Core 3.1.3.3)', () => {
    const { id_token: _, ...withoutIdToken } = tokens
    expect(parse(withoutIdToken, true)).toThrow(
      expect.objectContaining({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { parameter: 'id_token' },
      }),
    )
  })

  it('accepts a refresh response without id_token (OIDC Core 12.2)', () => {
    const { id_token: _, ...withoutIdToken } = tokens
    expect(parse(withoutIdToken, false)().id_token).toBeUndefined()
  })
})

describe('parseTokenEndpointResponse: errors', () => {
  const options = { requireIdToken: true }

  it('turns an OAuth error into TOKEN_ENDPOINT_ERROR (RFC 6749 5.2)', () => {
    const body = { error: 'invalid_grant', error_description: 'Invalid authorization code' }
    expect(() => parseTokenEndpointResponse(response(400, body), options)).toThrow(
      expect.objectContaining({
        name: 'TokenEndpointError',
        code: 'TOKEN_ENDPOINT_ERROR',
        status: 400,
        error: 'invalid_grant',
        errorDescription: 'Invalid authorization code',
      }),
    )
  })

  it('reads an OAuth error whatever the Content-Type', () => {
    const body = { error: 'invalid_client' }
    const headers = { 'content-type': 'text/plain' }
    expect(() => parseTokenEndpointResponse(response(401, body, headers), options)).toThrow(
      expect.objectContaining({ code: 'TOKEN_ENDPOINT_ERROR', error: 'invalid_client' }),
    )
  })

  it('does not take an error answer for success, even with token parameters', () => {
    expect(() => parseTokenEndpointResponse(response(201, tokens), options)).toThrow(
      expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID', details: expect.anything() }),
    )
  })

  it('reports a non-OAuth error answer with status and media type, never the body', () => {
    const html = '<html>secret internal error page</html>'
    const headers = { 'content-type': 'text/html; charset=utf-8' }
    try {
      parseTokenEndpointResponse(response(502, html, headers), options)
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({
        code: 'TOKEN_RESPONSE_INVALID',
        details: { status: 502, contentType: 'text/html' },
      })
      expect(JSON.stringify((error as { details: unknown }).details)).not.toContain('secret')
      expect((error as Error).message).not.toContain('secret')
    }
  })

  it.each([{}, { error: 42 }, { error: '' }])(
    'rejects an error answer whose error is not a non-empty string: %j',
    (body) => {
      expect(() => parseTokenEndpointResponse(response(400, body), options)).toThrow(
        expect.objectContaining({ code: 'TOKEN_RESPONSE_INVALID' }),
      )
    },
  )

  it('turns 429 into RATE_LIMITED with Retry-After and X-RateLimit-* (Auth0)', () => {
    const headers = {
      'content-type': 'application/json',
      'retry-after': '30',
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '1700000030',
    }
    const body = { error: 'too_many_requests', error_description: 'Global limit exceeded' }
    expect(() => parseTokenEndpointResponse(response(429, body, headers), options)).toThrow(
      expect.objectContaining({
        code: 'RATE_LIMITED',
        status: 429,
        error: 'too_many_requests',
        errorDescription: 'Global limit exceeded',
        rateLimit: { retryAfter: 30, limit: 10, remaining: 0, reset: 1700000030 },
      }),
    )
  })

  it('turns 429 without a JSON body into RATE_LIMITED too', () => {
    const headers = { 'content-type': 'text/plain', 'retry-after': '5' }
    expect(() => parseTokenEndpointResponse(response(429, 'slow down', headers), options)).toThrow(
      expect.objectContaining({
        code: 'RATE_LIMITED',
        error: 'too_many_requests',
        rateLimit: { retryAfter: 5 },
      }),
    )
  })

  it('leaves out rate-limit headers that are not delays in seconds', () => {
    const headers = {
      'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT',
      'x-ratelimit-limit': 'ten',
      'x-ratelimit-remaining': '-1',
      'x-ratelimit-reset': '1.5',
    }
    expect(() => parseTokenEndpointResponse(response(429, '', headers), options)).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED', rateLimit: {} }),
    )
  })

  it('throws only OidcHybridError, whatever the response', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.record(
            {
              access_token: fc.oneof(fc.string(), fc.jsonValue()),
              token_type: fc.oneof(fc.constant('bearer'), fc.jsonValue()),
              expires_in: fc.oneof(fc.string(), fc.double(), fc.jsonValue()),
              refresh_token: fc.jsonValue(),
              id_token: fc.jsonValue(),
              scope: fc.jsonValue(),
              error: fc.jsonValue(),
            },
            { requiredKeys: [] },
          ),
        ),
        fc.constantFrom('application/json', 'text/plain', ''),
        fc.string(),
        fc.boolean(),
        (status, body, type, header, requireIdToken) => {
          const headers = {
            'content-type': type,
            'retry-after': header,
            'x-ratelimit-reset': header,
          }
          try {
            parseTokenEndpointResponse(response(status, body, headers), { requireIdToken })
          } catch (error) {
            expect(isOidcHybridError(error)).toBe(true)
          }
        },
      ),
    )
  })
})
