/**
 * Smoke test on Bun and Deno: the test app, bundled for a Web-only platform, served by the
 * runtime's own server, logs in against the dev provider, calls its API, and refuses a swapped
 * code. `scripts/test.sh` turns it on; run alone it is opt-in, because it fetches the runtimes from the
 * npm registry:
 *
 *   SMOKE_RUNTIMES=bun,deno npx vitest run test/smoke-runtimes.spec.ts
 *
 * BUN_BIN / DENO_BIN point at installed binaries instead of `npx --yes bun@… / deno@…`.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBrowser, freePort, SESSION } from '@oidc-hybrid/test-kit'
import { build } from 'esbuild'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startProvider, type TestProvider } from './provider.js'

const VERSIONS = { bun: '1.4.5', deno: '2.9.6' } as const
type Runtime = keyof typeof VERSIONS
const wanted = (process.env.SMOKE_RUNTIMES ?? '')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is Runtime => name in VERSIONS)

function command(runtime: Runtime, file: string): [string, string[]] {
  const bin = runtime === 'bun' ? process.env.BUN_BIN : process.env.DENO_BIN
  const args =
    runtime === 'bun' ? ['run', file] : ['run', '--allow-net', '--allow-env=SMOKE_ENV', file]
  return bin ? [bin, args] : ['npx', ['--yes', `${runtime}@${VERSIONS[runtime]}`, ...args]]
}

let dir: string
let script: string
let cleanup: Array<() => Promise<void> | void> = []

beforeAll(async () => {
  if (wanted.length === 0) return
  dir = mkdtempSync(join(tmpdir(), 'oidc-hybrid-smoke-'))
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./smoke-server.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
  })
  script = join(dir, 'smoke-server.mjs')
  writeFileSync(script, result.outputFiles[0]!.text)
})
afterEach(async () => {
  for (const step of cleanup.reverse()) await step()
  cleanup = []
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function serve(runtime: Runtime, op: TestProvider, port: number): Promise<ChildProcess> {
  const [bin, args] = command(runtime, script)
  const child = spawn(bin, args, {
    cwd: dir,
    env: { ...process.env, SMOKE_ENV: JSON.stringify({ ...op.env(), PORT: port }) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: npx starts the runtime as a grandchild, which must stop too.
    detached: true,
  })
  cleanup.push(async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = once(child, 'exit')
      process.kill(-child.pid, 'SIGTERM')
      await exited
    }
  })
  let output = ''
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += chunk
      if (output.includes('listening')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`${runtime} exited with ${code}: ${output}`)))
  })
  return child
}

describe.skipIf(wanted.length === 0)('other runtimes', () => {
  for (const runtime of wanted) {
    it(`${runtime}: logs in, calls the API, refuses a swapped code`, async () => {
      // A free port: the app's URL must be known before the provider starts.
      const port = await freePort()
      const appURL = `http://localhost:${port}`
      const op = await startProvider(appURL)
      cleanup.push(() => op.close())
      await serve(runtime, op, port)
      const browser = createBrowser(appURL)

      const callback = await browser.login()
      expect(callback.status).toBe(302)
      expect(browser.jar.has(SESSION)).toBe(true)
      const me = await (await browser.get('/me', { accept: 'application/json' })).json()
      expect(me.claims.sub).toBe('auth0|demo-user')
      const api = await browser.get('/call-api')
      expect(await api.json()).toMatchObject({ sub: 'auth0|demo-user' })
      const refreshed = await browser.get('/refresh')
      expect(refreshed.status).toBe(200)

      browser.jar.cookies.clear()
      const { a, b } = await browser.twoLogins()
      a.params.set('code', b.params.get('code')!)
      const refused = await browser.post(a.action, a.params, { accept: 'application/json' })
      expect(refused.status).toBe(400)
      expect((await refused.json()).error).toBe('C_HASH_MISMATCH')
      expect(browser.jar.has(SESSION)).toBe(false)
    }, 120_000)
  }
})
