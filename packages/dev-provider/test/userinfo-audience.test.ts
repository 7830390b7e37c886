import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CustomClaimsContext, type DevProvider, defaultApis, start } from '../src/index.js'
import {
  basicAuth,
  DEMO_SECRET,
  type Discovery,
  decodeJwt,
  discover,
  login,
  redeemCode,
  tokenRequest,
  verifyJwt,
} from './helpers.js'

const API = 'https://api.example.com'

function userinfo(discovery: Discovery, accessToken: string): Promise<Response> {
  return fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } })
}

/** Logs in with the authorization code flow and returns the token endpoint response. */
async function tokensFor(discovery: Discovery, params: Record<string, string>) {
  const { response, verifier } = await login(discovery, params)
  const tokens = await redeemCode(discovery, response.get('code')!, verifier)
  expect(tokens.status).toBe(200)
  return tokens.json
}

/** Expects oidc-provider's own refusal: 401 with an RFC 6750 invalid_token challenge. */
async function expectInvalidToken(response: Response): Promise<void> {
  expect(response.status).toBe(401)
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/)
  expect(await response.json()).toMatchObject({ error: 'invalid_token' })
}

// Expiry of the JWT is covered by test/access-token-jwt.test.ts: an end-to-end wait on a
// one-second token was timing-dependent under CI load.
describe('API access tokens at /userinfo (Auth0: the issuer userinfo URL in aud with openid)', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({
      apis: defaultApis(),
    })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('puts the API and userinfo into aud when openid is requested, API first', async () => {
    const tokens = await tokensFor(discovery, {
      audience: API,
      scope: 'openid profile email offline_access read:messages',
    })
    const claims = await verifyJwt(discovery, tokens.access_token!, API)
    expect(claims.aud).toEqual([API, `${op.issuer}userinfo`])
    expect(claims.scope).toBe('read:messages')
  })

  it('accepts it at /userinfo with the same claims as an opaque token of the same scopes', async () => {
    const scope = 'openid profile email offline_access'
    const api = await tokensFor(discovery, { audience: API, scope: `${scope} read:messages` })
    const opaque = await tokensFor(discovery, { scope })
    const fromApiToken = await userinfo(discovery, api.access_token!)
    expect(fromApiToken.status).toBe(200)
    const claims = await fromApiToken.json()
    expect(claims).toMatchObject({
      sub: 'auth0|demo-user',
      name: 'Demo User',
      nickname: 'demo',
      email: 'demo@example.com',
      email_verified: true,
    })
    expect(claims).toEqual(await (await userinfo(discovery, opaque.access_token!)).json())
  })

  it('answers only the claims of the granted OpenID scopes', async () => {
    const tokens = await tokensFor(discovery, {
      audience: API,
      scope: 'openid email read:messages',
    })
    const response = await userinfo(discovery, tokens.access_token!)
    expect(response.status).toBe(200)
    const claims = await response.json()
    expect(claims).toMatchObject({ sub: 'auth0|demo-user', email: 'demo@example.com' })
    expect(claims).not.toHaveProperty('name')
  })

  it('accepts a front-channel API access token (code id_token token) too', async () => {
    const { response } = await login(discovery, {
      response_type: 'code id_token token',
      audience: API,
      scope: 'openid profile read:messages',
    })
    const answer = await userinfo(discovery, response.get('access_token')!)
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ sub: 'auth0|demo-user', name: 'Demo User' })
  })

  it('refuses an API access token obtained without openid', async () => {
    const tokens = await tokensFor(discovery, {
      response_type: 'code',
      audience: API,
      scope: 'read:messages',
      nonce: '', // an OAuth 2.0 request: no nonce without openid
    })
    expect(decodeJwt(tokens.access_token!).aud).toBe(API)
    await expectInvalidToken(await userinfo(discovery, tokens.access_token!))
  })

  it('refuses an API access token refreshed with a scope without openid', async () => {
    const tokens = await tokensFor(discovery, {
      audience: API,
      scope: 'openid offline_access read:messages',
    })
    const refreshed = await tokenRequest(
      discovery,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, scope: 'read:messages' },
      basicAuth('demo-app', DEMO_SECRET),
    )
    expect(refreshed.status).toBe(200)
    expect(decodeJwt(refreshed.json.access_token!).aud).toBe(API)
    await expectInvalidToken(await userinfo(discovery, refreshed.json.access_token!))
  })

  it('refuses an API access token with a tampered signature', async () => {
    const tokens = await tokensFor(discovery, { audience: API, scope: 'openid read:messages' })
    const [header, payload, signature = ''] = tokens.access_token!.split('.')
    const i = Math.floor(signature.length / 2)
    const tampered = `${signature.slice(0, i)}${signature[i] === 'A' ? 'B' : 'A'}${signature.slice(i + 1)}`
    await expectInvalidToken(await userinfo(discovery, `${header}.${payload}.${tampered}`))
    expect((await userinfo(discovery, tokens.access_token!)).status).toBe(200)
  })

  it('refuses an API access token once its grant is revoked', async () => {
    const tokens = await tokensFor(discovery, {
      audience: API,
      scope: 'openid offline_access read:messages',
    })
    expect((await userinfo(discovery, tokens.access_token!)).status).toBe(200)
    const revoked = await fetch(discovery.revocation_endpoint as string, {
      method: 'POST',
      headers: {
        authorization: basicAuth('demo-app', DEMO_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: tokens.refresh_token!, token_type_hint: 'refresh_token' }),
    })
    expect(revoked.status).toBe(200)
    await expectInvalidToken(await userinfo(discovery, tokens.access_token!))
  })

  it('refuses a JWT access token from another provider run', async () => {
    const other = await start()
    try {
      const otherDiscovery = await discover(other.issuer)
      const tokens = await tokensFor(otherDiscovery, { audience: API, scope: 'openid' })
      await expectInvalidToken(await userinfo(discovery, tokens.access_token!))
    } finally {
      await other.close()
    }
  })
})

describe('API access tokens at /userinfo with ES256', () => {
  it('accepts them', async () => {
    const op = await start({ signingAlg: 'ES256' })
    try {
      const discovery = await discover(op.issuer)
      const tokens = await tokensFor(discovery, { audience: API, scope: 'openid email' })
      const response = await userinfo(discovery, tokens.access_token!)
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ email: 'demo@example.com' })
    } finally {
      await op.close()
    }
  })
})

describe('the custom claims hook and API access tokens for userinfo', () => {
  it('is called for the access token the client receives only', async () => {
    const accessTokenScopes: string[] = []
    const op = await start({
      customClaims: ({ token, scope }: CustomClaimsContext) => {
        if (token === 'access_token') accessTokenScopes.push(scope)
        return {}
      },
    })
    try {
      const discovery = await discover(op.issuer)
      await tokensFor(discovery, { audience: API, scope: 'openid email read:messages' })
      expect(accessTokenScopes).toEqual(['read:messages'])
    } finally {
      await op.close()
    }
  })
})
