import { beforeAll, describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import {
  DEFAULT_ID_TOKEN_ALGS,
  type IdTokenExpectations,
  verifyIdToken,
} from '../../src/protocol/id-token.js'
import type { ClientMetadata, JsonWebKeySet, ProviderMetadata } from '../../src/protocol/types.js'
import {
  ASYMMETRIC_TEST_ALGS,
  generateTestKey,
  halfHash,
  jwksOf,
  segment,
  signJws,
  signWith,
  type TestKeyPair,
  unsignedJws,
  withoutMembers,
} from '../support/jwt.js'
import { providerMetadata } from '../support/protocol.js'

const ISSUER = 'https://tenant.example.com/'
const CLIENT_ID = 'client-abc'
const NONCE = 'n-0S6_WzA2Mj'
const CODE = 'SplxlOBeZQQYbYS6WxSbIA'
const ACCESS_TOKEN = 'jHkWEdUXMU1BwAsC4vtUsZwnerokexpected'
const NOW = 1_750_000_000
const TOLERANCE = 60
const CLIENT_SECRET = 'client-secret-0123456789-abcdefghij'

const crypto = new WebCryptoProvider()
let rs256: TestKeyPair
let otherRs256: TestKeyPair

beforeAll(async () => {
  rs256 = await generateTestKey('RS256', 'rs-1')
  otherRs256 = await generateTestKey('RS256', 'rs-2')
})

interface Overrides {
  provider?: Partial<ProviderMetadata>
  client?: Partial<ClientMetadata>
  jwks?: JsonWebKeySet
  jwksRefreshed?: boolean
  now?: number
}

function context(overrides: Overrides = {}) {
  return {
    provider: { ...providerMetadata(ISSUER), ...overrides.provider },
    client: {
      client_id: CLIENT_ID,
      redirect_uri: 'https://app.example.com/callback',
      ...overrides.client,
    },
    now: overrides.now ?? NOW,
    clockTolerance: TOLERANCE,
    jwks: overrides.jwks ?? jwksOf(rs256.publicJwk),
    jwksRefreshed: overrides.jwksRefreshed,
    crypto,
  }
}

/** A valid claim set; an `undefined` override removes the claim. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'auth0|user-1',
    aud: CLIENT_ID,
    exp: NOW + 600,
    iat: NOW - 5,
    nonce: NONCE,
    ...overrides,
  }
}

const onlyNonce: IdTokenExpectations = { nonce: NONCE }

function verify(token: string, expectations = onlyNonce, overrides: Overrides = {}) {
  return verifyIdToken(context(overrides), token, expectations)
}

describe('verifyIdToken: signature and keys', () => {
  it('rp-id_token-sig-rs256: accepts an RS256 token signed by a JWKS key', async () => {
    const token = await signWith(rs256, claims())
    const result = await verify(token)
    expect(result).toMatchObject({
      kind: 'verified',
      alg: 'RS256',
      claims: { sub: 'auth0|user-1' },
    })
  })

  it('rp-id_token-bad-sig-rs256: rejects a signature made by another key with the same kid', async () => {
    const token = await signJws({ alg: 'RS256', kid: rs256.kid }, claims(), otherRs256.privateKey)
    await expect(verify(token)).rejects.toMatchObject({ code: 'ID_TOKEN_SIGNATURE_INVALID' })
  })

  it('an access token (typ at+jwt) is never accepted as an ID token (RFC 8725 3.11)', async () => {
    // Otherwise valid: the same claims verify without the typ.
    await expect(verify(await signWith(rs256, claims()))).resolves.toMatchObject({
      kind: 'verified',
    })
    const token = await signWith(rs256, claims(), { typ: 'at+jwt' })
    await expect(verify(token)).rejects.toMatchObject({ code: 'ID_TOKEN_MALFORMED' })
  })

  it('rp-id_token-sig-none: rejects an unsigned token', async () => {
    const token = unsignedJws({ alg: 'none' }, claims())
    await expect(verify(token)).rejects.toMatchObject({ code: 'ID_TOKEN_ALG_NOT_ALLOWED' })
  })

  it('rp-id_token-kid-absent-single-jwks: uses the only key when the header has no kid', async () => {
    const token = await signWith(rs256, claims(), { kid: undefined })
    const result = await verify(token, onlyNonce, {
      jwks: jwksOf(withoutMembers(rs256.publicJwk, 'kid')),
    })
    expect(result.kind).toBe('verified')
  })

  it('rp-id_token-kid-absent-multiple-jwks: tries each key when the header has no kid', async () => {
    const token = await signWith(rs256, claims(), { kid: undefined })
    const result = await verify(token, onlyNonce, {
      jwks: jwksOf(otherRs256.publicJwk, rs256.publicJwk),
    })
    expect(result.kind).toBe('verified')
  })

  it('returns need-keys for an unknown kid, so the caller refetches the JWKS', async () => {
    const token = await signWith(rs256, claims(), { kid: 'rotated-key' })
    await expect(verify(token)).resolves.toEqual({
      kind: 'need-keys',
      reason: 'unknown-kid',
      kid: 'rotated-key',
    })
  })

  it('rejects an unknown kid when the JWKS was just refreshed', async () => {
    const token = await signWith(rs256, claims(), { kid: 'rotated-key' })
    await expect(verify(token, onlyNonce, { jwksRefreshed: true })).rejects.toMatchObject({
      code: 'ID_TOKEN_KEY_NOT_FOUND',
    })
  })

  it('returns need-keys when no key fits a token without kid, and fails after a refresh', async () => {
    const es256 = await generateTestKey('ES256')
    const token = await signWith(es256, claims(), { kid: undefined })
    await expect(verify(token)).resolves.toEqual({ kind: 'need-keys', reason: 'no-usable-key' })
    await expect(verify(token, onlyNonce, { jwksRefreshed: true })).rejects.toMatchObject({
      code: 'ID_TOKEN_KEY_NOT_FOUND',
    })
  })

  it('skips a JWK the crypto provider cannot import (RFC 7517 5)', async () => {
    const token = await signWith(rs256, claims())
    const garbage = { ...rs256.publicJwk, n: 'not-a-modulus' }
    const result = await verify(token, onlyNonce, { jwks: jwksOf(garbage, rs256.publicJwk) })
    expect(result.kind).toBe('verified')
  })

  it('rejects HS256 signed with the client secret by default', async () => {
    const secret = new TextEncoder().encode(CLIENT_SECRET)
    const token = await signJws({ alg: 'HS256' }, claims(), secret)
    await expect(verify(token)).rejects.toMatchObject({ code: 'ID_TOKEN_ALG_NOT_ALLOWED' })
  })

  it('rejects HS256 listed in id_token_signed_response_algs without client_secret_for_hs', async () => {
    const secret = new TextEncoder().encode(CLIENT_SECRET)
    const token = await signJws({ alg: 'HS256' }, claims(), secret)
    await expect(
      verify(token, onlyNonce, { client: { id_token_signed_response_algs: ['HS256'] } }),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_ALG_NOT_ALLOWED' })
  })

  it('accepts HS256 signed with the client secret when client_secret_for_hs is set', async () => {
    const secret = new TextEncoder().encode(CLIENT_SECRET)
    const token = await signJws({ alg: 'HS256' }, claims(), secret)
    const result = await verify(token, onlyNonce, {
      client: { client_secret_for_hs: CLIENT_SECRET },
    })
    expect(result).toMatchObject({ kind: 'verified', alg: 'HS256' })
  })

  it('rejects HS256 signed with another secret when client_secret_for_hs is set', async () => {
    const token = await signJws(
      { alg: 'HS256' },
      claims(),
      new TextEncoder().encode('x'.repeat(32)),
    )
    await expect(
      verify(token, onlyNonce, { client: { client_secret_for_hs: CLIENT_SECRET } }),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_SIGNATURE_INVALID' })
  })

  it('rejects an alg outside client id_token_signed_response_algs', async () => {
    const ps256 = await generateTestKey('PS256')
    const token = await signWith(ps256, claims())
    await expect(
      verify(token, onlyNonce, {
        client: { id_token_signed_response_algs: ['RS256'] },
        jwks: jwksOf(ps256.publicJwk),
      }),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_ALG_NOT_ALLOWED' })
  })

  it('rejects an alg outside the provider id_token_signing_alg_values_supported', async () => {
    const es256 = await generateTestKey('ES256')
    const token = await signWith(es256, claims())
    await expect(
      verify(token, onlyNonce, {
        provider: { id_token_signing_alg_values_supported: ['RS256'] },
        jwks: jwksOf(es256.publicJwk),
      }),
    ).rejects.toMatchObject({
      code: 'ID_TOKEN_ALG_NOT_ALLOWED',
      // The client's list narrowed to the provider's.
      details: { alg: 'ES256', accepted: ['RS256'] },
    })
  })

  it('DEFAULT_ID_TOKEN_ALGS holds every asymmetric algorithm and no HS*', () => {
    expect([...DEFAULT_ID_TOKEN_ALGS].sort()).toEqual(
      [
        'ES256',
        'ES384',
        'ES512',
        'Ed25519',
        'EdDSA',
        'PS256',
        'PS384',
        'PS512',
        'RS256',
        'RS384',
        'RS512',
      ].sort(),
    )
  })

  it('rejects a header with crit', async () => {
    const token = await signJws(
      { alg: 'RS256', kid: rs256.kid, crit: ['urn:example:ext'], 'urn:example:ext': 1 },
      claims(),
      rs256.privateKey,
      ['urn:example:ext'],
    )
    await expect(verify(token)).rejects.toMatchObject({ code: 'ID_TOKEN_MALFORMED' })
  })

  it.each([
    ['two parts', () => `${segment({ alg: 'RS256' })}.${segment(claims())}`],
    ['bad base64url', () => `${segment({ alg: 'RS256' })}.${segment(claims())}*.sig`],
    [
      'a non-JSON header',
      () => `${segment(new TextEncoder().encode('{alg'))}.${segment(claims())}.`,
    ],
    ['a payload array', () => `${segment({ alg: 'RS256' })}.${segment([claims()])}.`],
    ['a header without alg', () => `${segment({ kid: 'rs-1' })}.${segment(claims())}.`],
  ])('rejects a token with %s as ID_TOKEN_MALFORMED', async (_name, build) => {
    await expect(verify(build())).rejects.toMatchObject({ code: 'ID_TOKEN_MALFORMED' })
  })
})

describe('verifyIdToken: every algorithm family, with its hash for c_hash and at_hash', () => {
  it.each(ASYMMETRIC_TEST_ALGS)(
    '%s verifies and checks c_hash/at_hash with its own hash',
    async (alg) => {
      const key = await generateTestKey(alg)
      const token = await signWith(
        key,
        claims({ c_hash: halfHash(alg, CODE), at_hash: halfHash(alg, ACCESS_TOKEN) }),
      )
      const result = await verify(
        token,
        {
          nonce: NONCE,
          code: { value: CODE, required: true },
          accessToken: { value: ACCESS_TOKEN, required: true },
        },
        { jwks: jwksOf(key.publicJwk) },
      )
      expect(result).toMatchObject({ kind: 'verified', alg })
    },
  )
})

describe('verifyIdToken: claims (OIDC Core 3.1.3.7, 3.3.2.12)', () => {
  async function rejects(
    overrides: Record<string, unknown>,
    code: string,
    expectations: IdTokenExpectations = onlyNonce,
    contextOverrides: Overrides = {},
  ) {
    const token = await signWith(rs256, claims(overrides))
    await expect(verify(token, expectations, contextOverrides)).rejects.toMatchObject({ code })
  }
  async function accepts(
    overrides: Record<string, unknown>,
    expectations: IdTokenExpectations = onlyNonce,
    contextOverrides: Overrides = {},
  ) {
    const token = await signWith(rs256, claims(overrides))
    const result = await verify(token, expectations, contextOverrides)
    expect(result.kind).toBe('verified')
  }

  it('rp-id_token-issuer-mismatch: rejects iss with "1" appended', async () => {
    await rejects({ iss: `${ISSUER}1` }, 'ID_TOKEN_ISSUER_MISMATCH')
  })

  it('compares iss exactly: a missing trailing slash is a mismatch', async () => {
    await rejects({ iss: ISSUER.slice(0, -1) }, 'ID_TOKEN_ISSUER_MISMATCH')
  })

  it('names the expected issuer in the message', async () => {
    const token = await signWith(rs256, claims({ iss: `${ISSUER}1` }))
    const error = await verify(token).catch((e: Error) => e)
    expect((error as Error).message).toContain(`"${ISSUER}"`)
  })

  it('rp-id_token-sub: rejects a token without sub', async () => {
    await rejects({ sub: undefined }, 'ID_TOKEN_SUBJECT_MISSING')
  })

  it('rejects an empty sub', async () => {
    await rejects({ sub: '' }, 'ID_TOKEN_SUBJECT_MISSING')
  })

  it('rp-id_token-aud: rejects aud with "1" appended', async () => {
    await rejects({ aud: `${CLIENT_ID}1` }, 'ID_TOKEN_AUDIENCE_MISMATCH')
  })

  it('rejects an empty aud array', async () => {
    await rejects({ aud: [] }, 'ID_TOKEN_AUDIENCE_MISMATCH')
  })

  it('rejects an aud with an untrusted extra audience', async () => {
    await rejects(
      { aud: [CLIENT_ID, 'https://other.example'], azp: CLIENT_ID },
      'ID_TOKEN_AUDIENCE_MISMATCH',
    )
  })

  it('accepts an extra audience listed in trusted_audiences', async () => {
    await accepts({ aud: [CLIENT_ID, 'https://api.example'], azp: CLIENT_ID }, onlyNonce, {
      client: { trusted_audiences: ['https://api.example'] },
    })
  })

  it('requires azp when aud has several values', async () => {
    await rejects({ aud: [CLIENT_ID, 'https://api.example'] }, 'ID_TOKEN_AZP_MISMATCH', onlyNonce, {
      client: { trusted_audiences: ['https://api.example'] },
    })
  })

  it('rejects an azp that is not the client_id', async () => {
    await rejects({ azp: `${CLIENT_ID}1` }, 'ID_TOKEN_AZP_MISMATCH')
  })

  it('rejects a token without exp, or with a non-numeric one, as malformed', async () => {
    for (const exp of [undefined, String(NOW + 600), null]) {
      const token = await signWith(rs256, claims({ exp }))
      await expect(verify(token)).rejects.toMatchObject({
        code: 'ID_TOKEN_MALFORMED',
        details: { claims: ['exp'] },
      })
    }
  })

  it('rejects exp once now reaches exp + clockTolerance', async () => {
    await rejects({ exp: NOW - TOLERANCE }, 'ID_TOKEN_EXPIRED')
  })

  it('accepts exp one second inside the clock tolerance', async () => {
    await accepts({ exp: NOW - TOLERANCE + 1 })
  })

  it('rp-id_token-iat: rejects a token without iat', async () => {
    await rejects({ iat: undefined }, 'ID_TOKEN_IAT_INVALID')
  })

  it('rejects iat later than now + clockTolerance', async () => {
    await rejects({ iat: NOW + TOLERANCE + 1 }, 'ID_TOKEN_IAT_INVALID')
  })

  it('accepts iat exactly at now + clockTolerance', async () => {
    await accepts({ iat: NOW + TOLERANCE })
  })

  it('rejects nbf later than now + clockTolerance', async () => {
    await rejects({ nbf: NOW + TOLERANCE + 1 }, 'ID_TOKEN_NOT_YET_VALID')
  })

  it('accepts nbf exactly at now + clockTolerance', async () => {
    await accepts({ nbf: NOW + TOLERANCE })
  })

  it('rejects claims of the wrong JSON type (auth_time as a string)', async () => {
    await rejects({ auth_time: String(NOW) }, 'ID_TOKEN_MALFORMED')
  })

  it('rejects claims of the wrong JSON type (acr as a number)', async () => {
    await rejects({ acr: 1 }, 'ID_TOKEN_MALFORMED')
  })

  it('rejects claims of the wrong JSON type (amr as a string, not an array)', async () => {
    await rejects({ amr: 'pwd' }, 'ID_TOKEN_MALFORMED')
  })

  it('accepts amr as an array of strings', async () => {
    await accepts({ amr: ['pwd', 'mfa'], acr: 'urn:mace:incommon:iap:silver' })
  })

  it('rp-nonce-invalid: rejects nonce with "1" appended', async () => {
    await rejects({ nonce: `${NONCE}1` }, 'NONCE_MISMATCH')
  })

  it('rejects a token without nonce when one was sent', async () => {
    await rejects({ nonce: undefined }, 'NONCE_MISMATCH')
  })

  it('does not put the nonce or the token in the message', async () => {
    const token = await signWith(rs256, claims({ nonce: `${NONCE}1` }))
    const error = (await verify(token).catch((e: Error) => e)) as Error
    expect(error.message).not.toContain(NONCE)
    expect(error.message).not.toContain(token)
    expect(JSON.stringify(error)).not.toContain(NONCE)
  })

  it('rejects a missing auth_time when max_age was sent', async () => {
    await rejects({}, 'AUTH_TIME_INVALID', { nonce: NONCE, maxAge: 300 })
  })

  it('rejects auth_time older than max_age + clockTolerance', async () => {
    await rejects({ auth_time: NOW - 300 - TOLERANCE - 1 }, 'AUTH_TIME_INVALID', {
      nonce: NONCE,
      maxAge: 300,
    })
  })

  it('accepts auth_time exactly max_age + clockTolerance ago', async () => {
    await accepts({ auth_time: NOW - 300 - TOLERANCE }, { nonce: NONCE, maxAge: 300 })
  })

  it('issue 18: auth_time 0 (Glewlwyd at the token endpoint) passes when no max_age was sent', async () => {
    await accepts({ auth_time: 0 }, { nonce: NONCE })
  })

  it('issue 18: auth_time 0 is older than any max_age', async () => {
    await rejects({ auth_time: 0 }, 'AUTH_TIME_INVALID', { nonce: NONCE, maxAge: 300 })
  })

  it('rp-id_token-bad-c_hash: rejects c_hash with "1" appended', async () => {
    await rejects({ c_hash: `${halfHash('RS256', CODE)}1` }, 'C_HASH_MISMATCH', {
      nonce: NONCE,
      code: { value: CODE, required: true },
    })
  })

  it('rp-id_token-missing-c_hash: rejects a missing c_hash when required', async () => {
    await rejects({}, 'C_HASH_MISSING', { nonce: NONCE, code: { value: CODE, required: true } })
  })

  it('accepts a missing c_hash when not required', async () => {
    await accepts({}, { nonce: NONCE, code: { value: CODE, required: false } })
  })

  it('verifies a c_hash that is present even when not required', async () => {
    await rejects({ c_hash: halfHash('RS256', `${CODE}x`) }, 'C_HASH_MISMATCH', {
      nonce: NONCE,
      code: { value: CODE, required: false },
    })
  })

  it('uses the alg hash: an ES384 token with a SHA-256 c_hash is rejected', async () => {
    const es384 = await generateTestKey('ES384')
    const token = await signWith(es384, claims({ c_hash: halfHash('ES256', CODE) }))
    await expect(
      verify(
        token,
        { nonce: NONCE, code: { value: CODE, required: true } },
        { jwks: jwksOf(es384.publicJwk) },
      ),
    ).rejects.toMatchObject({ code: 'C_HASH_MISMATCH' })
  })

  it('rp-id_token-bad-at_hash: rejects at_hash with "1" appended', async () => {
    await rejects({ at_hash: `${halfHash('RS256', ACCESS_TOKEN)}1` }, 'AT_HASH_MISMATCH', {
      nonce: NONCE,
      accessToken: { value: ACCESS_TOKEN, required: true },
    })
  })

  it('rp-id_token-missing-at_hash: rejects a missing at_hash when required', async () => {
    await rejects({}, 'AT_HASH_MISSING', {
      nonce: NONCE,
      accessToken: { value: ACCESS_TOKEN, required: true },
    })
  })

  it('verifies an at_hash that is present even when not required', async () => {
    await rejects({ at_hash: halfHash('RS256', `${ACCESS_TOKEN}x`) }, 'AT_HASH_MISMATCH', {
      nonce: NONCE,
      accessToken: { value: ACCESS_TOKEN, required: false },
    })
  })

  it('accepts a matching org_id for an org_... organization', async () => {
    await accepts({ org_id: 'org_abc123' }, { nonce: NONCE, organization: 'org_abc123' })
  })

  it('rejects a different org_id', async () => {
    await rejects({ org_id: 'org_abc1234' }, 'ORGANIZATION_MISMATCH', {
      nonce: NONCE,
      organization: 'org_abc123',
    })
  })

  it('rejects a missing org_id', async () => {
    await rejects({ org_name: 'org_abc123' }, 'ORGANIZATION_MISMATCH', {
      nonce: NONCE,
      organization: 'org_abc123',
    })
  })

  it('accepts org_name equal to the lower-cased organization name', async () => {
    await accepts({ org_name: 'acme-corp' }, { nonce: NONCE, organization: 'Acme-Corp' })
  })

  it('rejects a different org_name', async () => {
    await rejects({ org_name: 'acme-corp1' }, 'ORGANIZATION_MISMATCH', {
      nonce: NONCE,
      organization: 'Acme-Corp',
    })
  })

  it('rejects a missing org_name', async () => {
    await rejects({ org_id: 'acme-corp' }, 'ORGANIZATION_MISMATCH', {
      nonce: NONCE,
      organization: 'Acme-Corp',
    })
  })

  it('accepts an acr that is one of the required ones (OIDC Core 5.5.1.1)', async () => {
    await accepts({ acr: 'urn:hwk' }, { nonce: NONCE, acr: ['urn:mfa', 'urn:hwk'] })
    await accepts({ acr: 'urn:mfa' }, { nonce: NONCE, acr: 'urn:mfa' })
  })

  it('rejects another acr, or none, when one is required: ACR_NOT_SATISFIED, what was required in details', async () => {
    const token = await signWith(rs256, claims({ acr: 'urn:pwd' }))
    await expect(verify(token, { nonce: NONCE, acr: ['urn:mfa'] })).rejects.toMatchObject({
      code: 'ACR_NOT_SATISFIED',
      details: { expected: ['urn:mfa'] },
    })
    await rejects({}, 'ACR_NOT_SATISFIED', { nonce: NONCE, acr: ['urn:mfa'] })
    // A required value is matched whole, never as a part of a string.
    await rejects({ acr: 'urn:mf' }, 'ACR_NOT_SATISFIED', { nonce: NONCE, acr: 'urn:mfa' })
  })

  it('does not check acr unless it is required (acr_values is a hint)', async () => {
    await accepts({ acr: 'urn:pwd' })
  })
})
