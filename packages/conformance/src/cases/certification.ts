/** The OpenID RP certification modules of the Hybrid RP and Form Post RP plans. */
import { append, type Case, errorResponse, remove, WITH_ID_TOKEN } from './shared.js'

export const CERTIFICATION: readonly Case[] = [
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
]
