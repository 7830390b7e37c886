/** Beyond the certification plans: what an attacker, or a provider that differs, would try. */
import { type Case, WITH_ID_TOKEN } from './shared.js'

export const BEYOND: readonly Case[] = [
  {
    id: 'alg none',
    reason: 'an unsigned ID token is never acceptable in the hybrid flow',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelSigning: { none: true } },
    callback: 'ID_TOKEN_ALG_NOT_ALLOWED',
  },
  {
    id: 'HS256 signed with the client secret',
    reason: 'alg confusion: symmetric algorithms are refused unless explicitly configured',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelSigning: { hs256: true } },
    callback: 'ID_TOKEN_ALG_NOT_ALLOWED',
  },
  {
    id: 'foreign signing key with a published kid',
    reason: 'a key the provider does not publish cannot sign for it',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelSigning: { foreignKey: true } },
    callback: 'ID_TOKEN_SIGNATURE_INVALID',
  },
  {
    id: 'expired ID token',
    reason: 'exp in the past beyond the tolerance',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: {
      frontChannelClaims: (claims) => {
        claims.exp = Number(claims.iat) - 3600
      },
    },
    callback: 'ID_TOKEN_EXPIRED',
  },
  {
    id: 'ID token not valid yet (nbf)',
    reason: 'nbf in the future beyond the tolerance',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: {
      frontChannelClaims: (claims) => {
        claims.nbf = Number(claims.iat) + 3600
      },
    },
    callback: 'ID_TOKEN_NOT_YET_VALID',
  },
  {
    id: 'several audiences without azp',
    reason: 'with several audiences azp must name this client (OIDC Core 3.1.3.7 step 4-5)',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: {
      frontChannelClaims: (claims) => {
        claims.aud = [String(claims.aud), 'https://other.example']
      },
    },
    callback: 'ID_TOKEN_AUDIENCE_MISMATCH',
  },
  {
    id: 'access token typed as ID token (typ at+jwt)',
    reason: 'RFC 8725 3.11: a JWT of another kind must not pass as an ID token',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelSigning: { header: { typ: 'at+jwt' } } },
    callback: 'ID_TOKEN_MALFORMED',
  },
  {
    id: 'RFC 9207 iss parameter from another issuer',
    reason: 'mix-up: the response claims to come from another authorization server',
    misbehaviour: { params: (params) => params.set('iss', 'https://attacker.example/') },
    callback: 'ISSUER_MISMATCH',
  },
  {
    id: 'RFC 9207 iss missing without an ID token (code token)',
    reason:
      'the provider declares iss support: a response without iss and without an ID token cannot be attributed',
    responseTypes: ['code token'],
    misbehaviour: { params: (params) => params.delete('iss') },
    callback: 'ISSUER_MISSING',
  },
  {
    id: 'missing code',
    reason: 'every hybrid response carries a code',
    misbehaviour: { params: (params) => params.delete('code') },
    callback: 'CALLBACK_PARAMETER_MISSING',
  },
  {
    id: 'missing front-channel access token',
    reason: 'code token responses carry access_token and token_type',
    responseTypes: ['code token', 'code id_token token'],
    misbehaviour: { params: (params) => params.delete('access_token') },
    callback: 'CALLBACK_PARAMETER_MISSING',
  },
  {
    id: 'duplicated code parameter',
    reason: 'RFC 6749 3.1: a parameter twice is ambiguous; which one was signed?',
    misbehaviour: { params: (params) => params.append('code', 'second') },
    callback: 'CALLBACK_PARAMETER_DUPLICATED',
  },
  {
    id: 'token endpoint: OAuth error',
    reason: 'an error answer is a typed error with no session',
    misbehaviour: {
      tokenEndpoint: () => ({ status: 400, body: JSON.stringify({ error: 'invalid_grant' }) }),
    },
    callback: 'TOKEN_ENDPOINT_ERROR',
    tokenEndpointCalled: true,
  },
  {
    id: 'token endpoint: 429 with rate-limit headers',
    reason: 'Auth0 rate limits /oauth/token; the answer is typed, with its Retry-After',
    misbehaviour: {
      tokenEndpoint: () => ({
        status: 429,
        headers: { 'retry-after': '3', 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0' },
        body: JSON.stringify({ error: 'too_many_requests' }),
      }),
    },
    callback: 'RATE_LIMITED',
    tokenEndpointCalled: true,
  },
  {
    id: 'token endpoint: 500 with HTML',
    reason: 'a broken provider is a typed error, not a crash',
    misbehaviour: {
      tokenEndpoint: () => ({
        status: 500,
        headers: { 'content-type': 'text/html' },
        body: '<h1>oops</h1>',
      }),
    },
    callback: 'TOKEN_RESPONSE_INVALID',
    tokenEndpointCalled: true,
  },
  {
    id: 'token endpoint: malformed JSON',
    reason: 'a truncated body is a typed error',
    misbehaviour: { tokenEndpoint: () => ({ status: 200, body: '{"access_token": "x", ' }) },
    callback: 'TOKEN_RESPONSE_INVALID',
    tokenEndpointCalled: true,
  },
  {
    id: 'token endpoint: wrong content type',
    reason: 'a token response must be JSON (RFC 6749 5.1)',
    misbehaviour: {
      tokenEndpoint: () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: '{}' }),
    },
    callback: 'TOKEN_RESPONSE_INVALID',
    tokenEndpointCalled: true,
  },
  {
    id: 'token endpoint: no id_token',
    reason: 'the code exchange of an openid login must return an ID token (OIDC Core 3.1.3.3)',
    misbehaviour: {
      tokenResponse: (body) => {
        delete body.id_token
      },
    },
    callback: 'TOKEN_RESPONSE_INVALID',
    tokenEndpointCalled: true,
  },
  {
    id: 'token endpoint: DPoP token type',
    reason: 'a sender-constrained token we cannot use must not become a session',
    misbehaviour: {
      tokenResponse: (body) => {
        body.token_type = 'DPoP'
      },
    },
    callback: 'TOKEN_RESPONSE_INVALID',
    tokenEndpointCalled: true,
  },
  {
    id: 'token endpoint: hangs',
    reason: 'a provider that never answers must not hang the request (bounded timeout)',
    misbehaviour: { tokenEndpoint: () => ({ status: 200, body: '{}', delay: 3_000 }) },
    callback: 'HTTP_TIMEOUT',
    tokenEndpointCalled: true,
  },
]
