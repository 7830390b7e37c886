// HTTP load on 127.0.0.1 with autocannon: bare Koa against Koa + our auth() middleware, bare Nest
// against the same Nest app with HybridAuthModule and its guard, and bare Express against
// Express + express-openid-connect, each with a session from a real login at the dev provider.
// Apps run in child processes; runs alternate between the apps, round after round.
//
// Alone, without the micro benchmarks and without touching RESULTS.md (short runs are a smoke
// test, not figures to publish):
//   node --import tsx src/http-load.ts [--duration=5] [--rounds=2] [--connections=10]
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { WebCryptoProvider } from '@oidc-hybrid/core'
import { CookieSealer } from '@oidc-hybrid/core/adapter'
import { completeLogin, defaultApis, defaultUsers, start } from '@oidc-hybrid/dev-provider'
import autocannon from 'autocannon'
import { APP_CLIENT_SECRET, COOKIE_SECRET } from './fixtures.js'
import { median } from './measure.js'
import { LOAD_HEADER, loadRows, loadTargets, targetRows, textTable } from './report.js'

export type AppKind =
  | 'koa-bare'
  | 'koa-ours-web'
  | 'koa-ours-node'
  | 'nest-bare'
  | 'nest-ours-node'
  | 'express-bare'
  | 'express-eoc'

export interface LoadRun {
  kind: AppKind
  round: number
  requestsPerSecond: number
  /** Client-observed latency, microseconds. */
  p50: number
  p99: number
  requests: number
  /** The app process's CPU time (user + system) per request, microseconds. */
  cpuPerRequest: number
  non2xx: number
  errors: number
}

export interface LoadSummary {
  kind: AppKind
  requestsPerSecond: number
  /** Server time per request at saturation (1 / throughput), microseconds. */
  serviceTime: number
  /** The app process's CPU time per request, microseconds. */
  cpuPerRequest: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

export interface LoadResult {
  runs: LoadRun[]
  summary: LoadSummary[]
  sessionCookieBytes: { ours: number; eoc: number }
  connections: number
  duration: number
  rounds: number
}

/** The parts of autocannon's result used here. */
interface AutocannonResult {
  requests: { total: number }
  duration: number
  non2xx: number
  errors: number
  timeouts: number
}

const KINDS: AppKind[] = [
  'koa-bare',
  'koa-ours-web',
  'koa-ours-node',
  'nest-bare',
  'nest-ours-node',
  'express-bare',
  'express-eoc',
]
const SESSION_COOKIE = '__Host-appSession'
/** Bounds on everything around the timed runs, so a stuck app fails the bench instead of hanging it. */
const START_TIMEOUT_MS = 60_000
const REQUEST_TIMEOUT_MS = 15_000

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

async function startApp(kind: AppKind, port: number, issuer: string): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./server.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script, kind, String(port), issuer], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  })
  const lines = createInterface({ input: child.stdout! })
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) =>
        reject(new Error(`${kind} exited with ${code} before listening`)),
      )
      lines.once('line', () => resolve())
      setTimeout(
        () => reject(new Error(`${kind} did not listen within ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      ).unref()
    })
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }
  child.removeAllListeners('exit')
  return child
}

/** The `name=value` pairs of Set-Cookie lines that set (not expire) a cookie. */
function cookiePairs(response: Response, keep: (name: string) => boolean): string[] {
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .filter((pair) => {
      const [name = '', value = ''] = pair.split('=')
      return keep(name) && value !== ''
    })
}

/**
 * Logs in through an app: its /login, the provider's login form (completeLogin), the form_post
 * to its callback. Returns the session cookies it set.
 */
async function login(appUrl: string, isSession: (name: string) => boolean): Promise<string> {
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  const start = await fetch(`${appUrl}/login`, { redirect: 'manual', signal })
  const location = start.headers.get('location')
  if (start.status !== 302 || location === null) throw new Error(`${appUrl}/login: ${start.status}`)
  const transaction = cookiePairs(start, () => true).join('; ')
  const { action, params } = await completeLogin(location)
  const callback = await fetch(action, {
    method: 'POST',
    body: params,
    redirect: 'manual',
    headers: { cookie: transaction, 'content-type': 'application/x-www-form-urlencoded' },
    signal,
  })
  const session = cookiePairs(callback, isSession)
  if (callback.status !== 302 || session.length === 0) {
    throw new Error(`${action}: HTTP ${callback.status} without a session cookie`)
  }
  return session.join('; ')
}

/**
 * Our session cookie sealed again with a fresh expiry, as the browser would hold it: the engine
 * rolls a session at most once a minute, and autocannon never stores the rolled cookie.
 */
async function freshOursCookie(cookie: string): Promise<string> {
  const pairs = new Map(
    cookie.split('; ').map((pair) => {
      const index = pair.indexOf('=')
      return [pair.slice(0, index), pair.slice(index + 1)] as const
    }),
  )
  const sealed =
    pairs.get(SESSION_COOKIE) ??
    [...pairs.entries()]
      .filter(([name]) => name.startsWith(`${SESSION_COOKIE}.`))
      .sort(([a], [b]) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
      .map(([, value]) => value)
      .join('')
  const sealer = await CookieSealer.create(COOKIE_SECRET, new WebCryptoProvider())
  const { payload } = await sealer.unseal(SESSION_COOKIE, sealed)
  const resealed = await sealer.seal(
    SESSION_COOKIE,
    payload,
    Math.floor(Date.now() / 1000) + 86_400,
  )
  if (resealed.length > 4000)
    throw new Error('the session needs chunking: not handled by the bench')
  return `${SESSION_COOKIE}=${resealed}`
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))]!
}

async function cpuTime(origin: string): Promise<number> {
  const response = await fetch(`${origin}/__cpu`, {
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
  const usage = (await response.json()) as { user: number; system: number }
  return usage.user + usage.system
}

async function load(
  origin: string,
  cookie: string | undefined,
  duration: number,
  connections: number,
): Promise<Omit<LoadRun, 'kind' | 'round'>> {
  const url = `${origin}/profile`
  const latencies: number[] = []
  const cpuBefore = await cpuTime(origin)
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration,
        headers: cookie ? { cookie, accept: 'text/html' } : { accept: 'text/html' },
      },
      (error: unknown, done: AutocannonResult) => (error ? reject(error) : resolve(done)),
    )
    // autocannon's own histogram has 1 ms resolution; its response events carry float ms.
    instance.on('response', (_client, _status, _bytes, responseTime: number) => {
      latencies.push(responseTime)
    })
  })
  const cpu = (await cpuTime(origin)) - cpuBefore
  const sorted = Float64Array.from(latencies).sort()
  return {
    cpuPerRequest: cpu / result.requests.total,
    requestsPerSecond: result.requests.total / (result.duration || duration),
    p50: percentile(sorted, 0.5) * 1000,
    p99: percentile(sorted, 0.99) * 1000,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

/** The load parameters of `pnpm bench`. */
export const LOAD_DEFAULTS = { duration: 5, rounds: 2, connections: 10 }

export async function httpLoad(options: {
  duration: number
  rounds: number
  connections: number
  onProgress: (message: string) => void
}): Promise<LoadResult> {
  const ports = Object.fromEntries(
    await Promise.all(KINDS.map(async (kind) => [kind, await freePort()] as const)),
  ) as Record<AppKind, number>
  const appUrl = (kind: AppKind) => `http://localhost:${ports[kind]}`
  const provider = await start({
    port: 0,
    clients: [
      {
        client_id: 'bench-koa',
        client_secret: APP_CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [
          `${appUrl('koa-ours-web')}/callback`,
          `${appUrl('koa-ours-node')}/callback`,
        ],
        response_types: ['code id_token'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      },
      {
        client_id: 'bench-nest',
        client_secret: APP_CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${appUrl('nest-ours-node')}/callback`],
        response_types: ['code id_token'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      },
      {
        client_id: 'bench-express',
        client_secret: APP_CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${appUrl('express-eoc')}/callback`],
        response_types: ['code id_token'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      },
    ],
    users: defaultUsers(),
    apis: defaultApis(),
  })
  const children = new Map<AppKind, ChildProcess>()
  try {
    for (const kind of KINDS) children.set(kind, await startApp(kind, ports[kind], provider.issuer))
    options.onProgress(
      'logging in at the dev provider (Koa and Nest with ours, express-openid-connect)',
    )
    const isOurs = (name: string) => name.startsWith(SESSION_COOKIE)
    const oursLogin = await login(appUrl('koa-ours-web'), isOurs)
    const nestLogin = await login(appUrl('nest-ours-node'), isOurs)
    const eocCookie = await login(appUrl('express-eoc'), (name) => name.startsWith('appSession'))
    const cookieFor = async (kind: AppKind) =>
      kind.startsWith('koa-ours')
        ? freshOursCookie(oursLogin)
        : kind === 'nest-ours-node'
          ? freshOursCookie(nestLogin)
          : kind === 'express-eoc'
            ? eocCookie
            : undefined
    // Prove each app accepts its session before timing anything (with the headers of the runs:
    // Nest's guard redirects a browser without a session instead of answering 401).
    for (const kind of KINDS) {
      const response = await fetch(`http://127.0.0.1:${ports[kind]}/profile`, {
        headers: { cookie: (await cookieFor(kind)) ?? '', accept: 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      const body = await response.text()
      if (response.status !== 200 || !body.startsWith('hello')) {
        throw new Error(`${kind} did not answer the session: ${response.status} ${body}`)
      }
      if (kind.endsWith('-bare')) continue
      // ... and that the authenticated apps do check it: without one, no 200.
      const anonymous = await fetch(`http://127.0.0.1:${ports[kind]}/profile`, {
        headers: { accept: 'text/html' },
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      await anonymous.arrayBuffer()
      if (anonymous.status === 200) throw new Error(`${kind} answered 200 without a session`)
    }
    options.onProgress('warming the apps up (1 s each)')
    for (const kind of KINDS) {
      await load(`http://127.0.0.1:${ports[kind]}`, await cookieFor(kind), 1, options.connections)
    }
    const runs: LoadRun[] = []
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? KINDS : [...KINDS].reverse()
      for (const kind of order) {
        options.onProgress(`round ${round + 1}/${options.rounds}: ${kind} (${options.duration} s)`)
        const run = await load(
          `http://127.0.0.1:${ports[kind]}`,
          await cookieFor(kind),
          options.duration,
          options.connections,
        )
        runs.push({ kind, round, ...run })
      }
    }
    const summary = KINDS.map((kind): LoadSummary => {
      const mine = runs.filter((run) => run.kind === kind)
      const requestsPerSecond = median(mine.map((run) => run.requestsPerSecond))
      return {
        kind,
        requestsPerSecond,
        serviceTime: 1e6 / requestsPerSecond,
        cpuPerRequest: median(mine.map((run) => run.cpuPerRequest)),
        p50: median(mine.map((run) => run.p50)),
        p99: median(mine.map((run) => run.p99)),
        non2xx: mine.reduce((sum, run) => sum + run.non2xx, 0),
        errors: mine.reduce((sum, run) => sum + run.errors, 0),
      }
    })
    return {
      runs,
      summary,
      sessionCookieBytes: {
        ours: (await freshOursCookie(oursLogin)).length,
        eoc: eocCookie.length,
      },
      connections: options.connections,
      duration: options.duration,
      rounds: options.rounds,
    }
  } finally {
    for (const child of children.values()) {
      child.kill('SIGTERM')
      await once(child, 'exit').catch(() => undefined)
    }
    await provider.close()
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const flag = (name: keyof typeof LOAD_DEFAULTS): number => {
    const arg = process.argv.find((candidate) => candidate.startsWith(`--${name}=`))
    const value = arg === undefined ? LOAD_DEFAULTS[name] : Number(arg.slice(name.length + 3))
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be an integer ≥ 1`)
    return value
  }
  const load = await httpLoad({
    duration: flag('duration'),
    rounds: flag('rounds'),
    connections: flag('connections'),
    onProgress: (message) => process.stderr.write(`\r\x1b[K… ${message}`),
  })
  process.stderr.write('\r\x1b[K')
  const note = `autocannon, ${load.connections} connections, ${load.duration} s per run, ${load.rounds} round(s); session cookies: ours ${load.sessionCookieBytes.ours} B, express-openid-connect ${load.sessionCookieBytes.eoc} B`
  const header = ['target (issue 7)', 'result', 'measured']
  process.stdout.write(
    `${textTable(LOAD_HEADER, loadRows(load))}\n\n${note}\n\n${textTable(header, targetRows(loadTargets(load)))}\n`,
  )
}
