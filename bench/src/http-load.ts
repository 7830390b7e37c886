// HTTP load on 127.0.0.1 with autocannon: bare Koa against Koa + our auth() middleware, and bare
// Express against Express + express-openid-connect, each with a session from a real login at the
// dev provider. Apps run in child processes; runs alternate between the apps, round after round.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { CookieSealer, WebCryptoProvider } from '@oidc-hybrid/core'
import { completeLogin, defaultApis, defaultUsers, start } from '@oidc-hybrid/dev-provider'
import autocannon from 'autocannon'
import { APP_CLIENT_SECRET, COOKIE_SECRET } from './fixtures.js'
import { median } from './measure.js'

export type AppKind = 'koa-bare' | 'koa-ours-web' | 'koa-ours-node' | 'express-bare' | 'express-eoc'

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
  'express-bare',
  'express-eoc',
]
const SESSION_COOKIE = '__Host-appSession'

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
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before listening`)))
    lines.once('line', () => resolve())
  })
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
  const start = await fetch(`${appUrl}/login`, { redirect: 'manual' })
  const location = start.headers.get('location')
  if (start.status !== 302 || location === null) throw new Error(`${appUrl}/login: ${start.status}`)
  const transaction = cookiePairs(start, () => true).join('; ')
  const { action, params } = await completeLogin(location)
  const callback = await fetch(action, {
    method: 'POST',
    body: params,
    redirect: 'manual',
    headers: { cookie: transaction, 'content-type': 'application/x-www-form-urlencoded' },
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
  const usage = (await (await fetch(`${origin}/__cpu`)).json()) as { user: number; system: number }
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
    options.onProgress('logging in at the dev provider (ours and express-openid-connect)')
    const oursLogin = await login(appUrl('koa-ours-web'), (name) => name.startsWith(SESSION_COOKIE))
    const eocCookie = await login(appUrl('express-eoc'), (name) => name.startsWith('appSession'))
    const cookieFor = async (kind: AppKind) =>
      kind.startsWith('koa-ours')
        ? freshOursCookie(oursLogin)
        : kind === 'express-eoc'
          ? eocCookie
          : undefined
    // Prove each app accepts its session before timing anything.
    for (const kind of KINDS) {
      const response = await fetch(`http://127.0.0.1:${ports[kind]}/profile`, {
        headers: { cookie: (await cookieFor(kind)) ?? '' },
      })
      const body = await response.text()
      if (response.status !== 200 || !body.startsWith('hello')) {
        throw new Error(`${kind} did not answer the session: ${response.status} ${body}`)
      }
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
