/**
 * Silent login (`GET /login?prompt=none`) in every adapter (Koa, fetch on node:http, NestJS on
 * Express and Fastify) against the real dev provider (oidc-provider): without a session at the
 * provider it answers `login_required`, which brings the browser back to `returnTo` not logged
 * in, with no error page; with one, the silent login logs the user in without any page.
 */
import { CookieJar } from '@oidc-hybrid/dev-provider'
import { createBrowser, SESSION, TRANSACTION } from '@oidc-hybrid/test-kit'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import type { AppUnderTest } from '../src/apps.js'
import { startApp } from '../src/start-app.js'

const JSON_ACCEPT = { accept: 'application/json' }

const start = (adapter: AppUnderTest) =>
  startApp(adapter, 'silent', {
    authorizationParams: { scope: 'openid profile email offline_access' },
  })

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))(
  'silent login, %s',
  (_name, adapter) => {
    it('without a provider session: back at returnTo, not logged in, no error page', async () => {
      const setup = await start(adapter)
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const authorizationUrl = await browser.startLogin('/login?prompt=none&returnTo=%2Fme')
        expect(new URL(authorizationUrl).searchParams.get('prompt')).toBe('none')
        // A fresh provider jar: no session there. The provider answers at once (no page).
        const { action, params } = await browser.authorize(authorizationUrl, {
          providerJar: new CookieJar(),
        })
        expect(params.get('error')).toBe('login_required')
        const callback = await browser.post(action, params)
        expect(callback.status).toBe(302)
        expect(callback.headers.get('location')).toBe(`${setup.url}/me`)
        expect(browser.jar.has(SESSION)).toBe(false)
        expect(browser.jar.has(TRANSACTION)).toBe(false)
        expect(setup.provider.grants()).toBe(0)
        expect((await browser.get('/me')).status).toBe(401)
      } finally {
        await setup.close()
      }
    })

    it('with a provider session: logged in without a page', async () => {
      const setup = await start(adapter)
      try {
        const providerJar = new CookieJar()
        // A first login elsewhere (another browser of the app) leaves a session at the provider.
        const first = createBrowser(setup.url, { headers: JSON_ACCEPT })
        expect((await first.login({ providerJar })).status).toBe(302)
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const authorizationUrl = await browser.startLogin('/login?prompt=none&returnTo=%2Fme')
        const { action, params } = await browser.authorize(authorizationUrl, { providerJar })
        expect(params.get('error')).toBeNull()
        const callback = await browser.post(action, params)
        expect(callback.headers.get('location')).toBe(`${setup.url}/me`)
        const me = await browser.get('/me')
        expect(me.status).toBe(200)
        expect(((await me.json()) as { sub: string }).sub).toBe('auth0|demo-user')
      } finally {
        await setup.close()
      }
    })
  },
)
