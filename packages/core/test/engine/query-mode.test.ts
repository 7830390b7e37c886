// The plain code flow with response_mode=query (RFC 6749 4.1.2): the code comes back in a GET.
// Hybrid responses never do (MRT 5): their tokens are refused in a query, and a hybrid
// transaction answered with a code alone lacks them.
import { describe, expect, it } from 'vitest'
import { APP, setup, TX_COOKIE } from '../support/harness.js'

const getCallback = (t: Awaited<ReturnType<typeof setup>>, params: URLSearchParams) =>
  t.auth.handle(t.request('GET', `/callback?${params}`))

describe('response_mode=query', () => {
  it('the code flow logs in from a GET callback', async () => {
    const t = await setup({
      authorizationParams: {
        response_type: 'code',
        response_mode: 'query',
        scope: 'openid offline_access',
      },
    })
    const { start, params } = await t.beginLogin()
    expect(new URL(start.headers.get('location')!).searchParams.get('response_mode')).toBe('query')
    expect([...params.keys()].sort()).toEqual(['code', 'iss', 'state'])
    const callback = (await getCallback(t, params))!
    t.jar.store(callback.headers.getSetCookie())
    expect(callback.error).toBeUndefined()
    expect(callback.headers.get('location')).toBe(`${APP}/`)
    expect((await t.session())?.sub).toBe('user-1')
    expect(t.jar.names(TX_COOKIE)).toEqual([])
  })

  it('a GET with a code still needs its state to match, and its iss to be the issuer', async () => {
    const t = await setup({
      authorizationParams: { response_type: 'code', response_mode: 'query' },
    })
    const { params } = await t.beginLogin()
    const forged = new URLSearchParams(params)
    forged.set('iss', 'https://attacker.example/')
    const refused = await getCallback(t, forged)
    expect(refused?.error?.code).toBe('ISSUER_MISMATCH')
    expect(t.provider.count('/oauth/token')).toBe(0)
    // The adapter's error page at this URL (which holds the code) sends no Referer on.
    expect(refused?.headers.get('referrer-policy')).toBe('no-referrer')
    expect((await getCallback(t, params))?.headers.get('referrer-policy')).toBe('no-referrer')
  })

  it('a code login that asked for form_post is not answered through a query (no downgrade)', async () => {
    const t = await setup({ authorizationParams: { response_type: 'code' } })
    const { start, params } = await t.beginLogin()
    expect(new URL(start.headers.get('location')!).searchParams.get('response_mode')).toBe(
      'form_post',
    )
    const refused = (await getCallback(t, params))!
    expect(refused.error?.code).toBe('CALLBACK_PARAMETERS_IN_QUERY')
    expect(refused.status).toBe(400)
    expect(t.provider.count('/oauth/token')).toBe(0)
    expect(await t.session()).toBeUndefined()
  })

  it.each(['code id_token', 'code token', 'code id_token token'])(
    '%s: a GET with the code alone is refused before any token call',
    async (responseType) => {
      const t = await setup({ authorizationParams: { response_type: responseType } })
      const { params } = await t.beginLogin()
      const codeOnly = new URLSearchParams({
        code: params.get('code')!,
        state: params.get('state')!,
      })
      const refused = (await getCallback(t, codeOnly))!
      expect(refused.error?.code).toBe('CALLBACK_PARAMETERS_IN_QUERY')
      expect(refused.status).toBe(400)
      // The whole hybrid response in a query: its tokens are refused.
      expect((await getCallback(t, params))?.error?.code).toBe('CALLBACK_PARAMETERS_IN_QUERY')
      expect(t.provider.count('/oauth/token')).toBe(0)
    },
  )

  it('query is refused for the hybrid types at setup and per login', async () => {
    await expect(
      setup({ authorizationParams: { response_type: 'code id_token', response_mode: 'query' } }),
    ).rejects.toThrow(/response_mode` must be form_post \(or query for code\)/)
    const t = await setup()
    const login = await t.auth.login(t.request('GET', '/login'), {
      authorizationParams: { response_mode: 'query' },
    })
    expect(login.error?.code).toBe('CONFIG_INVALID')
  })
})
