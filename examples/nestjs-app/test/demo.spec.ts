/**
 * The demo's user story on Express and on Fastify, with the test kit's browser (fetch and a
 * cookie jar; the dev provider's completeLogin for its login form): home, login through the
 * form_post callback, profile, the API call, refresh (also reduced), userinfo, logout.
 */
import { type Browser, createBrowser, SESSION } from '@oidc-hybrid/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../src/demo.js'
import { demoPorts } from './ports.js'

describe.each(['express', 'fastify'] as const)('the demo on %s', (platform) => {
  let demo: Demo
  /** One browser for the whole story: the tests run in order, each on from the last. */
  let browser: Browser

  beforeAll(async () => {
    demo = await startDemo({ platform, ...(await demoPorts()) })
    browser = createBrowser(demo.webURL, { headers: { accept: 'text/html' } })
  })
  afterAll(() => demo?.close())

  it('logs in from a protected page and comes back to it', async () => {
    expect(await (await browser.get('/')).text()).toContain('id="login"')
    const redirect = await browser.get('/profile')
    expect(redirect.status).toBe(302)
    const { action, params } = await browser.authorize(redirect.headers.get('location')!)
    expect(action).toBe(`${demo.webURL}/callback`)
    const callback = await browser.post(action, params)
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe(`${demo.webURL}/profile`)
    expect(browser.jar.has(SESSION)).toBe(true)
    const profile = await (await browser.get('/profile')).text()
    expect(profile).toContain(demo.user.email)
    expect(profile).toContain('https://api.example.com')
  })

  it('calls the API with the access token', async () => {
    // The page's buttons are forms without fields: an empty form POST.
    const page = await (await browser.post('/call-api', '')).text()
    expect(page).toContain(`<code id="did-request">GET ${demo.apiURL}/api/messages</code>`)
    expect(page).toContain('<code id="api-status">200</code>')
    expect(page).toContain('Hello from the demo API')
  })

  it('refreshes, and gets a reduced-scope token, each page saying what it called', async () => {
    const { token_endpoint } = await (
      await fetch(`${demo.issuer}.well-known/openid-configuration`)
    ).json()
    const full = await browser.post('/refresh', '')
    expect(full.status).toBe(302)
    expect(full.headers.get('location')).toBe('/profile?did=refresh')
    const profile = await (await browser.get('/profile?did=refresh')).text()
    expect(profile).toContain(`<code id="did-request">POST ${token_endpoint}</code>`)
    expect(profile).toContain('write:messages')
    const reduced = await browser.post('/refresh-reduced', '')
    expect(reduced.status).toBe(200)
    const page = await reduced.text()
    expect(page).toContain(`<code id="did-request">POST ${token_endpoint}</code>`)
    const scope = /<code id="reduced-scope">([^<]*)<\/code>/.exec(page)?.[1]
    expect(scope).toContain('read:messages')
    expect(scope).not.toContain('write:messages')
  })

  it('fetches userinfo and logs out', async () => {
    expect(await (await browser.get('/userinfo')).text()).toContain(demo.user.email)
    const logout = await browser.get('/logout')
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')!.startsWith(demo.issuer)).toBe(true)
    expect(browser.jar.has(SESSION)).toBe(false)
    expect((await browser.get('/profile')).status).toBe(302)
  })
})
