// `pnpm start` runs this: the demo, until Ctrl-C. PLATFORM=fastify for Fastify.
import { type Demo, PortInUseError, startDemo } from './demo.js'

let demo: Demo
try {
  demo = await startDemo({
    platform: process.env.PLATFORM === 'fastify' ? 'fastify' : 'express',
    webPort: Number(process.env.WEB_PORT ?? 3000),
    apiPort: Number(process.env.API_PORT ?? 3001),
    providerPort: Number(process.env.PROVIDER_PORT ?? 4000),
    responseType: process.env.RESPONSE_TYPE,
    sessions: process.env.SESSIONS === 'server' ? 'server' : 'cookie',
  })
} catch (error) {
  // What a person can act on, without a stack trace: a busy port, or a setting the library
  // refused (its errors carry a stable code).
  const code = (error as { code?: unknown })?.code
  if (error instanceof PortInUseError) console.error(`\n  ${error.message}\n`)
  else if (error instanceof Error && typeof code === 'string' && /^[A-Z_]+$/.test(code)) {
    const responseType = process.env.RESPONSE_TYPE
    console.error(
      `\n  ${error.message} (${code})${responseType ? `\n  (RESPONSE_TYPE=${responseType})` : ''}\n`,
    )
  } else throw error
  process.exit(1)
}
console.log(`
  oidc-hybrid NestJS demo is running

  platform    NestJS on ${demo.platform === 'fastify' ? 'Fastify  (PLATFORM=express: on Express)' : 'Express  (PLATFORM=fastify: on Fastify)'}

  open        ${demo.webURL}
  log in as   ${demo.user.email} / ${demo.user.password}

  response    ${demo.responseType}, form_post  (RESPONSE_TYPE=code id_token | code token | code id_token token)
  provider    ${demo.issuer}  (a different site: the form_post callback is cross-site)
  api         ${demo.apiURL}/api/messages  (requires a bearer token for https://api.example.com)
  sessions    ${
    demo.sessions === 'server'
      ? `on the server; sign out at ${demo.issuer}oidc/logout?client_id=demo-app and the app session ends too (back-channel logout)`
      : 'in a sealed cookie (SESSIONS=server: on the server, with back-channel logout)'
  }

  Ctrl-C to stop
`)
// Ctrl-C (or SIGTERM) closes the servers and exits 0; a second Ctrl-C while they close exits at once.
let stopping = false
const stop = async () => {
  if (stopping) process.exit(0)
  stopping = true
  await demo.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
