/**
 * The conformance case table: the OpenID RP certification modules of the Hybrid RP and Form Post
 * RP plans, then what an attacker would try beyond them. Each case says why it matters.
 * SPEC-NOTES: the certification provider makes bad values by appending `1` (iss, aud, nonce,
 * c_hash, at_hash) and `invalid` to a userinfo `sub`.
 */
import type { Claims, Misbehaviour } from './hostile-provider.js'

export type ResponseType = 'code id_token' | 'code token' | 'code id_token token'
export const RESPONSE_TYPES: readonly ResponseType[] = [
  'code id_token',
  'code token',
  'code id_token token',
]
const WITH_ID_TOKEN: ResponseType[] = ['code id_token', 'code id_token token']

/** `refresh-twice`: two forced refreshes in a row, each must reach the token endpoint. */
export type Step = 'me' | 'userinfo' | 'refresh' | 'refresh-twice'

export interface Case {
  id: string
  reason: string
  responseTypes?: readonly ResponseType[]
  misbehaviour?: Misbehaviour
  /** `ok`, or the error code the callback must answer with. */
  callback: 'ok' | string
  /** For failures: whether the code may have reached the token endpoint. */
  tokenEndpointCalled?: boolean
  /** After a successful login: a step and its expected outcome. */
  after?: { step: Step; expect: 'ok' | string }
  /** Checks on the authorization request the app sent. */
  authorizationUrl?: (url: URL) => string | undefined
}

const append =
  (name: string, suffix = '1') =>
  (claims: Claims) => {
    claims[name] = `${claims[name]}${suffix}`
  }
const remove = (name: string) => (claims: Claims) => {
  delete claims[name]
}

function errorResponse(withIss: boolean) {
  return (params: URLSearchParams, issuer: string) => {
    const state = params.get('state') ?? ''
    for (const name of [...params.keys()]) params.delete(name)
    params.set('error', 'access_denied')
    params.set('error_description', 'the user said no')
    params.set('state', state)
    if (withIss) params.set('iss', issuer)
  }
}

/** The extra ID token audience the apps under test trust (`trustedAudiences`). */
export const TRUSTED_AUDIENCE = 'https://api.trusted.example/'

/** `aud` becomes the client and `extra`, with `azp` the client. */
const audiences =
  (...extra: string[]) =>
  (claims: Claims) => {
    claims.azp = String(claims.aud)
    claims.aud = [claims.azp, ...extra]
  }

const GROUPS = Array.from({ length: 150 }, (_, i) => `engineering-team-${i}-members@corp.example`)

export const CASES: readonly Case[] = [
  // ---- OpenID RP certification: Hybrid RP and Form Post RP plans ----
  {
    id: 'rp-response_type-code+id_token / code+token / code+id_token+token',
    reason: 'the happy path of each hybrid response type with form_post',
    callback: 'ok',
    after: { step: 'me', expect: 'ok' },
    authorizationUrl: (url) =>
      url.searchParams.get('response_mode') === 'form_post'
        ? undefined
        : 'response_mode is not form_post',
  },
  {
    id: 'rp-nonce-unless-code-flow',
    reason: 'a nonce is sent for every hybrid response type, code token included',
    callback: 'ok',
    authorizationUrl: (url) =>
      (url.searchParams.get('nonce') ?? '').length >= 32 ? undefined : 'no high-entropy nonce',
  },
  {
    id: 'rp-id_token-issuer-mismatch',
    reason: 'an ID token from another issuer is a mix-up or a forgery',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelClaims: append('iss') },
    callback: 'ID_TOKEN_ISSUER_MISMATCH',
  },
  {
    id: 'rp-id_token-issuer-mismatch (token endpoint, code token)',
    reason: 'with code token the token-endpoint ID token is the first one; its iss is checked too',
    responseTypes: ['code token'],
    misbehaviour: { tokenEndpointClaims: append('iss') },
    callback: 'ID_TOKEN_ISSUER_MISMATCH',
    tokenEndpointCalled: true,
  },
  {
    id: 'rp-id_token-sub',
    reason: 'an ID token without sub identifies nobody',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelClaims: remove('sub') },
    callback: 'ID_TOKEN_SUBJECT_MISSING',
  },
  {
    id: 'rp-id_token-aud',
    reason: 'an ID token for another client must not log anyone into this one',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelClaims: append('aud') },
    callback: 'ID_TOKEN_AUDIENCE_MISMATCH',
  },
  {
    id: 'rp-id_token-iat',
    reason: 'iat is required (OIDC Core 2)',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelClaims: remove('iat') },
    callback: 'ID_TOKEN_IAT_INVALID',
  },
  {
    id: 'rp-id_token-kid-absent-single-jwks',
    reason: 'no kid and one key: that key is used',
    misbehaviour: { frontChannelSigning: { noKid: true }, tokenEndpointSigning: { noKid: true } },
    callback: 'ok',
    after: { step: 'me', expect: 'ok' },
  },
  {
    id: 'rp-id_token-kid-absent-multiple-jwks',
    reason: 'no kid and several keys: each candidate is tried (allowed by OIDC Core 10.1)',
    misbehaviour: {
      frontChannelSigning: { noKid: true },
      tokenEndpointSigning: { noKid: true },
      extraJwksKeys: 2,
    },
    callback: 'ok',
  },
  {
    id: 'rp-id_token-bad-c_hash',
    reason: 'c_hash binds the code to the signed ID token: a swapped code is injection',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelClaims: append('c_hash') },
    callback: 'C_HASH_MISMATCH',
  },
  {
    id: 'rp-id_token-missing-c_hash',
    reason: 'c_hash is REQUIRED when an ID token comes with a code (OIDC Core 3.3.2.11)',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelClaims: remove('c_hash') },
    callback: 'C_HASH_MISSING',
  },
  {
    id: 'rp-id_token-bad-at_hash',
    reason: 'at_hash binds the front-channel access token (RFC 9700 4.6 injection defence)',
    responseTypes: ['code id_token token'],
    misbehaviour: { frontChannelClaims: append('at_hash') },
    callback: 'AT_HASH_MISMATCH',
  },
  {
    id: 'rp-id_token-missing-at_hash',
    reason: 'at_hash is REQUIRED for code id_token token (OIDC Core 3.3.2.11)',
    responseTypes: ['code id_token token'],
    misbehaviour: { frontChannelClaims: remove('at_hash') },
    callback: 'AT_HASH_MISSING',
  },
  {
    id: 'rp-id_token-sig-rs256',
    reason: 'an RS256-signed ID token with a published key is accepted',
    callback: 'ok',
  },
  {
    id: 'rp-id_token-bad-sig-rs256',
    reason: 'a signature that does not verify is a forgery',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelSigning: { badSignature: true } },
    callback: 'ID_TOKEN_SIGNATURE_INVALID',
  },
  {
    id: 'rp-id_token-bad-sig-rs256 (token endpoint)',
    reason: 'the token-endpoint ID token is verified too, not only trusted for arriving over TLS',
    misbehaviour: { tokenEndpointSigning: { badSignature: true } },
    callback: 'ID_TOKEN_SIGNATURE_INVALID',
    tokenEndpointCalled: true,
  },
  {
    id: 'rp-key-rotation-op-sign-key',
    reason:
      'the provider rotates its signing key: the unknown kid refetches the JWKS (OIDC Core 10.1.1)',
    misbehaviour: { rotateKeyBeforeCallback: true },
    callback: 'ok',
  },
  {
    id: 'rp-nonce-invalid',
    reason: 'a nonce that is not ours means a replayed or injected ID token',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: { frontChannelClaims: append('nonce') },
    callback: 'NONCE_MISMATCH',
  },
  {
    id: 'rp-nonce-invalid (token endpoint)',
    reason: 'the token-endpoint ID token nonce is checked too (RFC 9700 4.5.3.2)',
    misbehaviour: { tokenEndpointClaims: append('nonce') },
    callback: 'NONCE_MISMATCH',
    tokenEndpointCalled: true,
  },
  {
    id: 'rp-userinfo-bad-sub-claim',
    reason: 'userinfo for another subject must not be merged into this user (OIDC Core 5.3.2)',
    misbehaviour: { userinfo: append('sub', 'invalid') },
    callback: 'ok',
    after: { step: 'userinfo', expect: 'USERINFO_SUB_MISMATCH' },
  },
  {
    id: 'rp-userinfo-bearer-header',
    reason:
      'the access token goes in the Authorization header, never the query or body (RFC 9700 4.3.2)',
    misbehaviour: { requireBearerHeader: true },
    callback: 'ok',
    after: { step: 'userinfo', expect: 'ok' },
  },
  {
    id: 'rp-token_endpoint-client_secret_basic',
    reason: 'the client authenticates with HTTP Basic at the token endpoint',
    misbehaviour: { requireBasicAuth: true },
    callback: 'ok',
  },
  {
    id: 'form_post error response',
    reason:
      'an error response with our state becomes a typed error carrying error/error_description',
    misbehaviour: { params: errorResponse(true) },
    callback: 'AUTHORIZATION_ERROR',
  },
  {
    id: 'error response without iss (RFC 9207)',
    reason: "the provider declares iss support: an error without iss may be a mix-up attacker's",
    misbehaviour: { params: errorResponse(false) },
    callback: 'ISSUER_MISSING',
  },
  // ---- OIDC Core 3.3.3.6 and refresh (OIDC Core 12.2) ----
  {
    id: 'core-3.3.3.6 token-endpoint sub differs',
    reason: 'the code was redeemed for another user than the one the front channel named',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: {
      tokenEndpointClaims: (claims) => {
        claims.sub = 'someone-else'
      },
    },
    callback: 'ID_TOKEN_SUBJECT_CHANGED',
    tokenEndpointCalled: true,
  },
  {
    id: 'refresh: ID token with another sub',
    reason: 'a refresh must not switch the session to another user',
    misbehaviour: {
      refreshClaims: (claims) => {
        claims.sub = 'mallory'
      },
    },
    callback: 'ok',
    after: { step: 'refresh', expect: 'ID_TOKEN_SUBJECT_CHANGED' },
  },
  {
    id: 'refresh: ID token from another issuer',
    reason: 'a refreshed ID token must come from the same issuer',
    misbehaviour: { refreshClaims: append('iss') },
    callback: 'ok',
    after: { step: 'refresh', expect: 'ID_TOKEN_ISSUER_MISMATCH' },
  },
  {
    id: 'refresh: ID token for another audience',
    reason: 'a refreshed ID token must keep aud (OIDC Core 12.2)',
    misbehaviour: {
      refreshClaims: (claims) => {
        const aud = [String(claims.aud), 'https://other.example']
        claims.aud = aud
        claims.azp = aud[0]
      },
    },
    callback: 'ok',
    after: { step: 'refresh', expect: 'ID_TOKEN_AUDIENCE_MISMATCH' },
  },
  {
    id: 'refresh: a good refresh',
    reason: 'a refresh with a well-formed ID token succeeds',
    callback: 'ok',
    after: { step: 'refresh', expect: 'ok' },
  },
  {
    id: 'refresh: a rotating provider, two forced refreshes',
    reason: 'each forced refresh reaches the provider, with the newest refresh token',
    callback: 'ok',
    after: { step: 'refresh-twice', expect: 'ok' },
  },
  {
    id: 'refresh: a provider that does not rotate refresh tokens',
    reason:
      'RFC 6749 6 lets a provider keep the refresh token: every forced refresh still reaches it (a result remembered under the unchanged token once handed back stale tokens)',
    misbehaviour: { rotateRefreshTokens: false },
    callback: 'ok',
    after: { step: 'refresh-twice', expect: 'ok' },
  },
  {
    id: 'refresh: ID token without the profile claims',
    reason: 'OIDC Core 12.2 does not require a refreshed ID token to repeat the profile',
    misbehaviour: {
      refreshClaims: (claims) => {
        for (const name of Object.keys(claims)) {
          if (!/^(iss|sub|aud|azp|exp|iat|auth_time|nonce|at_hash|sid)$/.test(name)) {
            delete claims[name]
          }
        }
      },
    },
    callback: 'ok',
    after: { step: 'refresh', expect: 'ok' },
  },
  {
    id: 'core-3.1.3.7 a trusted extra audience with azp',
    reason: 'trustedAudiences lets an app accept the audience its provider adds (step 3)',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: {
      frontChannelClaims: audiences(TRUSTED_AUDIENCE),
      tokenEndpointClaims: audiences(TRUSTED_AUDIENCE),
      refreshClaims: audiences(TRUSTED_AUDIENCE),
    },
    callback: 'ok',
    after: { step: 'refresh', expect: 'ok' },
  },
  {
    id: 'core-3.1.3.7 an untrusted extra audience beside a trusted one',
    reason: 'only the audiences the app trusts may appear besides the client (step 3)',
    responseTypes: WITH_ID_TOKEN,
    misbehaviour: {
      frontChannelClaims: audiences(TRUSTED_AUDIENCE, 'https://untrusted.example'),
    },
    callback: 'ID_TOKEN_AUDIENCE_MISMATCH',
  },
  {
    id: 'a large groups claim in a cookie session',
    reason: 'enterprise providers send ~150 groups; the cookie session must still hold the login',
    misbehaviour: {
      frontChannelClaims: (claims) => {
        claims.groups = GROUPS
      },
      tokenEndpointClaims: (claims) => {
        claims.groups = GROUPS
      },
    },
    callback: 'ok',
    after: { step: 'me', expect: 'ok' },
  },
  {
    id: 'token-endpoint ID token with auth_time 0, no max_age (Glewlwyd)',
    reason:
      'without max_age, auth_time is informative: a token-endpoint value the front channel contradicts does not fail the login (with max_age it is AUTH_TIME_MISMATCH, in the core tests)',
    misbehaviour: {
      tokenEndpointClaims: (claims) => {
        claims.auth_time = 0
      },
    },
    callback: 'ok',
    after: { step: 'me', expect: 'ok' },
  },
  // ---- beyond the certification plans ----
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
