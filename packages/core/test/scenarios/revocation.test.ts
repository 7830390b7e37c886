// Logout revokes the session's refresh token at the provider (RFC 7009, `revokeOnLogout`, on by
// default): a copy of the session cookie taken before the logout cannot get new tokens. Best
// effort: a provider without the endpoint, or one that fails, does not stop the logout.
import { describe, expect, it } from 'vitest'
import { SESSION_COOKIE, setup } from '../support/harness.js'

const revocations = (t: Awaited<ReturnType<typeof setup>>) =>
  t.provider.calls.filter((call) => call.path === '/oauth/revoke')

async function logout(t: Awaited<ReturnType<typeof setup>>) {
  const response = (await t.auth.handle(t.request('GET', '/logout')))!
  t.jar.store(response.headers.getSetCookie())
  return response
}

describe('revocation at logout (RFC 7009)', () => {
  it('revokes the refresh token, authenticated like the token endpoint; a copied cookie cannot refresh', async () => {
    const t = await setup()
    await t.login()
    const copy = t.jar.copy()
    const { refreshToken } = (await t.session())!
    const response = await logout(t)
    expect(response.status).toBe(302)
    const [call] = revocations(t)
    expect(call!.body.get('token')).toBe(refreshToken)
    expect(call!.body.get('token_type_hint')).toBe('refresh_token')
    expect(call!.headers.get('authorization')).toMatch(/^Basic /)
    expect(t.provider.refreshTokens.has(refreshToken!)).toBe(false)
    // The copy still opens (a cookie session), but the provider refuses its refresh token.
    await expect(t.read((s) => s.getAccessToken({ refresh: 'force' }), copy)).rejects.toMatchObject(
      { error: 'invalid_grant' },
    )
  })

  it('revokeOnLogout: false keeps the refresh token', async () => {
    const t = await setup({ revokeOnLogout: false })
    await t.login()
    await logout(t)
    expect(revocations(t)).toHaveLength(0)
  })

  it('a provider without a revocation endpoint, or a failing one, does not stop the logout', async () => {
    for (const revocation of ['off', 'failing'] as const) {
      const t = await setup()
      t.provider.revocation = revocation
      await t.login()
      const response = await logout(t)
      expect(response.status).toBe(302)
      expect(response.error).toBeUndefined()
      expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`))).toBe(
        true,
      )
      expect(await t.session()).toBeUndefined()
      expect(revocations(t)).toHaveLength(revocation === 'off' ? 0 : 1)
    }
  })

  it('a session without a refresh token sends nothing', async () => {
    const t = await setup({
      authorizationParams: { scope: 'openid profile email', audience: 'https://api.example.test' },
    })
    await t.login()
    expect((await t.session())?.refreshToken).toBeUndefined()
    await logout(t)
    expect(revocations(t)).toHaveLength(0)
  })
})
