// Issue 18: RP-initiated logout sends `state` (Glewlwyd returns to post_logout_redirect_uri only
// with one) and the engine checks it when the browser comes back, through the engine's routes.
// The state is the return URL sealed by the engine (random IV, bound to its purpose, expiring):
// no cookie is needed, and nothing else can pass for it.
import { describe, expect, it } from 'vitest'
import type { HybridAuthConfig } from '../../src/engine/config.js'
import { APP, type Harness, SESSION_COOKIE, setup, tampered } from '../support/harness.js'

/** Logged in, then GET `logoutPath`: the provider URL and the `state` sent with it. */
async function loggedOut(overrides: Partial<HybridAuthConfig> = {}, logoutPath = '/logout') {
  const t = await setup(overrides)
  await t.login()
  const response = (await t.auth.handle(t.request('GET', logoutPath)))!
  t.jar.store(response.headers.getSetCookie())
  const location = new URL(response.headers.get('location')!)
  return { t, response, location, state: location.searchParams.get('state') }
}

/** The browser back at `path` (as the provider sends it), through `handle`. */
async function back(t: Harness, path: string) {
  return t.auth.handle(t.request('GET', path))
}

describe('RP-initiated logout with state', () => {
  it('sends a sealed state, another one each time, and sets no cookie for it', async () => {
    const { t, response, location, state } = await loggedOut({}, '/logout?returnTo=%2Fbye')
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${APP}/bye`)
    expect(state).toMatch(/^v1\.[\w-]+\.[\w-]{16}\.[\w-]+$/)
    // Only the session cookie is cleared; nothing is kept in the browser for the state.
    for (const line of response.headers.getSetCookie()) expect(line).toMatch(/^__Host-appSession/)
    await t.login()
    const again = (await t.auth.handle(t.request('GET', '/logout')))!
    expect(new URL(again.headers.get('location')!).searchParams.get('state')).not.toBe(state)
  })

  it('the return with the state: a redirect to the same URL without state, not cached', async () => {
    const { t, state } = await loggedOut({}, '/logout?returnTo=%2Fbye%3Ftab%3D1')
    const response = (await back(t, `/bye?tab=1&state=${state}`))!
    expect(response.error).toBeUndefined()
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${APP}/bye?tab=1`)
    expect(response.headers.get('cache-control')).toBe('no-store')
    // The clean URL is the app's.
    expect(await back(t, '/bye?tab=1')).toBeUndefined()
  })

  it("a tampered, foreign (another secret), expired or other-purpose state is the app's to answer", async () => {
    const { t, state } = await loggedOut()
    expect(await back(t, `/?state=${tampered(state!)}`)).toBeUndefined()
    const foreign = await loggedOut({ secret: 'another-cookie-secret-that-is-long-enough-0123' })
    expect(await back(t, `/?state=${foreign.state}`)).toBeUndefined()
    // A session cookie is sealed too, for another purpose (the AAD name): not a logout state.
    const fresh = await setup()
    await fresh.login()
    expect(await back(fresh, `/?state=${fresh.jar.cookies.get(SESSION_COOKIE)}`)).toBeUndefined()
    t.clock.now += 601
    expect(await back(t, `/?state=${state}`)).toBeUndefined()
  })

  it('a state sealed for another origin (another app sharing the secret) is not followed there', async () => {
    const { state } = await loggedOut({ baseURL: 'https://other.example.test' })
    const t = await setup()
    expect(await back(t, `/?state=${state}`)).toBeUndefined()
  })

  it('an app URL with a state parameter of its own (an OAuth callback of another provider) reaches the app', async () => {
    const t = await setup()
    expect(await back(t, '/oauth/github/callback?code=x&state=v1.fromGithub')).toBeUndefined()
  })

  it('a long returnTo sealed compressed (v2) is recognised too', async () => {
    const long = `/bye?q=${'a'.repeat(2020)}`
    const { t, state } = await loggedOut({}, `/logout?returnTo=${encodeURIComponent(long)}`)
    expect(state).toMatch(/^v2\./)
    const response = (await back(t, `${long}&state=${state}`))!
    expect(response.headers.get('location')).toBe(`${APP}${long}`)
  })

  it('a return URL that had a state parameter of its own still matches ours', async () => {
    const { t, state } = await loggedOut({}, '/logout?returnTo=%2Fs%3Fstate%3DCA')
    const response = (await back(t, `/s?state=CA&state=${state}`))!
    expect(response.headers.get('location')).toBe(`${APP}/s?state=CA`)
  })

  it('on another path than the return URL, or without a sealed state: the app answers', async () => {
    const { t, state } = await loggedOut({}, '/logout?returnTo=%2Fbye')
    expect(await back(t, `/elsewhere?state=${state}`)).toBeUndefined()
    expect(await back(t, '/bye')).toBeUndefined()
    expect(await back(t, '/bye?state=the-apps-own')).toBeUndefined()
    expect(await back(t, '/bye?stateful=1')).toBeUndefined()
  })

  it('routeOf: the return only for a GET whose query has a sealed-looking state', async () => {
    const t = await setup()
    expect(t.auth.routeOf('GET', '/bye', '?state=v1.abc')).toBe('logoutReturn')
    expect(t.auth.routeOf('GET', '/bye', 'a=1&state=v1.abc')).toBe('logoutReturn')
    expect(t.auth.routeOf('GET', '/bye', '?state=abc')).toBeUndefined()
    expect(t.auth.routeOf('GET', '/bye', '?nostate=v1.abc')).toBeUndefined()
    expect(t.auth.routeOf('POST', '/bye', '?state=v1.abc')).toBeUndefined()
    expect(t.auth.routeOf('GET', '/bye')).toBeUndefined()
    // The engine's own routes keep their meaning.
    expect(t.auth.routeOf('GET', '/login', '?state=v1.abc')).toBe('login')
  })
})

describe('logout without a provider state', () => {
  it("Auth0's /v2/logout: no state", async () => {
    const { location } = await loggedOut({ logoutMode: 'auth0' })
    expect(location.pathname).toBe('/v2/logout')
    expect(location.searchParams.has('state')).toBe(false)
  })

  it('idpLogout off: local logout, no state', async () => {
    const { location } = await loggedOut({ idpLogout: false })
    expect(location.href).toBe(`${APP}/`)
  })
})
