/**
 * What a new user meets when the demo cannot start: a busy port names the variable that moves
 * it, and every port is released again (nothing half-started is left listening); and Ctrl-C
 * stops it cleanly.
 */
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { PortInUseError, startDemo } from '../src/demo.js'

const ports = { webPort: 3200, apiPort: 3201, providerPort: 4200 }
let blocker: Server | undefined

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(port, '127.0.0.1')
    server.once('listening', () => resolve(server))
    server.once('error', reject)
  })
}

/** Whether `port` of 127.0.0.1 can be listened on (nothing holds it). */
async function isFree(port: number): Promise<boolean> {
  const server = await occupy(port).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') return undefined
    throw error
  })
  if (!server) return false
  await new Promise((resolve) => server.close(resolve))
  return true
}

afterEach(async () => {
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)))
  blocker = undefined
})

describe('the demo on busy ports', () => {
  for (const [option, variable] of [
    ['webPort', 'WEB_PORT'],
    ['apiPort', 'API_PORT'],
    ['providerPort', 'PROVIDER_PORT'],
  ] as const) {
    it(`a busy ${option} says to set ${variable}, and leaves no other port taken`, async () => {
      blocker = await occupy(ports[option])
      const failure = await startDemo(ports).then(
        (demo) => demo.close().then(() => undefined),
        (error: unknown) => error,
      )
      expect(failure).toBeInstanceOf(PortInUseError)
      expect((failure as Error).message).toContain(variable)
      expect((failure as Error).message).toContain(String(ports[option]))
      // Everything that did start was closed: each other port can be listened on again.
      for (const [other, port] of Object.entries(ports)) {
        if (other !== option) expect(await isFree(port), `${other} ${port}`).toBe(true)
      }
      // And once the busy one is freed, the demo starts on these ports and answers there.
      await new Promise((resolve) => blocker!.close(resolve))
      blocker = undefined
      const demo = await startDemo(ports)
      try {
        expect(demo.webURL).toBe(`http://localhost:${ports.webPort}`)
        expect((await fetch(demo.webURL)).status).toBe(200)
        const discovery = await fetch(`${demo.issuer}.well-known/openid-configuration`)
        expect(await discovery.json()).toMatchObject({ issuer: demo.issuer })
        expect(new URL(demo.issuer).port).toBe(String(ports.providerPort))
        // The API is up: it challenges a request without a token.
        expect(demo.apiURL).toBe(`http://localhost:${ports.apiPort}`)
        expect((await fetch(`${demo.apiURL}/api/messages`)).status).toBe(401)
      } finally {
        await demo.close()
      }
      for (const port of Object.values(ports)) expect(await isFree(port), `${port}`).toBe(true)
    })
  }
})

describe('Ctrl-C on the demo (the README command runs it as one process)', () => {
  it('closes every server and exits 0, printing what it serves first', async () => {
    const ports = { WEB_PORT: '3300', API_PORT: '3301', PROVIDER_PORT: '4300' }
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, ...ports, RESPONSE_TYPE: 'code token' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    // Bounded: the banner comes within seconds.
    for (let i = 0; i < 200 && !output.includes('Ctrl-C to stop'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(output).toContain('open        http://localhost:3300')
    expect(output).toMatch(/response {4}code token, form_post/)
    expect(output).toMatch(/sessions {4}in a sealed cookie/)
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    for (const port of Object.values(ports)) expect(await isFree(Number(port)), port).toBe(true)
  }, 30_000)
})
