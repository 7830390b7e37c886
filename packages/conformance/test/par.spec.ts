/**
 * Pushed authorization requests (RFC 9126) and signed request objects (RFC 9101) in every
 * adapter, against the real dev provider (oidc-provider) requiring them: the browser carries only
 * `client_id` and `request_uri`; with `private_key_jwt` the push, the code exchange, the refresh
 * and the revocation at logout are all authenticated by assertion; a refused push answers
 * `PAR_ERROR` and creates no transaction.
 */
import { pushedAuthorization, signedRequests } from '@oidc-hybrid/core'
import {
  createBrowser,
  listen,
  SESSION,
  startTestProvider,
  TRANSACTION,
} from '@oidc-hybrid/test-kit'
import { exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import type { AppUnderTest } from '../src/apps.js'
import { startApp } from '../src/start-app.js'

const JSON_ACCEPT = { accept: 'application/json' }

/** The app with the dev provider requiring PAR (and signed request objects with `signed`). */
async function startPar(adapter: AppUnderTest, signed: boolean) {
  const web = await listen()
  const clientId = signed ? 'par-jar' : 'par'
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const kid = 'rp-key-1'
  const key = { ...(await exportJWK(privateKey)), kid }
  const clientSecret = `${clientId}-client-secret-0123456789abcdef0123456789`
  const provider = await startTestProvider({
    client: signed
      ? {
          clientId,
          appURLs: [web.url],
          authMethod: 'private_key_jwt',
          jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
        }
      : { clientId, clientSecret, appURLs: [web.url] },
    pushedAuthorizationRequests: 'required',
    requestObjects: signed ? 'required' : 'off',
  })
  const { privateKeyJwt } = await import('@oidc-hybrid/core')
  const app = await adapter.start(
    (baseURL) => ({
      issuerBaseURL: provider.issuer,
      baseURL,
      clientID: clientId,
      ...(signed ? { clientAuth: privateKeyJwt({ key }) } : { clientSecret }),
      secret: `${clientId}-test-cookie-secret-0123456789abcdef`,
      // OIDC Core 11: offline_access with prompt=consent (the dev provider adds it to a plain
      // GET request for first-party clients, as Auth0 does; a pushed or signed one is not edited).
      authorizationParams: { scope: 'openid profile email offline_access', prompt: 'consent' },
      extensions: signed
        ? [signedRequests({ key }), pushedAuthorization()]
        : [pushedAuthorization({ when: 'required' })],
    }),
    { server: web.server },
  )
  return {
    url: app.url,
    provider,
    close: async () => {
      await app.close()
      await provider.close()
    },
  }
}

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))(
  'pushed and signed authorization requests, %s',
  (_name, adapter) => {
    it("PAR where the provider requires it (when: 'required'): the browser carries client_id and request_uri only", async () => {
      const setup = await startPar(adapter, false)
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const authorizationUrl = new URL(await browser.startLogin())
        expect([...authorizationUrl.searchParams.keys()].sort()).toEqual([
          'client_id',
          'request_uri',
        ])
        expect(authorizationUrl.searchParams.get('request_uri')).toMatch(
          /^urn:ietf:params:oauth:request_uri:/,
        )
        const { action, params } = await browser.authorize(authorizationUrl.href)
        expect((await browser.post(action, params)).status).toBe(302)
        expect(browser.jar.has(SESSION)).toBe(true)
        const me = await browser.get('/me')
        expect(((await me.json()) as { sub: string }).sub).toBe('auth0|demo-user')
        expect((await browser.get('/refresh')).status).toBe(200)
      } finally {
        await setup.close()
      }
    })

    it('signed request objects pushed with private_key_jwt: login, refresh, and revocation at logout', async () => {
      const setup = await startPar(adapter, true)
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const authorizationUrl = new URL(await browser.startLogin())
        expect([...authorizationUrl.searchParams.keys()].sort()).toEqual([
          'client_id',
          'request_uri',
        ])
        const { action, params } = await browser.authorize(authorizationUrl.href)
        expect((await browser.post(action, params)).status).toBe(302)
        expect((await browser.get('/refresh')).status).toBe(200)
        expect(setup.provider.grants()).toBe(2)
        const copied = browser.jar.header()
        expect((await browser.get('/logout')).status).toBe(302)
        // The logout revoked the refresh token, authenticated by assertion: a copy cannot refresh.
        const refresh = await fetch(`${setup.url}/refresh`, {
          headers: { cookie: copied, ...JSON_ACCEPT },
        })
        expect(refresh.status).toBe(502)
        expect(((await refresh.json()) as { message: string }).message).toContain('invalid_grant')
      } finally {
        await setup.close()
      }
    })

    it('a push the provider refuses answers PAR_ERROR (502) with its error, and creates no transaction', async () => {
      const setup = await startApp(adapter, 'par-refused', {
        // An API the provider does not know: refused at the pushed authorization request.
        authorizationParams: { audience: 'https://unknown-api.example/' },
        extensions: [pushedAuthorization()],
      })
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const answer = await browser.get('/login')
        expect(answer.status).toBe(502)
        const body = (await answer.json()) as { error: string; message: string }
        expect(body.error).toBe('PAR_ERROR')
        expect(body.message).toContain('invalid_target')
        expect(answer.headers.get('location')).toBeNull()
        expect(browser.jar.has(TRANSACTION)).toBe(false)
      } finally {
        await setup.close()
      }
    })
  },
)
