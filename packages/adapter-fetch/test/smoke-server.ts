/**
 * The test app served by Bun or Deno (bundled first by smoke-runtimes.spec.ts). The
 * configuration arrives as JSON in the SMOKE_ENV environment variable; "listening" on stdout says
 * the server is ready.
 */
import { createTestApp, type TestEnv } from './app.js'

type FetchHandler = (request: Request) => Promise<Response>
interface Runtimes {
  Bun?: {
    env: Record<string, string | undefined>
    serve(options: { hostname: string; port: number; fetch: FetchHandler }): unknown
  }
  Deno?: {
    env: { get(name: string): string | undefined }
    serve(
      options: { hostname: string; port: number; onListen(): void },
      handler: FetchHandler,
    ): unknown
  }
}

const { Bun, Deno } = globalThis as Runtimes
const raw = Bun?.env.SMOKE_ENV ?? Deno?.env.get('SMOKE_ENV')
if (raw === undefined) throw new Error('run me with Bun or Deno, with SMOKE_ENV set')
const env = JSON.parse(raw) as TestEnv & { PORT: number }
const app = createTestApp(env)
const hostname = '127.0.0.1'
if (Bun) {
  Bun.serve({ hostname, port: env.PORT, fetch: app })
  console.log('listening')
} else if (Deno) {
  Deno.serve({ hostname, port: env.PORT, onListen: () => console.log('listening') }, app)
}
