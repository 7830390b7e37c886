/**
 * Tokens for other APIs (`apiTokens()`) end to end, for every adapter (Koa, fetch served by
 * node:http, NestJS on Express and on Fastify) against the real dev provider (oidc-provider)
 * over HTTP, with two APIs: the login's (MESSAGES) and a second one (BILLING) that every login's
 * refresh token covers (`multiResourceRefreshToken`, Auth0's MRRT policy).
 *
 * - Auth0 (`getAccessToken({ audience })`, login with `audience`) and RFC 8707
 *   (`getAccessToken({ resource })`, login with `resource`), refresh tokens rotated and kept: the
 *   second API's token has its `aud`; a second request is served the kept token (no grant); the
 *   session's own token is unchanged and still the login API's; the session's own refresh works
 *   afterwards; `fetch(url, init, { audience | resource })` reaches the second API, protected by
 *   the adapter's own bearer check, with a token it accepts, while the session's own token is
 *   refused there (wrong audience).
 * - An RFC 8707 resource the grant does not cover: the provider's invalid_target is the
 *   adapter's TOKEN_ENDPOINT_ERROR, and the session (and its refresh token) go on working.
 * - Without `apiTokens`: `audience`/`resource` are the adapter's CONFIG_INVALID (500 JSON), and
 *   no grant is made.
 *
 * Grants are counted the way the test kit counts them (the provider's grant.success and
 * grant.error events); the token endpoint requests the apps send are recorded through `fetch`.
 */
import type { HybridAuthConfig } from '@oidc-hybrid/core'
import { apiTokens } from '@oidc-hybrid/core'
import {
  type Browser,
  closeServer,
  createBrowser,
  listen,
  startTestProvider,
  type TestProvider,
} from '@oidc-hybrid/test-kit'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_TOKEN_APPS, type ApiTokenApp } from '../src/api-token-apps.js'
import type { RunningApp } from '../src/apps.js'

const CLIENT_ID = 'api-tokens'
const CLIENT_SECRET = 'api-tokens-client-secret-0123456789abcdef0123'
const SECRET = 'api-tokens-test-cookie-secret-0123456789abcdef'
const MESSAGES = 'https://api.example.com'
const BILLING = 'https://billing.example.com'
const REPORTS = 'https://reports.example.com'
const SCOPE = 'openid profile email offline_access read:messages'
const SUB = 'auth0|demo-user'
const JSON_ACCEPT = { accept: 'application/json' }

const APIS = [
  { identifier: MESSAGES, scopes: ['read:messages', 'write:messages'], allowOfflineAccess: true },
  {
    identifier: BILLING,
    scopes: ['read:invoices', 'write:invoices'],
    multiResourceRefreshToken: true,
  },
  { identifier: REPORTS, scopes: ['read:reports'], allowOfflineAccess: true },
]

// ---- token endpoint requests ----------------------------------------------------------------

interface TokenCall {
  grantType: string | null
  refreshToken: string | null
  audience: string | null
  resource: string | null
  /** The refresh token the answer carried (rotation), if any. */
  answeredRefreshToken?: string
}

/** A `fetch` for the app's config that records every POST to the provider's token endpoint. */
function tokenEndpointSpy(): { fetch: typeof fetch; calls: TokenCall[] } {
  const calls: TokenCall[] = []
  const spy: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    const response = await fetch(input, init)
    if (method === 'POST' && new URL(url).pathname === '/oauth/token') {
      const form = new URLSearchParams(typeof init?.body === 'string' ? init.body : '')
      const body = (await response
        .clone()
        .json()
        .catch(() => ({}))) as { refresh_token?: string }
      calls.push({
        grantType: form.get('grant_type'),
        refreshToken: form.get('refresh_token'),
        audience: form.get('audience'),
        resource: form.get('resource'),
        ...(body.refresh_token ? { answeredRefreshToken: body.refresh_token } : {}),
      })
    }
    return response
  }
  return { fetch: spy, calls }
}

// ---- setup ----------------------------------------------------------------------------------

interface Setup {
  provider: TestProvider
  app: RunningApp & { apiURL: string }
  calls: TokenCall[]
  close(): Promise<void>
}

async function setup(
  adapter: ApiTokenApp,
  options: {
    rotateRefreshTokens: boolean
    /** How the login names its API (Auth0's `audience` or RFC 8707's `resource`). */
    loginWith: 'audience' | 'resource'
    config?: Partial<HybridAuthConfig>
  },
): Promise<Setup> {
  const web = await listen()
  let provider: TestProvider | undefined
  let app: (RunningApp & { apiURL: string }) | undefined
  const close = async () => {
    if (app) await app.close()
    else await closeServer(web.server)
    await provider?.close()
  }
  try {
    provider = await startTestProvider({
      apis: APIS,
      rotateRefreshTokens: options.rotateRefreshTokens,
      client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appURLs: [web.url] },
    })
    const issuer = provider.issuer
    const spy = tokenEndpointSpy()
    app = await adapter.start(
      (baseURL) => ({
        issuerBaseURL: issuer,
        baseURL,
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        secret: SECRET,
        authorizationParams: {
          response_type: 'code id_token',
          scope: SCOPE,
          [options.loginWith]: MESSAGES,
        },
        apiTokens: apiTokens(),
        fetch: spy.fetch,
        ...options.config,
      }),
      {
        server: web.server,
        api: {
          bearer: { issuerBaseURL: issuer, audience: BILLING, clockTolerance: 0 },
          scopes: ['read:invoices'],
        },
      },
    )
    return { provider, app, calls: spy.calls, close }
  } catch (error) {
    await close()
    throw error
  }
}

interface Body {
  token: string
  scope?: string
  expired?: boolean
  status?: number
  body?: { sub?: string; aud?: string | string[]; scopes?: string[]; error?: string }
  error?: string
  message?: string
}

interface AppBrowser extends Browser {
  json(path: string, status?: number): Promise<Body>
}

function openBrowser(appURL: string): AppBrowser {
  const browser = createBrowser(appURL, { headers: JSON_ACCEPT })
  return {
    ...browser,
    async json(path: string, status = 200): Promise<Body> {
      const response = await browser.get(path)
      const text = await response.text()
      expect(response.status, `GET ${path}: ${text}`).toBe(status)
      return JSON.parse(text) as Body
    },
  }
}

async function loggedIn(s: Setup): Promise<AppBrowser> {
  const browser = openBrowser(s.app.url)
  const callback = await browser.login()
  expect(callback.status, await callback.clone().text()).toBe(302)
  return browser
}

function audiences(jwt: string): string[] {
  const { aud } = decodeJwt(jwt)
  return Array.isArray(aud) ? aud : aud === undefined ? [] : [aud]
}

/** The status the second API answers for `token`. */
async function apiStatus(apiURL: string, token: string): Promise<number> {
  const response = await fetch(`${apiURL}/api`, { headers: { authorization: `Bearer ${token}` } })
  return response.status
}

// ---- the variants ---------------------------------------------------------------------------

const VARIANTS = [
  { name: "Auth0's multi-resource refresh token (audience)", parameter: 'audience' as const },
  { name: 'RFC 8707 resource indicator (resource)', parameter: 'resource' as const },
].flatMap((variant) =>
  [true, false].map((rotate) => ({
    ...variant,
    rotate,
    title: `${variant.name}, refresh tokens ${rotate ? 'rotated' : 'kept'}`,
  })),
)

for (const adapter of API_TOKEN_APPS) {
  describe(adapter.name, () => {
    describe.each(VARIANTS)('$title', ({ parameter, rotate }) => {
      let s: Setup
      beforeAll(async () => {
        s = await setup(adapter, { rotateRefreshTokens: rotate, loginWith: parameter })
      })
      afterAll(() => s?.close())

      const query = (api: string) => `${parameter}=${encodeURIComponent(api)}`

      it("gets a token with the other API's aud once, then serves it from the session; the session's own token is unchanged", async () => {
        const browser = await loggedIn(s)
        const own = await browser.json('/state')
        expect(audiences(own.token)).toContain(MESSAGES)
        const grants = s.provider.grants()
        const calls = s.calls.length

        const first = await browser.json(`/api-token?${query(BILLING)}`)
        expect(audiences(first.token)).toContain(BILLING)
        expect(audiences(first.token)).not.toContain(MESSAGES)
        expect(decodeJwt(first.token)).toMatchObject({ sub: SUB, scope: first.scope })
        expect(first.scope?.split(' ')).toContain('read:invoices')
        expect(first.expired).toBe(false)
        expect(s.provider.grants()).toBe(grants + 1)
        const [call] = s.calls.slice(calls)
        expect(call).toMatchObject({ grantType: 'refresh_token', [parameter]: BILLING })
        expect(call![parameter === 'audience' ? 'resource' : 'audience']).toBeNull()

        // Kept in the session: no new grant, the same token.
        const again = await browser.json(`/api-token?${query(BILLING)}`)
        expect(again.token).toBe(first.token)
        expect(s.provider.grants()).toBe(grants + 1)

        // The session's own token is the one it had, for the login's API.
        const after = await browser.json('/state')
        expect(after.token).toBe(own.token)
        expect(after.scope).toBe(own.scope)
        expect(audiences(after.token)).toContain(MESSAGES)
        expect(audiences(after.token)).not.toContain(BILLING)
      })

      it("the user stays logged in: the session's own refresh works afterwards, with the refresh token the provider's rotation calls for", async () => {
        const browser = await loggedIn(s)
        const own = await browser.json('/state')
        const calls = s.calls.length
        await browser.json(`/api-token?${query(BILLING)}`)
        const refreshed = await browser.json('/refresh')
        expect(refreshed.token).not.toBe(own.token)
        expect(audiences(refreshed.token)).toContain(MESSAGES)
        expect(audiences(refreshed.token)).not.toContain(BILLING)
        expect(refreshed.scope?.split(' ')).toContain('read:messages')

        const [forApi, forSession] = s.calls.slice(calls)
        expect(forApi![parameter]).toBe(BILLING)
        expect(forSession).toMatchObject({ grantType: 'refresh_token', audience: null })
        expect(forSession!.resource).toBeNull()
        if (rotate) {
          // The API token's grant rotated the refresh token; the session sent the new one.
          expect(forApi!.answeredRefreshToken).toBeTruthy()
          expect(forSession!.refreshToken).toBe(forApi!.answeredRefreshToken)
        } else {
          expect(forApi!.answeredRefreshToken).toBeUndefined()
          expect(forSession!.refreshToken).toBe(forApi!.refreshToken)
        }
        // Still logged in, and the refreshed token is now the session's.
        expect((await browser.json('/state')).token).toBe(refreshed.token)
        await browser.json('/refresh')
      })

      it("fetch(url, init, { audience | resource }) reaches the second API with a token it accepts; the session's own token is refused there", async () => {
        const browser = await loggedIn(s)
        const grants = s.provider.grants()
        const called = await browser.json(`/call-api?${query(BILLING)}`)
        expect(called.status, JSON.stringify(called.body)).toBe(200)
        expect(called.body).toMatchObject({ sub: SUB })
        expect([called.body!.aud].flat()).toContain(BILLING)
        expect(called.body!.scopes).toContain('read:invoices')
        expect(s.provider.grants()).toBe(grants + 1)

        // The same token again, from the session.
        expect((await browser.json(`/call-api?${query(BILLING)}`)).status).toBe(200)
        expect(s.provider.grants()).toBe(grants + 1)
        const apiToken = await browser.json(`/api-token?${query(BILLING)}`)
        expect(await apiStatus(s.app.apiURL, apiToken.token)).toBe(200)

        // The session's own token (aud: the login's API) is not this API's.
        const ownCall = await browser.json('/call-api')
        expect(ownCall.status).toBe(401)
        const own = await browser.json('/state')
        expect(await apiStatus(s.app.apiURL, own.token)).toBe(401)
      })

      it("an audience the refresh token policy does not list (Auth0 answers the login API's token): refused, not kept, and the session goes on", async () => {
        const browser = await loggedIn(s)
        const own = await browser.json('/state')
        const refused = await browser.json(
          `/api-token?audience=${encodeURIComponent(REPORTS)}`,
          502,
        )
        expect(refused.error).toBe('TOKEN_RESPONSE_INVALID')
        // Not served as that API's token on the next request either.
        const again = await browser.json(`/api-token?audience=${encodeURIComponent(REPORTS)}`, 502)
        expect(again.error).toBe('TOKEN_RESPONSE_INVALID')
        expect((await browser.json('/state')).token).toBe(own.token)
        const refreshed = await browser.json('/refresh')
        expect(audiences(refreshed.token)).toContain(MESSAGES)
      })

      it('an RFC 8707 resource the grant does not cover: TOKEN_ENDPOINT_ERROR (invalid_target), and the session goes on', async () => {
        const browser = await loggedIn(s)
        const own = await browser.json('/state')
        const refused = await browser.json(
          `/api-token?resource=${encodeURIComponent(REPORTS)}`,
          502,
        )
        expect(refused.error).toBe('TOKEN_ENDPOINT_ERROR')
        expect(JSON.stringify(refused)).toContain('invalid_target')
        // The refresh token was not spent on the refused request.
        expect((await browser.json('/state')).token).toBe(own.token)
        const refreshed = await browser.json('/refresh')
        expect(audiences(refreshed.token)).toContain(MESSAGES)
        expect(audiences((await browser.json(`/api-token?${query(BILLING)}`)).token)).toContain(
          BILLING,
        )
      })
    })

    describe('without apiTokens in the configuration', () => {
      let s: Setup
      beforeAll(async () => {
        s = await setup(adapter, {
          rotateRefreshTokens: true,
          loginWith: 'audience',
          config: { apiTokens: undefined },
        })
      })
      afterAll(() => s?.close())

      it('audience and resource are the adapter’s CONFIG_INVALID (500 JSON), and no grant is made', async () => {
        const browser = await loggedIn(s)
        const own = await browser.json('/state')
        const grants = s.provider.grants()
        const calls = s.calls.length
        for (const path of [
          `/api-token?audience=${encodeURIComponent(BILLING)}`,
          `/api-token?resource=${encodeURIComponent(BILLING)}`,
          `/call-api?audience=${encodeURIComponent(BILLING)}`,
        ]) {
          const answer = await browser.json(path, 500)
          expect(answer.error, path).toBe('CONFIG_INVALID')
          expect(answer.message, path).toContain('apiTokens')
        }
        expect(s.provider.grants()).toBe(grants)
        expect(s.calls.length).toBe(calls)
        // The session is as it was.
        expect((await browser.json('/state')).token).toBe(own.token)
      })
    })
  })
}
