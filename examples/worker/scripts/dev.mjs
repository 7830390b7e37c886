// Runs the example without a Cloudflare account: the local dev provider (an Auth0-like OpenID
// Provider) on http://127.0.0.1:4000/ and this Worker, bundled with esbuild as wrangler would,
// inside workerd (through Miniflare) on http://localhost:8787. Open it in a browser and log in as
// demo@example.com / demo-password. Ctrl+C stops both.
import { fileURLToPath } from 'node:url'
import { defaultApis, start } from '@oidc-hybrid/dev-provider'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'

const port = Number(process.env.PORT ?? 8787)
const baseURL = `http://localhost:${port}`
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
const bundled = await build({
  entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'neutral',
  mainFields: ['module', 'main'],
  conditions: ['workerd', 'worker', 'browser'],
  write: false,
})
const worker = new Miniflare({
  host: '127.0.0.1',
  port,
  modules: true,
  script: bundled.outputFiles[0].text,
  compatibilityDate: '2026-04-01',
  bindings: {
    ISSUER_BASE_URL: provider.issuer,
    BASE_URL: baseURL,
    CLIENT_ID: client.client_id,
    CLIENT_SECRET: client.client_secret,
    COOKIE_SECRET: process.env.COOKIE_SECRET ?? 'worker-example-dev-cookie-secret-0123456789abcdef',
    AUDIENCE: 'https://api.example.com',
    API_URL: `${baseURL}/api/messages`,
  },
})
await worker.ready
console.log(
  `provider ${provider.issuer}\nworker   ${baseURL}/  (log in as demo@example.com / demo-password)`,
)

async function stop() {
  await worker.dispose()
  await provider.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
