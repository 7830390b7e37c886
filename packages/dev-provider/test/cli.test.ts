import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CliIo, runCli } from '../src/cli-main.js'

interface FakeProcess extends CliIo {
  out: string
  err: string
  exitCode: Promise<number>
  signal(name: 'SIGINT' | 'SIGTERM'): void
}

function fakeProcess(): FakeProcess {
  const handlers = new Map<string, () => void>()
  let exit: (code: number) => void = () => {}
  const io: FakeProcess = {
    out: '',
    err: '',
    exitCode: new Promise((resolve) => {
      exit = resolve
    }),
    stdout: (text) => {
      io.out += text
    },
    stderr: (text) => {
      io.err += text
    },
    exit: (code) => exit(code),
    onSignal: (name, handler) => handlers.set(name, handler),
    signal: (name) => handlers.get(name)?.(),
  }
  return io
}

function issuerIn(output: string): string {
  return /issuer\s+(\S+)/.exec(output)![1]!
}

describe('oidc-hybrid-dev-provider CLI', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dev-provider-cli-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('prints the issuer and the client and user credentials, and stops on SIGTERM', async () => {
    const io = fakeProcess()
    await runCli(['--port', '0', '--host', '127.0.0.1'], io)
    expect(io.out).toMatch(/issuer\s+http:\/\/127\.0\.0\.1:\d+\//)
    expect(io.out).toContain('demo-app  (client_secret_basic)')
    expect(io.out).toContain('demo-app-secret-0123456789abcdef0123456789')
    expect(io.out).toContain('http://localhost:3000/callback')
    expect(io.out).toContain('demo@example.com / demo-password')
    const discovery = `${issuerIn(io.out)}.well-known/openid-configuration`
    expect((await fetch(discovery)).status).toBe(200)

    io.signal('SIGTERM')
    expect(await io.exitCode).toBe(0)
    await expect(fetch(discovery)).rejects.toThrow()
  })

  it('stops on SIGINT too', async () => {
    const io = fakeProcess()
    await runCli(['--port', '0'], io)
    io.signal('SIGINT')
    expect(await io.exitCode).toBe(0)
    await expect(fetch(`${issuerIn(io.out)}.well-known/openid-configuration`)).rejects.toThrow()
  })

  it('reads users and clients from --config', async () => {
    const config = join(dir, 'config.json')
    await writeFile(
      config,
      JSON.stringify({
        users: [{ sub: 'auth0|alice', email: 'alice@example.com', password: 'alice-password' }],
        clients: [
          {
            client_id: 'my-app',
            client_secret: 'my-app-secret-0123456789abcdef0123456789',
            token_endpoint_auth_method: 'client_secret_post',
            redirect_uris: ['http://localhost:5000/callback'],
          },
        ],
      }),
    )
    const io = fakeProcess()
    await runCli(['--port', '0', '--config', config], io)
    try {
      expect(io.out).toContain('alice@example.com / alice-password')
      expect(io.out).toContain('my-app  (client_secret_post)')
      expect(io.out).not.toContain('demo-app')
    } finally {
      io.signal('SIGTERM')
      await io.exitCode
    }
  })

  it('exits with 1 and says why for an invalid port', async () => {
    const io = fakeProcess()
    await runCli(['--port', 'abc'], io)
    expect(await io.exitCode).toBe(1)
    expect(io.err).toMatch(/port must be an integer/)
  })

  it('takes the behaviour options from --config and checks them', async () => {
    const config = join(dir, 'variants.json')
    await writeFile(config, JSON.stringify({ rotateRefreshTokens: false, refreshScope: 'narrow' }))
    const io = fakeProcess()
    await runCli(['--port', '0', '--config', config], io)
    expect(await io.exitCode).toBe(1)
    expect(io.err).toMatch(/refreshScope must be "honour" or "ignore", got "narrow"/)
  })

  it('exits with 1 for a config file that is not JSON', async () => {
    const config = join(dir, 'broken.json')
    await writeFile(config, '{ nope')
    const io = fakeProcess()
    await runCli(['--config', config], io)
    expect(await io.exitCode).toBe(1)
    expect(io.err).toMatch(/not valid JSON/)
  })
})
