/**
 * Drives the engine like a browser would, against the provider fixture: one clock for the app and
 * the provider, one cookie jar, and the login (start → the provider → the form_post callback →
 * the session cookie) every engine test needs.
 */
import type { HybridAuthConfig } from '../../src/engine/config.js'
import {
  type AuthRequest,
  createHybridAuth,
  type HybridAuth,
} from '../../src/engine/hybrid-auth.js'
import type { RequestSession } from '../../src/engine/request-session.js'
import type { Session } from '../../src/protocol/types.js'
import { CookieJar } from './cookie-jar.js'
import { ProviderFixture, type Tampering } from './provider.js'

export const APP = 'https://app.example.test'
const ISSUER_BASE_URL = 'https://op.example.test'
export const SECRET = 'a-cookie-secret-that-is-long-enough-0123456789'
/** The session cookie's default name. */
export const SESSION_COOKIE = '__Host-appSession'
/** The transaction cookies' default prefix (the state follows it). */
export const TX_COOKIE = '__Host-oidc_tx_'

/** The fewest settings `createHybridAuth` takes, for configuration tests without a provider. */
export const MINIMAL_CONFIG = {
  issuerBaseURL: ISSUER_BASE_URL,
  baseURL: APP,
  clientID: 'c',
  clientSecret: 's',
  secret: SECRET,
} as const satisfies HybridAuthConfig

/** The configuration that makes an engine talk to `provider` on `now`. */
function configFor(provider: ProviderFixture, now: () => number): HybridAuthConfig {
  return {
    issuerBaseURL: ISSUER_BASE_URL,
    baseURL: APP,
    clientID: provider.clientId,
    clientSecret: provider.clientSecret,
    secret: SECRET,
    fetch: provider.fetch,
    now,
  }
}

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
    ...configFor(provider, () => clock.now),
    authorizationParams: {
      scope: 'openid profile email offline_access',
      audience: 'https://api.example.test',
    },
    ...overrides,
  })
  const jar = new CookieJar()
  /** A request from the browser: the jar's cookies, or those of `cookies` (a copy, a header). */
  const request = (
    method: string,
    path: string,
    body?: string,
    cookies: CookieJar | string = jar,
  ): AuthRequest => ({
    method,
    url: `${APP}${path}`,
    headers: new Headers({
      cookie: typeof cookies === 'string' ? cookies : cookies.header(),
      ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
    }),
    body,
  })

  /** The browser's login steps against `engine`; the cookies each answer sets are stored. */
  const browserOf = (engine: HybridAuth) => {
    const startLogin = async (path = '/login') => {
      const response = (await engine.handle(request('GET', path)))!
      jar.store(response.headers.getSetCookie())
      return response
    }
    /** Start, then the user at the provider: its form_post parameters, not yet posted. */
    const beginLogin = async (tamper?: Tampering, path = '/login') => {
      const start = await startLogin(path)
      const params = await provider.authorize(start.headers.get('location')!, { tamper })
      return { start, params }
    }
    const postCallback = async (params: URLSearchParams) => {
      const response = (await engine.handle(request('POST', '/callback', params.toString())))!
      jar.store(response.headers.getSetCookie())
      return response
    }
    /** The whole login: start → the provider → the callback (→ the session cookie). */
    const login = async (tamper?: Tampering, path = '/login') => {
      const { start, params } = await beginLogin(tamper, path)
      return { start, params, callback: await postCallback(params) }
    }
    return { startLogin, beginLogin, postCallback, login }
  }

  /**
   * One request with the browser's cookies (or those of `cookies`, e.g. a late request's copy):
   * what `run` returns and the Set-Cookie lines; nothing is stored.
   */
  const read = <T>(run: (loaded: RequestSession) => T | Promise<T>, cookies: CookieJar = jar) =>
    withSession(auth, request('GET', '/', undefined, cookies), run)

  /** One request with the browser's cookies: the value `run` returns; the cookies set are stored. */
  const inRequest = async <T>(run: (loaded: RequestSession) => T | Promise<T>): Promise<T> => {
    const { value, setCookies } = await read(run)
    jar.store(setCookies)
    return value
  }

  /** The session a request with `cookies` (the jar's by default) opens; nothing is stored. */
  const session = async (cookies: CookieJar | string = jar): Promise<Session | undefined> =>
    (await auth.load(request('GET', '/', undefined, cookies))).session

  return {
    provider,
    auth,
    jar,
    clock,
    request,
    ...browserOf(auth),
    /** The same browser, provider and clock against another engine. */
    using: browserOf,
    read,
    inRequest,
    session,
  }
}

export type Harness = Awaited<ReturnType<typeof setup>>

/** The harness's engine configuration, for a second engine on the same provider and clock. */
export function baseConfig(t: Harness): HybridAuthConfig {
  return configFor(t.provider, () => t.clock.now)
}

/** `load` then one read or action, with the Set-Cookie lines the request produced. */
export async function withSession<T>(
  auth: HybridAuth,
  request: AuthRequest,
  run: (loaded: RequestSession) => T | Promise<T>,
): Promise<{ value: T; setCookies: string[] }> {
  const loaded = await auth.load(request)
  return { value: await run(loaded), setCookies: loaded.takeSetCookies() }
}

/** `value` with one character, `fromEnd` characters before its end, changed to another one. */
export function tampered(value: string, fromEnd = 10): string {
  const at = value.length - fromEnd
  return `${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`
}
