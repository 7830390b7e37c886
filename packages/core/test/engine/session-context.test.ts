// The per-request context adapters share (`ctx.oidc`, `req.oidc`): express-openid-connect's reads
// and actions on one loaded request session.
import { describe, expect, it } from 'vitest'
import { SessionContext } from '../../src/engine/session-context.js'
import { type Harness, setup } from '../support/harness.js'

/** The context of one GET / with the browser's cookies. */
async function contextOf(t: Harness): Promise<SessionContext> {
  return new SessionContext(await t.auth.load(t.request('GET', '/')))
}

describe('SessionContext, the adapters shared context', () => {
  it('reads the session and acts on it', async () => {
    const t = await setup()
    const empty = await contextOf(t)
    expect(empty.isAuthenticated()).toBe(false)
    expect(empty.accessToken).toBeUndefined()
    await expect(empty.getAccessToken()).rejects.toMatchObject({ code: 'SESSION_MISSING' })
    await t.login()
    const context = await contextOf(t)
    expect(context.isAuthenticated()).toBe(true)
    expect(context.user?.sub).toBe('user-1')
    expect(context.idTokenClaims).toBe(context.user)
    expect(context.idToken).toBe(context.session?.idToken)
    expect(context.refreshToken).toBe(context.session?.refreshToken)
    expect(context.accessToken?.access_token).toBe(context.session?.accessToken)
    expect((await context.getAccessToken()).access_token).toBe(context.session?.accessToken)
    expect((await context.fetchUserInfo()).sub).toBe('user-1')
  })

  it('SessionContext.fetch calls the API with the access token', async () => {
    const t = await setup()
    await t.login()
    const context = await contextOf(t)
    const response = await context.fetch('https://op.example.test/userinfo')
    expect(response.status).toBe(200)
    // The provider answered because the token was sent, as a Bearer token.
    expect(await response.json()).toMatchObject({ sub: 'user-1' })
    const call = t.provider.calls.filter((c) => c.path === '/userinfo').at(-1)!
    expect(call.headers.get('authorization')).toBe(`Bearer ${context.session!.accessToken}`)
  })
})
