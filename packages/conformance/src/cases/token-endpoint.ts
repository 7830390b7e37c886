/** OIDC Core 3.3.3.6 (the token endpoint response) and refresh (OIDC Core 12.2). */
import { append, audiences, type Case, GROUPS, TRUSTED_AUDIENCE, WITH_ID_TOKEN } from './shared.js'

export const TOKEN_ENDPOINT: readonly Case[] = [
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
]
