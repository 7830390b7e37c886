/**
 * The plain authorization code flow (`response_type=code`, PKCE, form_post or query), for providers
 * without hybrid support, in every adapter (Koa, fetch on node:http, NestJS on Express and
 * Fastify) against the real dev provider (oidc-provider): log in, the session's claims from the
 * token endpoint's ID token, refresh, userinfo; a response from another issuer is refused.
 */
import { createBrowser, SESSION, TRANSACTION } from '@oidc-hybrid/test-kit'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import type { AppUnderTest } from '../src/apps.js'
import { startApp } from '../src/start-app.js'

const JSON_ACCEPT = { accept: 'application/json' }

const start = (adapter: AppUnderTest) =>
  startApp(adapter, 'code-flow', {
    authorizationParams: { response_type: 'code', scope: 'openid profile email offline_access' },
  })

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))(
  'the plain code flow, %s',
  (_name, adapter) => {
    it('logs in with response_type=code, refreshes and fetches userinfo', async () => {
      const setup = await start(adapter)
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const authorizationUrl = await browser.startLogin()
        const request = new URL(authorizationUrl).searchParams
        expect(request.get('response_type')).toBe('code')
        expect(request.get('response_mode')).toBe('form_post')
        expect(request.get('code_challenge_method')).toBe('S256')
        const { action, params } = await browser.authorize(authorizationUrl)
        // Nothing signed in the front channel: a code, the state and the issuer.
        expect([...params.keys()].sort()).toEqual(['code', 'iss', 'state'])
        expect((await browser.post(action, params)).status).toBe(302)
        expect(browser.jar.has(SESSION)).toBe(true)
        expect(browser.jar.has(TRANSACTION)).toBe(false)
        const me = await browser.get('/me')
        expect(((await me.json()) as { sub: string }).sub).toBe('auth0|demo-user')
        expect((await browser.get('/refresh')).status).toBe(200)
        const userinfo = await browser.get('/userinfo')
        expect(((await userinfo.json()) as { sub: string }).sub).toBe('auth0|demo-user')
        expect(setup.provider.grants()).toBe(2)
      } finally {
        await setup.close()
      }
    })

    it('response_mode=query: the code comes back in a GET to the callback', async () => {
      const setup = await startApp(adapter, 'code-query', {
        authorizationParams: {
          response_type: 'code',
          response_mode: 'query',
          scope: 'openid profile email offline_access',
        },
      })
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const authorizationUrl = await browser.startLogin()
        expect(new URL(authorizationUrl).searchParams.get('response_mode')).toBe('query')
        const { action, params } = await browser.authorize(authorizationUrl)
        expect([...params.keys()].sort()).toEqual(['code', 'iss', 'state'])
        const callback = await browser.get(`${new URL(action).pathname}?${params}`)
        expect(callback.status).toBe(302)
        expect(browser.jar.has(SESSION)).toBe(true)
        expect(browser.jar.has(TRANSACTION)).toBe(false)
        const me = await browser.get('/me')
        expect(((await me.json()) as { sub: string }).sub).toBe('auth0|demo-user')
        expect((await browser.get('/refresh')).status).toBe(200)
      } finally {
        await setup.close()
      }
    })

    it('refuses a response whose iss is another issuer, before the code goes anywhere', async () => {
      const setup = await start(adapter)
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const { action, params } = await browser.authorize(await browser.startLogin())
        params.set('iss', 'https://attacker.example/')
        const callback = await browser.post(action, params)
        expect(callback.status).toBe(400)
        expect(((await callback.json()) as { error: string }).error).toBe('ISSUER_MISMATCH')
        expect(browser.jar.has(SESSION)).toBe(false)
        expect(setup.provider.grants()).toBe(0)
      } finally {
        await setup.close()
      }
    })
  },
)
