import { createHash, randomUUID } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
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
  expect(response.headers.get('www-authenticate')).toMatch(/^(Bearer|DPoP) .*error="invalid_token"/)
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

/** A refusal at /userinfo: by the route (invalid_token) or by oidc-provider's own DPoP checks. */
async function expectRefused(response: Response): Promise<void> {
  expect(response.status).toBe(401)
  expect(response.headers.get('www-authenticate')).toMatch(
    /^DPoP .*error="invalid_(token|dpop_proof)"/,
  )
  expect(await response.json()).toMatchObject({
    error: expect.stringMatching(/^invalid_(token|dpop_proof)$/),
  })
}

describe('DPoP-bound API access tokens at /userinfo (RFC 9449 7.1)', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ apis: defaultApis() })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  /** A proof key, and a DPoP-bound API token for it (the code redeemed with a proof). */
  async function boundToken() {
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const proof = (htm: string, htu: string, claims: Record<string, unknown> = {}) =>
      new SignJWT({ htm, htu, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey)
    const { response, verifier } = await login(discovery, {
      audience: API,
      scope: 'openid profile email read:messages',
    })
    const answer = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth('demo-app', DEMO_SECRET),
        dpop: await proof('POST', discovery.token_endpoint),
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: response.get('code')!,
        redirect_uri: 'http://localhost:3000/callback',
        code_verifier: verifier,
      }),
    })
    const tokens = (await answer.json()) as { access_token: string; token_type: string }
    expect(tokens.token_type).toBe('DPoP')
    const token = tokens.access_token
    const ath = createHash('sha256').update(token).digest('base64url')
    return { token, proof, ath }
  }

  function call(authorization: string, dpop?: string) {
    return fetch(discovery.userinfo_endpoint, {
      headers: { authorization, ...(dpop ? { dpop } : {}) },
    })
  }

  it('accepts the token as DPoP with a proof of its key, and refuses the same proof twice', async () => {
    const { token, proof, ath } = await boundToken()
    const made = await proof('GET', discovery.userinfo_endpoint, { ath })
    const answer = await call(`DPoP ${token}`, made)
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ sub: 'auth0|demo-user', email: 'demo@example.com' })
    await expectRefused(await call(`DPoP ${token}`, made))
  })

  it('refuses it as Bearer, without a proof, and with a wrong ath, htu or htm', async () => {
    const { token, proof, ath } = await boundToken()
    await expectInvalidToken(await call(`Bearer ${token}`))
    // oidc-provider answers a DPoP authorization without a DPoP header itself.
    const bare = await call(`DPoP ${token}`)
    expect(bare.status).toBe(400)
    expect(await bare.json()).toMatchObject({ error: 'invalid_request' })
    await expectRefused(
      await call(`DPoP ${token}`, await proof('GET', discovery.userinfo_endpoint, { ath: 'x' })),
    )
    await expectRefused(
      await call(`DPoP ${token}`, await proof('GET', `${op.issuer}other`, { ath })),
    )
    await expectRefused(
      await call(`DPoP ${token}`, await proof('POST', discovery.userinfo_endpoint, { ath })),
    )
  })

  it("refuses a proof by another key than the token's cnf.jkt", async () => {
    const { token, ath } = await boundToken()
    const other = await boundToken()
    await expectRefused(
      await call(`DPoP ${token}`, await other.proof('GET', discovery.userinfo_endpoint, { ath })),
    )
  })

  it('refuses an unbound API token sent as DPoP', async () => {
    const tokens = await tokensFor(discovery, { audience: API, scope: 'openid read:messages' })
    const { proof } = await boundToken()
    const ath = createHash('sha256').update(tokens.access_token!).digest('base64url')
    await expectRefused(
      await call(
        `DPoP ${tokens.access_token}`,
        await proof('GET', discovery.userinfo_endpoint, { ath }),
      ),
    )
  })
})
