/**
 * End to end in workerd: two deployments of one Worker app (`app-a`, which defines the
 * `SESSIONS` Durable Object namespace, and `app-b`, bound to app-a's `SessionsObject` by
 * `scriptName`), each in its own isolate, log in against the real dev provider (oidc-provider)
 * and share their sessions through the Durable Objects.
 *
 * The provider's access tokens live TTL seconds and the apps count one as expired LEEWAY seconds
 * before (see packages/conformance/test/lifecycle.spec.ts). 50 concurrent requests split over the
 * two apps, all carrying one session whose access token has expired, make exactly one
 * refresh_token grant at the provider (counted there: `grant.success` and `grant.error`), and
 * all 50 are answered with the one new access token; with refresh tokens rotated (oidc-provider's
 * reuse detection would revoke the grant if a spent one came back) and kept.
 *
 * The Worker of the README (its first TypeScript block, bundled as it is) logs in too.
 *
 * The workers' own fetch() goes out through Miniflare's outboundService to Node, which forwards it
 * to the provider.
 */
import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { createBrowser, SESSION, startTestProvider, type TestProvider } from '@oidc-hybrid/test-kit'
import {
  Miniflare,
  type Request as MiniflareRequest,
  Response as MiniflareResponse,
} from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundle, COMPATIBILITY_DATE } from './bundle.js'

/** The apps' origin: nothing listens there, requests reach a worker through its fetcher. */
const APP = 'http://localhost:8787'
const CLIENT_ID = 'cloudflare-app'
const CLIENT_SECRET = 'cloudflare-test-client-secret-0123456789abcdef'
const SECRET = 'cloudflare-test-cookie-secret-0123456789abcdef'
const JSON_ACCEPT = { accept: 'application/json' }
const TTL = 3
const LEEWAY = 1

let script: string
beforeAll(async () => {
  script = await bundle('./app-worker.ts')
})

async function outbound(request: MiniflareRequest): Promise<MiniflareResponse> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: [...request.headers] as [string, string][],
    body: ['GET', 'HEAD'].includes(request.method) ? undefined : await request.arrayBuffer(),
    redirect: 'manual',
  })
  const body =
    response.status === 204 || response.status === 304 ? null : await response.arrayBuffer()
  return new MiniflareResponse(body, { status: response.status, headers: [...response.headers] })
}

/** The two deployments of the app, sharing app-a's Durable Object namespace. */
function startApps(issuer: string): Miniflare {
  const bindings = {
    ISSUER_BASE_URL: issuer,
    BASE_URL: APP,
    CLIENT_ID,
    CLIENT_SECRET,
    SECRET,
    REFRESH_LEEWAY: String(LEEWAY),
  }
  const common = {
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
    outboundService: outbound,
  }
  return new Miniflare({
    workers: [
      {
        ...common,
        name: 'app-a',
        durableObjects: { SESSIONS: { className: 'SessionsObject', useSQLite: true } },
      },
      {
        ...common,
        name: 'app-b',
        durableObjects: {
          SESSIONS: { className: 'SessionsObject', scriptName: 'app-a', useSQLite: true },
        },
      },
    ],
  })
}

for (const rotate of [true, false]) {
  describe(`two Worker deployments sharing SessionsObject (refresh tokens ${rotate ? 'rotated' : 'kept'})`, () => {
    let provider: TestProvider
    let mf: Miniflare
    let send: Record<'a' | 'b', (url: string, init: RequestInit) => Promise<Response>>

    beforeAll(async () => {
      provider = await startTestProvider({
        accessTokenTTL: TTL,
        rotateRefreshTokens: rotate,
        client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appURLs: [APP] },
      })
      mf = startApps(provider.issuer)
      const [a, b] = await Promise.all([mf.getWorker('app-a'), mf.getWorker('app-b')])
      const fetcher = (worker: typeof a) => async (url: string, init: RequestInit) =>
        (await worker.fetch(url, init as never)) as unknown as Response
      send = { a: fetcher(a), b: fetcher(b) }
    })
    afterAll(async () => {
      await mf?.dispose()
      await provider?.close()
    })

    it('logs in on one, uses the session on the other; 50 concurrent requests with an expired token make one refresh', async () => {
      const onA = createBrowser(APP, { send: send.a, headers: JSON_ACCEPT })
      const onB = createBrowser(APP, { send: send.b, headers: JSON_ACCEPT, jar: onA.jar })
      expect((await onA.login()).status).toBe(302)
      // The cookie holds a sealed id only; the session is in the Durable Object.
      expect(onA.jar.get(SESSION)!.length).toBeLessThan(200)
      const me = await onB.get('/me')
      expect(me.status).toBe(200)
      expect(await me.json()).toEqual({ sub: 'auth0|demo-user' })
      const first = (await (await onB.get('/token')).json()) as { token: string }
      expect((await (await onA.get('/token')).json()) as { token: string }).toEqual(first)

      // The access token is stale for the apps after TTL - LEEWAY seconds.
      await sleep((TTL - LEEWAY) * 1000 + 300)
      const grants = provider.grants()
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 ? onB : onA).get('/token')),
      )
      const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as Array<{
        token: string
      }>
      expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200))
      expect(provider.grants() - grants).toBe(1)
      const tokens = new Set(bodies.map((body) => body.token))
      expect(tokens.size).toBe(1)
      expect(tokens.has(first.token)).toBe(false)

      // The grant is alive (a spent refresh token sent again would have revoked it with
      // rotation): a forced refresh on the other deployment works, and both see its result.
      const forced = await onB.get('/refresh')
      expect(forced.status).toBe(200)
      const { token } = (await forced.json()) as { token: string }
      expect(tokens.has(token)).toBe(false)
      expect(provider.grants() - grants).toBe(2)
      expect(((await (await onA.get('/token')).json()) as { token: string }).token).toBe(token)
    }, 60_000)

    it('logout on one deployment ends the session on the other', async () => {
      const onA = createBrowser(APP, { send: send.a, headers: JSON_ACCEPT })
      expect((await onA.login()).status).toBe(302)
      const cookie = onA.jar.header()
      expect((await onA.get('/me')).status).toBe(200)
      const onB = createBrowser(APP, { send: send.b, headers: JSON_ACCEPT, jar: onA.jar })
      expect((await onB.get('/logout')).status).toBe(302)
      // The copied cookie no longer opens a session anywhere: its record is gone.
      const again = createBrowser(APP, { send: send.a, headers: { ...JSON_ACCEPT, cookie } })
      expect((await again.get('/me')).status).toBe(401)
    }, 60_000)
  })
}

describe('the README Worker', () => {
  it('bundles as written and logs in, with its session in a SessionsObject', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    const code = readme.match(/```ts\n([\s\S]*?)```/)![1]!
    expect(code).toContain('new DurableObjectSessionStore(env.SESSIONS)')
    const provider = await startTestProvider({
      client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appURLs: [APP] },
    })
    const mf = new Miniflare({
      modules: true,
      script: await bundle({ contents: code }),
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: {
        ISSUER_BASE_URL: provider.issuer,
        BASE_URL: APP,
        CLIENT_ID,
        CLIENT_SECRET,
        COOKIE_SECRET: SECRET,
      },
      durableObjects: { SESSIONS: { className: 'SessionsObject', useSQLite: true } },
      outboundService: outbound,
    })
    try {
      const browser = createBrowser(APP, {
        headers: JSON_ACCEPT,
        send: async (url, init) =>
          (await mf.dispatchFetch(url, init as never)) as unknown as Response,
      })
      expect((await browser.get('/')).status).toBe(401)
      expect((await browser.login()).status).toBe(302)
      expect(browser.jar.get(SESSION)!.length).toBeLessThan(200)
      const home = await browser.get('/')
      expect(home.status).toBe(200)
      expect(await home.json()).toMatchObject({ user: 'auth0|demo-user' })
    } finally {
      await mf.dispose()
      await provider.close()
    }
  }, 60_000)
})
