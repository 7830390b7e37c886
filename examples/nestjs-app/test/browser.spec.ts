/**
 * The demo's user story in real Chromium, on Express and on Fastify: log in across two sites
 * (provider on 127.0.0.1, app on localhost) with the form_post callback carrying the cookies a
 * real browser sends; then the profile (how you logged in, both tokens decoded, the access
 * token's audience, scopes and expiry counting down), the API call, a reduced-scope and a full
 * refresh, userinfo, each page saying what was called; logout; a callback whose login
 * (transaction) cookie the browser lost; and sessions on the server ended by back-channel logout.
 * DEMO_SCREENSHOTS=dir saves the pages there.
 */
import { chromiumLaunchOptions, SESSION, TRANSACTION } from '@oidc-hybrid/test-kit'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, type Demo, type DemoOptions, startDemo } from '../src/demo.js'
import { demoPorts } from './ports.js'

/** Every Playwright wait (navigation, selector, action) gives up after this. */
const WAIT_MS = 15_000

let browser: Browser

beforeAll(async () => {
  browser = await chromium.launch(chromiumLaunchOptions({ timeout: WAIT_MS }))
})

afterAll(async () => {
  await browser?.close()
})

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext()
  context.setDefaultTimeout(WAIT_MS)
  context.setDefaultNavigationTimeout(WAIT_MS)
  return context
}

const isSession = (name: string) => name === SESSION || name.startsWith(`${SESSION}.`)
const isTransaction = (name: string) => name.startsWith(TRANSACTION)

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? ''
}

async function json(page: Page, selector: string): Promise<Record<string, unknown>> {
  return JSON.parse(await text(page, selector))
}

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.DEMO_SCREENSHOTS
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true })
}

/** The provider's endpoints, from its discovery document: what the pages should say they called. */
async function endpoints(demo: Demo): Promise<{ token: string; userinfo: string }> {
  const metadata = await (await fetch(`${demo.issuer}.well-known/openid-configuration`)).json()
  return { token: metadata.token_endpoint, userinfo: metadata.userinfo_endpoint }
}

/** A demo on its own free ports, closed after the describe block. */
function useDemo(options: DemoOptions): () => Demo {
  let demo: Demo | undefined
  beforeAll(async () => {
    demo = await startDemo({ ...options, ...(await demoPorts()) })
  })
  afterAll(() => demo?.close())
  return () => demo!
}

/** Home → Log in → the provider's form on the other site, filled in (not yet submitted). */
async function toProviderForm(page: Page, demo: Demo): Promise<void> {
  await page.goto(demo.webURL)
  expect(await page.textContent('h1')).toBe('oidc-hybrid NestJS demo')
  await page.click('#login')
  await page.waitForURL((url) => url.host === new URL(demo.issuer).host)
  await page.fill('input[name="email"]', demo.user.email)
  await page.fill('input[name="password"]', demo.user.password)
}

describe.each(['express', 'fastify'] as const)('the NestJS demo on %s in Chromium', (platform) => {
  const demo = useDemo({ platform })
  const shot = (page: Page, name: string) => screenshot(page, `nestjs-${platform}-${name}`)

  it('logs in with form_post across two sites, calls the API, refreshes, logs out', async () => {
    const { token, userinfo } = await endpoints(demo())
    const { webURL, apiURL } = demo()
    const context = await newContext()
    const page = await context.newPage()
    await toProviderForm(page, demo())
    // The login cookie is set on the app's site before it sends the browser away.
    expect((await context.cookies(webURL)).some((c) => isTransaction(c.name))).toBe(true)
    const [callback] = await Promise.all([
      page.waitForRequest((r) => r.url() === `${webURL}/callback`),
      page.waitForURL(`${webURL}/profile`),
      page.click('button[type="submit"]'),
    ])
    // form_post: the provider's page POSTs the response to the app, cross-site.
    expect(callback.method()).toBe('POST')
    expect(await callback.headerValue('origin')).toBe(new URL(demo().issuer).origin)
    expect(callback.postData() ?? '').toMatch(/(^|&)code=/)
    expect(callback.postData() ?? '').toMatch(/(^|&)id_token=/)
    const cookies = await context.cookies(webURL)
    const session = cookies.find((c) => isSession(c.name))
    expect(session?.httpOnly).toBe(true)
    expect(session?.secure).toBe(true)
    expect(session?.sameSite).toBe('Lax')
    expect(cookies.some((c) => isTransaction(c.name))).toBe(false)

    // The profile: how the login went, and both tokens decoded.
    expect(await page.textContent('h1')).toBe('Profile')
    expect(await text(page, '#response-type')).toBe('code id_token')
    expect(await text(page, '#session-mode')).toContain('in a sealed cookie')
    expect(await text(page, '#platform')).toBe(
      `NestJS on ${platform === 'fastify' ? 'Fastify' : 'Express'}`,
    )
    expect(await page.$('#did')).toBeNull()
    expect((await json(page, '#id-header')).alg).toBe('RS256')
    const idClaims = await json(page, '#id-claims')
    expect(idClaims.email).toBe(demo().user.email)
    expect(idClaims['http://fiz/baz']).toBe('some other value')
    // Dates beside the numeric times.
    expect(idClaims.exp).toMatch(/^\d+ \(20\d\d-\d\d-\d\dT[\d:.]+Z\)$/)
    expect(idClaims.iat).toMatch(/^\d+ \(20\d\d-/)
    expect((await json(page, '#access-header')).typ).toBe('at+jwt')
    const accessClaims = await json(page, '#access-claims')
    expect([accessClaims.aud].flat()).toContain(AUDIENCE)
    expect(accessClaims.sub).toBe(String(idClaims.sub))
    expect(accessClaims.exp).toMatch(/^\d+ \(20\d\d-/)
    expect(await text(page, '#aud')).toContain(AUDIENCE)
    const scopes = (await page.$$eval('#scope code', (codes) => codes.map((c) => c.textContent)))
      .filter(Boolean)
      .sort()
    // The provider lists the API's scopes only (not openid, profile, ...).
    expect(scopes).toEqual(['read:messages', 'write:messages'])
    expect(await text(page, '#refresh-token')).toContain('yes')
    await shot(page, 'profile')

    // The expiry counts down, on a clock the test moves (another page, the same session).
    const clocked = await newContext()
    await clocked.addCookies(await context.cookies(webURL))
    const clockPage = await clocked.newPage()
    await clockPage.clock.install({ time: new Date('2030-01-01T00:00:00Z') })
    await clockPage.clock.pauseAt(new Date('2030-01-01T00:00:01Z'))
    await clockPage.goto(`${webURL}/profile`)
    const expiresIn = Number(await clockPage.getAttribute('#expires', 'data-expires-in'))
    expect(expiresIn).toBeGreaterThan(3)
    expect(Number(await text(clockPage, '#expires'))).toBe(expiresIn)
    await clockPage.clock.runFor(3_000)
    expect(Number(await text(clockPage, '#expires'))).toBe(expiresIn - 3)
    await clocked.close()

    // Call the API: what was called, and what came back.
    await Promise.all([page.waitForURL(`${webURL}/call-api`), page.click('#call-api')])
    expect(await text(page, '#did-request')).toBe(`GET ${apiURL}/api/messages`)
    expect(await text(page, '#did')).toContain('Authorization: Bearer ey')
    expect(await text(page, '#api-status')).toBe('200')
    const api = await json(page, '#api-body')
    expect(api.customClaim).toBe('value')
    expect(api.sub).toBe(idClaims.sub)
    expect(api.scopes).toContain('write:messages')
    await shot(page, 'call-api')

    // A reduced-scope token, for that use only.
    await page.goto(`${webURL}/profile`)
    const before = await text(page, '#access-claims')
    await Promise.all([
      page.waitForURL(`${webURL}/refresh-reduced`),
      page.click('#refresh-reduced'),
    ])
    expect(await text(page, '#did-request')).toBe(`POST ${token}`)
    expect(await text(page, '#did')).toContain(
      'grant_type=refresh_token with scope=openid offline_access read:messages',
    )
    // The narrowed token no longer carries write:messages (the provider lists API scopes only);
    // the session's own token still does.
    const reduced = await text(page, '#reduced-scope')
    expect(reduced).toContain('read:messages')
    expect(reduced).not.toContain('write:messages')
    expect((await json(page, '#reduced-claims')).scope).toBe(reduced)
    expect(await text(page, '#scope')).toContain('write:messages')
    await shot(page, 'refresh-reduced')
    await page.goto(`${webURL}/profile`)
    expect(await text(page, '#access-claims')).toBe(before)

    // And it took the rotated refresh token (the provider rotates them and refuses a used one):
    // a full refresh now works; the profile says what it called and shows the new tokens.
    await Promise.all([page.waitForURL(`${webURL}/profile?did=refresh`), page.click('#refresh')])
    expect(await text(page, '#did-request')).toBe(`POST ${token}`)
    expect(await text(page, '#did')).toContain('grant_type=refresh_token')
    expect(await text(page, '#scope')).toContain('write:messages')
    const refreshed = await json(page, '#access-claims')
    expect(refreshed.jti).not.toBe(accessClaims.jti)
    expect([refreshed.aud].flat()).toContain(AUDIENCE)
    expect(await text(page, '#user-name')).toBe('Demo User')
    await shot(page, 'profile-refreshed')
    await Promise.all([page.waitForURL(`${webURL}/call-api`), page.click('#call-api')])
    expect(await text(page, '#api-status')).toBe('200')

    await page.goto(`${webURL}/profile`)
    await Promise.all([page.waitForURL(`${webURL}/userinfo**`), page.click('#userinfo')])
    expect(await text(page, '#did-request')).toBe(`GET ${userinfo}`)
    const claims = await json(page, '#userinfo-body')
    expect(claims.email).toBe(demo().user.email)
    expect(claims.sub).toBe(idClaims.sub)
    await shot(page, 'userinfo')

    await page.goto(`${webURL}/profile`)
    // Through the provider's end_session (it signs out and sends the browser back home).
    await Promise.all([
      page.waitForURL((url) => url.origin === webURL && url.pathname === '/'),
      page.click('#logout'),
    ])
    expect(await page.textContent('h1')).toBe('oidc-hybrid NestJS demo')
    expect((await context.cookies(webURL)).some((c) => isSession(c.name))).toBe(false)
    // Signed out at the provider too: logging in again asks for the password.
    await page.click('#login')
    await page.waitForSelector('input[name="password"]')
    expect(new URL(page.url()).host).toBe(new URL(demo().issuer).host)
    await context.close()
  })

  it('refuses a callback whose login cookie the browser did not send back', async () => {
    const context = await newContext()
    const page = await context.newPage()
    await toProviderForm(page, demo())
    expect((await context.cookies(demo().webURL)).some((c) => isTransaction(c.name))).toBe(true)
    await context.clearCookies({ domain: 'localhost' })
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${demo().webURL}/callback`),
      page.click('button[type="submit"]'),
    ])
    expect(response.request().method()).toBe('POST')
    expect(response.status()).toBe(400)
    await page.waitForURL(`${demo().webURL}/callback`)
    expect(await page.textContent('h1')).toBe('Login failed')
    expect(await page.textContent('body')).toContain('TRANSACTION_MISSING')
    expect((await context.cookies(demo().webURL)).some((c) => isSession(c.name))).toBe(false)
    await context.close()
  })
})

// SESSIONS=server and RESPONSE_TYPE=code token.
describe.each(['express', 'fastify'] as const)(
  'the NestJS demo on %s, sessions on the server',
  (platform) => {
    const demo = useDemo({ platform, sessions: 'server', responseType: 'code token' })

    it('says so; signing out at the provider ends the app session (back-channel logout)', async () => {
      const { webURL, issuer } = demo()
      const context = await newContext()
      const page = await context.newPage()
      await toProviderForm(page, demo())
      const [callback] = await Promise.all([
        page.waitForRequest((r) => r.url() === `${webURL}/callback`),
        page.waitForURL(`${webURL}/profile`),
        page.click('button[type="submit"]'),
      ])
      // code token: an access token in the front channel, no ID token.
      expect(callback.postData() ?? '').toMatch(/(^|&)access_token=/)
      expect(callback.postData() ?? '').not.toMatch(/(^|&)id_token=/)
      expect(await text(page, '#response-type')).toBe('code token')
      expect(await text(page, '#session-mode')).toContain('on the server')
      // The ID token from the token endpoint, decoded all the same.
      expect((await json(page, '#id-claims')).email).toBe(demo().user.email)
      await screenshot(page, `nestjs-${platform}-profile-server-sessions`)
      // The cookie holds a sealed id only, not the tokens.
      const cookie = (await context.cookies(webURL)).find((c) => c.name === SESSION)
      expect(cookie?.value.length).toBeLessThan(200)

      // Sign out at the provider, in the same browser but not through the app: its logout page
      // confirms by itself, and the provider POSTs a Logout Token to the app.
      await page.goto(`${issuer}oidc/logout?client_id=demo-app`)
      await page.waitForSelector('text=You have been signed out')
      // The app cookie is still in the browser, but it opens no session any more.
      expect((await context.cookies(webURL)).some((c) => c.name === SESSION)).toBe(true)
      await page.goto(webURL)
      expect(await page.textContent('h1')).toBe('oidc-hybrid NestJS demo')
      await context.close()
    })
  },
)
