/**
 * The whole user story in real Chromium: log in through the demo across two sites (provider on
 * 127.0.0.1, app on localhost), with the form_post callback carrying the cookies a real browser
 * sends; then the profile, the API call, refresh, userinfo and logout.
 */
import { chromiumLaunchOptions, freePort, SESSION, TRANSACTION } from '@oidc-hybrid/test-kit'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, eventLine, startDemo } from '../src/demo.js'

let demo: Demo
let browser: Browser
/** The event lines the demo printed. */
const eventLines: string[] = []

beforeAll(async () => {
  demo = await startDemo({
    webPort: 3100,
    apiPort: 3101,
    providerPort: 4100,
    onEvent: (event) => eventLines.push(eventLine(event)),
  })
  browser = await chromium.launch(chromiumLaunchOptions())
})

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

async function logIn(page: Page, target: Demo = demo): Promise<void> {
  await page.goto(target.webURL)
  await page.click('#login')
  // The provider's login page, on the other site.
  await page.waitForURL((url) => url.host === new URL(target.issuer).host)
  await page.fill('input[name="email"]', target.user.email)
  await page.fill('input[name="password"]', target.user.password)
  await Promise.all([
    page.waitForURL(`${target.webURL}/profile**`),
    page.click('button[type="submit"]'),
  ])
}

describe('the demo in Chromium', () => {
  it('logs in with form_post across two sites and shows the claims', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await logIn(page)
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}')
    expect(claims.email).toBe(demo.user.email)
    expect(claims['http://fiz/baz']).toBe('some other value')
    expect(await page.textContent('#aud')).toContain('https://api.example.com')
    // What the demo shows a newcomer: the flow in use, and both tokens decoded.
    expect(await page.textContent('#response-type')).toBe('code id_token')
    expect(await page.textContent('#session-mode')).toContain('sealed cookie')
    expect(JSON.parse((await page.textContent('#id-header')) ?? '{}').alg).toBe('RS256')
    const accessClaims = JSON.parse((await page.textContent('#access-claims')) ?? '{}')
    expect([accessClaims.aud].flat()).toContain('https://api.example.com')
    expect(await page.textContent('#access-claims')).toMatch(/"exp": "\d+ \(20\d\d-/)
    // The expiry counts down in the page.
    const before = Number(await page.textContent('#expires'))
    await page.waitForFunction(
      (start) => Number(document.getElementById('expires')?.textContent) < start,
      before,
      { timeout: 5_000 },
    )
    if (process.env.DEMO_SCREENSHOTS) {
      await page.screenshot({ path: `${process.env.DEMO_SCREENSHOTS}/profile.png`, fullPage: true })
    }
    const cookies = await context.cookies(demo.webURL)
    const session = cookies.find((c) => c.name === SESSION || c.name.startsWith(`${SESSION}.`))
    expect(session?.httpOnly).toBe(true)
    expect(session?.sameSite).toBe('Lax')
    expect(cookies.some((c) => c.name.startsWith(TRANSACTION))).toBe(false)

    await Promise.all([page.waitForURL(`${demo.webURL}/call-api`), page.click('#call-api')])
    expect(await page.textContent('#api-status')).toBe('200')
    expect(await page.textContent('#did')).toContain(`GET ${demo.apiURL}/api/messages`)
    expect(JSON.parse((await page.textContent('#api-body')) ?? '{}').customClaim).toBe('value')

    await page.goto(`${demo.webURL}/profile`)
    await Promise.all([
      page.waitForURL(`${demo.webURL}/refresh?reduced=1`),
      page.click('#refresh-reduced'),
    ])
    // The narrowed token no longer carries write:messages (the provider lists API scopes only);
    // the session's own token still does.
    const reduced = (await page.textContent('#reduced-scope')) ?? ''
    expect(reduced).toContain('read:messages')
    expect(reduced).not.toContain('write:messages')
    expect(await page.textContent('#did')).toContain('grant_type=refresh_token')
    expect(await page.textContent('#scope')).toContain('write:messages')
    // The narrower refreshed ID token has no profile claims: the session keeps the user's name.
    await page.goto(demo.webURL)
    expect(await page.textContent('h1')).toBe('Welcome, Demo User')
    await page.goto(`${demo.webURL}/profile`)
    expect(JSON.parse((await page.textContent('#claims')) ?? '{}').email).toBe(demo.user.email)

    await Promise.all([page.waitForURL(`${demo.webURL}/userinfo**`), page.click('#userinfo')])
    expect(JSON.parse((await page.textContent('#userinfo-body')) ?? '{}').email).toBe(
      demo.user.email,
    )
    expect(await page.textContent('#did')).toContain('userinfo endpoint')

    await page.goto(`${demo.webURL}/profile`)
    await page.click('#logout')
    await page.waitForURL((url) => url.origin === demo.webURL && url.pathname === '/')
    expect(await page.textContent('h1')).toBe('oidc-hybrid demo')
    await context.close()
    // One line per step, as the demo prints them.
    const steps = eventLines.map((line) => line.replace(/ \d+ ms$/, ''))
    expect(steps).toEqual(
      expect.arrayContaining([
        'event login.started 302',
        'event callback.succeeded 302 sub=auth0|demo-user',
        'event bearer.accepted sub=auth0|demo-user',
        'event refresh.succeeded sub=auth0|demo-user',
        'event logout.succeeded 302',
      ]),
    )
    for (const line of eventLines) expect(line).toMatch(/^event [a-z_.]+ .*\d+ ms$/)
  })

  it('refuses a callback whose login cookie the browser did not send back', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto(demo.webURL)
    await page.click('#login')
    await page.waitForURL((url) => url.host === new URL(demo.issuer).host)
    await context.clearCookies({ domain: 'localhost' })
    await page.fill('input[name="email"]', demo.user.email)
    await page.fill('input[name="password"]', demo.user.password)
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${demo.webURL}/callback`),
      page.click('button[type="submit"]'),
    ])
    expect(response.status()).toBe(400)
    expect(await page.textContent('body')).toContain('TRANSACTION_MISSING')
    expect((await context.cookies(demo.webURL)).some((c) => c.name.startsWith(SESSION))).toBe(false)
    await context.close()
  })
})

describe('the demo with server-side sessions, in Chromium', () => {
  let serverDemo: Demo
  beforeAll(async () => {
    serverDemo = await startDemo({
      webPort: 3120,
      apiPort: 3121,
      providerPort: 4120,
      serverSessions: true,
    })
  })
  afterAll(async () => {
    await serverDemo?.close()
  })

  it('signing out at the provider ends the app session (back-channel logout)', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await logIn(page, serverDemo)
    // The cookie holds a sealed id only, not the tokens.
    const cookie = (await context.cookies(serverDemo.webURL)).find((c) => c.name === SESSION)
    expect(cookie?.value.length).toBeLessThan(200)
    // Sign out at the provider, in the same browser but not through the app: its logout page
    // confirms by itself, and the provider POSTs a Logout Token to the app.
    await page.goto(`${serverDemo.issuer}oidc/logout?client_id=demo-app`)
    await page.waitForSelector('text=You have been signed out')
    // The app cookie is still in the browser, but it opens no session any more.
    expect((await context.cookies(serverDemo.webURL)).some((c) => c.name === SESSION)).toBe(true)
    await page.goto(serverDemo.webURL)
    expect(await page.textContent('h1')).toBe('oidc-hybrid demo')
    await context.close()
  })
})

describe('the demo with SESSIONS=redis: two app instances sharing Redis, in Chromium', () => {
  let redisDemo: Demo
  beforeAll(async () => {
    redisDemo = await startDemo({
      webPort: 3130,
      web2Port: 3132,
      apiPort: 3131,
      providerPort: 4130,
      redisPort: await freePort(),
      redis: true,
    })
  })
  afterAll(async () => {
    await redisDemo?.close()
  })

  it('logs in on one instance and uses the session on the other; logout on either ends it', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await logIn(page, redisDemo)
    expect(await page.textContent('#instance')).toContain('instance 1 of 2')
    expect(await page.textContent('#session-mode')).toContain('in Redis')
    // The cookie holds a sealed id only; the session is in Redis.
    const cookie = (await context.cookies(redisDemo.webURL)).find((c) => c.name === SESSION)
    expect(cookie?.value.length).toBeLessThan(200)
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}')

    // The other instance, another port: the same browser session, without logging in again.
    await page.goto(`${redisDemo.web2URL}/profile`)
    expect(await page.textContent('#instance')).toContain('instance 2 of 2')
    expect(JSON.parse((await page.textContent('#claims')) ?? '{}').sub).toBe(claims.sub)
    // A refresh on the second instance is seen by the first.
    await page.click('#refresh')
    await page.waitForURL(`${redisDemo.web2URL}/profile**`)
    const refreshed = await page.textContent('#access-claims')
    await page.goto(`${redisDemo.webURL}/profile`)
    expect(await page.textContent('#access-claims')).toBe(refreshed)

    // Logging out on the second ends the session on the first.
    await page.goto(`${redisDemo.web2URL}/logout`)
    await page.goto(`${redisDemo.webURL}/`)
    expect(await page.textContent('h1')).toBe('oidc-hybrid demo')
    await context.close()
  })
})

describe.each([
  { name: 'DPOP=1', dpopNonces: false, ports: [3140, 3141, 4140] },
  {
    name: 'DPOP=nonce: server nonces at the provider and the API',
    dpopNonces: true,
    ports: [3150, 3151, 4150],
  },
])(
  'the demo with $name, in Chromium',
  ({ dpopNonces, ports: [webPort, apiPort, providerPort] }) => {
    let dpopDemo: Demo
    const lines: string[] = []
    beforeAll(async () => {
      dpopDemo = await startDemo({
        webPort,
        apiPort,
        providerPort,
        dpop: true,
        dpopNonces,
        onEvent: (event) => lines.push(eventLine(event)),
      })
    })
    afterAll(async () => {
      await dpopDemo?.close()
    })

    it('logs in with a DPoP-bound token, calls the DPoP-only API and refreshes with proofs', async () => {
      const context = await browser.newContext()
      const page = await context.newPage()
      await logIn(page, dpopDemo)
      // The session's token is DPoP, bound (cnf.jkt) to the thumbprint of the session's key.
      expect(await page.textContent('#token-type')).toBe('DPoP')
      const jkt = (await page.textContent('#jkt')) ?? ''
      expect(jkt).toMatch(/^[\w-]{43}$/)
      expect(await page.textContent('#access-cnf-jkt')).toBe(jkt)
      expect(await page.textContent('#access-jkt-match')).toBe("matches the session's key")
      expect(JSON.parse((await page.textContent('#access-claims')) ?? '{}').cnf).toEqual({ jkt })
      if (process.env.DEMO_SCREENSHOTS) {
        const path = `${process.env.DEMO_SCREENSHOTS}/profile-dpop${dpopNonces ? '-nonce' : ''}.png`
        await page.screenshot({ path, fullPage: true })
      }

      // The API accepts DPoP only; it saw the proof of the session's key.
      await Promise.all([page.waitForURL(`${dpopDemo.webURL}/call-api`), page.click('#call-api')])
      expect(await page.textContent('#api-status')).toBe('200')
      expect(await page.textContent('#did')).toContain('Authorization: DPoP')
      expect(await page.textContent('#api-scheme')).toBe('DPoP')
      expect(await page.textContent('#api-jkt')).toBe(jkt)
      expect(await page.textContent('#api-jkt-match')).toBe("the session's key")

      // Refresh: a proof with the refresh token; the new token is bound to the same key.
      await page.goto(`${dpopDemo.webURL}/profile`)
      const before = await page.textContent('#access-claims')
      await Promise.all([page.waitForURL(`${dpopDemo.webURL}/profile**`), page.click('#refresh')])
      expect(await page.textContent('#did')).toContain('with a DPoP proof')
      expect(await page.textContent('#access-claims')).not.toBe(before)
      expect(await page.textContent('#token-type')).toBe('DPoP')
      expect(await page.textContent('#jkt')).toBe(jkt)
      expect(await page.textContent('#access-jkt-match')).toBe("matches the session's key")
      // The refreshed token works at the API too.
      await Promise.all([page.waitForURL(`${dpopDemo.webURL}/call-api`), page.click('#call-api')])
      expect(await page.textContent('#api-status')).toBe('200')
      expect(await page.textContent('#api-jkt-match')).toBe("the session's key")

      // A reduced-scope refresh: also DPoP-bound to the session's key.
      await page.goto(`${dpopDemo.webURL}/profile`)
      await Promise.all([
        page.waitForURL(`${dpopDemo.webURL}/refresh?reduced=1`),
        page.click('#refresh-reduced'),
      ])
      expect(await page.textContent('#reduced-scope')).not.toContain('write:messages')
      expect(await page.textContent('#reduced-token-type')).toBe('DPoP')
      expect(await page.textContent('#reduced-jkt-match')).toBe("matches the session's key")

      // UserInfo with the DPoP-bound API token and a proof (the dev provider checks it).
      await page.goto(`${dpopDemo.webURL}/profile`)
      await Promise.all([page.waitForURL(`${dpopDemo.webURL}/userinfo**`), page.click('#userinfo')])
      expect(await page.textContent('#did')).toContain('Authorization: DPoP')
      expect(JSON.parse((await page.textContent('#userinfo-body')) ?? '{}').email).toBe(
        'demo@example.com',
      )
      await context.close()
      const steps = lines.map((line) => line.replace(/ \d+ ms$/, ''))
      expect(steps).toEqual(
        expect.arrayContaining([
          'event callback.succeeded 302 sub=auth0|demo-user',
          'event bearer.accepted sub=auth0|demo-user',
          'event refresh.succeeded sub=auth0|demo-user',
        ]),
      )
      // With nonces, the API refuses the first proof (401 use_dpop_nonce, no nonce in it) and
      // accepts the app's retry with the nonce it gave.
      expect(steps.some((step) => step.startsWith('event bearer.refused'))).toBe(dpopNonces)
    })
  },
)
