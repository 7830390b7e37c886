// The README's main command runs this: the demo, until Ctrl-C.
import { startDemo } from './demo.js'

const demo = await startDemo({
  webPort: Number(process.env.WEB_PORT ?? 3000),
  apiPort: Number(process.env.API_PORT ?? 3001),
  providerPort: Number(process.env.PROVIDER_PORT ?? 4000),
  responseType: process.env.RESPONSE_TYPE,
  serverSessions: process.env.SESSIONS === 'server',
})
console.log(`
  oidc-hybrid demo is running

  open        ${demo.webURL}
  log in as   ${demo.user.email} / ${demo.user.password}

  provider    ${demo.issuer}  (a different site: the form_post callback is cross-site)
  api         ${demo.apiURL}/api/messages  (requires a bearer token for https://api.example.com)
  sessions    ${process.env.SESSIONS === 'server' ? `on the server; sign out at ${demo.issuer}oidc/logout?client_id=demo-app and the app session ends too (back-channel logout)` : 'in a sealed cookie (SESSIONS=server: on the server, with back-channel logout)'}

  Ctrl-C to stop
`)
const stop = async () => {
  await demo.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
