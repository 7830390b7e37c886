/**
 * What a person meets when starting the demo: the banner says where it runs and how (URLs,
 * platform, response type, where sessions live), Ctrl-C closes every server and exits 0; and a
 * busy port is named with the variable that moves it, nothing half-started left listening.
 */
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PortInUseError, startDemo } from '../src/demo.js'
import { demoPorts } from './ports.js'

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

/** Runs `src/main.ts` with `env` until its banner is out, then Ctrl-C: the output and exit code. */
async function runUntilBanner(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  // Bounded: the banner comes within seconds (or the process ends).
  let done = false
  void exited.then(() => (done = true))
  for (let i = 0; i < 300 && !done && !output.includes('Ctrl-C to stop'); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  child.kill('SIGINT')
  return { output, code: await exited }
}

describe('the demo started as the README says (one process, Ctrl-C to stop)', () => {
  it('on Express by default: the banner, then Ctrl-C closes every server and exits 0', async () => {
    const ports = await demoPorts()
    const { output, code } = await runUntilBanner({
      WEB_PORT: String(ports.webPort),
      API_PORT: String(ports.apiPort),
      PROVIDER_PORT: String(ports.providerPort),
    })
    expect(output).toContain(`open        http://localhost:${ports.webPort}`)
    expect(output).toContain('platform    NestJS on Express')
    expect(output).toMatch(/response {4}code id_token, form_post/)
    expect(output).toContain(`provider    http://127.0.0.1:${ports.providerPort}/`)
    expect(output).toContain(`api         http://localhost:${ports.apiPort}/api/messages`)
    expect(output).toMatch(/sessions {4}in a sealed cookie/)
    expect(code).toBe(0)
    for (const port of Object.values(ports)) expect(await isFree(port), `${port}`).toBe(true)
  }, 60_000)

  it('PLATFORM, RESPONSE_TYPE and SESSIONS show in the banner', async () => {
    const ports = await demoPorts()
    const { output, code } = await runUntilBanner({
      WEB_PORT: String(ports.webPort),
      API_PORT: String(ports.apiPort),
      PROVIDER_PORT: String(ports.providerPort),
      PLATFORM: 'fastify',
      RESPONSE_TYPE: 'code token',
      SESSIONS: 'server',
    })
    expect(output).toContain('platform    NestJS on Fastify')
    expect(output).toMatch(/response {4}code token, form_post/)
    expect(output).toMatch(/sessions {4}on the server; .*back-channel logout/)
    expect(code).toBe(0)
  }, 60_000)

  it('a response type the library refuses: what to set, without a stack trace, exit 1', async () => {
    const ports = await demoPorts()
    const { output, code } = await runUntilBanner({
      WEB_PORT: String(ports.webPort),
      API_PORT: String(ports.apiPort),
      PROVIDER_PORT: String(ports.providerPort),
      RESPONSE_TYPE: 'id_token',
    })
    expect(output).toContain('use code id_token, code token, code id_token token or code')
    expect(output).toContain('(CONFIG_INVALID)')
    expect(output).not.toMatch(/\n\s+at /)
    expect(code).toBe(1)
    for (const port of Object.values(ports)) expect(await isFree(port), `${port}`).toBe(true)
  }, 60_000)
})

describe('the demo on a busy port', () => {
  it.each(['express', 'fastify'] as const)(
    'on %s: says to set WEB_PORT, leaves no other port taken',
    async (platform) => {
      const ports = await demoPorts()
      const blocker = await occupy(ports.webPort)
      try {
        const failure = await startDemo({ platform, ...ports }).then(
          (demo) => demo.close().then(() => undefined),
          (error: unknown) => error,
        )
        expect(failure).toBeInstanceOf(PortInUseError)
        expect((failure as Error).message).toContain('WEB_PORT')
        expect((failure as Error).message).toContain(String(ports.webPort))
      } finally {
        await new Promise((resolve) => blocker.close(resolve))
      }
      // Everything that did start (the provider, the API) was closed again.
      for (const port of Object.values(ports)) expect(await isFree(port), `${port}`).toBe(true)
    },
  )
})
