// Issue 18: RP-initiated logout sends `state` (Glewlwyd returns to post_logout_redirect_uri only
// with one) and the engine checks it when the browser comes back, through the engine's routes.
import { describe, expect, it } from 'vitest'
import type { HybridAuthConfig } from '../src/index.js'
import { APP, setup } from './support/harness.js'

const COOKIE = '__Host-oidc_tx-logout'

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
async function back(t: Awaited<ReturnType<typeof setup>>, path: string) {
  const response = await t.auth.handle(t.request('GET', path))
  if (response) t.jar.store(response.headers.getSetCookie())
  return response
}

describe('RP-initiated logout with state', () => {
  it('sends a random state and keeps it in a short-lived SameSite=Lax cookie', async () => {
    const { t, response, location, state } = await loggedOut({}, '/logout?returnTo=%2Fbye')
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${APP}/bye`)
    expect(state).toMatch(/^[\w-]{43}$/)
    const line = response.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!
    expect(line).toMatch(/; Path=\/; Max-Age=600; Secure; HttpOnly; SameSite=Lax$/)
    // Another logout, another state.
    await t.login()
    const again = (await t.auth.handle(t.request('GET', '/logout')))!
    expect(new URL(again.headers.get('location')!).searchParams.get('state')).not.toBe(state)
  })

  it('the return with the state: cookie cleared, redirect to the same URL without state', async () => {
    const { t, state } = await loggedOut({}, '/logout?returnTo=%2Fbye%3Ftab%3D1')
    const response = (await back(t, `/bye?tab=1&state=${state}`))!
    expect(response.error).toBeUndefined()
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`${APP}/bye?tab=1`)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(t.jar.cookies.has(COOKIE)).toBe(false)
    // The clean URL is the app's: no cookie, so not the engine's any more.
    expect(await back(t, '/bye?tab=1')).toBeUndefined()
    expect(await back(t, `/bye?tab=1&state=${state}`)).toBeUndefined()
  })

  it('a forged state is LOGOUT_STATE_MISMATCH (400) and clears the cookie', async () => {
    const { t, state } = await loggedOut()
    const response = (await back(t, `/?state=${state}x`))!
    expect(response.error?.code).toBe('LOGOUT_STATE_MISMATCH')
    expect(response.status).toBe(400)
    expect(response.headers.get('location')).toBeNull()
    expect(t.jar.cookies.has(COOKIE)).toBe(false)
  })

  it('a return URL that had a state parameter of its own still matches ours', async () => {
    const { t, state } = await loggedOut({}, '/logout?returnTo=%2Fs%3Fstate%3DCA')
    const response = (await back(t, `/s?state=CA&state=${state}`))!
    expect(response.headers.get('location')).toBe(`${APP}/s?state=CA`)
  })

  it('without the cookie, or on another path, or without state in the query: not ours', async () => {
    const { t, state } = await loggedOut({}, '/logout?returnTo=%2Fbye')
    expect(await back(t, `/elsewhere?state=${state}`)).toBeUndefined()
    expect(await back(t, '/bye')).toBeUndefined()
    expect(await back(t, '/bye?stateful=1')).toBeUndefined()
    expect(t.jar.cookies.has(COOKIE)).toBe(true)
    const other = await setup()
    expect(await back(other, `/bye?state=${state}`)).toBeUndefined()
  })

  it('an expired logout cookie is not ours either', async () => {
    const { t, state } = await loggedOut()
    t.clock.now += 601
    expect(await back(t, `/?state=${state}`)).toBeUndefined()
  })

  it('a logout cookie that does not open is not ours', async () => {
    const { t, state } = await loggedOut()
    t.jar.cookies.set(COOKIE, `${t.jar.cookies.get(COOKIE)!.slice(0, -4)}AAAA`)
    expect(await back(t, `/?state=${state}`)).toBeUndefined()
  })

  it('routeOf: the return only for a GET with state in the query and the logout cookie', async () => {
    const t = await setup()
    const cookie = `a=b; ${COOKIE}=x`
    expect(t.auth.routeOf('GET', '/bye', '?state=s', cookie)).toBe('logoutReturn')
    expect(t.auth.routeOf('GET', '/bye', 'a=1&state=s', cookie)).toBe('logoutReturn')
    expect(t.auth.routeOf('GET', '/bye', '?state=s', 'a=b')).toBeUndefined()
    expect(t.auth.routeOf('GET', '/bye', '?state=s', null)).toBeUndefined()
    expect(t.auth.routeOf('GET', '/bye', '?nostate=s', cookie)).toBeUndefined()
    expect(t.auth.routeOf('POST', '/bye', '?state=s', cookie)).toBeUndefined()
    expect(t.auth.routeOf('GET', '/bye')).toBeUndefined()
    // The engine's own routes keep their meaning.
    expect(t.auth.routeOf('GET', '/login', '?state=s', cookie)).toBe('login')
  })
})

describe('logout without a provider state', () => {
  it("Auth0's /v2/logout: no state, no cookie", async () => {
    const { response, location } = await loggedOut({ logoutMode: 'auth0' })
    expect(location.pathname).toBe('/v2/logout')
    expect(location.searchParams.has('state')).toBe(false)
    expect(response.headers.getSetCookie().some((c) => c.startsWith(COOKIE))).toBe(false)
  })

  it('idpLogout off: local logout, no state, no cookie', async () => {
    const { response, location } = await loggedOut({ idpLogout: false })
    expect(location.href).toBe(`${APP}/`)
    expect(response.headers.getSetCookie().some((c) => c.startsWith(COOKIE))).toBe(false)
  })

  it('no session: no provider logout, no cookie', async () => {
    const t = await setup()
    const response = (await t.auth.handle(t.request('GET', '/logout')))!
    expect(response.headers.get('location')).toBe(`${APP}/`)
    expect(response.headers.getSetCookie().some((c) => c.startsWith(COOKIE))).toBe(false)
  })
})
