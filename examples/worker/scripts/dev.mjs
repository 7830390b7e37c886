// Runs the example without a Cloudflare account: the local dev provider (an Auth0-like OpenID
// Provider) on http://127.0.0.1:4000/, and the two Workers, bundled with esbuild as wrangler would,
// inside workerd (through Miniflare): the app on http://localhost:8787 and its API on
// http://localhost:8788. Open the app in a browser and log in as demo@example.com / demo-password.
// Ctrl+C stops all three.
import { fileURLToPath } from 'node:url'
import { defaultApis, start } from '@oidc-hybrid/dev-provider'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'

const port = Number(process.env.PORT ?? 8787)
const apiPort = Number(process.env.API_PORT ?? port + 1)
const baseURL = `http://localhost:${port}`
const audience = 'https://api.example.com'
const client = {
  client_id: 'worker-example',
  client_secret: 'worker-example-secret-0123456789abcdef0123456789',
  token_endpoint_auth_method: 'client_secret_basic',
  redirect_uris: [`${baseURL}/callback`],
  post_logout_redirect_uris: [`${baseURL}/`],
  response_types: ['code id_token', 'code token', 'code id_token token'],
  grant_types: ['authorization_code', 'implicit', 'refresh_token'],
}

const provider = await start({
  port: Number(process.env.PROVIDER_PORT ?? 4000),
  clients: [client],
  apis: defaultApis(),
})
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
const api = new Miniflare({
  host: '127.0.0.1',
  port: apiPort,
  modules: true,
  script: await bundle('../src/api.ts'),
  compatibilityDate: '2026-04-01',
  bindings: { ISSUER_BASE_URL: provider.issuer, AUDIENCE: audience },
})
const worker = new Miniflare({
  host: '127.0.0.1',
  port,
  modules: true,
  script: await bundle('../src/index.ts'),
  compatibilityDate: '2026-04-01',
  bindings: {
    ISSUER_BASE_URL: provider.issuer,
    BASE_URL: baseURL,
    CLIENT_ID: client.client_id,
    CLIENT_SECRET: client.client_secret,
    COOKIE_SECRET: process.env.COOKIE_SECRET ?? 'worker-example-dev-cookie-secret-0123456789abcdef',
    AUDIENCE: audience,
    API_URL: `http://localhost:${apiPort}/api/messages`,
  },
})
await Promise.all([worker.ready, api.ready])
console.log(
  `provider ${provider.issuer}\nworker   ${baseURL}/  (log in as demo@example.com / demo-password)\napi      http://localhost:${apiPort}/api/messages`,
)

async function stop() {
  await Promise.all([worker.dispose(), api.dispose()])
  await provider.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
