import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CookieJar,
  completeLogin,
  type DevProvider,
  defaultClients,
  LoginFlowError,
  start,
} from '../src/index.js'
import { authorizationRequest, type Discovery, discover, login } from './helpers.js'

/** Follows a login by hand, returning every page the user would see (status, HTML). */
async function pagesShown(
  startUrl: string,
  credentials = { email: 'demo@example.com', password: 'demo-password' },
) {
  const jar = new CookieJar()
  const pages: string[] = []
  let url = startUrl
  let body: URLSearchParams | undefined
  for (let i = 0; i < 20; i++) {
    const headers: Record<string, string> = {}
    const cookie = jar.header(url)
    if (cookie) headers.cookie = cookie
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded'
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      headers,
      body,
      redirect: 'manual',
    })
    jar.store(url, response)
    body = undefined
    const location = response.headers.get('location')
    if (location) {
      url = new URL(location, url).href
      continue
    }
    const html = await response.text()
    pages.push(html)
    if (html.includes('id="login-form"')) {
      url = new URL(/action="([^"]+)"/.exec(html.slice(html.indexOf('id="login-form"')))![1]!, url)
        .href
      body = new URLSearchParams(credentials)
      continue
    }
    return pages
  }
  throw new Error('login did not finish')
}

describe('login interaction', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({
      clients: [
        ...defaultClients(),
        {
          client_id: 'third-party',
          client_secret: 'third-party-secret-0123456789abcdef0123456789',
          client_name: 'Third Party',
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: ['http://localhost:3000/callback'],
          is_first_party: false,
        },
      ],
    })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('shows a self-contained login form with the demo credentials', async () => {
    const { url } = authorizationRequest(discovery, {})
    const [loginPage] = await pagesShown(url)
    expect(loginPage).toContain('id="login-form"')
    expect(loginPage).toContain('demo@example.com')
    expect(loginPage).toContain('demo-password')
    expect(loginPage).not.toMatch(/(src|href)="https?:|@import|url\(/)
  })

  it('first-party client: the login form is the only page, even with offline_access', async () => {
    const { url } = authorizationRequest(discovery, {
      scope: 'openid profile offline_access read:messages',
      audience: 'https://api.example.com',
    })
    const pages = await pagesShown(url)
    expect(pages).toHaveLength(2)
    expect(pages[0]).toContain('id="login-form"')
    expect(pages[1]).toContain('name="code"')
  })

  it('third-party client: shows a consent page after the login', async () => {
    const { url } = authorizationRequest(discovery, {
      client_id: 'third-party',
      response_type: 'code',
    })
    const pages = await pagesShown(url)
    expect(pages).toHaveLength(2)
    expect(pages[1]).toContain('id="consent-form"')
    expect(pages[1]).toContain('Third Party')
  })

  it('completeLogin accepts the consent page and returns the code', async () => {
    const { response } = await login(discovery, { client_id: 'third-party', response_type: 'code' })
    expect(response.get('code')).toBeTruthy()
  })

  it('completeLogin throws LOGIN_FAILED for a wrong password', async () => {
    const { url } = authorizationRequest(discovery, {})
    const failure = completeLogin(url, { email: 'demo@example.com', password: 'wrong' })
    await expect(failure).rejects.toBeInstanceOf(LoginFlowError)
    await expect(failure).rejects.toMatchObject({ code: 'LOGIN_FAILED' })
  })

  it('completeLogin throws LOGIN_UNEXPECTED_RESPONSE for an error page', async () => {
    const { url } = authorizationRequest(discovery, {
      redirect_uri: 'http://localhost:3000/elsewhere',
    })
    await expect(completeLogin(url)).rejects.toMatchObject({
      code: 'LOGIN_UNEXPECTED_RESPONSE',
      status: 400,
      message: expect.stringMatching(/redirect_uri/),
    })
  })

  it('reuses the session: a second login with the same cookies needs no form', async () => {
    const cookieJar = new CookieJar()
    await login(discovery, {}, { cookieJar })
    const { response } = await login(
      discovery,
      {},
      { cookieJar, credentials: { email: 'demo@example.com', password: 'not-asked' } },
    )
    expect(response.get('code')).toBeTruthy()
  })

  it('returns query responses too, from the redirect URI', async () => {
    const { action, response, state } = await login(discovery, {
      response_type: 'code',
      response_mode: 'query',
    })
    expect(action).toBe('http://localhost:3000/callback')
    expect(response.get('state')).toBe(state)
    expect(response.get('code')).toBeTruthy()
  })

  it('cancelling the login sends access_denied to the client', async () => {
    const { url, state } = authorizationRequest(discovery, {})
    const jar = new CookieJar()
    let next = url
    let response = await fetch(next, { redirect: 'manual' })
    jar.store(next, response)
    next = new URL(response.headers.get('location')!, next).href
    response = await fetch(next, { headers: { cookie: jar.header(next)! } })
    jar.store(next, response)
    const abort = /href="([^"]+\/abort)"/.exec(await response.text())![1]!
    const { params } = await completeLogin(new URL(abort, next).href, undefined, { cookieJar: jar })
    expect(params.get('error')).toBe('access_denied')
    expect(params.get('state')).toBe(state)
  })
})
