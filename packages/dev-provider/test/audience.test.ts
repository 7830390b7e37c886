import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar, completeLogout, type DevProvider, defaultApis, start } from '../src/index.js'
import {
  basicAuth,
  DEMO_SECRET,
  type Discovery,
  decodeJwt,
  decodeProtectedHeader,
  discover,
  halfHash,
  login,
  redeemCode,
  tokenRequest,
  verifyJwt,
} from './helpers.js'

const API = 'https://api.example.com'

async function userinfo(discovery: Discovery, accessToken: string): Promise<Response> {
  return fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } })
}

describe('audience (Auth0 APIs as RFC 8707 resource indicators)', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({
      apis: [
        ...defaultApis(),
        { identifier: 'https://short.example.com', scopes: ['ping'], accessTokenTTL: 120 },
      ],
    })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('issues an RFC 9068 JWT access token for the API with its requested scopes', async () => {
    const { response, verifier } = await login(discovery, {
      audience: API,
      scope: 'openid profile read:messages',
    })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    const accessToken = tokens.json.access_token!
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt')
    const claims = await verifyJwt(discovery, accessToken, API)
    expect(claims).toMatchObject({
      iss: op.issuer,
      sub: 'auth0|demo-user',
      client_id: 'demo-app',
      scope: 'read:messages',
    })
  })

  it('issues a JWT for the API in the front channel too (code id_token token)', async () => {
    const { response } = await login(discovery, {
      response_type: 'code id_token token',
      audience: API,
      scope: 'openid read:messages write:messages',
    })
    const accessToken = response.get('access_token')!
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt')
    // Auth0 adds its userinfo endpoint to `aud` when `openid` is requested.
    expect(decodeJwt(accessToken)).toMatchObject({
      aud: [API, `${op.issuer}userinfo`],
      scope: 'read:messages write:messages',
    })
    expect(decodeJwt(response.get('id_token')!).at_hash).toBe(halfHash(accessToken))
  })

  it('uses the API access token lifetime', async () => {
    const { response, verifier } = await login(discovery, {
      audience: 'https://short.example.com',
      scope: 'openid ping',
    })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    const { exp, iat } = decodeJwt(tokens.json.access_token!)
    expect(exp! - iat!).toBe(120)
  })

  it('without audience the access token is opaque and works at userinfo', async () => {
    const { response, verifier } = await login(discovery, { scope: 'openid email' })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.json.access_token!.split('.')).toHaveLength(1)
    const info = await userinfo(discovery, tokens.json.access_token!)
    expect(info.status).toBe(200)
    expect(await info.json()).toMatchObject({ sub: 'auth0|demo-user', email: 'demo@example.com' })
  })

  it('an API access token is accepted at userinfo when openid was requested, like Auth0', async () => {
    const { response, verifier } = await login(discovery, { audience: API, scope: 'openid' })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    const info = await userinfo(discovery, tokens.json.access_token!)
    expect(info.status).toBe(200)
    const claims = await info.json()
    expect(claims).toMatchObject({ sub: 'auth0|demo-user' })
    expect(claims).not.toHaveProperty('email')
  })

  it('ID tokens have the client_id as their only audience and no azp by default', async () => {
    const { response, verifier } = await login(discovery, { scope: 'openid' })
    const frontChannel = decodeJwt(response.get('id_token')!)
    expect(frontChannel.aud).toBe('demo-app')
    expect(frontChannel).not.toHaveProperty('azp')
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(decodeJwt(tokens.json.id_token!).aud).toBe('demo-app')
    expect(decodeJwt(tokens.json.id_token!)).not.toHaveProperty('azp')
  })

  it('answers an unknown audience with invalid_target', async () => {
    const { response } = await login(discovery, { audience: 'https://unknown.example.com' })
    expect(response.get('error')).toBe('invalid_target')
  })
})

describe('extraIdTokenAudiences', () => {
  const EXTRA = ['https://api.example.com', 'other-app']
  const AUD = ['demo-app', ...EXTRA]
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ extraIdTokenAudiences: EXTRA })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('every ID token has aud [client_id, ...extra] and azp client_id, signed by the provider', async () => {
    const { response, verifier } = await login(discovery, {
      audience: API,
      scope: 'openid profile offline_access read:messages',
    })
    const frontChannel = await verifyJwt(discovery, response.get('id_token')!, 'demo-app')
    expect(frontChannel).toMatchObject({ aud: AUD, azp: 'demo-app', name: 'Demo User' })
    expect(frontChannel.c_hash).toBe(halfHash(response.get('code')!))

    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.status).toBe(200)
    const fromCode = await verifyJwt(discovery, tokens.json.id_token!, 'demo-app')
    expect(fromCode).toMatchObject({ aud: AUD, azp: 'demo-app', nonce: frontChannel.nonce })

    const refreshed = await tokenRequest(
      discovery,
      { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token! },
      basicAuth('demo-app', DEMO_SECRET),
    )
    expect(refreshed.status).toBe(200)
    const fromRefresh = await verifyJwt(discovery, refreshed.json.id_token!, 'demo-app')
    expect(fromRefresh).toMatchObject({ aud: AUD, azp: 'demo-app', sub: 'auth0|demo-user' })
    // Access tokens keep their own audience.
    expect(decodeJwt(tokens.json.access_token!).aud).toEqual([API, `${op.issuer}userinfo`])
  })

  it('in the fragment response mode too, with a valid at_hash', async () => {
    const { response } = await login(discovery, {
      response_type: 'code id_token token',
      response_mode: 'fragment',
      scope: 'openid',
    })
    const claims = await verifyJwt(discovery, response.get('id_token')!, 'demo-app')
    expect(claims).toMatchObject({ aud: AUD, azp: 'demo-app' })
    expect(claims.at_hash).toBe(halfHash(response.get('access_token')!))
  })

  it('the provider accepts such an ID token as id_token_hint at logout', async () => {
    const jar = new CookieJar()
    const { response } = await login(discovery, { scope: 'openid' }, { cookieJar: jar })
    expect(decodeJwt(response.get('id_token')!).aud).toEqual(AUD)
    const endSession = new URL(discovery.end_session_endpoint)
    endSession.searchParams.set('id_token_hint', response.get('id_token')!)
    endSession.searchParams.set('post_logout_redirect_uri', 'http://localhost:3000/')
    const { location } = await completeLogout(endSession.href, { cookieJar: jar })
    expect(location).toBe('http://localhost:3000/')
  })
})
