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
  verifyJwt,
} from './helpers.js'

const API = 'https://api.example.com'

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

describe('idTokenAuthTime', () => {
  it("'real' (the default): the token endpoint's ID token has the login's auth_time", async () => {
    const op = await start()
    try {
      const discovery = await discover(op.issuer)
      const withoutMaxAge = await login(discovery, { scope: 'openid' })
      expect(decodeJwt(withoutMaxAge.response.get('id_token')!)).not.toHaveProperty('auth_time')

      const { response, verifier } = await login(discovery, { scope: 'openid', max_age: '600' })
      const authTime = decodeJwt(response.get('id_token')!).auth_time as number
      expect(Math.abs(authTime - nowSeconds())).toBeLessThan(60)
      const tokens = await redeemCode(discovery, response.get('code')!, verifier)
      expect(decodeJwt(tokens.json.id_token!).auth_time).toBe(authTime)
    } finally {
      await op.close()
    }
  })

  describe("'zero-at-token-endpoint' (Glewlwyd 2.7.5)", () => {
    let op: DevProvider
    let discovery: Discovery

    beforeAll(async () => {
      op = await start({ idTokenAuthTime: 'zero-at-token-endpoint' })
      discovery = await discover(op.issuer)
    })
    afterAll(() => op.close())

    it('the front-channel ID token has the real auth_time, the token endpoint ones 0', async () => {
      const { response, verifier } = await login(discovery, {
        audience: API,
        scope: 'openid offline_access read:messages',
      })
      const frontChannel = await verifyJwt(discovery, response.get('id_token')!, 'demo-app')
      expect(typeof frontChannel.auth_time).toBe('number')
      expect(Math.abs((frontChannel.auth_time as number) - nowSeconds())).toBeLessThan(60)

      const tokens = await redeemCode(discovery, response.get('code')!, verifier)
      expect(tokens.status).toBe(200)
      const fromCode = await verifyJwt(discovery, tokens.json.id_token!, 'demo-app')
      expect(fromCode).toMatchObject({
        auth_time: 0,
        sub: frontChannel.sub,
        nonce: frontChannel.nonce,
      })

      const refreshed = await tokenRequest(
        discovery,
        { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token! },
        basicAuth('demo-app', DEMO_SECRET),
      )
      expect(refreshed.status).toBe(200)
      expect(await verifyJwt(discovery, refreshed.json.id_token!, 'demo-app')).toMatchObject({
        auth_time: 0,
      })
    })
  })
})
