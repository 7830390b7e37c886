/**
 * `events()` end to end, in every adapter against the real dev provider (oidc-provider): one value
 * in the app's `extensions` and in its bearer check's reports a login (started, the callback, a
 * replayed callback refused), an API call's token accepted and a forged one refused, a refresh and
 * the logout, each with its duration and (failures) its code, and none with a token, a cookie or
 * the code.
 */
import { type AuthEvent, events } from '@oidc-hybrid/core'
import { createBrowser, listen, startTestProvider } from '@oidc-hybrid/test-kit'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import type { AppUnderTest } from '../src/apps.js'

const CLIENT_ID = 'events'
const CLIENT_SECRET = 'events-client-secret-0123456789abcdef0123456789'
const SECRET = 'events-test-cookie-secret-0123456789abcdef'
const AUDIENCE = 'https://api.example.com'
const SCOPE = 'openid profile email offline_access read:messages'
const JSON_ACCEPT = { accept: 'application/json' }

/** `adapter`'s app and its `/api`, both with one `events()` value; the events it reported. */
async function start(adapter: AppUnderTest) {
  const seen: AuthEvent[] = []
  const observed = events({ onEvent: (event) => void seen.push(event) })
  const web = await listen()
  const provider = await startTestProvider({
    client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appURLs: [web.url] },
  })
  const app = await adapter.start(
    (baseURL) => ({
      issuerBaseURL: provider.issuer,
      baseURL,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      secret: SECRET,
      authorizationParams: { scope: SCOPE, audience: AUDIENCE },
      extensions: [observed],
    }),
    {
      server: web.server,
      api: {
        bearer: { issuerBaseURL: provider.issuer, audience: AUDIENCE, extensions: [observed] },
        scopes: ['read:messages'],
      },
    },
  )
  return {
    url: app.url,
    apiURL: app.apiURL!,
    /** The events since the last call, and forgets them. */
    take: () => seen.splice(0),
    close: async () => {
      await app.close()
      await provider.close()
    },
  }
}

const timed = (event: Omit<AuthEvent, 'durationMs'>) => ({
  ...event,
  durationMs: expect.any(Number),
})

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))(
  'events, %s',
  (_name, adapter) => {
    it('a login, an API call, a refresh and a logout are reported, without secrets', async () => {
      const setup = await start(adapter)
      try {
        const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
        const { action, params } = await browser.authorize(await browser.startLogin())
        expect((await browser.post(action, params)).status).toBe(302)
        // The same form_post again: its transaction was spent.
        const replay = await browser.post(action, params)
        expect(replay.status).toBe(400)
        const first = setup.take()
        expect(first).toEqual([
          timed({ type: 'login.started', status: 302 }),
          timed({
            type: 'callback.succeeded',
            status: 302,
            sub: 'auth0|demo-user',
          }),
          timed({ type: 'callback.failed', status: 400, code: 'TRANSACTION_MISSING' }),
        ])
        const { token } = (await (await browser.get('/state')).json()) as { token: string }
        const secrets = [
          token,
          params.get('code')!,
          params.get('id_token')!,
          params.get('state')!,
          ...browser.jar
            .header()
            .split('; ')
            .map((pair) => pair.slice(pair.indexOf('=') + 1)),
          CLIENT_SECRET,
          SECRET,
        ]

        expect((await browser.get('/call-api')).status).toBe(200)
        const forged = await fetch(`${setup.apiURL}/api`, {
          headers: { authorization: `Bearer ${token.slice(0, -4)}AAAA` },
        })
        expect(forged.status).toBe(401)
        const refreshed = (await (await browser.get('/refresh')).json()) as { token: string }
        secrets.push(refreshed.token)
        expect((await browser.get('/logout')).status).toBe(302)
        const later = setup.take()
        expect(later).toEqual([
          timed({ type: 'bearer.accepted', sub: 'auth0|demo-user', scheme: 'Bearer' }),
          timed({ type: 'bearer.refused', status: 401, code: 'BEARER_TOKEN_INVALID' }),
          timed({ type: 'refresh.succeeded', sub: 'auth0|demo-user' }),
          timed({ type: 'logout.succeeded', status: 302 }),
        ])

        expect(secrets.every((secret) => secret.length >= 16)).toBe(true)
        const serialized = JSON.stringify([...first, ...later])
        for (const secret of secrets) expect(serialized).not.toContain(secret)
      } finally {
        await setup.close()
      }
    })
  },
)
