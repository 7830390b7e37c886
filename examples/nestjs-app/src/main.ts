// `pnpm start` runs this: the demo, until Ctrl-C. PLATFORM=fastify for Fastify.
import { startDemo } from './demo.js'

const demo = await startDemo({
  platform: process.env.PLATFORM === 'fastify' ? 'fastify' : 'express',
  webPort: Number(process.env.WEB_PORT ?? 3000),
  apiPort: Number(process.env.API_PORT ?? 3001),
  providerPort: Number(process.env.PROVIDER_PORT ?? 4000),
  responseType: process.env.RESPONSE_TYPE,
})
console.log(`
  oidc-hybrid NestJS demo is running on ${demo.platform}

  open        ${demo.webURL}
  log in as   ${demo.user.email} / ${demo.user.password}

  provider    ${demo.issuer}  (a different site: the form_post callback is cross-site)
  api         ${demo.apiURL}/api/messages  (requires a bearer token for https://api.example.com)

  Ctrl-C to stop
`)
const stop = async () => {
  await demo.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
