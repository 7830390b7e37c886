/**
 * Step-up (`stepUp()`, OIDC Core 3.1.2.1 / 5.5.1.1, RFC 9470) end to end in every adapter (Koa,
 * fetch on node:http, Express, Hono, NestJS on Express and Fastify) against the dev provider
 * (oidc-provider) offering two acr values, a password one and an MFA one:
 *
 * - a route requiring an acr: a session without it is sent to log in with `acr_values` and an
 *   essential `acr`; the provider asks again, the user does MFA, the route answers;
 * - the provider answering another acr: the callback ends with `ACR_NOT_SATISFIED` (403), no
 *   session change, no new redirect; the route then answers an API client 401 `STEP_UP_REQUIRED`;
 * - a route requiring a recent login (`maxAge`), the login having happened earlier (the provider
 *   backdates it): a new login with `max_age`, the provider asks again, the route answers;
 * - `requireBearer` with `acrValues`: an access token without the acr is answered 401
 *   `insufficient_user_authentication` with `acr_values` (RFC 9470), which `stepUpChallenge`
 *   turns into the login (not NestJS: its handler has no redirect to give), and after the MFA
 *   login the API answers.
 */
import { CookieJar, completeLogin } from '@oidc-hybrid/dev-provider'
import {
  type Browser,
  createBrowser,
  listen,
  SESSION,
  startTestProvider,
  type TestProvider,
} from '@oidc-hybrid/test-kit'
import { describe, expect, it } from 'vitest'
import type { RunningApp } from '../src/apps.js'
import { MAX_AGE, MFA, PWD, STEP_UP_APPS, type StepUpApp } from '../src/step-up-apps.js'

const API = 'https://api.example.com'
const HTML = { accept: 'text/html' }
const JSON_ACCEPT = { accept: 'application/json' }

interface Setup {
  app: RunningApp
  provider: TestProvider
  browser: Browser
  /** The provider's cookies: its session, across the logins of a test. */
  providerJar: CookieJar
  close(): Promise<void>
}

async function setup(adapter: StepUpApp): Promise<Setup> {
  const web = await listen()
  const clientId = 'step-up'
  const clientSecret = `${clientId}-client-secret-0123456789abcdef0123456789`
  const provider = await startTestProvider({
    client: { clientId, clientSecret, appURLs: [web.url] },
    acrValues: [PWD, MFA],
  })
  const app = await adapter.start(
    (baseURL) => ({
      issuerBaseURL: provider.issuer,
      baseURL,
      clientID: clientId,
      clientSecret,
      secret: `${clientId}-test-cookie-secret-0123456789abcdef`,
      // Every login asks for auth_time (OIDC Core 3.1.2.1): a day at most, routes ask for less.
      authorizationParams: { scope: 'openid profile email', audience: API, max_age: 86_400 },
    }),
    { server: web.server, bearer: { issuerBaseURL: provider.issuer, audience: API } },
  )
  return {
    app,
    provider,
    browser: createBrowser(app.url, { headers: HTML }),
    providerJar: new CookieJar(),
    close: async () => {
      await app.close()
      await provider.close()
    },
  }
}

/**
 * The user at the provider for `authorizationUrl` (a login form when the provider asks for one:
 * `acr` picked, `authTime` backdated), then the form_post to the app's callback.
 */
async function atProvider(
  t: Setup,
  authorizationUrl: string,
  login: { acr?: string; authTime?: number } = {},
) {
  const { action, params } = await completeLogin(authorizationUrl, undefined, {
    cookieJar: t.providerJar,
    ...login,
  })
  return t.browser.post(action, params)
}

/** A first login with a password (`PWD`), `authTime` maybe backdated. */
async function logIn(t: Setup, login: { authTime?: number } = {}) {
  const callback = await atProvider(t, await t.browser.startLogin(), { acr: PWD, ...login })
  expect(callback.status).toBe(302)
}

/** A GET the app answers with JSON: status and body. */
async function json(t: Setup, path: string) {
  const response = await t.browser.get(path, JSON_ACCEPT)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const seconds = () => Math.floor(Date.now() / 1000)

describe.each(STEP_UP_APPS.map((adapter) => [adapter.name, adapter] as const))(
  'step-up, %s',
  (_name, adapter) => {
    it('a route requiring an acr: a login with acr_values and an essential acr, back to the route', async () => {
      const t = await setup(adapter)
      try {
        await logIn(t)
        const start = await t.browser.get('/mfa')
        expect(start.status).toBe(302)
        const location = new URL(start.headers.get('location')!)
        expect(location.origin).toBe(new URL(t.provider.issuer).origin)
        expect(location.searchParams.get('acr_values')).toBe(MFA)
        expect(JSON.parse(location.searchParams.get('claims')!)).toEqual({
          id_token: { acr: { essential: true, values: [MFA] } },
        })
        // The provider session has PWD: it asks again, and the user does MFA.
        const callback = await atProvider(t, location.href, { acr: MFA })
        expect(callback.status).toBe(302)
        expect(callback.headers.get('location')).toBe(`${t.app.url}/mfa`)
        expect(await json(t, '/mfa')).toEqual({
          status: 200,
          body: { sub: 'auth0|demo-user', acr: MFA },
        })
      } finally {
        await t.close()
      }
    })

    it('the provider answers another acr: ACR_NOT_SATISFIED, no loop, the session kept', async () => {
      const t = await setup(adapter)
      try {
        await logIn(t)
        const before = await json(t, '/me')
        const start = await t.browser.get('/mfa')
        const grants = t.provider.grants()
        const callback = await atProvider(t, start.headers.get('location')!, { acr: PWD })
        expect(callback.status).toBe(403)
        expect(callback.headers.get('location')).toBeNull()
        expect(await callback.text()).toContain('ACR_NOT_SATISFIED')
        // Refused before the code exchange; the session cookie was not touched.
        expect(t.provider.grants()).toBe(grants)
        expect(callback.headers.getSetCookie().some((line) => line.startsWith(SESSION))).toBe(false)
        expect(await json(t, '/me')).toEqual(before)
        const api = await json(t, '/mfa')
        expect(api.status).toBe(401)
        expect(api.body.error).toBe('STEP_UP_REQUIRED')
      } finally {
        await t.close()
      }
    })

    it('a route requiring a recent login, after time has passed: a new login with max_age', async () => {
      const t = await setup(adapter)
      try {
        const earlier = seconds() - 600
        await logIn(t, { authTime: earlier })
        expect((await json(t, '/me')).body.auth_time).toBe(earlier)
        const start = await t.browser.get('/recent')
        expect(start.status).toBe(302)
        const location = new URL(start.headers.get('location')!)
        expect(location.searchParams.get('max_age')).toBe(String(MAX_AGE))
        expect(location.searchParams.get('claims')).toBeNull()
        // Older than max_age at the provider too: it asks again.
        const callback = await atProvider(t, location.href)
        expect(callback.headers.get('location')).toBe(`${t.app.url}/recent`)
        const recent = await json(t, '/recent')
        expect(recent.status).toBe(200)
        expect(recent.body.auth_time as number).toBeGreaterThan(earlier + MAX_AGE)
      } finally {
        await t.close()
      }
    })

    it("requireBearer with acrValues: RFC 9470's challenge, turned into the login, then the API answers", async () => {
      const t = await setup(adapter)
      try {
        await logIn(t)
        const refused = await json(t, '/call-api')
        expect(refused.body.status).toBe(401)
        const challenge = refused.body.challenge as string
        expect(challenge).toMatch(/^Bearer error="insufficient_user_authentication"/)
        expect(challenge).toContain(`acr_values="${MFA}"`)
        let authorizationUrl = (await t.browser.get('/mfa')).headers.get('location')!
        if (adapter.challengeLogin) {
          // The app's one line: the API's challenge is the login that meets it.
          const start = await t.browser.get('/call-api?login')
          expect(start.status).toBe(302)
          authorizationUrl = start.headers.get('location')!
          expect(new URL(authorizationUrl).searchParams.get('acr_values')).toBe(MFA)
        }
        expect((await atProvider(t, authorizationUrl, { acr: MFA })).status).toBe(302)
        expect(await json(t, '/call-api')).toEqual({
          status: 200,
          body: { status: 200, challenge: null },
        })
      } finally {
        await t.close()
      }
    })
  },
)
