/**
 * The case table, over HTTP, against every adapter and every hybrid response type. For each
 * front-channel failure the token endpoint must never have been called, and no failure may leave
 * a session cookie behind.
 */
import { createBrowser, SESSION } from '@oidc-hybrid/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import type { RunningApp } from '../src/apps.js'
import {
  CASES,
  type Case,
  RESPONSE_TYPES,
  type ResponseType,
  TRUSTED_AUDIENCE,
} from '../src/cases.js'
import { HostileProvider } from '../src/hostile-provider.js'

const SECRET = 'conformance-cookie-secret-0123456789abcdef0123'

let provider: HostileProvider
beforeAll(async () => {
  provider = await HostileProvider.start()
})
afterAll(async () => {
  await provider?.close()
})

async function run(app: RunningApp, testCase: Case): Promise<void> {
  const browser = createBrowser(app.url, { headers: { accept: 'application/json' } })
  await provider.reset(testCase.misbehaviour)
  const login = await browser.get('/login')
  expect(login.status).toBe(302)
  const authorizationUrl = new URL(login.headers.get('location')!)
  expect(testCase.authorizationUrl?.(authorizationUrl)).toBeUndefined()
  const params = await provider.authorize(authorizationUrl.href)
  const callback = await browser.post('/callback', params)
  if (testCase.callback !== 'ok') {
    const body = await callback.json()
    expect({ status: callback.status >= 400, error: body.error }).toEqual({
      status: true,
      error: testCase.callback,
    })
    expect(browser.jar.has(SESSION)).toBe(false)
    if (!testCase.tokenEndpointCalled) expect(provider.count('/token')).toBe(0)
    return
  }
  expect(callback.status, await callback.clone().text()).toBe(302)
  expect(browser.jar.has(SESSION)).toBe(true)
  if (testCase.after) {
    const twice = testCase.after.step === 'refresh-twice'
    if (twice) {
      const first = await browser.get('/refresh')
      expect(first.status, await first.clone().text()).toBe(200)
    }
    const response = await browser.get(twice ? '/refresh' : `/${testCase.after.step}`)
    if (twice && response.status === 200) expect(provider.count('/token', 'refresh_token')).toBe(2)
    const body = await response.json()
    if (testCase.after.expect === 'ok') expect(response.status, JSON.stringify(body)).toBe(200)
    else expect(body.error).toBe(testCase.after.expect)
  }
}

for (const adapter of ADAPTERS) {
  describe(adapter.name, () => {
    const apps = new Map<ResponseType, RunningApp>()
    beforeAll(async () => {
      for (const responseType of RESPONSE_TYPES) {
        apps.set(
          responseType,
          await adapter.start((baseURL) => ({
            issuerBaseURL: provider.issuer,
            baseURL,
            clientID: provider.clientId,
            clientSecret: provider.clientSecret,
            secret: SECRET,
            httpTimeout: 1_000,
            trustedAudiences: [TRUSTED_AUDIENCE],
            // Cases change the provider's keys one after another (rotation, kid-less keys);
            // the refetch cooldown itself is tested in the core's engine tests.
            jwksCooldown: 0,
            authorizationParams: {
              response_type: responseType,
              scope: 'openid profile offline_access',
            },
          })),
        )
      }
    })
    afterAll(async () => {
      await Promise.all([...apps.values()].map((app) => app.close()))
    })
    for (const testCase of CASES) {
      for (const responseType of testCase.responseTypes ?? RESPONSE_TYPES) {
        it(`${testCase.id} [${responseType}]`, () => run(apps.get(responseType)!, testCase))
      }
    }
  })
}
