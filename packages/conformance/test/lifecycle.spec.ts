/**
 * The session lifecycle against providers that differ (DESIGN.md "Providers differ"), for every
 * adapter (Koa, fetch served by node:http, NestJS on Express and on Fastify) and the real dev
 * provider (oidc-provider) over HTTP: forced and reduced-scope refreshes, and the automatic
 * refresh past a short access token lifetime, with refresh tokens rotated or kept, `scope`
 * honoured or ignored on refresh, profile claims repeated or not in refreshed ID tokens; then ID
 * tokens with an extra audience (`trustedAudiences`) and large `groups` claims in the default
 * cookie session (`filterClaims`, COOKIE_TOO_LARGE).
 *
 * The API the apps call is protected by the adapter's own bearer check (Koa's `requireBearer`
 * middleware, the fetch adapter's `requireBearer` guard, NestJS's `BearerAuthGuard` with
 * `@RequiredScopes` in an API app of its own) without clock tolerance: an expired token is
 * refused.
 *
 * Token endpoint calls are counted through the `fetch` option: every refresh the tests expect must
 * reach the provider, with the refresh token the variant calls for.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { claimsFilter, type HybridAuthConfig, type IdTokenClaims } from '@oidc-hybrid/core'
import { type DevProviderOptions, defaultUsers } from '@oidc-hybrid/dev-provider'
import {
  type Browser,
  closeServer,
  createBrowser,
  listen,
  SESSION,
  startTestProvider,
  type TestProvider,
} from '@oidc-hybrid/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import type { AppUnderTest, RunningApp } from '../src/apps.js'

const CLIENT_ID = 'lifecycle'
const CLIENT_SECRET = 'lifecycle-client-secret-0123456789abcdef0123'
const SECRET = 'lifecycle-test-cookie-secret-0123456789abcdef'
const AUDIENCE = 'https://api.example.com'
const SCOPE = 'openid profile email offline_access read:messages'
const REDUCED_SCOPE = 'openid offline_access'
const JSON_ACCEPT = { accept: 'application/json' }
const DEMO = { sub: 'auth0|demo-user', name: 'Demo User', email: 'demo@example.com' }
/**
 * The provider's access tokens live TTL seconds and the app refreshes LEEWAY seconds before they
 * expire (the default leeway, 30 s, would count every such token as expired at once): a token is
 * stale for the app after about 2 s and refused by the API after TTL. A leeway of 1 s also keeps
 * a token just refreshed from counting as expired when the request crosses a second boundary.
 * The tests that wait sleep TTL s + 300 ms, so the token is past its `exp` for the API too (no
 * clock tolerance there).
 */
const TTL = 3
const LEEWAY = 1
const EXTRA_AUDIENCE = 'https://api.example/'
/** 150 groups (~6 KB of claims), as directory-backed providers put into ID tokens. */
const GROUPS = Array.from(
  { length: 150 },
  (_, i) =>
    `${['finance', 'engineering', 'sales', 'people', 'operations'][i % 5]}-team-${String(i).padStart(3, '0')}-members@corp.example.com`,
)
/** 600 random group ids (~19 KB that do not compress): a session no cookie can hold. */
const HUGE_GROUPS = Array.from({ length: 600 }, () => randomBytes(24).toString('base64url'))
const HUGE_USER = {
  sub: 'auth0|huge-user',
  email: 'huge@example.com',
  password: 'huge-password',
  email_verified: true,
  name: 'Huge User',
}

// ---- token endpoint spy -------------------------------------------------------------------

interface TokenCall {
  grantType: string | null
  /** The refresh token sent (refresh_token grants). */
  refreshToken: string | null
  /** The `scope` parameter sent. */
  scope: string | null
  /** Whether the answer carried a new refresh token (refresh_token grants). */
  rotated?: boolean
}

interface Spy {
  fetch: typeof fetch
  calls: TokenCall[]
  refreshes(): TokenCall[]
}

/** A `fetch` for the app's config that records every POST to the provider's token endpoint. */
function tokenEndpointSpy(): Spy {
  const calls: TokenCall[] = []
  const spy: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    const response = await fetch(input, init)
    if (method === 'POST' && new URL(url).pathname === '/oauth/token') {
      const form = new URLSearchParams(typeof init?.body === 'string' ? init.body : '')
      const call: TokenCall = {
        grantType: form.get('grant_type'),
        refreshToken: form.get('refresh_token'),
        scope: form.get('scope'),
      }
      if (call.grantType === 'refresh_token') {
        const body = (await response
          .clone()
          .json()
          .catch(() => ({}))) as { refresh_token?: unknown }
        call.rotated = typeof body.refresh_token === 'string'
      }
      calls.push(call)
    }
    return response
  }
  return {
    fetch: spy,
    calls,
    refreshes: () => calls.filter((call) => call.grantType === 'refresh_token'),
  }
}

// ---- apps ---------------------------------------------------------------------------------

interface Setup {
  provider: TestProvider
  /** One web app per config given to {@link setup}, in that order, with where its `/api` is. */
  apps: { url: string; apiURL: string; spy: Spy }[]
  close(): Promise<void>
}

/**
 * The dev provider with `providerOptions` and one client for every app, and one app of `adapter`
 * per entry of `configs` (merged over the defaults), each with its own token endpoint spy and its
 * own API (no clock tolerance: an expired token is refused).
 */
async function setup(
  adapter: AppUnderTest,
  providerOptions: DevProviderOptions,
  configs: Partial<HybridAuthConfig>[],
): Promise<Setup> {
  // The apps' URLs are registered at the provider before the apps start.
  const webs = await Promise.all(configs.map(() => listen()))
  const running: RunningApp[] = []
  let provider: TestProvider | undefined
  const close = async () => {
    await Promise.all(running.map((app) => app.close()))
    await Promise.all(webs.slice(running.length).map(({ server }) => closeServer(server)))
    await provider?.close()
  }
  try {
    provider = await startTestProvider({
      ...providerOptions,
      client: {
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        appURLs: webs.map((web) => web.url),
      },
    })
    const issuer = provider.issuer
    const apps: Setup['apps'] = []
    for (const [i, web] of webs.entries()) {
      const spy = tokenEndpointSpy()
      const app = await adapter.start(
        (baseURL) => ({
          issuerBaseURL: issuer,
          baseURL,
          clientID: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          secret: SECRET,
          authorizationParams: { response_type: 'code id_token', scope: SCOPE, audience: AUDIENCE },
          fetch: spy.fetch,
          ...configs[i],
        }),
        {
          server: web.server,
          api: {
            bearer: { issuerBaseURL: issuer, audience: AUDIENCE, clockTolerance: 0 },
            scopes: ['read:messages'],
          },
        },
      )
      running.push(app)
      apps.push({ url: app.url, apiURL: app.apiURL!, spy })
    }
    return { provider, apps, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** What the web app's routes answer (each route fills its part). */
interface Body {
  /** /state: the session's claims, access token and its scope. */
  claims: IdTokenClaims
  /** /state, /token, /refresh: an access token; /token: whether it is expired for the app. */
  token: string
  scope?: string
  expired?: boolean
  /** /call-api: the API's answer. */
  status?: number
  body?: unknown
  /** /userinfo */
  sub?: string
  email?: string
}

/** The test kit's browser, asking for JSON, with a GET that expects 200 JSON. */
interface AppBrowser extends Browser {
  json<T = Body>(path: string): Promise<T>
}

function openBrowser(appURL: string): AppBrowser {
  const browser = createBrowser(appURL, { headers: JSON_ACCEPT })
  return {
    ...browser,
    async json<T = Body>(path: string): Promise<T> {
      const response = await browser.get(path)
      const text = await response.text()
      expect(response.status, `GET ${path}: ${text}`).toBe(200)
      return JSON.parse(text) as T
    },
  }
}

/** The status the API answers for `token`. */
async function apiStatus(apiURL: string, token: string): Promise<number> {
  const response = await fetch(`${apiURL}/api`, { headers: { authorization: `Bearer ${token}` } })
  return response.status
}

function words(scope: string | undefined): string[] {
  return (scope ?? '').split(' ').filter(Boolean).sort()
}

/** Each Set-Cookie's name=value fits in the 4096 bytes a browser stores. */
function expectCookiesFit(response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';')[0]!
    expect(Buffer.byteLength(pair), pair.slice(0, 40)).toBeLessThanOrEqual(4096)
  }
}

// ---- refresh, per provider behaviour ------------------------------------------------------

interface Variant {
  name: string
  provider: Required<
    Pick<DevProviderOptions, 'rotateRefreshTokens' | 'refreshScope' | 'refreshIdTokenClaims'>
  >
}

const VARIANTS: Variant[] = [
  {
    name: 'refresh tokens rotated, scope honoured, full refreshed ID tokens (Auth0)',
    provider: { rotateRefreshTokens: true, refreshScope: 'honour', refreshIdTokenClaims: 'full' },
  },
  {
    name: 'refresh tokens kept, scope ignored, minimal refreshed ID tokens (Google-like)',
    provider: {
      rotateRefreshTokens: false,
      refreshScope: 'ignore',
      refreshIdTokenClaims: 'minimal',
    },
  },
  {
    name: 'refresh tokens rotated, scope ignored, minimal refreshed ID tokens',
    provider: {
      rotateRefreshTokens: true,
      refreshScope: 'ignore',
      refreshIdTokenClaims: 'minimal',
    },
  },
  {
    name: 'refresh tokens kept, scope honoured, full refreshed ID tokens',
    provider: { rotateRefreshTokens: false, refreshScope: 'honour', refreshIdTokenClaims: 'full' },
  },
]

for (const adapter of ADAPTERS) {
  describe(adapter.name, () => {
    describe.each(VARIANTS)('$name', ({ provider }) => {
      const rotate = provider.rotateRefreshTokens
      let s: Setup
      let spy: Spy
      beforeAll(async () => {
        s = await setup(adapter, { ...provider, accessTokenTTL: TTL }, [{ refreshLeeway: LEEWAY }])
        spy = s.apps[0]!.spy
      })
      afterAll(() => s?.close())

      async function loggedIn(): Promise<AppBrowser> {
        const browser = openBrowser(s.apps[0]!.url)
        const callback = await browser.login()
        expect(callback.status, await callback.clone().text()).toBe(302)
        return browser
      }

      /** The refresh calls made since `before` all got the answer the variant gives. */
      function expectProviderBehaviour(before: number): TokenCall[] {
        const calls = spy.refreshes().slice(before)
        expect(calls.map((call) => call.rotated)).toEqual(calls.map(() => rotate))
        return calls
      }

      it('a forced refresh twice in a row reaches the provider both times, each with a new access token', async () => {
        const browser = await loggedIn()
        const { token: first } = await browser.json('/state')
        const before = spy.refreshes().length
        const one = await browser.json('/refresh')
        const two = await browser.json('/refresh')
        const calls = expectProviderBehaviour(before)
        expect(calls).toHaveLength(2)
        expect(one.token).not.toBe(first)
        expect(two.token).not.toBe(one.token)
        // Rotated: the successor token is sent next; kept: the same token works again.
        if (rotate) expect(calls[1]!.refreshToken).not.toBe(calls[0]!.refreshToken)
        else expect(calls[1]!.refreshToken).toBe(calls[0]!.refreshToken)
        expect((await browser.json('/state')).token).toBe(two.token)
      })

      it('a reduced-scope refresh right after a full one succeeds; the session keeps the profile and its full-scope token', async () => {
        const browser = await loggedIn()
        const login = await browser.json('/state')
        expect(words(login.scope)).toContain('read:messages')
        expect(login.claims).toMatchObject(DEMO)

        const full = await browser.json('/refresh')
        const afterFull = await browser.json('/state')
        expect(afterFull.claims).toMatchObject(DEMO)
        expect(words(afterFull.scope)).toEqual(words(login.scope))

        const before = spy.refreshes().length
        const narrowed = await browser.json(`/refresh?scope=${encodeURIComponent(REDUCED_SCOPE)}`)
        const [reduced] = expectProviderBehaviour(before)
        expect(reduced!.scope).toBe(REDUCED_SCOPE)
        expect(narrowed.token).not.toBe(full.token)
        if (provider.refreshScope === 'honour') {
          expect(words(narrowed.scope)).not.toContain('read:messages')
        }

        const after = await browser.json('/state')
        expect(after.claims).toMatchObject(DEMO)
        // The narrowed token was for that use only: the session keeps its own, with its scope.
        expect(after.token).toBe(full.token)
        expect(words(after.scope)).toEqual(words(login.scope))
        // And its refresh token still works; the API takes the session's token.
        await browser.json('/refresh')
        expect(await browser.json('/call-api')).toEqual({
          status: 200,
          body: { sub: DEMO.sub, scopes: ['read:messages'] },
        })
        expect((await browser.json('/state')).claims).toMatchObject(DEMO)
      })

      it('past the access token lifetime the automatic refresh hands back a live token: userinfo and the API work, twice in a row', async () => {
        const browser = await loggedIn()
        for (let round = 1; round <= 2; round++) {
          await sleep(TTL * 1000 + 300)
          const { token: stale } = await browser.json('/state')
          // The session's token has really expired: the API refuses it.
          expect(await apiStatus(s.apps[0]!.apiURL, stale)).toBe(401)
          const before = spy.refreshes().length

          expect(await browser.json('/userinfo'), `round ${round}`).toMatchObject({
            sub: DEMO.sub,
            email: DEMO.email,
          })
          expect(await browser.json('/call-api'), `round ${round}`).toEqual({
            status: 200,
            body: { sub: DEMO.sub, scopes: ['read:messages'] },
          })
          const handed = await browser.json('/token')
          expect(handed.expired).toBe(false)
          expect(handed.token).not.toBe(stale)
          expect(await apiStatus(s.apps[0]!.apiURL, handed.token)).toBe(200)
          expect(expectProviderBehaviour(before).length).toBeGreaterThan(0)
        }
      })
    })

    // ---- trustedAudiences -------------------------------------------------------------------

    describe('ID tokens with another audience (aud [client_id, X], azp client_id)', () => {
      let s: Setup
      beforeAll(async () => {
        s = await setup(adapter, { extraIdTokenAudiences: [EXTRA_AUDIENCE] }, [
          {},
          { trustedAudiences: [EXTRA_AUDIENCE] },
        ])
      })
      afterAll(() => s?.close())

      it('are refused without trustedAudiences: ID_TOKEN_AUDIENCE_MISMATCH, no session, no code redeemed', async () => {
        const [plain] = s.apps
        const browser = openBrowser(plain!.url)
        const callback = await browser.login()
        expect(callback.status).toBe(400)
        expect(await callback.json()).toMatchObject({ error: 'ID_TOKEN_AUDIENCE_MISMATCH' })
        expect(browser.jar.has(SESSION)).toBe(false)
        expect(plain!.spy.calls).toEqual([])
        expect((await browser.get('/state')).status).toBe(401)
      })

      it('are accepted with trustedAudiences: [X], at login and at refresh', async () => {
        const [, trusting] = s.apps
        const browser = openBrowser(trusting!.url)
        const callback = await browser.login()
        expect(callback.status, await callback.clone().text()).toBe(302)
        const state = await browser.json('/state')
        expect(state.claims.aud).toEqual([CLIENT_ID, EXTRA_AUDIENCE])
        expect(state.claims.azp).toBe(CLIENT_ID)
        expect(state.claims.sub).toBe(DEMO.sub)
        await browser.json('/refresh')
        expect(trusting!.spy.refreshes()).toHaveLength(1)
        expect((await browser.json('/state')).claims.aud).toEqual([CLIENT_ID, EXTRA_AUDIENCE])
      })
    })

    // ---- large claims in the cookie session -------------------------------------------------

    describe('large claims in the default cookie session', () => {
      let s: Setup
      beforeAll(async () => {
        s = await setup(
          adapter,
          {
            users: [...defaultUsers(), HUGE_USER],
            customClaims: ({ user, token }) =>
              token === 'id_token'
                ? { groups: user.sub === HUGE_USER.sub ? HUGE_GROUPS : GROUPS }
                : {},
          },
          [
            {},
            {
              filterClaims: claimsFilter((claims) =>
                Object.fromEntries(Object.entries(claims).filter(([name]) => name !== 'groups')),
              ),
            },
          ],
        )
      })
      afterAll(() => s?.close())

      it('150 groups: login succeeds with every cookie ≤ 4096 bytes, and the groups come back intact, also after a refresh', async () => {
        const browser = openBrowser(s.apps[0]!.url)
        const response = await browser.authorize(await browser.startLogin())
        // The scenario is real: the ID token alone would not fit in a cookie.
        expect(response.params.get('id_token')!.length).toBeGreaterThan(8000)
        const callback = await browser.post(response.action, response.params)
        expect(callback.status, await callback.clone().text()).toBe(302)
        expectCookiesFit(callback)
        expect(browser.jar.has(SESSION)).toBe(true)
        const state = await browser.json('/state')
        expect(state.claims.groups).toEqual(GROUPS)
        expect(state.claims).toMatchObject(DEMO)

        const refresh = await browser.get('/refresh')
        expect(refresh.status, await refresh.clone().text()).toBe(200)
        expectCookiesFit(refresh)
        expect((await browser.json('/state')).claims.groups).toEqual(GROUPS)
      })

      it('a session that cannot fit is COOKIE_TOO_LARGE, naming session.store and filterClaims, and sets no session cookie', async () => {
        const browser = openBrowser(s.apps[0]!.url)
        const callback = await browser.login({ credentials: HUGE_USER })
        expect(callback.status).toBe(500)
        const body = await callback.json()
        expect(body.error).toBe('COOKIE_TOO_LARGE')
        expect(body.message).toContain('session.store')
        expect(body.message).toContain('filterClaims')
        const sessionCookies = callback.headers
          .getSetCookie()
          .filter((line) => line.startsWith(SESSION) && !/max-age=0/i.test(line))
        expect(sessionCookies).toEqual([])
        expect(browser.jar.has(SESSION)).toBe(false)
      })

      it('filterClaims keeps the session small: the same user logs in, without the groups', async () => {
        const browser = openBrowser(s.apps[1]!.url)
        const callback = await browser.login({ credentials: HUGE_USER })
        expect(callback.status, await callback.clone().text()).toBe(302)
        expectCookiesFit(callback)
        const state = await browser.json('/state')
        expect(state.claims.groups).toBeUndefined()
        expect(state.claims).toMatchObject({ sub: HUGE_USER.sub, name: HUGE_USER.name })
      })
    })
  })
}
