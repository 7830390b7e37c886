/**
 * What every runtime's end-to-end test shares: the real dev provider (oidc-provider) with a client
 * for the app, and a "browser" — a cookie jar over any `send` (real fetch for Node, Bun and Deno;
 * Miniflare's dispatchFetch for workerd). The provider's login form is completed by the dev
 * provider's completeLogin helper.
 */
import { completeLogin, type DevProvider, defaultApis, start } from '@oidc-hybrid/dev-provider'
import type { TestEnv } from './app.js'

export const AUDIENCE = 'https://api.example.com'
export const SESSION = '__Host-appSession'
export const TRANSACTION = '__Host-oidc_tx_'
const CLIENT_ID = 'fetch-app'
const CLIENT_SECRET = 'fetch-test-client-secret-0123456789abcdef0123'
const COOKIE_SECRET = 'fetch-adapter-test-cookie-secret-0123456789abcdef'

export interface TestProvider {
  provider: DevProvider
  /** Token endpoint grants the provider answered (success or error). */
  grants: () => number
  env(options?: { responseType?: string }): TestEnv
  close(): Promise<void>
}

/** The dev provider with one confidential client whose redirect URIs are on `appURL`. */
export async function startProvider(
  appURL: string,
  options: { accessTokenTTL?: number } = {},
): Promise<TestProvider> {
  const provider = await start({
    port: 0,
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${appURL}/callback`],
        post_logout_redirect_uris: [`${appURL}/`],
        response_types: ['code id_token', 'code token', 'code id_token token'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      },
    ],
    apis: defaultApis().map((api) => ({ ...api, accessTokenTTL: options.accessTokenTTL })),
  })
  let grants = 0
  provider.provider.on('grant.success', () => grants++)
  provider.provider.on('grant.error', () => grants++)
  return {
    provider,
    grants: () => grants,
    env: ({ responseType } = {}) => ({
      ISSUER_BASE_URL: provider.issuer,
      BASE_URL: appURL,
      CLIENT_ID,
      CLIENT_SECRET,
      SECRET: COOKIE_SECRET,
      AUDIENCE,
      RESPONSE_TYPE: responseType,
    }),
    close: () => provider.close(),
  }
}

/** A cookie jar: enough of RFC 6265 for one host. */
export class Jar {
  readonly cookies = new Map<string, string>()
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, pair!.slice(at + 1).trim())
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ')
  }
  has(prefix: string): boolean {
    return [...this.cookies.keys()].some((name) => name.startsWith(prefix))
  }
}

export type Send = (url: string, init: RequestInit) => Promise<Response>

export interface Browser {
  jar: Jar
  get(path: string, headers?: Record<string, string>): Promise<Response>
  post(
    url: string,
    body: URLSearchParams | string | ReadableStream<Uint8Array>,
    headers?: Record<string, string>,
  ): Promise<Response>
  /** GET /login → the provider's authorization URL (transaction cookie stored). */
  startLogin(path?: string): Promise<string>
  /** Logs in at the provider; returns the form_post target and fields, not yet posted. */
  authorize(authorizationUrl: string): Promise<{ action: string; params: URLSearchParams }>
  /** The whole login; returns the callback response. */
  login(): Promise<Response>
}

export function createBrowser(appURL: string, send: Send): Browser {
  const jar = new Jar()
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await send(`${appURL}${path}`, {
      redirect: 'manual',
      headers: { cookie: jar.header(), ...headers },
    })
    jar.store(response)
    return response
  }
  const post: Browser['post'] = async (url, body, headers = {}) => {
    const response = await send(url, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: body instanceof ReadableStream ? body : body.toString(),
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    })
    jar.store(response)
    return response
  }
  const startLogin = async (path = '/login') => {
    const response = await get(path)
    if (response.status !== 302) {
      throw new Error(`login answered ${response.status}: ${await response.text()}`)
    }
    return response.headers.get('location')!
  }
  const authorize = (url: string) => completeLogin(url)
  return {
    jar,
    get,
    post,
    startLogin,
    authorize,
    login: async () => {
      const { action, params } = await authorize(await startLogin())
      return post(action, params)
    },
  }
}
