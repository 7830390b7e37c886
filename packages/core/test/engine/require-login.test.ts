import { describe, expect, it } from 'vitest'
import { loginOrDeny } from '../../src/engine/require-login.js'
import { APP, setup } from '../support/harness.js'

describe('loginOrDeny: the require-login decision every adapter shares', () => {
  it('a browser navigation (GET, HTML) goes to the login and comes back to its path and query', async () => {
    const t = await setup()
    const request = t.request('GET', '/orders?page=2')
    request.headers = new Headers({ accept: 'text/html,application/xhtml+xml' })
    const answer = await loginOrDeny(t.auth, request)
    expect(answer.status).toBe(302)
    expect(answer.error).toBeUndefined()
    const authorize = new URL(answer.headers.get('location')!)
    expect(authorize.origin + authorize.pathname).toBe(`${t.provider.issuer}authorize`)
    // The login comes back to where the user was: the callback redirects to returnTo.
    t.jar.store(answer.headers.getSetCookie())
    const params = await t.provider.authorize(answer.headers.get('location')!)
    const callback = await t.postCallback(params)
    expect(callback.headers.get('location')).toBe(`${APP}/orders?page=2`)
  })

  it.each([
    ['an API client (GET, JSON)', 'GET', 'application/json'],
    ['a form POST from a browser', 'POST', 'text/html'],
    ['a client that says nothing', 'GET', ''],
  ])('%s gets 401 SESSION_MISSING, never a redirect, never cached', async (_, method, accept) => {
    const t = await setup()
    const request = t.request(method, '/orders')
    request.headers = new Headers(accept ? { accept } : {})
    const answer = await loginOrDeny(t.auth, request)
    expect(answer.status).toBe(401)
    expect(answer.error).toMatchObject({ code: 'SESSION_MISSING' })
    expect(answer.headers.get('location')).toBeNull()
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(t.provider.calls).toEqual([])
  })
})
