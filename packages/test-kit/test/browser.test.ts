import { createHash } from 'node:crypto'
import { CookieJar } from '@oidc-hybrid/dev-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createBrowser,
  freePort,
  hybridClient,
  jwtPayload,
  listen,
  rawGet,
  type Send,
  startTestProvider,
  type TestProvider,
} from '../src/index.js'

const APP = 'http://localhost:3999'

interface Sent {
  url: string
  method: string
  headers: Record<string, string>
  body: string | undefined
  redirect: RequestRedirect | undefined
}

/** A `send` that records each request and answers with `answer(request)`. */
function recorder(answer: (request: Sent) => Response = () => new Response('ok')) {
  const sent: Sent[] = []
  const send: Send = async (url, init) => {
    const request: Sent = {
      url,
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      body:
        init.body instanceof ReadableStream
          ? await new Response(init.body).text()
          : (init.body as string | undefined),
      redirect: init.redirect,
    }
    sent.push(request)
    return answer(request)
  }
  return { sent, send }
}

function withCookies(...lines: string[]): Response {
  const headers = new Headers()
  for (const line of lines) headers.append('set-cookie', line)
  return new Response('ok', { headers })
}

describe('createBrowser', () => {
  it('sends the jar as the Cookie header (none while empty), keeps what comes back, never follows redirects', async () => {
    const { sent, send } = recorder((request) =>
      request.url.endsWith('/set') ? withCookies('a=1; Path=/', 'b=2; Path=/') : new Response(),
    )
    const browser = createBrowser(APP, { send })
    await browser.get('/set', { accept: 'application/json' })
    await browser.get('https://elsewhere.example/next')
    expect(sent.map(({ url }) => url)).toEqual([`${APP}/set`, 'https://elsewhere.example/next'])
    expect(sent[0]!.headers).toEqual({ accept: 'application/json' })
    expect(sent[1]!.headers).toEqual({ cookie: 'a=1; b=2' })
    expect(sent.every(({ redirect }) => redirect === 'manual')).toBe(true)
    expect(browser.jar.get('a')).toBe('1')
  })

  it('posts forms (strings, URLSearchParams, streams; other methods), default headers yielding to its own', async () => {
    const { sent, send } = recorder()
    const browser = createBrowser(APP, { send, headers: { accept: 'text/html' } })
    await browser.post('/callback', new URLSearchParams({ code: 'c', state: 's' }))
    await browser.post('/callback', 'x=1', { accept: 'application/json' }, 'PUT')
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('state=streamed'))
        controller.close()
      },
    })
    await browser.post(`${APP}/callback`, stream)
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    expect(sent.map(({ method, headers, body }) => ({ method, headers, body }))).toEqual([
      { method: 'POST', headers: { accept: 'text/html', ...form }, body: 'code=c&state=s' },
      { method: 'PUT', headers: { accept: 'application/json', ...form }, body: 'x=1' },
      { method: 'POST', headers: { accept: 'text/html', ...form }, body: 'state=streamed' },
    ])
  })

  it('startLogin() wants a redirect: any other answer is an error naming it', async () => {
    const { send } = recorder(() => new Response('no login here', { status: 404 }))
    await expect(createBrowser(APP, { send }).startLogin()).rejects.toThrow(
      'GET /login answered 404: no login here',
    )
  })
})

describe('login through the dev provider (startTestProvider, createBrowser)', () => {
  let op: TestProvider
  const verifier = 'test-kit-code-verifier-0123456789abcdefghijklmnopqrstuvwxyz'
  const challenge = createHash('sha256').update(verifier).digest('base64url')
  beforeAll(async () => {
    op = await startTestProvider({
      client: { clientId: 'kit-app', clientSecret: 'kit-secret-0123456789abcdef', appURLs: [APP] },
    })
  })
  afterAll(() => op?.close())

  /** The app's /login: a 302 to the provider with a hybrid form_post request and a cookie. */
  function app(state: string) {
    return recorder((request) => {
      if (!request.url.endsWith('/login')) return new Response('callback reached')
      const url = new URL(`${op.issuer}authorize`)
      for (const [name, value] of Object.entries({
        client_id: 'kit-app',
        redirect_uri: `${APP}/callback`,
        response_type: 'code id_token',
        response_mode: 'form_post',
        scope: 'openid email',
        nonce: `nonce-${state}`,
        state,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      })) {
        url.searchParams.set(name, value)
      }
      const headers = new Headers({ location: url.href })
      headers.append('set-cookie', `tx_${state}=1; Path=/`)
      return new Response(null, { status: 302, headers })
    })
  }

  it('login(): the app login route, the provider form, then the form_post to the callback with the cookies', async () => {
    const { sent, send } = app('s1')
    const browser = createBrowser(APP, { send })
    const callback = await browser.login({ headers: { accept: 'application/json' } })
    expect(await callback.text()).toBe('callback reached')
    const [login, post] = sent
    expect(login!.url).toBe(`${APP}/login`)
    expect(post!.url).toBe(`${APP}/callback`)
    expect(post!.method).toBe('POST')
    expect(post!.headers).toMatchObject({ cookie: 'tx_s1=1', accept: 'application/json' })
    const fields = new URLSearchParams(post!.body)
    expect(fields.get('state')).toBe('s1')
    expect(jwtPayload(fields.get('id_token')!)).toMatchObject({
      sub: 'auth0|demo-user',
      aud: 'kit-app',
      nonce: 'nonce-s1',
    })
    expect(fields.get('code')).toMatch(/^\S{20,}$/)
    // The code was not redeemed: no grant yet.
    expect(op.grants()).toBe(0)
  })

  it('a shared provider jar is one provider session: the second login shows no form', async () => {
    const providerJar = new CookieJar()
    const first = createBrowser(APP, { send: app('s2').send })
    const second = createBrowser(APP, { send: app('s3').send })
    const a = await first.authorize(await first.startLogin(), { providerJar })
    const b = await second.authorize(await second.startLogin(), {
      providerJar,
      // Not asked for: the provider session logs the user in.
      credentials: { email: 'demo@example.com', password: 'wrong' },
    })
    expect(jwtPayload(b.params.get('id_token')!).sid).toBe(
      jwtPayload(a.params.get('id_token')!).sid,
    )
    await expect(
      createBrowser(APP, { send: app('s4').send }).login({
        credentials: { email: 'demo@example.com', password: 'wrong' },
      }),
    ).rejects.toThrow(/login as demo@example.com failed/)
  })

  it('twoLogins(): two completed logins, two states', async () => {
    const browser = createBrowser(APP, { send: app('s5').send })
    const { a, b } = await browser.twoLogins()
    expect(a.params.get('code')).not.toBe(b.params.get('code'))
    expect(a.action).toBe(`${APP}/callback`)
  })
})

describe('hybridClient', () => {
  it('registers the callback and home of every app, the hybrid response types and code, and their grants', () => {
    expect(
      hybridClient({
        clientId: 'c',
        clientSecret: 's',
        appURLs: ['http://localhost:1', 'http://localhost:2'],
        backchannelLogout: true,
      }),
    ).toEqual({
      client_id: 'c',
      client_secret: 's',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['http://localhost:1/callback', 'http://localhost:2/callback'],
      post_logout_redirect_uris: ['http://localhost:1/', 'http://localhost:2/'],
      backchannel_logout_uri: 'http://localhost:1/backchannel-logout',
      backchannel_logout_session_required: true,
      response_types: ['code id_token', 'code token', 'code id_token token', 'code'],
      grant_types: ['authorization_code', 'implicit', 'refresh_token'],
    })
    const jwks = { keys: [{ kty: 'EC', kid: 'k1' }] }
    expect(
      hybridClient({ clientId: 'c', appURLs: ['x'], authMethod: 'private_key_jwt', jwks }),
    ).toMatchObject({ jwks, token_endpoint_auth_method: 'private_key_jwt' })
    expect(
      hybridClient({ clientId: 'c', appURLs: ['x'], authMethod: 'private_key_jwt', jwks }),
    ).not.toHaveProperty('client_secret')
  })
})

describe('servers', () => {
  it('freePort() is a port where nothing listens; listen() serves; rawGet() sets Host', async () => {
    const port = await freePort()
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow()
    const { server, url } = await listen()
    server.on('request', (req, res) => res.end(`host=${req.headers.host}`))
    try {
      expect(url).toMatch(/^http:\/\/localhost:\d+$/)
      const answer = await rawGet(url, '/', { host: 'app.example.com' })
      expect(answer).toMatchObject({ status: 200, body: 'host=app.example.com' })
    } finally {
      server.close()
      server.closeAllConnections()
    }
  })
})
