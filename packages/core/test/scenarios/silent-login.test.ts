// Silent login (`prompt=none`): the app asks whether the user already has a session at the
// provider; "no" (login_required, interaction_required...) brings the browser back to returnTo,
// not logged in, with no error page; "yes" logs in as usual.
import { describe, expect, it } from 'vitest'
import { SESSION_COOKIE, setup, TX_COOKIE } from '../support/harness.js'

async function silentLogin(t: Awaited<ReturnType<typeof setup>>) {
  const start = await t.auth.login(t.request('GET', '/'), {
    authorizationParams: { prompt: 'none' },
    returnTo: '/account',
  })
  t.jar.store(start.headers.getSetCookie())
  const authorize = new URL(start.headers.get('location')!)
  expect(authorize.searchParams.get('prompt')).toBe('none')
  return authorize
}

describe('silent login (prompt=none)', () => {
  it('login_required comes back as "not logged in" at returnTo, without an error', async () => {
    const t = await setup()
    const authorize = await silentLogin(t)
    const params = new URLSearchParams({
      error: 'login_required',
      state: authorize.searchParams.get('state')!,
      iss: t.provider.issuer,
    })
    const callback = (await t.auth.handle(t.request('POST', '/callback', params.toString())))!
    expect(callback.status).toBe(302)
    expect(callback.error).toBeUndefined()
    expect(callback.headers.get('location')).toBe('https://app.example.test/account')
    const cookies = callback.headers.getSetCookie()
    // The login cookie is cleared; no session is made.
    expect(cookies.some((c) => c.startsWith(TX_COOKIE) && /Max-Age=0/.test(c))).toBe(true)
    expect(cookies.some((c) => c.startsWith(SESSION_COOKIE))).toBe(false)
    t.jar.store(cookies)
    expect(await t.session()).toBeUndefined()
    expect(t.provider.calls.some((call) => call.path === '/oauth/token')).toBe(false)
  })

  it('with a provider session, the silent login logs in as usual', async () => {
    const t = await setup()
    const authorize = await silentLogin(t)
    const params = await t.provider.authorize(authorize.href)
    const callback = (await t.auth.handle(t.request('POST', '/callback', params.toString())))!
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('https://app.example.test/account')
    t.jar.store(callback.headers.getSetCookie())
    expect((await t.session())?.sub).toBe('user-1')
  })

  it('the same answer to a login that was not silent is the error it always was', async () => {
    const t = await setup()
    const start = await t.startLogin()
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!
    const params = new URLSearchParams({ error: 'login_required', state, iss: t.provider.issuer })
    const callback = (await t.auth.handle(t.request('POST', '/callback', params.toString())))!
    expect(callback.status).toBe(401)
    expect(callback.error).toMatchObject({ code: 'AUTHORIZATION_ERROR' })
  })

  it('GET /login?prompt=none starts one (a link can); no other parameter comes from the query', async () => {
    const t = await setup()
    const start = await t.startLogin('/login?prompt=none&returnTo=%2Faccount')
    const authorize = new URL(start.headers.get('location')!)
    expect(authorize.searchParams.get('prompt')).toBe('none')
    for (const path of ['/login?prompt=login', '/login?acr_values=phr&max_age=0&scope=admin']) {
      const other = new URL((await t.startLogin(path)).headers.get('location')!)
      expect(other.searchParams.get('prompt')).toBeNull()
      expect(other.searchParams.get('acr_values')).toBeNull()
      expect(other.searchParams.get('max_age')).toBeNull()
      expect(other.searchParams.get('scope')).not.toContain('admin')
    }
  })
})
