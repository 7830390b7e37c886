/**
 * The example as `pnpm dev` runs it (the dev provider, and both Workers in workerd through
 * Miniflare), on free ports, in real Chromium: log in across two sites (provider on 127.0.0.1,
 * app on localhost) with the form_post callback carrying the cookies a real browser sends; the
 * profile with both tokens decoded; the API call through the app, saying what was called; logout.
 * DEMO_SCREENSHOTS=dir saves the pages there.
 */
import { chromiumLaunchOptions, SESSION, TRANSACTION } from '@oidc-hybrid/test-kit'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUDIENCE, type Example, startExample } from '../scripts/example.mjs'

/** Every Playwright wait (navigation, selector, action) gives up after this. */
const WAIT_MS = 15_000

let example: Example
let browser: Browser

beforeAll(async () => {
  example = await startExample({ port: 0, apiPort: 0, providerPort: 0 })
  browser = await chromium.launch(chromiumLaunchOptions({ timeout: WAIT_MS }))
})

afterAll(async () => {
  await browser?.close()
  await example?.close()
})

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext()
  context.setDefaultTimeout(WAIT_MS)
  context.setDefaultNavigationTimeout(WAIT_MS)
  return context
}

const isSession = (name: string) => name === SESSION || name.startsWith(`${SESSION}.`)

async function text(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? ''
}

async function json(page: Page, selector: string): Promise<Record<string, unknown>> {
  return JSON.parse(await text(page, selector))
}

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.DEMO_SCREENSHOTS
  if (dir) await page.screenshot({ path: `${dir}/worker-${name}.png`, fullPage: true })
}

describe('the Worker example in Chromium', () => {
  it('runs on free ports of 127.0.0.1, not the dev ports', () => {
    for (const url of [example.baseURL, example.apiURL, example.issuer]) {
      expect(['localhost', '127.0.0.1']).toContain(new URL(url).hostname)
      expect(['8787', '8788', '4000']).not.toContain(new URL(url).port)
    }
  })

  it('logs in with form_post across two sites, shows the tokens, calls the API, logs out', async () => {
    const context = await newContext()
    const page = await context.newPage()
    const origin = example.baseURL

    await page.goto(origin)
    expect(await text(page, 'h1')).toBe('oidc-hybrid on Cloudflare Workers')
    await screenshot(page, '1-home')
    await page.click('#login')
    // The provider's login page, on the other site.
    await page.waitForURL((url) => url.host === new URL(example.issuer).host)
    await page.fill('input[name="email"]', example.user.email)
    await page.fill('input[name="password"]', example.user.password)
    await screenshot(page, '2-provider-login')
    await Promise.all([
      page.waitForURL((url) => url.origin === origin),
      page.click('button[type="submit"]'),
    ])
    expect(await text(page, '#hello')).toContain('Hello Demo User.')
    await screenshot(page, '3-logged-in')
    const cookies = await context.cookies(origin)
    const session = cookies.find((c) => isSession(c.name))
    expect(session?.httpOnly).toBe(true)
    expect(session?.sameSite).toBe('Lax')
    expect(cookies.some((c) => c.name.startsWith(TRANSACTION))).toBe(false)

    await Promise.all([page.waitForURL(`${origin}/profile`), page.click('nav a[href="/profile"]')])
    expect(await text(page, 'h1')).toBe('Profile')
    expect(await text(page, '#user')).toBe('Logged in as Demo User (demo@example.com).')
    const claims = await json(page, '#claims')
    expect(claims.email).toBe(example.user.email)
    expect(claims.sub).toBe('auth0|demo-user')
    expect(claims.name).toBe('Demo User')
    expect((await json(page, '#id-header')).alg).toBe('RS256')
    const accessClaims = await json(page, '#access-claims')
    expect([accessClaims.aud].flat()).toContain(AUDIENCE)
    expect(accessClaims.sub).toBe('auth0|demo-user')
    expect(accessClaims.iss).toBe(example.issuer)
    expect(await text(page, '#scope')).toContain('read:messages')
    expect(Number(await text(page, '#expires-in'))).toBeGreaterThan(0)
    // Times are shown as dates too.
    expect(accessClaims.exp).toMatch(/^\d+ \(20\d\d-\d\d-\d\dT/)
    expect(claims.iat).toMatch(/^\d+ \(20\d\d-\d\d-\d\dT/)
    await screenshot(page, '4-profile')

    await Promise.all([
      page.waitForURL(`${origin}/messages`),
      page.click('nav a[href="/messages"]'),
    ])
    expect(await text(page, '#api-status')).toBe('200')
    expect(await text(page, '#did')).toContain(`GET ${example.apiURL}`)
    expect(await text(page, '#did')).toContain('Authorization: Bearer')
    const body = await json(page, '#api-body')
    expect(body.for).toBe('auth0|demo-user')
    expect(body.messages).toEqual([{ id: 1, text: 'Hello from the API' }])
    await screenshot(page, '5-messages')

    await page.click('nav a[href="/logout"]')
    // Through the provider's end-session endpoint and back to the app's home.
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
    await page.waitForSelector('#login')
    expect((await context.cookies(origin)).some((c) => isSession(c.name))).toBe(false)
    await screenshot(page, '6-logged-out')
    // The profile needs a login again.
    await page.goto(`${origin}/profile`)
    await page.waitForURL((url) => url.host === new URL(example.issuer).host)
    await context.close()
  })

  it('the API Worker refuses a request without a bearer token', async () => {
    const response = await fetch(example.apiURL)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })
})
