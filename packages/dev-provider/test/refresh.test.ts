import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevProvider, start } from '../src/index.js'
import {
  basicAuth,
  DEMO_SECRET,
  type Discovery,
  decodeJwt,
  discover,
  login,
  redeemCode,
  type TokenResponse,
  tokenRequest,
  verifyJwt,
} from './helpers.js'

const API = 'https://api.example.com'

/** Logs in for the API with `scope` (and more parameters) and redeems the code. */
async function loginForTokens(
  discovery: Discovery,
  scope: string,
  params: Record<string, string> = {},
): Promise<TokenResponse & { refresh_token: string; id_token: string }> {
  const { response, verifier } = await login(discovery, { audience: API, scope, ...params })
  const tokens = await redeemCode(discovery, response.get('code')!, verifier)
  expect(tokens.status).toBe(200)
  expect(tokens.json.refresh_token).toBeTruthy()
  return tokens.json as TokenResponse & { refresh_token: string; id_token: string }
}

async function userinfo(discovery: Discovery, accessToken: string): Promise<Response> {
  return fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } })
}

function refresh(discovery: Discovery, refreshToken: string, scope?: string) {
  return tokenRequest(
    discovery,
    {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...(scope === undefined ? {} : { scope }),
    },
    basicAuth('demo-app', DEMO_SECRET),
  )
}

describe('offline_access and refresh tokens', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({
      apis: [
        { identifier: API, scopes: ['read:messages', 'write:messages'], allowOfflineAccess: true },
        { identifier: 'https://online.example.com', scopes: ['read'] },
      ],
    })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  async function loginWithRefreshToken(scope: string): Promise<string> {
    return (await loginForTokens(discovery, scope)).refresh_token
  }

  it('issues a refresh token for offline_access without prompt=consent (one login form)', async () => {
    await loginWithRefreshToken('openid offline_access read:messages')
  })

  it('issues no refresh token without offline_access', async () => {
    const { response, verifier } = await login(discovery, { audience: API, scope: 'openid' })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.json).not.toHaveProperty('refresh_token')
  })

  it('issues no refresh token for an API that does not allow offline access', async () => {
    const { response, verifier } = await login(discovery, {
      audience: 'https://online.example.com',
      scope: 'openid offline_access read',
    })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.status).toBe(200)
    expect(tokens.json).not.toHaveProperty('refresh_token')
  })

  it('rotates refresh tokens: the old one is rejected after use', async () => {
    const first = await loginWithRefreshToken('openid offline_access read:messages')
    const refreshed = await refresh(discovery, first)
    expect(refreshed.status).toBe(200)
    expect(refreshed.json.refresh_token).toBeTruthy()
    expect(refreshed.json.refresh_token).not.toBe(first)
    const reused = await refresh(discovery, first)
    expect(reused.json.error).toBe('invalid_grant')
  })

  it('revokes the whole grant when a rotated refresh token is reused, like Auth0', async () => {
    const first = await loginWithRefreshToken('openid offline_access read:messages')
    const second = (await refresh(discovery, first)).json.refresh_token!
    await refresh(discovery, first)
    expect((await refresh(discovery, second)).json.error).toBe('invalid_grant')
  })

  it('refreshes with a reduced scope; the new access token has only that scope', async () => {
    const first = await loginWithRefreshToken(
      'openid profile offline_access read:messages write:messages',
    )
    const refreshed = await refresh(discovery, first, 'openid offline_access read:messages')
    expect(refreshed.status).toBe(200)
    expect(refreshed.json.scope).toBe('read:messages')
    expect(decodeJwt(refreshed.json.access_token!)).toMatchObject({
      aud: [API, `${op.issuer}userinfo`],
      scope: 'read:messages',
    })
    expect(decodeJwt(refreshed.json.id_token!).sub).toBe('auth0|demo-user')
  })

  it('answers scope and repeats the profile claims in the refreshed ID token, like Auth0', async () => {
    const first = await loginWithRefreshToken('openid profile email offline_access read:messages')
    const refreshed = await refresh(discovery, first)
    expect(refreshed.status).toBe(200)
    expect(refreshed.json.scope).toBe('read:messages')
    expect(decodeJwt(refreshed.json.id_token!)).toMatchObject({
      name: 'Demo User',
      email: 'demo@example.com',
      'http://fiz/baz': 'some other value',
    })
  })

  it('refuses a refresh scope wider than the grant', async () => {
    const first = await loginWithRefreshToken('openid offline_access read:messages')
    const refreshed = await refresh(discovery, first, 'openid offline_access write:messages')
    expect(refreshed.json.error).toBe('invalid_scope')
  })
})

describe('rotateRefreshTokens: false', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ rotateRefreshTokens: false })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('answers without refresh_token, and the same refresh token keeps working', async () => {
    const { refresh_token } = await loginForTokens(discovery, 'openid offline_access read:messages')
    const first = await refresh(discovery, refresh_token)
    const second = await refresh(discovery, refresh_token)
    for (const answer of [first, second]) {
      expect(answer.status).toBe(200)
      expect(answer.json).not.toHaveProperty('refresh_token')
      expect(decodeJwt(answer.json.access_token!)).toMatchObject({ scope: 'read:messages' })
    }
    expect(first.json.access_token).not.toBe(second.json.access_token)
    expect((await refresh(discovery, refresh_token)).status).toBe(200)
  })

  it('honours a reduced scope without a new refresh token; revoking it ends it', async () => {
    const { refresh_token } = await loginForTokens(
      discovery,
      'openid offline_access read:messages write:messages',
    )
    const narrowed = await refresh(discovery, refresh_token, 'openid offline_access read:messages')
    expect(narrowed.json).toMatchObject({ scope: 'read:messages' })
    expect(narrowed.json).not.toHaveProperty('refresh_token')
    expect((await refresh(discovery, refresh_token)).json).toMatchObject({
      scope: 'read:messages write:messages',
    })
    const revoked = await fetch(`${op.issuer}oauth/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth('demo-app', DEMO_SECRET),
      },
      body: new URLSearchParams({ token: refresh_token, token_type_hint: 'refresh_token' }),
    })
    expect(revoked.status).toBe(200)
    expect((await refresh(discovery, refresh_token)).json.error).toBe('invalid_grant')
  })
})

describe("refreshScope: 'ignore'", () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ refreshScope: 'ignore' })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('ignores a reduced scope: the tokens keep the original scope and the answer has no scope', async () => {
    const { refresh_token } = await loginForTokens(
      discovery,
      'openid profile offline_access read:messages write:messages',
    )
    const refreshed = await refresh(discovery, refresh_token, 'openid offline_access read:messages')
    expect(refreshed.status).toBe(200)
    expect(refreshed.json).not.toHaveProperty('scope')
    expect(refreshed.json.refresh_token).toBeTruthy()
    expect(decodeJwt(refreshed.json.access_token!)).toMatchObject({
      aud: [API, `${op.issuer}userinfo`],
      scope: 'read:messages write:messages',
    })
    // `profile` was not requested on refresh, yet the OpenID scope is the original one too.
    expect(decodeJwt(refreshed.json.id_token!)).toMatchObject({ name: 'Demo User' })
    const info = await userinfo(discovery, refreshed.json.access_token!)
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ sub: 'auth0|demo-user', name: 'Demo User' })
  })

  it('ignores a wider scope too, instead of answering invalid_scope', async () => {
    const { refresh_token } = await loginForTokens(discovery, 'openid offline_access read:messages')
    const refreshed = await refresh(
      discovery,
      refresh_token,
      'openid offline_access write:messages',
    )
    expect(refreshed.status).toBe(200)
    expect(refreshed.json).not.toHaveProperty('scope')
    expect(decodeJwt(refreshed.json.access_token!)).toMatchObject({ scope: 'read:messages' })
    // Dropping `scope` leaves the other checks alone: another client is still refused.
    const stolen = await tokenRequest(discovery, {
      grant_type: 'refresh_token',
      refresh_token: refreshed.json.refresh_token!,
      scope: 'openid',
      client_id: 'demo-app-post',
      client_secret: 'demo-app-post-secret-0123456789abcdef01234567',
    })
    expect(stolen.json.error).toBe('invalid_grant')
  })

  it('answers without scope when none is asked for, and leaves the code exchange alone', async () => {
    const tokens = await loginForTokens(discovery, 'openid offline_access read:messages')
    expect(tokens.scope).toBe('read:messages')
    const refreshed = await refresh(discovery, tokens.refresh_token)
    expect(refreshed.status).toBe(200)
    expect(refreshed.json).not.toHaveProperty('scope')
    // Rotation is unaffected: the used refresh token is refused.
    expect((await refresh(discovery, tokens.refresh_token)).json.error).toBe('invalid_grant')
  })
})

describe("refreshIdTokenClaims: 'minimal'", () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ refreshIdTokenClaims: 'minimal' })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('refreshed ID tokens carry only the protocol claims; the code exchange keeps them all', async () => {
    const tokens = await loginForTokens(
      discovery,
      'openid profile email offline_access read:messages',
      { organization: 'acme' },
    )
    const original = decodeJwt(tokens.id_token)
    expect(original).toMatchObject({
      name: 'Demo User',
      email: 'demo@example.com',
      org_id: 'org_acme',
      'http://fiz/baz': 'some other value',
    })
    const refreshed = await refresh(discovery, tokens.refresh_token)
    expect(refreshed.status).toBe(200)
    const claims = await verifyJwt(discovery, refreshed.json.id_token!, 'demo-app')
    expect(claims).toMatchObject({ iss: original.iss, sub: original.sub, aud: original.aud })
    for (const name of ['name', 'nickname', 'email', 'email_verified', 'org_id', 'org_name']) {
      expect(claims).not.toHaveProperty(name)
    }
    expect(claims).not.toHaveProperty('http://fiz/baz')
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'nonce', 'sub'])
    // userinfo still answers every claim of the grant.
    const info = await userinfo(discovery, refreshed.json.access_token!)
    expect(await info.json()).toMatchObject({ name: 'Demo User', email: 'demo@example.com' })
  })
})
