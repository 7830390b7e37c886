/**
 * Checks that the end-to-end specs of every adapter make alike: the same behaviour, asserted
 * once. They use vitest's `expect`, so they run inside a vitest test only.
 */
import { CookieJar, completeLogout } from '@oidc-hybrid/dev-provider'
import { expect } from 'vitest'
import type { Browser } from './browser.js'
import { jwtPayload } from './fixtures.js'
import { SESSION, TRANSACTION } from './names.js'

/**
 * A bearer check's answer to a valid token that lacks `scope` (RFC 6750 3.1): 403, a challenge
 * with `error="insufficient_scope"` naming the scope needed, not cached, and the library's error.
 */
export async function expectInsufficientScope(response: Response, scope: string): Promise<void> {
  expect(response.status).toBe(403)
  const challenge = response.headers.get('www-authenticate')
  expect(challenge).toMatch(/^Bearer /)
  expect(challenge).toContain('error="insufficient_scope"')
  expect(challenge).toContain(`scope="${scope}"`)
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(await response.json()).toMatchObject({ error: 'BEARER_INSUFFICIENT_SCOPE' })
}

/**
 * `response` (to GET /logout of a logged-in `browser`) ended the session: the session cookie is
 * gone, a JSON client gets 401 on `/me`, and the browser goes to the provider's end-session
 * endpoint with the ID token of the login (for `clientId`, the demo user) as `id_token_hint`
 * and the app's home as `post_logout_redirect_uri`.
 */
export async function expectLoggedOut(
  browser: Browser,
  response: Response,
  provider: { issuer: string; clientId: string },
): Promise<void> {
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location')!)
  expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}oidc/logout`)
  expect(jwtPayload(location.searchParams.get('id_token_hint')!)).toMatchObject({
    iss: provider.issuer,
    aud: provider.clientId,
    sub: 'auth0|demo-user',
  })
  expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${browser.appURL}/`)
  expect(browser.jar.has(SESSION)).toBe(false)
  expect((await browser.get('/me', { accept: 'application/json' })).status).toBe(401)
}

/**
 * Logs `browser` in with the provider's cookies kept in `providerJar`, then GETs `logoutPath`:
 * the provider's end-session URL the app sends the browser to.
 */
export async function logInAndOut(
  browser: Browser,
  providerJar: CookieJar,
  logoutPath = '/logout',
): Promise<URL> {
  expect((await browser.login({ providerJar })).status).toBe(302)
  const logout = await browser.get(logoutPath)
  expect(logout.status).toBe(302)
  return new URL(logout.headers.get('location')!)
}

/**
 * RP-initiated logout with a state, round trip: log in, log out at the app, sign out at the
 * provider, which returns to the app's home with the app's sealed state; the app answers that
 * return with a clean redirect to the home page (the state is the library's, and used up).
 */
export async function expectCleanReturnFromLogout(browser: Browser): Promise<void> {
  const providerJar = new CookieJar()
  const endSession = await logInAndOut(browser, providerJar)
  const state = endSession.searchParams.get('state')
  expect(state).toMatch(/^v1\./)
  const { location } = await completeLogout(endSession.href, { cookieJar: providerJar })
  const back = new URL(location!)
  // oidc-provider returns to post_logout_redirect_uri with the state it was given.
  expect(`${back.origin}${back.pathname}`).toBe(`${browser.appURL}/`)
  expect(back.searchParams.get('state')).toBe(state)
  const clean = await browser.get(`${back.pathname}${back.search}`)
  expect(clean.status).toBe(302)
  expect(clean.headers.get('location')).toBe(`${browser.appURL}/`)
}

/**
 * A protected page (`path`, default `/me?tab=1`) asked for by a browser: it is sent to the
 * provider's authorization endpoint, and once logged in comes back to the very page, which then
 * answers. An API client (no cookie, JSON) asking for `/me` gets 401 SESSION_MISSING.
 */
export async function expectLoginComesBack(
  browser: Browser,
  issuer: string,
  path = '/me?tab=1',
): Promise<void> {
  const redirect = await browser.get(path, { accept: 'text/html' })
  expect(redirect.status).toBe(302)
  const location = redirect.headers.get('location')!
  expect(location.startsWith(`${issuer}authorize?`)).toBe(true)
  expect(browser.jar.has(TRANSACTION)).toBe(true)
  const callback = await browser.login({ authorizationUrl: location })
  expect(callback.status).toBe(302)
  expect(callback.headers.get('location')).toBe(`${browser.appURL}${path}`)
  expect((await browser.get(path, { accept: 'application/json' })).status).toBe(200)
  const api = await fetch(`${browser.appURL}/me`, { headers: { accept: 'application/json' } })
  expect(api.status).toBe(401)
  expect(await api.json()).toMatchObject({ error: 'SESSION_MISSING' })
}

/** What a bearer check answered, as the checks below read it. */
export type BearerCall = (authorization: string) => Promise<Response>

/**
 * A bearer check (whose provider may be unreachable: the answer comes before any provider call)
 * given `Basic` credentials: 401 with the bare challenge (`challenge`, e.g. `Bearer` or
 * `Bearer realm="api"`; RFC 6750 3.1: no error code for a request without a bearer token), not
 * cached, BEARER_TOKEN_MISSING.
 */
export async function expectBasicChallenged(call: BearerCall, challenge: string): Promise<void> {
  const basic = await call('Basic dXNlcjpwYXNz')
  expect(basic.status).toBe(401)
  expect(basic.headers.get('www-authenticate')).toBe(challenge)
  expect(basic.headers.get('cache-control')).toBe('no-store')
  expect(await basic.json()).toMatchObject({ error: 'BEARER_TOKEN_MISSING' })
}

/**
 * A bearer check whose provider cannot be reached, given a token (as `Bearer` and as `bearer`):
 * 503 with `Retry-After: 30`, not cached, the bare `challenge` (never invalid_token: the token is
 * not to blame), and `error` (HTTP_REQUEST_FAILED: the request to the provider failed).
 */
export async function expectProviderOutage(
  call: BearerCall,
  challenge: string,
  error = 'HTTP_REQUEST_FAILED',
): Promise<void> {
  for (const authorization of ['Bearer abc.def.ghi', 'bearer abc.def.ghi']) {
    const down = await call(authorization)
    expect(down.status, authorization).toBe(503)
    expect(down.headers.get('retry-after')).toBe('30')
    expect(down.headers.get('cache-control')).toBe('no-store')
    expect(down.headers.get('www-authenticate')).toBe(challenge)
    expect(await down.json()).toMatchObject({ error })
  }
}

/** The answer to GET /login of an app configured by {@link expectDiscoveryCheckOverridable}. */
export interface LoginAnswer {
  status: number
  location: string | null
  body: string
}

/**
 * `ignoreDiscoveryFor` reaches the engine: with the discovery of
 * `unlistedCodeTokenDiscovery` and `response_type: 'code token'`, GET /login (asking for JSON)
 * is refused before any redirect, with the advice to set `ignoreDiscoveryFor`; with
 * `ignoreDiscoveryFor: ['response_types_supported']` it redirects with that response type.
 * `login(ignoreDiscoveryFor)` starts such an app and answers GET /login.
 */
export async function expectDiscoveryCheckOverridable(
  login: (ignoreDiscoveryFor?: ['response_types_supported']) => Promise<LoginAnswer>,
): Promise<void> {
  const refused = await login()
  expect(refused.status).toBe(500)
  expect(refused.location).toBeNull()
  expect(JSON.parse(refused.body)).toMatchObject({
    error: 'CONFIG_INVALID',
    message: expect.stringContaining("or ignoreDiscoveryFor: ['response_types_supported']"),
  })
  const trusted = await login(['response_types_supported'])
  expect(trusted.status).toBe(302)
  expect(new URL(trusted.location!).searchParams.get('response_type')).toBe('code token')
}

/** A response read as {@link LoginAnswer}. */
export async function loginAnswer(response: Response): Promise<LoginAnswer> {
  return {
    status: response.status,
    location: response.headers.get('location'),
    body: await response.text(),
  }
}
