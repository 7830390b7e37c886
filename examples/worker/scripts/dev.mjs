// Runs the example without a Cloudflare account: the local dev provider (an Auth0-like OpenID
// Provider) on http://127.0.0.1:4000/, and the two Workers, bundled with esbuild as wrangler would,
// inside workerd (through Miniflare): the app on http://localhost:8787 and its API on
// http://localhost:8788. Open the app in a browser and log in as demo@example.com / demo-password.
// Ctrl+C stops all three. PORT, API_PORT and PROVIDER_PORT choose other ports (0: a free one).
import { startExample } from './example.mjs'

const example = await startExample({
  port: Number(process.env.PORT ?? 8787),
  ...(process.env.API_PORT === undefined ? {} : { apiPort: Number(process.env.API_PORT) }),
  providerPort: Number(process.env.PROVIDER_PORT ?? 4000),
  ...(process.env.COOKIE_SECRET === undefined ? {} : { cookieSecret: process.env.COOKIE_SECRET }),
})
console.log(
  `provider ${example.issuer}\nworker   ${example.baseURL}/  (log in as ${example.user.email} / ${example.user.password})\napi      ${example.apiURL}`,
)

async function stop() {
  await example.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
