// The example run locally, without a Cloudflare account: the dev provider (an Auth0-like OpenID
// Provider) on 127.0.0.1, and the two Workers, bundled with esbuild as wrangler would, inside
// workerd (through Miniflare): the app at http://localhost:<port> and its API at
// http://localhost:<apiPort>. Used by scripts/dev.mjs and by the tests (on free ports).
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { defaultApis, start } from '@oidc-hybrid/dev-provider'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'

export const AUDIENCE = 'https://api.example.com'
export const USER = { email: 'demo@example.com', password: 'demo-password' }
const CLIENT_ID = 'worker-example'
const CLIENT_SECRET = 'worker-example-secret-0123456789abcdef0123456789'
const DEV_COOKIE_SECRET = 'worker-example-dev-cookie-secret-0123456789abcdef'

/**
 * @typedef {object} ExampleOptions
 * @property {number} [port] the app Worker's port (default 8787; 0 picks a free one)
 * @property {number} [apiPort] the API Worker's port (default port + 1; 0 picks a free one)
 * @property {number} [providerPort] the dev provider's port (default 4000; 0 picks a free one)
 * @property {string} [cookieSecret] the app's COOKIE_SECRET (at least 32 characters)
 */

/**
 * @typedef {object} Example
 * @property {string} baseURL the app, e.g. `http://localhost:8787`
 * @property {string} apiURL the URL the app calls, e.g. `http://localhost:8788/api/messages`
 * @property {string} issuer the provider, e.g. `http://127.0.0.1:4000/`
 * @property {{ email: string, password: string }} user who can log in
 * @property {() => Promise<void>} close stops the two Workers and the provider
 */

/** A port of 127.0.0.1 that was free a moment ago. @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** @param {string} entry @returns {Promise<string>} */
async function bundle(entry) {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    write: false,
  })
  return result.outputFiles[0].text
}

/**
 * Starts the provider, the API Worker and the app Worker, everything bound to 127.0.0.1.
 * @param {ExampleOptions} [options]
 * @returns {Promise<Example>}
 */
export async function startExample(options = {}) {
  // The app's URL is in the provider's client registration, so its port is chosen first.
  const port = options.port === 0 ? await freePort() : (options.port ?? 8787)
  const baseURL = `http://localhost:${port}`
  const client = {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [`${baseURL}/callback`],
    post_logout_redirect_uris: [`${baseURL}/`],
    response_types: ['code id_token', 'code token', 'code id_token token'],
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
  }
  /** @type {Array<() => Promise<unknown>>} */
  const closing = []
  const close = async () => {
    for (const stop of closing.reverse()) await stop()
    closing.length = 0
  }
  try {
    const provider = await start({
      port: options.providerPort ?? 4000,
      host: '127.0.0.1',
      clients: [client],
      apis: defaultApis(),
    })
    closing.push(() => provider.close())
    const [apiScript, appScript] = await Promise.all([
      bundle('../src/api.ts'),
      bundle('../src/index.ts'),
    ])
    const api = new Miniflare({
      host: '127.0.0.1',
      port: options.apiPort ?? (options.port === 0 ? 0 : port + 1),
      modules: true,
      script: apiScript,
      compatibilityDate: '2026-04-01',
      bindings: { ISSUER_BASE_URL: provider.issuer, AUDIENCE },
    })
    closing.push(() => api.dispose())
    const apiURL = `http://localhost:${(await api.ready).port}/api/messages`
    const worker = new Miniflare({
      host: '127.0.0.1',
      port,
      modules: true,
      script: appScript,
      compatibilityDate: '2026-04-01',
      bindings: {
        ISSUER_BASE_URL: provider.issuer,
        BASE_URL: baseURL,
        CLIENT_ID,
        CLIENT_SECRET,
        COOKIE_SECRET: options.cookieSecret ?? DEV_COOKIE_SECRET,
        AUDIENCE,
        API_URL: apiURL,
      },
    })
    closing.push(() => worker.dispose())
    await worker.ready
    return { baseURL, apiURL, issuer: provider.issuer, user: USER, close }
  } catch (error) {
    await close()
    throw error
  }
}
