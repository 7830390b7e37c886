/**
 * The demo's user story in real Chromium, on Express and on Fastify: log in across two sites
 * (provider on 127.0.0.1, app on localhost) with the form_post callback carrying the cookies a
 * real browser sends; then the profile, the API call, a reduced-scope refresh, userinfo and
 * logout; and a callback whose login (transaction) cookie the browser lost.
 */
import { chromiumLaunchOptions, SESSION, TRANSACTION } from '@oidc-hybrid/test-kit'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, type Platform, startDemo } from '../src/demo.js'

/** Every Playwright wait (navigation, selector, action) gives up after this. */
const WAIT_MS = 15_000

// Ports of this file only (demo.spec.ts uses 32xx/42xx, the Koa demo 3100/3101/4100).
const PORTS: Record<Platform, { webPort: number; apiPort: number; providerPort: number }> = {
  express: { webPort: 3300, apiPort: 3301, providerPort: 4300 },
  fastify: { webPort: 3310, apiPort: 3311, providerPort: 4310 },
}

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

describe.each(['express', 'fastify'] as const)('the NestJS demo on %s in Chromium', (platform) => {
  let demo: Demo

  beforeAll(async () => {
    demo = await startDemo({ platform, ...PORTS[platform] })
  })
  afterAll(() => demo?.close())

  /** Home → Log in → the provider's form on the other site, filled in (not yet submitted). */
  async function toProviderForm(page: Page): Promise<void> {
    await page.goto(demo.webURL)
    expect(await page.textContent('h1')).toBe('oidc-hybrid NestJS demo')
    await page.click('#login')
    await page.waitForURL((url) => url.host === new URL(demo.issuer).host)
    await page.fill('input[name="email"]', demo.user.email)
    await page.fill('input[name="password"]', demo.user.password)
  }

  it('logs in with form_post across two sites, calls the API, refreshes, logs out', async () => {
    const context = await newContext()
    const page = await context.newPage()
    await toProviderForm(page)
    // The login cookie is set on the app's site before it sends the browser away.
    expect((await context.cookies(demo.webURL)).some((c) => isTransaction(c.name))).toBe(true)
    const [callback] = await Promise.all([
      page.waitForRequest((r) => r.url() === `${demo.webURL}/callback`),
      page.waitForURL(`${demo.webURL}/profile`),
      page.click('button[type="submit"]'),
    ])
    // form_post: the provider's page POSTs the response to the app, cross-site.
    expect(callback.method()).toBe('POST')
    expect(await callback.headerValue('origin')).toBe(new URL(demo.issuer).origin)
    expect(callback.postData() ?? '').toMatch(/(^|&)code=/)
    expect(callback.postData() ?? '').toMatch(/(^|&)id_token=/)

    expect(await page.textContent('h1')).toBe('Profile')
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}')
    expect(claims.email).toBe(demo.user.email)
    expect(claims['http://fiz/baz']).toBe('some other value')
    expect(await page.textContent('#aud')).toContain('https://api.example.com')
    expect(await page.textContent('#scope')).toContain('write:messages')
    const cookies = await context.cookies(demo.webURL)
    const session = cookies.find((c) => isSession(c.name))
    expect(session?.httpOnly).toBe(true)
    expect(session?.secure).toBe(true)
    expect(session?.sameSite).toBe('Lax')
    expect(cookies.some((c) => isTransaction(c.name))).toBe(false)

    await Promise.all([page.waitForURL(`${demo.webURL}/call-api`), page.click('#call-api')])
    expect(await page.textContent('#api-status')).toBe('200')
    const api = JSON.parse((await page.textContent('#api-body')) ?? '{}')
    expect(api.customClaim).toBe('value')
    expect(api.sub).toBe(claims.sub)
    expect(api.scopes).toContain('write:messages')

    await page.goto(`${demo.webURL}/profile`)
    await Promise.all([
      page.waitForURL(`${demo.webURL}/profile?message=**`),
      page.click('#refresh-reduced'),
    ])
    // The narrowed token no longer carries write:messages (the provider lists API scopes only).
    const message = (await page.textContent('#message')) ?? ''
    expect(message).toContain('read:messages')
    expect(message).not.toContain('write:messages')
    // The narrowed token was for that use only: the session keeps its full access token.
    expect(await page.textContent('#scope')).toContain('write:messages')
    // And it took the rotated refresh token (the provider rotates them and refuses a used one):
    // a full refresh now works and gives the whole scope back.
    await Promise.all([
      page.waitForURL(`${demo.webURL}/profile?message=**`),
      page.click('#refresh'),
    ])
    expect(await page.textContent('#message')).toContain('write:messages')
    await Promise.all([page.waitForURL(`${demo.webURL}/call-api`), page.click('#call-api')])
    expect(await page.textContent('#api-status')).toBe('200')
    expect(JSON.parse((await page.textContent('#api-body')) ?? '{}').scopes).toContain(
      'write:messages',
    )

    await page.goto(`${demo.webURL}/profile`)
    await Promise.all([page.waitForURL(`${demo.webURL}/userinfo**`), page.click('#userinfo')])
    const userinfo = JSON.parse((await page.textContent('#userinfo-body')) ?? '{}')
    expect(userinfo.email).toBe(demo.user.email)
    expect(userinfo.sub).toBe(claims.sub)

    await page.goto(`${demo.webURL}/profile`)
    // Through the provider's end_session (it signs out and sends the browser back home).
    await Promise.all([
      page.waitForURL((url) => url.origin === demo.webURL && url.pathname === '/'),
      page.click('#logout'),
    ])
    expect(await page.textContent('h1')).toBe('oidc-hybrid NestJS demo')
    expect((await context.cookies(demo.webURL)).some((c) => isSession(c.name))).toBe(false)
    // Signed out at the provider too: logging in again asks for the password.
    await page.click('#login')
    await page.waitForSelector('input[name="password"]')
    expect(new URL(page.url()).host).toBe(new URL(demo.issuer).host)
    await context.close()
  })

  it('refuses a callback whose login cookie the browser did not send back', async () => {
    const context = await newContext()
    const page = await context.newPage()
    await toProviderForm(page)
    expect((await context.cookies(demo.webURL)).some((c) => isTransaction(c.name))).toBe(true)
    await context.clearCookies({ domain: 'localhost' })
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${demo.webURL}/callback`),
      page.click('button[type="submit"]'),
    ])
    expect(response.request().method()).toBe('POST')
    expect(response.status()).toBe(400)
    await page.waitForURL(`${demo.webURL}/callback`)
    expect(await page.textContent('h1')).toBe('Login failed')
    expect(await page.textContent('body')).toContain('TRANSACTION_MISSING')
    expect((await context.cookies(demo.webURL)).some((c) => isSession(c.name))).toBe(false)
    await context.close()
  })
})
