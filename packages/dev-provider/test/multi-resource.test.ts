// Tokens for other APIs from one refresh token: RFC 8707 `resource` on a refresh_token grant,
// and Auth0's multi-resource refresh tokens (`audience`) for APIs with multiResourceRefreshToken.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { completeLogin, type DevProvider, start } from '../src/index.js'
import {
  authorizationRequest,
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

const MESSAGES = 'https://api.example.com'
/** Open to every login's refresh token (Auth0 MRRT policy). */
const BILLING = 'https://billing.example.com'
/** Not open: only a login that names it can have tokens for it. */
const REPORTS = 'https://reports.example.com'
const UNKNOWN = 'https://unknown.example.com'

const APIS = [
  { identifier: MESSAGES, scopes: ['read:messages', 'write:messages'], allowOfflineAccess: true },
  {
    identifier: BILLING,
    scopes: ['read:invoices', 'write:invoices'],
    multiResourceRefreshToken: true,
  },
  { identifier: REPORTS, scopes: ['read:reports'], allowOfflineAccess: true },
]

function refresh(discovery: Discovery, refreshToken: string, extra: Record<string, string> = {}) {
  return tokenRequest(
    discovery,
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
    basicAuth('demo-app', DEMO_SECRET),
  )
}

/** Logs in with `params` and redeems the code; the tokens must include a refresh token. */
async function tokensFor(
  discovery: Discovery,
  params: Record<string, string>,
): Promise<TokenResponse & { access_token: string; refresh_token: string }> {
  const { response, verifier } = await login(discovery, params)
  const tokens = await redeemCode(discovery, response.get('code')!, verifier)
  expect(tokens.status, JSON.stringify(tokens.json)).toBe(200)
  expect(tokens.json.refresh_token).toBeTruthy()
  return tokens.json as TokenResponse & { access_token: string; refresh_token: string }
}

function audiences(jwt: string): string[] {
  const { aud } = decodeJwt(jwt)
  return Array.isArray(aud) ? aud : aud === undefined ? [] : [aud]
}

for (const rotate of [true, false]) {
  describe(`tokens for other APIs at refresh (rotateRefreshTokens: ${rotate})`, () => {
    let op: DevProvider
    let discovery: Discovery

    beforeAll(async () => {
      op = await start({ apis: APIS, rotateRefreshTokens: rotate })
      discovery = await discover(op.issuer)
    })
    afterAll(() => op.close())

    /** The refresh token to use after `answer` (the rotated one, or the same). */
    const next = (used: string, answer: TokenResponse) => {
      if (rotate) {
        expect(answer.refresh_token).toBeTruthy()
        expect(answer.refresh_token).not.toBe(used)
        return answer.refresh_token!
      }
      expect(answer).not.toHaveProperty('refresh_token')
      return used
    }

    it("Auth0: audience=<an API with multiResourceRefreshToken> answers a JWT for that API with all its scopes; the login's API stays the default", async () => {
      const login = await tokensFor(discovery, {
        audience: MESSAGES,
        scope: 'openid offline_access read:messages',
      })
      expect(audiences(login.access_token)).toContain(MESSAGES)
      const billing = await refresh(discovery, login.refresh_token, { audience: BILLING })
      expect(billing.status, JSON.stringify(billing.json)).toBe(200)
      const claims = await verifyJwt(discovery, billing.json.access_token!, BILLING)
      expect(audiences(billing.json.access_token!)).not.toContain(MESSAGES)
      expect(claims.scope).toBe('read:invoices write:invoices')
      expect(billing.json.scope).toBe('read:invoices write:invoices')
      expect(decodeJwt(billing.json.id_token!).sub).toBe('auth0|demo-user')
      // A refresh without audience is for the login's API, with the login's scope.
      const own = await refresh(discovery, next(login.refresh_token, billing.json))
      expect(own.status).toBe(200)
      expect(await verifyJwt(discovery, own.json.access_token!, MESSAGES)).toMatchObject({
        scope: 'read:messages',
      })
      expect(audiences(own.json.access_token!)).not.toContain(BILLING)
      // and it still calls /userinfo, as a login API token does
      const userinfo = await fetch(discovery.userinfo_endpoint, {
        headers: { authorization: `Bearer ${own.json.access_token}` },
      })
      expect(userinfo.status).toBe(200)
      expect(((await userinfo.json()) as { sub?: string }).sub).toBe('auth0|demo-user')
    })

    it('RFC 8707: resource=<an API with multiResourceRefreshToken> after a login with resource, narrowed by scope', async () => {
      const login = await tokensFor(discovery, {
        resource: MESSAGES,
        scope: 'openid offline_access read:messages',
      })
      expect(audiences(login.access_token)).toContain(MESSAGES)
      const billing = await refresh(discovery, login.refresh_token, {
        resource: BILLING,
        scope: 'openid read:invoices',
      })
      expect(billing.status, JSON.stringify(billing.json)).toBe(200)
      expect(await verifyJwt(discovery, billing.json.access_token!, BILLING)).toMatchObject({
        scope: 'read:invoices',
      })
      const own = await refresh(discovery, next(login.refresh_token, billing.json))
      expect(await verifyJwt(discovery, own.json.access_token!, MESSAGES)).toBeTruthy()
    })

    it('RFC 8707: a login naming two APIs (resource twice) has tokens for the first, and for the second at refresh', async () => {
      const request = authorizationRequest(discovery, {
        resource: MESSAGES,
        scope: 'openid offline_access read:messages read:reports',
      })
      const url = new URL(request.url)
      url.searchParams.append('resource', REPORTS)
      const { params } = await completeLogin(url.href)
      const tokens = await redeemCode(discovery, params.get('code')!, request.verifier)
      expect(tokens.status, JSON.stringify(tokens.json)).toBe(200)
      expect(await verifyJwt(discovery, tokens.json.access_token!, MESSAGES)).toMatchObject({
        scope: 'read:messages',
      })
      const reports = await refresh(discovery, tokens.json.refresh_token!, { resource: REPORTS })
      expect(reports.status, JSON.stringify(reports.json)).toBe(200)
      expect(await verifyJwt(discovery, reports.json.access_token!, REPORTS)).toMatchObject({
        scope: 'read:reports',
      })
      expect(audiences(reports.json.access_token!)).not.toContain(MESSAGES)
    })

    it('RFC 8707: an API the grant does not cover, or no API at all, is invalid_target, and the refresh token still works', async () => {
      const login = await tokensFor(discovery, {
        audience: MESSAGES,
        scope: 'openid offline_access read:messages',
      })
      for (const resource of [REPORTS, UNKNOWN, 'not a uri']) {
        const refused = await refresh(discovery, login.refresh_token, { resource })
        expect(refused.status, resource).toBe(400)
        expect(refused.json.error, resource).toBe('invalid_target')
        expect(refused.json.error_description, resource).toContain(resource)
        expect(refused.json).not.toHaveProperty('access_token')
      }
      // Nothing was spent: the same refresh token still works (no reuse, no revoked grant).
      const after = await refresh(discovery, login.refresh_token)
      expect(after.status, JSON.stringify(after.json)).toBe(200)
      expect(await verifyJwt(discovery, after.json.access_token!, MESSAGES)).toBeTruthy()
    })

    it('Auth0: audience=<an API not open to it> is ignored, as Auth0 ignores an audience its policy does not list: a token for the login API', async () => {
      const login = await tokensFor(discovery, {
        audience: MESSAGES,
        scope: 'openid offline_access read:messages',
      })
      let refreshToken = login.refresh_token
      for (const audience of [REPORTS, UNKNOWN]) {
        const answer = await refresh(discovery, refreshToken, { audience })
        expect(answer.status, JSON.stringify(answer.json)).toBe(200)
        expect(audiences(answer.json.access_token!), audience).toContain(MESSAGES)
        expect(audiences(answer.json.access_token!), audience).not.toContain(audience)
        refreshToken = next(refreshToken, answer.json)
      }
    })

    it('a login without an API: its refresh token covers none, so the other API is invalid_target (audience too)', async () => {
      const login = await tokensFor(discovery, { scope: 'openid offline_access' })
      for (const extra of [{ resource: BILLING }, { audience: BILLING }] as Record<
        string,
        string
      >[]) {
        const refused = await refresh(discovery, login.refresh_token, extra)
        expect(refused.json.error).toBe('invalid_target')
      }
      const own = await refresh(discovery, login.refresh_token)
      expect(own.status).toBe(200)
      // still the opaque userinfo token of a login without an API
      expect(own.json.access_token!.split('.')).toHaveLength(1)
    })

    it('several resource parameters on one refresh are invalid_target (a token is for one API)', async () => {
      const login = await tokensFor(discovery, {
        audience: MESSAGES,
        scope: 'openid offline_access read:messages',
      })
      const body = new URLSearchParams([
        ['grant_type', 'refresh_token'],
        ['refresh_token', login.refresh_token],
        ['resource', MESSAGES],
        ['resource', BILLING],
      ])
      const response = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basicAuth('demo-app', DEMO_SECRET),
        },
        body,
      })
      expect(response.status).toBe(400)
      expect(((await response.json()) as TokenResponse).error).toBe('invalid_target')
      expect((await refresh(discovery, login.refresh_token)).status).toBe(200)
    })
  })
}

describe('without multiResourceRefreshToken (the default)', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ apis: APIS.map(({ multiResourceRefreshToken: _, ...api }) => api) })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('audience on a refresh is ignored and resource is invalid_target for an API the login did not name', async () => {
    const login = await tokensFor(discovery, {
      audience: MESSAGES,
      scope: 'openid offline_access read:messages',
    })
    const refused = await refresh(discovery, login.refresh_token, { resource: BILLING })
    expect(refused.json.error).toBe('invalid_target')
    const ignored = await refresh(discovery, login.refresh_token, { audience: BILLING })
    expect(ignored.status).toBe(200)
    expect(audiences(ignored.json.access_token!)).toContain(MESSAGES)
    expect(audiences(ignored.json.access_token!)).not.toContain(BILLING)
  })
})

describe("with refreshScope: 'ignore' too (both edit the token request)", () => {
  it('audience=<open API> still answers its token, the scope dropped as that option says', async () => {
    const op = await start({ apis: APIS, refreshScope: 'ignore' })
    try {
      const discovery = await discover(op.issuer)
      const login = await tokensFor(discovery, {
        audience: MESSAGES,
        scope: 'openid offline_access read:messages',
      })
      const billing = await refresh(discovery, login.refresh_token, {
        audience: BILLING,
        scope: 'openid read:invoices',
      })
      expect(billing.status, JSON.stringify(billing.json)).toBe(200)
      expect(billing.json).not.toHaveProperty('scope')
      expect(await verifyJwt(discovery, billing.json.access_token!, BILLING)).toMatchObject({
        scope: 'read:invoices write:invoices',
      })
    } finally {
      await op.close()
    }
  })
})

describe('multiResourceRefreshToken and third-party clients', () => {
  it('a third-party client (consent page) is not given policy APIs, like Auth0 MRRT', async () => {
    const op = await start({
      apis: APIS,
      clients: [
        {
          client_id: 'third-party',
          client_secret: 'third-party-secret-0123456789abcdef01234567',
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: ['http://localhost:3000/callback'],
          response_types: ['code id_token'],
          grant_types: ['authorization_code', 'implicit', 'refresh_token'],
          is_first_party: false,
        },
      ],
    })
    try {
      const discovery = await discover(op.issuer)
      const request = authorizationRequest(discovery, {
        client_id: 'third-party',
        audience: MESSAGES,
        scope: 'openid offline_access read:messages',
        prompt: 'consent',
      })
      const { params } = await completeLogin(request.url)
      const auth = basicAuth('third-party', 'third-party-secret-0123456789abcdef01234567')
      const tokens = await tokenRequest(
        discovery,
        {
          grant_type: 'authorization_code',
          code: params.get('code')!,
          redirect_uri: 'http://localhost:3000/callback',
          code_verifier: request.verifier,
        },
        auth,
      )
      expect(tokens.status, JSON.stringify(tokens.json)).toBe(200)
      const refused = await tokenRequest(
        discovery,
        {
          grant_type: 'refresh_token',
          refresh_token: tokens.json.refresh_token!,
          resource: BILLING,
        },
        auth,
      )
      expect(refused.json.error).toBe('invalid_target')
    } finally {
      await op.close()
    }
  })
})

describe('options', () => {
  it('multiResourceRefreshToken must be a boolean', async () => {
    await expect(
      start({
        apis: [{ identifier: BILLING, scopes: [], multiResourceRefreshToken: 'yes' as never }],
      }),
    ).rejects.toThrow(/apis\[0\]\.multiResourceRefreshToken must be true or false/)
  })
})
