import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevProvider, defaultApis, start } from '../src/index.js'
import {
  basicAuth,
  DEMO_SECRET,
  type Discovery,
  decodeJwt,
  discover,
  login,
  redeemCode,
  tokenRequest,
} from './helpers.js'

const API = 'https://api.example.com'
const SHORT_API = 'https://short.example.com'

function refresh(discovery: Discovery, refreshToken: string) {
  return tokenRequest(
    discovery,
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    basicAuth('demo-app', DEMO_SECRET),
  )
}

function userinfo(discovery: Discovery, accessToken: string): Promise<Response> {
  return fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}` } })
}

describe('short access token lifetimes', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({
      accessTokenTTL: 5,
      apis: [
        ...defaultApis(),
        { identifier: SHORT_API, scopes: ['ping'], allowOfflineAccess: true, accessTokenTTL: 40 },
      ],
    })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('accessTokenTTL: 5 gives 5-second access tokens, from the code and from a refresh', async () => {
    const { response, verifier } = await login(discovery, {
      audience: API,
      scope: 'openid offline_access read:messages',
    })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.json.expires_in).toBe(5)
    const { exp, iat } = decodeJwt(tokens.json.access_token!)
    expect(exp! - iat!).toBe(5)

    const refreshed = await refresh(discovery, tokens.json.refresh_token!)
    expect(refreshed.status).toBe(200)
    expect(refreshed.json.expires_in).toBe(5)
  })

  it('opaque (userinfo) access tokens get accessTokenTTL too', async () => {
    const { response, verifier } = await login(discovery, { scope: 'openid' })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.json.access_token!.split('.')).toHaveLength(1)
    expect(tokens.json.expires_in).toBe(5)
  })

  it("an API's own accessTokenTTL (40) wins", async () => {
    const { response, verifier } = await login(discovery, {
      audience: SHORT_API,
      scope: 'openid offline_access ping',
    })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.json.expires_in).toBe(40)
    const { exp, iat } = decodeJwt(tokens.json.access_token!)
    expect(exp! - iat!).toBe(40)
    expect((await refresh(discovery, tokens.json.refresh_token!)).json.expires_in).toBe(40)
  })
})

it('an expired access token is refused, and its refresh token still gives a new one', async () => {
  const op = await start({ accessTokenTTL: 1 })
  try {
    const discovery = await discover(op.issuer)
    const { response, verifier } = await login(discovery, { scope: 'openid offline_access' })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.json.expires_in).toBe(1)
    expect((await userinfo(discovery, tokens.json.access_token!)).status).toBe(200)
    await sleep(2_100)
    expect((await userinfo(discovery, tokens.json.access_token!)).status).toBe(401)
    const refreshed = await refresh(discovery, tokens.json.refresh_token!)
    expect(refreshed.status).toBe(200)
    expect((await userinfo(discovery, refreshed.json.access_token!)).status).toBe(200)
  } finally {
    await op.close()
  }
})
