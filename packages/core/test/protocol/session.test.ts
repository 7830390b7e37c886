// The identity rules between ID tokens: front channel vs token endpoint (OIDC Core 3.3.3.6) and
// session vs refresh (OIDC Core 12.2). One test per rule; everything else stays valid.
import { beforeAll, describe, expect, it } from 'vitest'
import {
  processAuthorizationCodeResponse,
  processRefreshResponse,
} from '../../src/protocol/session.js'
import type {
  HttpResponseData,
  IdTokenClaims,
  ProtocolContext,
  Session,
  Transaction,
  VerifiedCallback,
} from '../../src/protocol/types.js'
import { generateTestKey, halfHash, signWith, type TestKeyPair } from '../support/jwt.js'
import {
  CLIENT_ID,
  httpResponse,
  ISSUER,
  idTokenClaims,
  NOW,
  protocolContext,
  REDIRECT_URI,
} from '../support/protocol.js'

const NONCE = 'n'.repeat(43)
const CODE = 'authorization-code-1'
const ACCESS_TOKEN = 'access-token-2'

let key: TestKeyPair

beforeAll(async () => {
  key = await generateTestKey('ES256', 'key-1')
})

function context(overrides: Partial<ProtocolContext> = {}): ProtocolContext {
  return protocolContext(key, {
    client: {
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      trusted_audiences: ['https://api.example.test'],
    },
    ...overrides,
  })
}

const TRANSACTION: Transaction = {
  state: 's'.repeat(43),
  nonce: NONCE,
  codeVerifier: 'v'.repeat(43),
  responseType: 'code id_token',
  responseMode: 'form_post',
  redirectUri: REDIRECT_URI,
  issuer: ISSUER,
  scope: 'openid profile offline_access',
  audience: 'https://api.example.test',
  organization: 'org_123',
  createdAt: NOW - 10,
}

const CALLBACK = { state: TRANSACTION.state, code: CODE } as VerifiedCallback

const claims = (extra: Record<string, unknown> = {}) =>
  idTokenClaims({ nonce: NONCE, auth_time: NOW - 30, org_id: 'org_123', ...extra })

/** What the front-channel ID token said (already verified in an earlier step). */
const FRONT_CHANNEL = claims() as IdTokenClaims

const response = (body: Record<string, unknown>) => httpResponse(200, body)

/** A token response; `idTokenClaims: null` leaves the ID token out. */
async function tokens(
  options: {
    idTokenClaims?: Record<string, unknown> | null
    body?: Record<string, unknown>
    signer?: TestKeyPair
  } = {},
): Promise<HttpResponseData> {
  const idToken =
    options.idTokenClaims === null
      ? undefined
      : await signWith(options.signer ?? key, options.idTokenClaims ?? claims())
  return response({
    access_token: ACCESS_TOKEN,
    token_type: 'Bearer',
    expires_in: 3600,
    ...(idToken === undefined ? {} : { id_token: idToken }),
    ...options.body,
  })
}

function login(tokenResponse: HttpResponseData, ...frontChannel: [IdTokenClaims?]) {
  // No second argument: the front channel said FRONT_CHANNEL; an explicit undefined: `code token`.
  const claims = frontChannel.length === 0 ? FRONT_CHANNEL : frontChannel[0]
  return processAuthorizationCodeResponse(context(), tokenResponse, TRANSACTION, CALLBACK, claims)
}

async function sessionOf(result: Awaited<ReturnType<typeof login>>): Promise<Session> {
  if (result.kind !== 'session') throw new Error(`expected a session, got ${result.kind}`)
  return result.session
}

describe('processAuthorizationCodeResponse', () => {
  it('builds the session from the token-endpoint tokens and the transaction', async () => {
    const response = await tokens({ body: { refresh_token: 'refresh-1', scope: 'openid' } })
    const session = await sessionOf(await login(response))
    expect(session).toMatchObject({
      issuer: ISSUER,
      sub: 'user-1',
      accessToken: ACCESS_TOKEN,
      tokenType: 'Bearer',
      expiresAt: NOW + 3600,
      scope: 'openid',
      refreshToken: 'refresh-1',
      audience: 'https://api.example.test',
      organization: 'org_123',
      createdAt: NOW,
      updatedAt: NOW,
    })
    expect(session.idToken).toBe(JSON.parse(response.body).id_token)
    expect(session.claims.auth_time).toBe(NOW - 30)
  })

  it('without scope in the response, the session has the requested scope', async () => {
    const session = await sessionOf(await login(await tokens()))
    expect(session.scope).toBe(TRANSACTION.scope)
  })

  it('without expires_in, the expiry is unknown', async () => {
    const session = await sessionOf(await login(await tokens({ body: { expires_in: undefined } })))
    expect(session.expiresAt).toBeUndefined()
  })

  it('OIDC Core 3.1.3.3: a response without id_token is refused', async () => {
    await expect(login(await tokens({ idTokenClaims: null }))).rejects.toMatchObject({
      code: 'TOKEN_RESPONSE_INVALID',
    })
  })

  it('OIDC Core 3.3.3.6: a different iss than the front channel is refused', async () => {
    const frontChannel = { ...FRONT_CHANNEL, iss: 'https://other-op.example.test/' }
    await expect(login(await tokens(), frontChannel)).rejects.toMatchObject({
      code: 'ID_TOKEN_ISSUER_CHANGED',
    })
  })

  it('OIDC Core 3.3.3.6: a different sub than the front channel is refused', async () => {
    await expect(
      login(await tokens({ idTokenClaims: claims({ sub: 'user-2' }) })),
    ).rejects.toMatchObject({
      code: 'ID_TOKEN_SUBJECT_CHANGED',
    })
  })

  it('code token: without a front-channel ID token there is nothing to compare', async () => {
    const session = await sessionOf(
      await login(await tokens({ idTokenClaims: claims({ sub: 'user-2' }) }), undefined),
    )
    expect(session.sub).toBe('user-2')
  })

  it('RFC 9700 4.5.3.2: the token-endpoint ID token carries the login nonce', async () => {
    await expect(
      login(await tokens({ idTokenClaims: claims({ nonce: 'x'.repeat(43) }) })),
    ).rejects.toMatchObject({ code: 'NONCE_MISMATCH' })
  })

  it('rp-id_token-bad-at_hash: at_hash is verified when present', async () => {
    const good = claims({ at_hash: halfHash('ES256', ACCESS_TOKEN) })
    expect((await login(await tokens({ idTokenClaims: good }))).kind).toBe('session')
    const bad = claims({ at_hash: halfHash('ES256', 'another-access-token') })
    await expect(login(await tokens({ idTokenClaims: bad }))).rejects.toMatchObject({
      code: 'AT_HASH_MISMATCH',
    })
  })

  it('rp-id_token-bad-c_hash: c_hash is verified when present', async () => {
    const good = claims({ c_hash: halfHash('ES256', CODE) })
    expect((await login(await tokens({ idTokenClaims: good }))).kind).toBe('session')
    const bad = claims({ c_hash: halfHash('ES256', 'another-code') })
    await expect(login(await tokens({ idTokenClaims: bad }))).rejects.toMatchObject({
      code: 'C_HASH_MISMATCH',
    })
  })

  it('the organization of the login is required in the token-endpoint ID token', async () => {
    await expect(
      login(await tokens({ idTokenClaims: claims({ org_id: 'org_999' }) })),
    ).rejects.toMatchObject({ code: 'ORGANIZATION_MISMATCH' })
  })

  it('an unknown kid asks for keys instead of failing', async () => {
    const rotated = await generateTestKey('ES256', 'key-2')
    expect(await login(await tokens({ signer: rotated }))).toEqual({
      kind: 'need-keys',
      reason: 'unknown-kid',
      kid: 'key-2',
    })
  })
})

describe('issue 18: token-endpoint auth_time 0 (Glewlwyd)', () => {
  const MAX_AGE = { ...TRANSACTION, maxAge: 300 }
  const zero = () => tokens({ idTokenClaims: claims({ auth_time: 0 }) })
  const loginWith = (
    transaction: Transaction,
    response: HttpResponseData,
    // null: `code token`, no front-channel ID token
    frontChannel: IdTokenClaims | null = FRONT_CHANNEL,
  ) =>
    processAuthorizationCodeResponse(
      context(),
      response,
      transaction,
      CALLBACK,
      frontChannel ?? undefined,
    )

  it('without max_age: auth_time 0 at the token endpoint does not fail the login', async () => {
    expect((await loginWith(TRANSACTION, await zero())).kind).toBe('session')
  })

  it('with max_age: the same auth_time as the front channel passes', async () => {
    expect((await loginWith(MAX_AGE, await tokens())).kind).toBe('session')
  })

  it('with max_age: a token-endpoint auth_time contradicting the front channel is AUTH_TIME_MISMATCH', async () => {
    await expect(loginWith(MAX_AGE, await zero())).rejects.toMatchObject({
      code: 'AUTH_TIME_MISMATCH',
      message: 'ID token auth_time changed since the callback; login refused',
    })
  })

  it('with max_age: a token-endpoint ID token without the front channel auth_time is AUTH_TIME_MISMATCH', async () => {
    const response = await tokens({ idTokenClaims: claims({ auth_time: undefined }) })
    await expect(loginWith(MAX_AGE, response)).rejects.toMatchObject({
      code: 'AUTH_TIME_MISMATCH',
    })
  })

  it('code token with max_age: the token-endpoint auth_time is all there is; max_age applies', async () => {
    await expect(loginWith(MAX_AGE, await zero(), null)).rejects.toMatchObject({
      code: 'AUTH_TIME_INVALID',
    })
    expect((await loginWith(MAX_AGE, await tokens(), null)).kind).toBe('session')
  })
})

/** The session as the login left it. */
async function loggedIn(idTokenClaims: Record<string, unknown> = claims()): Promise<Session> {
  const idToken = await signWith(key, idTokenClaims)
  return {
    issuer: ISSUER,
    sub: 'user-1',
    claims: idTokenClaims as IdTokenClaims,
    idToken,
    accessToken: 'access-token-1',
    tokenType: 'Bearer',
    expiresAt: NOW - 1,
    scope: 'openid profile offline_access',
    refreshToken: 'refresh-1',
    audience: 'https://api.example.test',
    organization: 'org_123',
    createdAt: NOW - 3600,
    updatedAt: NOW - 3600,
  }
}

async function refresh(
  session: Session,
  tokenResponse: HttpResponseData,
  requestedScope?: string,
): Promise<Session> {
  const result = await processRefreshResponse(context(), tokenResponse, session, requestedScope)
  if (result.kind !== 'session') throw new Error(`expected a session, got ${result.kind}`)
  return result.session
}

function refreshWith(session: Session, idTokenClaims: Record<string, unknown>) {
  return tokens({ idTokenClaims }).then((r) =>
    processRefreshResponse(context(), r, session, undefined),
  )
}

describe('processRefreshResponse', () => {
  it('takes the new tokens and ID token, keeps identity and creation time', async () => {
    const session = await loggedIn()
    const response = await tokens({ body: { refresh_token: 'refresh-2' } })
    const refreshed = await refresh(session, response)
    expect(refreshed).toMatchObject({
      sub: 'user-1',
      accessToken: ACCESS_TOKEN,
      refreshToken: 'refresh-2',
      expiresAt: NOW + 3600,
      createdAt: NOW - 3600,
      updatedAt: NOW,
      audience: 'https://api.example.test',
    })
    expect(refreshed.idToken).toBe(JSON.parse(response.body).id_token)
    expect(refreshed.idToken).not.toBe(session.idToken)
  })

  it('a response without id_token is fine: the old ID token and claims stay', async () => {
    const session = await loggedIn()
    const refreshed = await refresh(session, await tokens({ idTokenClaims: null }))
    expect(refreshed.idToken).toBe(session.idToken)
    expect(refreshed.claims).toBe(session.claims)
    expect(refreshed.accessToken).toBe(ACCESS_TOKEN)
  })

  it('RFC 9700 4.14.2: the old refresh token is kept only when none is returned', async () => {
    const session = await loggedIn()
    expect((await refresh(session, await tokens())).refreshToken).toBe('refresh-1')
    const rotated = await tokens({ body: { refresh_token: 'refresh-2' } })
    expect((await refresh(session, rotated)).refreshToken).toBe('refresh-2')
  })

  it('scope: the response scope first', async () => {
    const session = await loggedIn()
    const response = await tokens({ body: { scope: 'openid email' } })
    expect((await refresh(session, response, 'openid profile')).scope).toBe('openid email')
  })

  it('scope: else the requested scope (RFC 6749 5.1)', async () => {
    const session = await loggedIn()
    expect((await refresh(session, await tokens(), 'openid profile')).scope).toBe('openid profile')
  })

  it('scope: else the scope the session had', async () => {
    const session = await loggedIn()
    expect((await refresh(session, await tokens())).scope).toBe(session.scope)
  })

  it('expiresAt follows expires_in, and is unknown without it', async () => {
    const session = await loggedIn()
    expect((await refresh(session, await tokens({ body: { expires_in: 60 } }))).expiresAt).toBe(
      NOW + 60,
    )
    const noExpiry = await tokens({ body: { expires_in: undefined } })
    expect((await refresh(session, noExpiry)).expiresAt).toBeUndefined()
  })

  it('OIDC Core 12.2: a refreshed ID token with another iss is refused', async () => {
    // The new token is valid for the current issuer; the session came from another one.
    const session = await loggedIn(claims({ iss: 'https://old-op.example.test/' }))
    await expect(refreshWith(session, claims())).rejects.toMatchObject({
      code: 'ID_TOKEN_ISSUER_CHANGED',
    })
  })

  it('OIDC Core 12.2: a refreshed ID token with another sub is refused', async () => {
    const session = await loggedIn()
    await expect(refreshWith(session, claims({ sub: 'user-2' }))).rejects.toMatchObject({
      code: 'ID_TOKEN_SUBJECT_CHANGED',
    })
  })

  it('OIDC Core 12.2: a refreshed ID token with another aud is refused', async () => {
    const session = await loggedIn(claims({ azp: CLIENT_ID }))
    const wider = claims({ aud: [CLIENT_ID, 'https://api.example.test'], azp: CLIENT_ID })
    await expect(refreshWith(session, wider)).rejects.toMatchObject({
      code: 'ID_TOKEN_AUDIENCE_CHANGED',
    })
  })

  it('OIDC Core 12.2: as many audiences but another one is another aud', async () => {
    const trusted = context({
      client: {
        client_id: CLIENT_ID,
        redirect_uri: 'https://app.example.test/callback',
        trusted_audiences: ['https://api-a.example.test', 'https://api-b.example.test'],
      },
    })
    const session = await loggedIn(
      claims({ aud: [CLIENT_ID, 'https://api-a.example.test'], azp: CLIENT_ID }),
    )
    const swapped = claims({ aud: [CLIENT_ID, 'https://api-b.example.test'], azp: CLIENT_ID })
    await expect(
      processRefreshResponse(trusted, await tokens({ idTokenClaims: swapped }), session, undefined),
    ).rejects.toMatchObject({ code: 'ID_TOKEN_AUDIENCE_CHANGED' })
  })

  it('the same audiences in another order are the same aud', async () => {
    const session = await loggedIn(
      claims({ aud: [CLIENT_ID, 'https://api.example.test'], azp: CLIENT_ID }),
    )
    const reordered = claims({ aud: ['https://api.example.test', CLIENT_ID], azp: CLIENT_ID })
    expect((await refreshWith(session, reordered)).kind).toBe('session')
  })

  it('OIDC Core 12.2: azp set before must stay the same', async () => {
    const session = await loggedIn(claims({ azp: 'client-0' }))
    await expect(refreshWith(session, claims({ azp: CLIENT_ID }))).rejects.toMatchObject({
      code: 'ID_TOKEN_AUDIENCE_CHANGED',
    })
  })

  it('OIDC Core 12.2: azp set before may not disappear', async () => {
    const session = await loggedIn(claims({ azp: CLIENT_ID }))
    await expect(refreshWith(session, claims())).rejects.toMatchObject({
      code: 'ID_TOKEN_AUDIENCE_CHANGED',
    })
  })

  it('OIDC Core 12.2: no azp before means none after', async () => {
    const session = await loggedIn()
    await expect(refreshWith(session, claims({ azp: CLIENT_ID }))).rejects.toMatchObject({
      code: 'ID_TOKEN_AUDIENCE_CHANGED',
    })
  })

  it('OIDC Core 12.2: an unchanged azp is accepted', async () => {
    const session = await loggedIn(claims({ azp: CLIENT_ID }))
    expect((await refreshWith(session, claims({ azp: CLIENT_ID }))).kind).toBe('session')
  })

  it('OIDC Core 12.2: auth_time set before must stay the original authentication time', async () => {
    const session = await loggedIn()
    await expect(refreshWith(session, claims({ auth_time: NOW - 1 }))).rejects.toMatchObject({
      code: 'AUTH_TIME_INVALID',
    })
  })

  it('OIDC Core 12.2: a refreshed ID token may leave auth_time out', async () => {
    const session = await loggedIn()
    expect((await refreshWith(session, claims({ auth_time: undefined }))).kind).toBe('session')
  })

  it('without auth_time before, a refreshed ID token without it is accepted', async () => {
    const session = await loggedIn(claims({ auth_time: undefined }))
    expect((await refreshWith(session, claims({ auth_time: undefined }))).kind).toBe('session')
  })

  it('an organization session stays one: the refreshed ID token must name it', async () => {
    const session = await loggedIn()
    await expect(refreshWith(session, claims({ org_id: 'org_999' }))).rejects.toMatchObject({
      code: 'ORGANIZATION_MISMATCH',
    })
    await expect(refreshWith(session, claims({ org_id: undefined }))).rejects.toMatchObject({
      code: 'ORGANIZATION_MISMATCH',
    })
  })

  it('OIDC Core 12.2: a nonce in the refreshed ID token must be the original one', async () => {
    const session = await loggedIn()
    await expect(refreshWith(session, claims({ nonce: 'x'.repeat(43) }))).rejects.toMatchObject({
      code: 'NONCE_MISMATCH',
    })
  })

  it('OIDC Core 12.2: a nonce where the original had none is refused', async () => {
    const session = await loggedIn(claims({ nonce: undefined }))
    await expect(refreshWith(session, claims())).rejects.toMatchObject({ code: 'NONCE_MISMATCH' })
  })

  it('OIDC Core 12.2: a refreshed ID token may leave the nonce out', async () => {
    const session = await loggedIn()
    expect((await refreshWith(session, claims({ nonce: undefined }))).kind).toBe('session')
  })

  it('rp-id_token-bad-at_hash: at_hash in a refreshed ID token is verified when present', async () => {
    const session = await loggedIn()
    const good = claims({ at_hash: halfHash('ES256', ACCESS_TOKEN) })
    expect((await refreshWith(session, good)).kind).toBe('session')
    const bad = claims({ at_hash: halfHash('ES256', 'another-access-token') })
    await expect(refreshWith(session, bad)).rejects.toMatchObject({ code: 'AT_HASH_MISMATCH' })
  })

  it('a refreshed ID token with an unknown kid asks for keys', async () => {
    const session = await loggedIn()
    const rotated = await generateTestKey('ES256', 'key-3')
    const result = await processRefreshResponse(
      context(),
      await tokens({ signer: rotated }),
      session,
      undefined,
    )
    expect(result).toEqual({ kind: 'need-keys', reason: 'unknown-kid', kid: 'key-3' })
  })

  it('a token endpoint error is reported as such and no session is returned', async () => {
    const session = await loggedIn()
    const refused: HttpResponseData = {
      status: 400,
      headers: new Headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ error: 'invalid_grant' }),
    }
    await expect(
      processRefreshResponse(context(), refused, session, undefined),
    ).rejects.toMatchObject({
      code: 'TOKEN_ENDPOINT_ERROR',
    })
  })
})
