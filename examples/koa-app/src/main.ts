// The README's main command runs this: the demo, until Ctrl-C.

import { PortInUseError, startDemo } from './demo.js'

// DPOP=1: DPoP-bound tokens (RFC 9449); DPOP=nonce: also server nonces at the provider and the API.
const dpopSetting = process.env.DPOP ?? ''
if (!['', '0', '1', 'nonce'].includes(dpopSetting)) {
  console.error(
    `\n  DPOP is 1 (DPoP-bound tokens) or nonce (also server nonces), not ${dpopSetting}\n`,
  )
  process.exit(1)
}
const dpop = dpopSetting === '1' || dpopSetting === 'nonce'

let demo: Awaited<ReturnType<typeof startDemo>>
try {
  demo = await startDemo({
    webPort: Number(process.env.WEB_PORT ?? 3000),
    apiPort: Number(process.env.API_PORT ?? 3001),
    providerPort: Number(process.env.PROVIDER_PORT ?? 4000),
    responseType: process.env.RESPONSE_TYPE,
    serverSessions: process.env.SESSIONS === 'server',
    redis: process.env.SESSIONS === 'redis',
    web2Port: process.env.WEB2_PORT ? Number(process.env.WEB2_PORT) : undefined,
    redisPort: process.env.REDIS_PORT ? Number(process.env.REDIS_PORT) : undefined,
    dpop,
    dpopNonces: dpopSetting === 'nonce',
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
  oidc-hybrid demo is running

  open        ${demo.webURL}
  log in as   ${demo.user.email} / ${demo.user.password}

  response    ${process.env.RESPONSE_TYPE ?? 'code id_token'}, form_post  (RESPONSE_TYPE=code token | code id_token token)
  provider    ${demo.issuer}  (a different site: the form_post callback is cross-site)
  api         ${demo.apiURL}/api/messages  (requires ${dpop ? 'a DPoP-bound token and a proof with each request' : 'a bearer token'} for https://api.example.com)
  dpop        ${
    dpop
      ? `on: a key per login, tokens bound to it, a proof with every token, userinfo and API request${dpopSetting === 'nonce' ? '; the provider and the API demand server nonces' : ''}`
      : 'off (DPOP=1: DPoP-bound tokens, RFC 9449; DPOP=nonce: also server nonces)'
  }
  sessions    ${
    demo.web2URL
      ? `in Redis, shared by two instances: log in at ${demo.webURL}, then open ${demo.web2URL}/profile`
      : process.env.SESSIONS === 'server'
        ? `on the server; sign out at ${demo.issuer}oidc/logout?client_id=demo-app and the app session ends too (back-channel logout)`
        : 'in a sealed cookie (SESSIONS=server: on the server, with back-channel logout; SESSIONS=redis: in Redis, two app instances)'
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
