/** Drives the engine like a browser would, against the provider fixture. */
import {
  type AuthRequest,
  createHybridAuth,
  type HybridAuth,
  type HybridAuthConfig,
  type RequestSession,
} from '../../src/index.js'
import { CookieJar, ProviderFixture, type Tampering } from './provider.js'

export const APP = 'https://app.example.test'
export const SECRET = 'a-cookie-secret-that-is-long-enough-0123456789'

export async function setup(
  overrides: Partial<HybridAuthConfig> = {},
  alg: 'RS256' | 'ES256' | 'PS256' = 'RS256',
) {
  const provider = await ProviderFixture.create(alg)
  // One clock for the app and the provider.
  const clock = {
    get now() {
      return provider.now
    },
    set now(value: number) {
      provider.now = value
    },
  }
  const auth = createHybridAuth({
    issuerBaseURL: 'https://op.example.test',
    baseURL: APP,
    clientID: provider.clientId,
    clientSecret: provider.clientSecret,
    secret: SECRET,
    fetch: provider.fetch,
    now: () => clock.now,
    authorizationParams: {
      scope: 'openid profile email offline_access',
      audience: 'https://api.example.test',
    },
    ...overrides,
  })
  const jar = new CookieJar()
  const request = (method: string, path: string, body?: string) => ({
    method,
    url: `${APP}${path}`,
    headers: new Headers({
      cookie: jar.header(),
      ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
    }),
    body,
  })
  const startLogin = async (path = '/login') => {
    const response = await auth.handle(request('GET', path))
    jar.store(response!.headers.getSetCookie())
    return response!
  }
  const postCallback = async (params: URLSearchParams) => {
    const response = await auth.handle(request('POST', '/callback', params.toString()))
    jar.store(response!.headers.getSetCookie())
    return response!
  }
  const login = async (tamper?: Tampering, path = '/login') => {
    const start = await startLogin(path)
    const params = await provider.authorize(start.headers.get('location')!, { tamper })
    return { start, params, callback: await postCallback(params) }
  }
  return { provider, auth, jar, clock, request, startLogin, postCallback, login }
}

export function baseConfig(t: Harness): HybridAuthConfig {
  return {
    issuerBaseURL: 'https://op.example.test',
    baseURL: APP,
    clientID: t.provider.clientId,
    clientSecret: t.provider.clientSecret,
    secret: SECRET,
    fetch: t.provider.fetch,
    now: () => t.clock.now,
  }
}

export type Harness = Awaited<ReturnType<typeof setup>>

/** `load` then one read or action, with the Set-Cookie lines the request produced. */
export async function withSession<T>(
  auth: HybridAuth,
  request: AuthRequest,
  run: (loaded: RequestSession) => T | Promise<T>,
): Promise<{ value: T; setCookies: string[] }> {
  const loaded = await auth.load(request)
  return { value: await run(loaded), setCookies: loaded.takeSetCookies() }
}
