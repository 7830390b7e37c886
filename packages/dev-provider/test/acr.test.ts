import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar, completeLogin, type DevProvider, LoginFlowError, start } from '../src/index.js'
import {
  authorizationRequest,
  type Discovery,
  decodeJwt,
  discover,
  login,
  redeemCode,
} from './helpers.js'

const PWD = 'urn:example:pwd'
const MFA = 'urn:example:mfa'
const API = 'https://api.example.com'

describe('acrValues', () => {
  it('default: none offered, no acr claim (as before)', async () => {
    const op = await start()
    try {
      const discovery = await discover(op.issuer)
      expect(discovery).not.toHaveProperty('acr_values_supported')
      const { response } = await login(discovery, { acr_values: MFA })
      expect(decodeJwt(response.get('id_token')!)).not.toHaveProperty('acr')
    } finally {
      await op.close()
    }
  })

  describe('offered', () => {
    let op: DevProvider
    let discovery: Discovery
    beforeAll(async () => {
      op = await start({ acrValues: [PWD, MFA] })
      discovery = await discover(op.issuer)
    })
    afterAll(() => op.close())

    /** A login through completeLogin with `options` (the acr picked, amr, auth_time). */
    async function loginWith(
      params: Record<string, string>,
      options: Parameters<typeof completeLogin>[2] = {},
    ) {
      const request = authorizationRequest(discovery, { scope: 'openid', ...params })
      const { params: response } = await completeLogin(request.url, undefined, options)
      return { request, response }
    }

    it('is listed in discovery; the acr and amr picked at the login are in the ID tokens', async () => {
      expect(discovery.acr_values_supported).toEqual([PWD, MFA])
      const { request, response } = await loginWith(
        { acr_values: MFA },
        { acr: MFA, amr: ['pwd', 'otp'] },
      )
      expect(decodeJwt(response.get('id_token')!)).toMatchObject({ acr: MFA, amr: ['pwd', 'otp'] })
      const tokens = await redeemCode(discovery, response.get('code')!, request.verifier)
      expect(decodeJwt(tokens.json.id_token!)).toMatchObject({ acr: MFA })
    })

    it('a backdated login (authTime) is the auth_time of its tokens', async () => {
      const authTime = Math.floor(Date.now() / 1000) - 3600
      const { response } = await loginWith({ max_age: '86400' }, { authTime })
      expect(decodeJwt(response.get('id_token')!).auth_time).toBe(authTime)
    })

    it('JWT access tokens carry the acr, amr and auth_time of the login (RFC 9068 2.2.1)', async () => {
      const { request, response } = await loginWith(
        { audience: API, scope: 'openid read:messages' },
        { acr: MFA, amr: ['otp'] },
      )
      const tokens = await redeemCode(discovery, response.get('code')!, request.verifier)
      const claims = decodeJwt(tokens.json.access_token!)
      expect(claims.aud).toContain(API)
      expect(claims).toMatchObject({ acr: MFA, amr: ['otp'] })
      expect(typeof claims.auth_time).toBe('number')
    })

    it('acr_values the provider session does not meet asks for a login again; the acr picked then is answered', async () => {
      const cookieJar = new CookieJar()
      await loginWith({}, { cookieJar, acr: PWD })
      // Single sign-on without a page: the session's acr meets it.
      const same = await loginWith({ acr_values: PWD }, { cookieJar })
      expect(decodeJwt(same.response.get('id_token')!).acr).toBe(PWD)
      // The session's acr does not meet MFA: the login form again (a second factor).
      const stepped = await loginWith({ acr_values: MFA }, { cookieJar, acr: MFA })
      expect(decodeJwt(stepped.response.get('id_token')!).acr).toBe(MFA)
      // A user who cannot do better answers a lower acr: the provider does not loop either.
      const fresh = new CookieJar()
      await loginWith({}, { cookieJar: fresh, acr: PWD })
      const lower = await loginWith({ acr_values: MFA }, { cookieJar: fresh, acr: PWD })
      expect(decodeJwt(lower.response.get('id_token')!).acr).toBe(PWD)
    })

    it('refuses an acr it does not offer, and an auth_time in the future', async () => {
      await expect(loginWith({}, { acr: 'urn:other' })).rejects.toBeInstanceOf(LoginFlowError)
      await expect(
        loginWith({}, { authTime: Math.floor(Date.now() / 1000) + 3600 }),
      ).rejects.toBeInstanceOf(LoginFlowError)
    })
  })
})
