/**
 * The adapter inside real workerd (through Miniflare): the test app and the example's two workers
 * (app and API) are bundled with esbuild as a Worker would be (no Node built-ins resolvable), and
 * log in end to end against the dev provider. A worker's own fetch() goes out through Miniflare's
 * outboundService to Node, which forwards it to the provider, back into the worker for its own
 * URL, or to the example's API worker for the API's URL.
 */
import {
  type Browser,
  createBrowser,
  expectBasicChallenged,
  expectProviderOutage,
  freePort,
  SESSION,
} from '@oidc-hybrid/test-kit'
import {
  Miniflare,
  type Request as MiniflareRequest,
  Response as MiniflareResponse,
} from 'miniflare'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker as bundle } from './bundle-worker.js'
import { startProvider, type TestProvider } from './provider.js'

/** The worker's origin: nothing listens there, requests reach it through dispatchFetch. */
const APP = 'http://localhost:8787'
/** The example API worker's origin, reached the same way. */
const API = 'http://localhost:8788'
const COMPATIBILITY_DATE = '2026-04-01'

interface Worker extends Browser {
  /** URLs the worker fetched (provider and its own API). */
  outbound: string[]
}

let op: TestProvider
let scripts: { app: string; example: string; exampleApi: string }
let running: Miniflare[] = []

beforeAll(async () => {
  op = await startProvider(APP)
  const [app, example, exampleApi] = await Promise.all([
    bundle('./worker.ts'),
    bundle('../../../examples/worker/src/index.ts'),
    bundle('../../../examples/worker/src/api.ts'),
  ])
  scripts = { app, example, exampleApi }
})
afterEach(async () => {
  await Promise.all(running.map((mf) => mf.dispose()))
  running = []
})
afterAll(async () => {
  await op?.close()
})

async function copyResponse(response: Response): Promise<MiniflareResponse> {
  const headers: [string, string][] = [...response.headers]
  const body =
    response.status === 204 || response.status === 304 ? null : await response.arrayBuffer()
  return new MiniflareResponse(body, { status: response.status, headers })
}

function startWorker(
  script: string,
  bindings: Record<string, string>,
  /** Other workers by origin, for the outbound requests to them. */
  others: Record<string, Miniflare> = {},
): Worker {
  const outbound: string[] = []
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
    outboundService: async (request: MiniflareRequest, miniflare: Miniflare) => {
      outbound.push(request.url)
      const init = {
        method: request.method,
        headers: [...request.headers] as [string, string][],
        body: ['GET', 'HEAD'].includes(request.method) ? undefined : await request.arrayBuffer(),
        redirect: 'manual' as const,
      }
      const origin = new URL(request.url).origin
      if (origin === APP) return miniflare.dispatchFetch(request.url, init)
      const other = others[origin]
      if (other) return other.dispatchFetch(request.url, init)
      return copyResponse(await fetch(request.url, init))
    },
  })
  running.push(mf)
  const send = async (url: string, init: RequestInit) =>
    (await mf.dispatchFetch(url, init as never)) as unknown as Response
  return { ...createBrowser(APP, { send }), outbound }
}

function appWorker(responseType?: string): Worker {
  const env = op.env({ responseType })
  return startWorker(scripts.app, { ...env, RESPONSE_TYPE: env.RESPONSE_TYPE ?? 'code id_token' })
}

describe('the test app in workerd', () => {
  it('authenticates with private_key_jwt from a JWK in its bindings (WebCrypto in workerd)', async () => {
    const env = op.env({ privateKeyJwt: true })
    const w = startWorker(scripts.app, { ...env, RESPONSE_TYPE: 'code id_token' })
    const grants = op.grants()
    expect((await w.login()).status).toBe(302)
    expect(w.jar.has(SESSION)).toBe(true)
    const refreshed = await w.get('/refresh', { accept: 'application/json' })
    expect(refreshed.status).toBe(200)
    // oidc-provider verified both assertions (the code exchange and the refresh).
    expect(op.grants()).toBe(grants + 2)
  })

  it('logs in, reads the session, calls the API, refreshes, fetches userinfo, logs out', async () => {
    const w = appWorker()
    const grants = op.grants()
    const callback = await w.login()
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe(`${APP}/`)
    expect(w.jar.has(SESSION)).toBe(true)
    expect(op.grants()).toBe(grants + 1)

    const me = await (await w.get('/me', { accept: 'application/json' })).json()
    expect(me.claims.sub).toBe('auth0|demo-user')
    const api = await w.get('/call-api')
    expect(api.status).toBe(200)
    expect(await api.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })

    // Discovery and the JWKS were fetched once for the login, the session and the API check.
    const fetched = (suffix: string) => w.outbound.filter((url) => url.endsWith(suffix)).length
    expect(fetched('/.well-known/openid-configuration')).toBe(1)
    expect(fetched('/.well-known/jwks.json')).toBe(1)

    const before = w.jar.get(SESSION)
    expect(before).toEqual(expect.any(String))
    const refreshed = await w.get('/refresh')
    expect(refreshed.status).toBe(200)
    expect(w.jar.get(SESSION)).not.toBe(before)
    expect(await (await w.get('/userinfo')).json()).toMatchObject({ sub: 'auth0|demo-user' })

    const logout = await w.get('/logout')
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')!.startsWith(`${op.provider.issuer}oidc/logout`)).toBe(
      true,
    )
    expect(w.jar.has(SESSION)).toBe(false)
  })

  it('keeps sessions in a MemorySessionStore: the cookie holds an id, logout deletes it', async () => {
    const w = startWorker(scripts.app, {
      ...op.env({}),
      RESPONSE_TYPE: 'code id_token',
      SESSION_STORE: 'memory',
    })
    expect((await w.login()).status).toBe(302)
    const cookie = w.jar.get(SESSION)!
    expect(cookie.length).toBeLessThan(200)
    expect((await w.get('/call-api')).status).toBe(200)
    expect((await w.get('/refresh')).status).toBe(200)
    expect((await w.get('/call-api')).status).toBe(200)
    expect((await w.get('/logout')).status).toBe(302)
    // The copied cookie no longer opens a session: its record is gone.
    w.jar.cookies.set(SESSION, cookie)
    expect((await w.get('/me', { accept: 'application/json' })).status).toBe(401)
  })

  it('logs in with code id_token token', async () => {
    const w = appWorker('code id_token token')
    expect((await w.login()).status).toBe(302)
    expect(w.jar.has(SESSION)).toBe(true)
  })

  it('refuses a code swapped in from another login (c_hash), before the token endpoint', async () => {
    const w = appWorker()
    const { a, b } = await w.twoLogins()
    a.params.set('code', b.params.get('code')!)
    const grants = op.grants()
    const response = await w.post(a.action, a.params, { accept: 'application/json' })
    expect(response.status).toBe(400)
    expect((await response.json()).error).toBe('C_HASH_MISMATCH')
    expect(w.jar.has(SESSION)).toBe(false)
    expect(op.grants()).toBe(grants)
  })

  it('refuses a callback without its transaction cookie, with an HTML page for browsers', async () => {
    const w = appWorker()
    const { action, params } = await w.authorize(await w.startLogin())
    w.jar.cookies.clear()
    const response = await w.post(action, params, { accept: 'text/html' })
    expect(response.status).toBe(400)
    expect(await response.text()).toContain('TRANSACTION_MISSING')
    expect(w.jar.has(SESSION)).toBe(false)
  })

  it('refuses an oversized callback body', async () => {
    const w = appWorker()
    const response = await w.post(`${APP}/callback`, `state=${'a'.repeat(70 * 1024)}`, {
      accept: 'application/json',
    })
    expect(response.status).toBe(413)
    expect((await response.json()).error).toBe('BODY_TOO_LARGE')
  })
})

describe('bearer checks in workerd: other schemes, and a provider that cannot be reached', () => {
  it('Basic is a bare 401 challenge; an outage is 503 with Retry-After, lowercase bearer too', async () => {
    // The issuer is a 127.0.0.1 port where nothing listens.
    const port = await freePort()
    const w = startWorker(scripts.app, {
      ...op.env(),
      RESPONSE_TYPE: 'code id_token',
      ISSUER_BASE_URL: `http://127.0.0.1:${port}`,
    })
    for (const path of ['/api', '/api-standalone']) {
      const call = (authorization: string) => w.get(path, { authorization })
      await expectBasicChallenged(call, 'Bearer, DPoP algs="ES256"')
      // Miniflare's outbound service answers the refused connection with an error response of
      // its own: the worker sees a provider that answered badly, not a failed request.
      await expectProviderOutage(call, 'Bearer, DPoP algs="ES256"', 'DISCOVERY_INVALID')
    }
  })
})

describe('examples/worker in workerd', () => {
  it('logs in and shows the messages from its bearer-protected API worker', async () => {
    const env = op.env()
    const api = startWorker(scripts.exampleApi, {
      ISSUER_BASE_URL: env.ISSUER_BASE_URL,
      AUDIENCE: env.AUDIENCE,
    })
    const mf = running.at(-1)!
    const w = startWorker(
      scripts.example,
      {
        ISSUER_BASE_URL: env.ISSUER_BASE_URL,
        BASE_URL: APP,
        CLIENT_ID: env.CLIENT_ID,
        CLIENT_SECRET: env.CLIENT_SECRET,
        COOKIE_SECRET: env.SECRET,
        AUDIENCE: env.AUDIENCE,
        API_URL: `${API}/api/messages`,
      },
      { [API]: mf },
    )
    const anonymous = await w.get('/messages', { accept: 'text/html' })
    expect(anonymous.status).toBe(302)
    const { action, params } = await w.authorize(anonymous.headers.get('location')!)
    const callback = await w.post(action, params)
    expect(callback.headers.get('location')).toBe(`${APP}/messages`)
    const messages = await w.get('/messages')
    expect(messages.status).toBe(200)
    expect(messages.headers.get('content-type')).toContain('text/html')
    // The same kind of page as the demo: what was called, and what came back.
    const html = await messages.text()
    expect(html).toContain(`GET ${API}/api/messages`)
    const body = html.match(/<pre id="api-body">([^<]*)<\/pre>/)?.[1] ?? ''
    expect(JSON.parse(body.replace(/&#34;/g, '"'))).toMatchObject({ for: 'auth0|demo-user' })
    const profile = await (await w.get('/profile')).text()
    expect(profile).toContain('&#34;alg&#34;: &#34;RS256&#34;')
    expect(profile).toContain('demo@example.com')
    expect(await (await w.get('/')).text()).toContain('Hello Demo User')
    expect(api.outbound.some((url) => url.endsWith('/.well-known/jwks.json'))).toBe(true)
    const unauthenticated = await mf.dispatchFetch(`${API}/api/messages`)
    expect(unauthenticated.status).toBe(401)
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256"')
    expect((await mf.dispatchFetch(`${API}/other`)).status).toBe(404)
  })
})
