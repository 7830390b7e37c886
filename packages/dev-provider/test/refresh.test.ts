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
  tokenRequest,
} from './helpers.js'

const API = 'https://api.example.com'

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
    const { response, verifier } = await login(discovery, { audience: API, scope })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.json.refresh_token).toBeTruthy()
    return tokens.json.refresh_token!
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
    expect(decodeJwt(refreshed.json.access_token!)).toMatchObject({
      aud: [API, `${op.issuer}userinfo`],
      scope: 'read:messages',
    })
    expect(decodeJwt(refreshed.json.id_token!).sub).toBe('auth0|demo-user')
  })

  it('refuses a refresh scope wider than the grant', async () => {
    const first = await loginWithRefreshToken('openid offline_access read:messages')
    const refreshed = await refresh(discovery, first, 'openid offline_access write:messages')
    expect(refreshed.json.error).toBe('invalid_scope')
  })
})
