import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar, completeLogout, type DevProvider, LoginFlowError, start } from '../src/index.js'
import { authorizationRequest, type Discovery, discover, login } from './helpers.js'

describe('RP-initiated logout', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start()
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  async function get(jar: CookieJar, url: string): Promise<Response> {
    const cookie = jar.header(url)
    const response = await fetch(url, {
      redirect: 'manual',
      ...(cookie ? { headers: { cookie } } : {}),
    })
    jar.store(url, response)
    return response
  }

  it('ends the session and returns to the registered post_logout_redirect_uri with state', async () => {
    const jar = new CookieJar()
    const { response } = await login(discovery, {}, { cookieJar: jar })
    const endSession = new URL(discovery.end_session_endpoint)
    endSession.searchParams.set('id_token_hint', response.get('id_token')!)
    endSession.searchParams.set('post_logout_redirect_uri', 'http://localhost:3000/')
    endSession.searchParams.set('state', 'after-logout')

    const page = await get(jar, endSession.href)
    expect(page.status).toBe(200)
    const html = await page.text()
    const action = /<form[^>]*action="([^"]+)"/.exec(html)![1]!
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!
    const confirmUrl = new URL(action, endSession).href
    const confirm = await fetch(confirmUrl, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: jar.header(confirmUrl)!,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
    })
    jar.store(confirmUrl, confirm)
    expect(confirm.status).toBe(303)
    expect(confirm.headers.get('location')).toBe('http://localhost:3000/?state=after-logout')

    // The session is gone: the next authorization request shows the login form again.
    const next = await get(jar, authorizationRequest(discovery, {}).url)
    const interaction = new URL(next.headers.get('location')!, op.issuer).href
    expect(await (await get(jar, interaction)).text()).toContain('id="login-form"')
  })

  it('completeLogout signs out through Auth0 /v2/logout without a browser', async () => {
    const jar = new CookieJar()
    await login(discovery, {}, { cookieJar: jar })
    const { location } = await completeLogout(
      `${op.issuer}v2/logout?client_id=demo-app&returnTo=${encodeURIComponent('http://localhost:3000/')}`,
      { cookieJar: jar },
    )
    expect(location).toBe('http://localhost:3000/')
    const next = await get(jar, authorizationRequest(discovery, {}).url)
    const interaction = new URL(next.headers.get('location')!, op.issuer).href
    expect(await (await get(jar, interaction)).text()).toContain('id="login-form"')
  })

  it('completeLogout throws a LoginFlowError on a page without the logout form', async () => {
    await expect(completeLogout(`${op.issuer}.well-known/openid-configuration`)).rejects.toSatisfy(
      (error) => error instanceof LoginFlowError && error.code === 'LOGIN_UNEXPECTED_RESPONSE',
    )
  })

  it('maps Auth0 /v2/logout onto the end_session_endpoint', async () => {
    const response = await fetch(
      `${op.issuer}v2/logout?client_id=demo-app&returnTo=${encodeURIComponent('http://localhost:3000/')}`,
      { redirect: 'manual' },
    )
    expect(response.status).toBe(303)
    const location = new URL(response.headers.get('location')!)
    expect(`${location.origin}${location.pathname}`).toBe(discovery.end_session_endpoint)
    expect(Object.fromEntries(location.searchParams)).toEqual({
      client_id: 'demo-app',
      post_logout_redirect_uri: 'http://localhost:3000/',
    })
  })
})
