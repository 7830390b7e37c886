/**
 * The "browser" of the end-to-end specs: requests to one app with a {@link Jar}, redirects
 * returned rather than followed, and the login through the dev provider: GET the app's login
 * route → the provider's login (and consent) form, completed by the dev provider's
 * `completeLogin` → the form_post fields, POSTed to the app's callback.
 *
 * Requests go through `send` (fetch by default; Miniflare's dispatchFetch for workerd).
 */
import {
  type AuthorizationResponse,
  type CookieJar,
  completeLogin,
  type LoginCredentials,
} from '@oidc-hybrid/dev-provider'
import { Jar } from './jar.js'

/** How a request reaches the app. */
export type Send = (url: string, init: RequestInit) => Promise<Response>

export type RequestBody = URLSearchParams | string | ReadableStream<Uint8Array>

export interface BrowserOptions {
  /** How requests reach the app (default: the global fetch). */
  send?: Send
  /** Headers of every request (e.g. `accept`); a request's own headers win. */
  headers?: Record<string, string>
  /** The jar to use (default: a new, empty one). */
  jar?: Jar
}

/** At the provider: who logs in, and with which provider session. */
export interface ProviderLogin {
  /** The user typed into the provider's form (default: the dev provider's demo user). */
  credentials?: LoginCredentials
  /**
   * The provider's cookies (the dev provider's `CookieJar`): pass the same jar to several logins
   * for one provider session (single sign-on, a later `completeLogout`).
   */
  providerJar?: CookieJar
}

export interface Browser {
  readonly appURL: string
  readonly jar: Jar
  /** GET `path` of the app (or an absolute URL). */
  get(path: string, headers?: Record<string, string>): Promise<Response>
  /** A form POST (or `method`) to `url`, relative to the app or absolute. */
  post(
    url: string,
    body: RequestBody,
    headers?: Record<string, string>,
    method?: string,
  ): Promise<Response>
  /** GET the login route (`/login`) → the provider's authorization URL; the transaction cookie is kept. */
  startLogin(path?: string): Promise<string>
  /** Logs in at the provider: the form_post target and fields, not yet posted. */
  authorize(authorizationUrl: string, login?: ProviderLogin): Promise<AuthorizationResponse>
  /** Two logins started here and completed at the provider, neither posted to the callback yet. */
  twoLogins(): Promise<{ a: AuthorizationResponse; b: AuthorizationResponse }>
  /**
   * The whole login: {@link startLogin} (unless the app already sent the browser to the
   * provider: `authorizationUrl`), {@link authorize}, then the form_post to the callback (with
   * `headers`, e.g. to ask for JSON errors); returns the callback's response.
   */
  login(login?: LoginOptions): Promise<Response>
}

export interface LoginOptions extends ProviderLogin {
  /** Where the app sent the browser (e.g. from a protected page); default: GET /login's. */
  authorizationUrl?: string
  /** Headers of the callback POST. */
  headers?: Record<string, string>
}

/** A browser of the app at `appURL` (an origin, no trailing slash). */
export function createBrowser(appURL: string, options: BrowserOptions = {}): Browser {
  const send: Send = options.send ?? ((url, init) => fetch(url, init))
  const jar = options.jar ?? new Jar()
  const defaults = options.headers ?? {}
  const resolve = (url: string) => (/^https?:\/\//.test(url) ? url : `${appURL}${url}`)
  const request = async (url: string, init: RequestInit, headers: Record<string, string>) => {
    const cookie = jar.header()
    const response = await send(resolve(url), {
      ...init,
      redirect: 'manual',
      headers: { ...defaults, ...(cookie ? { cookie } : {}), ...headers },
    })
    jar.store(response)
    return response
  }
  const get: Browser['get'] = (path, headers = {}) => request(path, {}, headers)
  const post: Browser['post'] = (url, body, headers = {}, method = 'POST') => {
    const stream = body instanceof ReadableStream
    return request(
      url,
      // A streamed body needs duplex: 'half' (fetch and undici insist).
      { method, body: stream ? body : body.toString(), ...(stream ? { duplex: 'half' } : {}) },
      { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    )
  }
  const startLogin: Browser['startLogin'] = async (path = '/login') => {
    const response = await get(path)
    if (response.status !== 302) {
      throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`)
    }
    return response.headers.get('location')!
  }
  const authorize: Browser['authorize'] = (authorizationUrl, login = {}) =>
    completeLogin(
      authorizationUrl,
      login.credentials,
      login.providerJar ? { cookieJar: login.providerJar } : {},
    )
  return {
    appURL,
    jar,
    get,
    post,
    startLogin,
    authorize,
    twoLogins: async () => {
      const a = await authorize(await startLogin())
      const b = await authorize(await startLogin())
      return { a, b }
    },
    login: async (login = {}) => {
      const authorizationUrl = login.authorizationUrl ?? (await startLogin())
      const { action, params } = await authorize(authorizationUrl, login)
      return post(action, params, login.headers)
    },
  }
}
