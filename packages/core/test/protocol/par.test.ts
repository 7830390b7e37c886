// The pure parts of PAR (RFC 9126) and request objects (RFC 9101).
import { describe, expect, it } from 'vitest'
import { TokenEndpointError } from '../../src/errors.js'
import {
  authorizationUrlWith,
  parsePushedAuthorizationResponse,
  requestObjectClaims,
} from '../../src/protocol/par.js'
import type { HttpResponseData } from '../../src/protocol/types.js'

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  ({
    status,
    headers: new Headers({ 'content-type': 'application/json', ...headers }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }) as HttpResponseData

describe('parsePushedAuthorizationResponse', () => {
  it('reads request_uri and expires_in from a 201', () => {
    expect(
      parsePushedAuthorizationResponse(answer(201, { request_uri: 'urn:r:1', expires_in: 90 })),
    ).toEqual({ request_uri: 'urn:r:1', expires_in: 90 })
  })

  it('an OAuth error is PAR_ERROR with status, error and description; a 429 has its rate limit', () => {
    const refused = (() => {
      try {
        parsePushedAuthorizationResponse(
          answer(429, { error: 'slow_down', error_description: 'wait' }, { 'retry-after': '7' }),
        )
      } catch (error) {
        return error
      }
    })()
    expect(refused).toBeInstanceOf(TokenEndpointError)
    expect(refused).toMatchObject({
      code: 'PAR_ERROR',
      status: 429,
      error: 'slow_down',
      errorDescription: 'wait',
      rateLimit: { retryAfter: 7 },
    })
  })

  it.each([
    ['201 without request_uri', answer(201, { expires_in: 60 })],
    ['request_uri not a string', answer(201, { request_uri: 7, expires_in: 60 })],
    [
      'request_uri over 2048 characters',
      answer(201, { request_uri: 'u'.repeat(2049), expires_in: 60 }),
    ],
    ['expires_in a string', answer(201, { request_uri: 'urn:r', expires_in: '60' })],
    ['expires_in negative', answer(201, { request_uri: 'urn:r', expires_in: -1 })],
    ['expires_in a fraction', answer(201, { request_uri: 'urn:r', expires_in: 1.5 })],
    ['a JSON array', answer(201, [])],
    ['a 200', answer(200, { request_uri: 'urn:r', expires_in: 60 })],
    ['a 400 without error', answer(400, { message: 'bad' })],
    ['a 400 with an empty error', answer(400, { error: '' })],
  ])('%s is PAR_RESPONSE_INVALID', (_name, response) => {
    expect(() => parsePushedAuthorizationResponse(response)).toThrow(
      expect.objectContaining({ code: 'PAR_RESPONSE_INVALID' }),
    )
  })
})

describe('requestObjectClaims', () => {
  const context = {
    clientId: 'c1',
    issuer: 'https://op.example/',
    now: 1000,
    lifetime: 60,
    jti: 'j',
  }

  it('the parameters as claims, max_age a number, claims an object, and the JWT claims', () => {
    expect(
      requestObjectClaims(
        { state: 's', max_age: '30', claims: '{"id_token":{"acr":{"essential":true}}}' },
        context,
      ),
    ).toEqual({
      state: 's',
      max_age: 30,
      claims: { id_token: { acr: { essential: true } } },
      client_id: 'c1',
      iss: 'c1',
      aud: 'https://op.example/',
      iat: 1000,
      nbf: 1000,
      exp: 1060,
      jti: 'j',
    })
  })

  it('the client_id is the client, whatever the parameters say', () => {
    expect(requestObjectClaims({ client_id: 'other' }, context).client_id).toBe('c1')
  })

  it.each(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'request', 'request_uri'])(
    "a parameter named %s is refused: the JWT claims are the library's, no object nests (RFC 9101 4)",
    (name) => {
      expect(() => requestObjectClaims({ [name]: 'x' }, context)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(name) }),
      )
    },
  )

  it('a claims parameter that is not a JSON object is CONFIG_INVALID', () => {
    expect(() => requestObjectClaims({ claims: '[1]' }, context)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })
})

describe('authorizationUrlWith', () => {
  it("keeps the endpoint's own query and adds the parameters", () => {
    const url = authorizationUrlWith(
      {
        issuer: 'i',
        authorization_endpoint: 'https://op.example/authorize?p=b2c',
        token_endpoint: 't',
        jwks_uri: 'j',
      },
      { client_id: 'c1', request_uri: 'urn:r' },
    )
    expect(url.href).toBe('https://op.example/authorize?p=b2c&client_id=c1&request_uri=urn%3Ar')
  })
})
