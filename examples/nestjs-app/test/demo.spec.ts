/**
 * The demo's user story on Express and on Fastify, with fetch and a cookie jar as the browser
 * and the dev provider's completeLogin for its login form: home, login through the form_post
 * callback, profile, the API call, refresh (also reduced), userinfo, logout.
 */
import { completeLogin } from '@oidc-hybrid/dev-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, type Platform, startDemo } from '../src/demo.js'

/** Cookies of one host; enough of RFC 6265 for the demo. */
class Jar {
  readonly cookies = new Map<string, string>()
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name)
      else this.cookies.set(name, pair!.slice(at + 1).trim())
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ')
  }
}

const PORTS: Record<Platform, { webPort: number; apiPort: number; providerPort: number }> = {
  express: { webPort: 3200, apiPort: 3201, providerPort: 4200 },
  fastify: { webPort: 3210, apiPort: 3211, providerPort: 4210 },
}

describe.each(['express', 'fastify'] as const)('the demo on %s', (platform) => {
  let demo: Demo
  const jar = new Jar()
  const go = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(new URL(path, demo.webURL), {
      ...init,
      redirect: 'manual',
      headers: { accept: 'text/html', cookie: jar.header(), ...init.headers },
    })
    jar.store(response)
    return response
  }

  beforeAll(async () => {
    demo = await startDemo({ platform, ...PORTS[platform] })
  })
  afterAll(() => demo?.close())

  it('logs in from a protected page and comes back to it', async () => {
    expect(await (await go('/')).text()).toContain('id="login"')
    const redirect = await go('/profile')
    expect(redirect.status).toBe(302)
    const { action, params } = await completeLogin(redirect.headers.get('location')!)
    expect(action).toBe(`${demo.webURL}/callback`)
    const callback = await go(action, {
      method: 'POST',
      body: params,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe(`${demo.webURL}/profile`)
    const profile = await (await go('/profile')).text()
    expect(profile).toContain(demo.user.email)
    expect(profile).toContain('https://api.example.com')
  })

  it('calls the API with the access token', async () => {
    const page = await (await go('/call-api', { method: 'POST' })).text()
    expect(page).toContain('<code id="api-status">200</code>')
    expect(page).toContain('Hello from the demo API')
  })

  it('refreshes, also with a reduced scope', async () => {
    const full = await go('/refresh', { method: 'POST' })
    expect(full.status).toBe(302)
    expect(decodeURIComponent(full.headers.get('location')!)).toContain('write:messages')
    const reduced = await go('/refresh?reduced=1', { method: 'POST' })
    expect(reduced.status).toBe(302)
    expect(decodeURIComponent(reduced.headers.get('location')!)).not.toContain('write:messages')
  })

  it('fetches userinfo and logs out', async () => {
    expect(await (await go('/userinfo')).text()).toContain(demo.user.email)
    const logout = await go('/logout')
    expect(logout.status).toBe(302)
    expect(logout.headers.get('location')!.startsWith(demo.issuer)).toBe(true)
    expect((await go('/profile')).status).toBe(302)
  })
})
