/**
 * The middleware inside real workerd (through Miniflare): the Hono test app, configured from its
 * bindings, is bundled with esbuild as a Worker would be (no Node built-ins resolvable) and logs
 * in end to end against the dev provider. A worker's own fetch() goes out through Miniflare's
 * outboundService to Node, which forwards it to the provider, or back into the worker for its own
 * URL (the API it calls with the access token).
 */
import { fileURLToPath } from 'node:url'
import {
  type Browser,
  createBrowser,
  jwtPayload,
  SESSION,
  TRANSACTION,
} from '@oidc-hybrid/test-kit'
import { build } from 'esbuild'
import {
  Miniflare,
  type Request as MiniflareRequest,
  Response as MiniflareResponse,
} from 'miniflare'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CLIENT_ID, startProvider, type TestProvider } from './provider.js'

/** The worker's origin: nothing listens there, requests reach it through dispatchFetch. */
const APP = 'http://localhost:8787'
const COMPATIBILITY_DATE = '2026-04-01'

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    // As wrangler bundles: no Node built-ins, so a node:* import anywhere fails the build.
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

interface Worker extends Browser {
  /** URLs the worker fetched (provider and its own API). */
  outbound: string[]
  /** A request straight to the worker, without the browser's cookies. */
  dispatch(path: string, headers?: Record<string, string>): Promise<Response>
}

let op: TestProvider
let script: string
let running: Miniflare[] = []

beforeAll(async () => {
  op = await startProvider(APP)
  script = await bundle('./worker.ts')
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

function startWorker(bindings: Record<string, string>): Worker {
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
      if (new URL(request.url).origin === APP) return miniflare.dispatchFetch(request.url, init)
      return copyResponse(await fetch(request.url, init))
    },
  })
  running.push(mf)
  const send = async (url: string, init: RequestInit) =>
    (await mf.dispatchFetch(url, init as never)) as unknown as Response
  return {
    ...createBrowser(APP, { send }),
    outbound,
    dispatch: (path, headers = {}) => send(`${APP}${path}`, { headers, redirect: 'manual' }),
  }
}

function appWorker(responseType = 'code id_token'): Worker {
  return startWorker({ ...op.env(), RESPONSE_TYPE: responseType })
}

describe('a Hono app Worker in workerd, configured from its bindings', () => {
  it('logs in, reads the session, calls its API, refreshes, fetches userinfo, logs out', async () => {
    const w = appWorker()
    const grants = op.grants()
    const callback = await w.login()
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe(`${APP}/`)
    expect(w.jar.has(SESSION)).toBe(true)
    expect(w.jar.has(TRANSACTION)).toBe(false)
    expect(op.grants()).toBe(grants + 1)

    const me = await (await w.get('/me', { accept: 'application/json' })).json()
    expect(me.claims.sub).toBe('auth0|demo-user')
    expect(me.scope).toContain('read:messages')
    // The session's fetch() to the app's own requireBearer route, with the access token.
    const api = await w.get('/call-api')
    expect(api.status).toBe(200)
    expect(await api.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })

    // The configuration is read from env on every request, yet one engine served them all (and
    // the API check shares it): discovery and the JWKS were fetched once.
    const fetched = (suffix: string) => w.outbound.filter((url) => url.endsWith(suffix)).length
    expect(fetched('/.well-known/openid-configuration')).toBe(1)
    expect(fetched('/.well-known/jwks.json')).toBe(1)

    const before = w.jar.get(SESSION)
    const refreshed = await w.get('/refresh')
    expect(refreshed.status).toBe(200)
    expect((await refreshed.json()).scope).toContain('read:messages')
    expect(w.jar.get(SESSION)).not.toBe(before)
    expect(op.grants()).toBe(grants + 2)
    expect(await (await w.get('/userinfo')).json()).toMatchObject({
      sub: 'auth0|demo-user',
      email: 'demo@example.com',
    })

    const logout = await w.get('/logout')
    expect(logout.status).toBe(302)
    const location = new URL(logout.headers.get('location')!)
    expect(`${location.origin}${location.pathname}`).toBe(`${op.provider.issuer}oidc/logout`)
    expect(jwtPayload(location.searchParams.get('id_token_hint')!)).toMatchObject({
      aud: CLIENT_ID,
      sub: 'auth0|demo-user',
    })
    expect(w.jar.has(SESSION)).toBe(false)
    expect((await w.get('/me', { accept: 'application/json' })).status).toBe(401)
  })

  it('protects API routes with requireBearer: the access token in, RFC 6750 answers out', async () => {
    const w = appWorker()
    expect((await w.login()).status).toBe(302)
    const { token } = await (await w.get('/token')).json()
    const bearer = (path: string, value = token) =>
      w.dispatch(path, { authorization: `Bearer ${value}` })

    const ok = await bearer('/api')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })
    const standalone = await bearer('/api-standalone')
    expect(await standalone.json()).toMatchObject({ sub: 'auth0|demo-user' })

    const none = await w.dispatch('/api')
    expect(none.status).toBe(401)
    // RFC 6750 3.1: a request without authentication gets a challenge without an error code.
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer\b/)
    expect(none.headers.get('www-authenticate')).not.toContain('error=')
    const garbage = await bearer('/api', 'abc.def.ghi')
    expect(garbage.status).toBe(401)
    expect(garbage.headers.get('www-authenticate')).toContain('error="invalid_token"')
    const scope = await bearer('/api-write')
    expect(scope.status).toBe(403)
    expect(scope.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
  })

  it('requireAuth: a browser is sent to the login and comes back; an API client gets 401 JSON', async () => {
    const w = appWorker()
    const page = await w.get('/me?tab=1', { accept: 'text/html' })
    expect(page.status).toBe(302)
    const location = page.headers.get('location')!
    expect(location.startsWith(`${op.provider.issuer}authorize?`)).toBe(true)
    expect(w.jar.has(TRANSACTION)).toBe(true)
    const callback = await w.login({ authorizationUrl: location })
    expect(callback.headers.get('location')).toBe(`${APP}/me?tab=1`)
    expect((await w.get('/me?tab=1', { accept: 'text/html' })).status).toBe(200)

    const api = await w.dispatch('/me', { accept: 'application/json' })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: 'SESSION_MISSING' })
  })

  it('logs in with code token and code id_token token', async () => {
    for (const responseType of ['code token', 'code id_token token']) {
      const w = appWorker(responseType)
      expect((await w.login()).status).toBe(302)
      expect((await w.get('/me', { accept: 'application/json' })).status).toBe(200)
    }
  })

  it('authenticates with private_key_jwt from a JWK in its bindings (WebCrypto in workerd)', async () => {
    const w = startWorker({ ...op.env({ privateKeyJwt: true }), RESPONSE_TYPE: 'code id_token' })
    const grants = op.grants()
    expect((await w.login()).status).toBe(302)
    expect((await w.get('/refresh', { accept: 'application/json' })).status).toBe(200)
    // oidc-provider verified both assertions (the code exchange and the refresh).
    expect(op.grants()).toBe(grants + 2)
  })

  it('keeps sessions in a MemorySessionStore built in the config function: one store per isolate', async () => {
    const w = startWorker({ ...op.env(), RESPONSE_TYPE: 'code id_token', SESSION_STORE: 'memory' })
    expect((await w.login()).status).toBe(302)
    const cookie = w.jar.get(SESSION)!
    expect(cookie.length).toBeLessThan(200)
    // Later requests build a new store object each, but the engine keeps the first one.
    expect((await w.get('/call-api')).status).toBe(200)
    expect((await w.get('/refresh')).status).toBe(200)
    expect((await w.get('/logout')).status).toBe(302)
    w.jar.cookies.set(SESSION, cookie)
    expect((await w.get('/me', { accept: 'application/json' })).status).toBe(401)
  })
})

describe('bad callbacks in workerd end in an error status and no session', () => {
  it('a code swapped in from another login (c_hash), refused before the token endpoint', async () => {
    const w = appWorker()
    const { a, b } = await w.twoLogins()
    a.params.set('code', b.params.get('code')!)
    const grants = op.grants()
    const response = await w.post(a.action, a.params, { accept: 'application/json' })
    expect(response.status).toBe(400)
    expect((await response.json()).error).toBe('C_HASH_MISMATCH')
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION}=`))).toBe(false)
    expect(w.jar.has(SESSION)).toBe(false)
    expect(op.grants()).toBe(grants)
  })

  it('a callback without its transaction cookie: an HTML page for browsers', async () => {
    const w = appWorker()
    const { action, params } = await w.authorize(await w.startLogin())
    w.jar.cookies.clear()
    const response = await w.post(action, params, { accept: 'text/html' })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toContain('text/html')
    expect(await response.text()).toContain('TRANSACTION_MISSING')
    expect(w.jar.has(SESSION)).toBe(false)
  })

  it('a forged state, and hybrid parameters in a query string', async () => {
    const w = appWorker()
    const { a } = await w.twoLogins()
    const query = await w.get(`/callback?${a.params}`, { accept: 'application/json' })
    expect(query.status).toBe(400)
    expect((await query.json()).error).toBe('CALLBACK_PARAMETERS_IN_QUERY')
    a.params.set('state', `${a.params.get('state')}x`)
    const forged = await w.post(a.action, a.params, { accept: 'application/json' })
    expect(forged.status).toBe(400)
    expect((await forged.json()).error).toBe('TRANSACTION_MISSING')
    expect(w.jar.has(SESSION)).toBe(false)
  })

  it('an oversized callback body', async () => {
    const w = appWorker()
    const response = await w.post(`${APP}/callback`, `state=${'a'.repeat(70 * 1024)}`, {
      accept: 'application/json',
    })
    expect(response.status).toBe(413)
    expect((await response.json()).error).toBe('BODY_TOO_LARGE')
    expect(w.jar.has(SESSION)).toBe(false)
  })
})
