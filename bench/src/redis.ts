// Sessions shared across instances: the Redis store (packages/redis, RedisSessionStore through
// serverSessions) against the sealed cookie, on a real redis-server started on a free port of
// 127.0.0.1 (test-kit's startRedis) and stopped at the end, with node-redis clients. Three parts:
//  1. an authenticated request, engine.load(), Redis store vs sealed cookie, in interleaved rounds;
//  2. the refresh storm: N engines (instances) sharing the Redis, E expired sessions, 50
//     concurrent requests per session split over the instances, with and without the lease;
//  3. Redis memory and keys for 10 000 sessions, and the app's heap.
import { execFileSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  createHybridAuth,
  MemorySessionStore,
  type Session,
  type SessionStore,
  serverSessions,
} from '@oidc-hybrid/core'
import { CookieSealer } from '@oidc-hybrid/core/adapter'
import { RedisSessionStore } from '@oidc-hybrid/redis'
import { startRedis } from '@oidc-hybrid/test-kit/redis'
import { createClient } from '@redis/client'
import { NodeCryptoProvider } from './crypto-node.js'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  cannedFetch,
  type Fixtures,
  ISSUER,
  METADATA,
} from './fixtures.js'
import { median } from './measure.js'

const SESSION_COOKIE = '__Host-appSession'
const BASE_URL = 'https://app.example.com'
/** The store's default key prefix (packages/redis). */
const PREFIX = 'oidc:'

export interface RedisBenchOptions {
  /** Part 1: interleaved rounds, and wall-clock milliseconds per case and slice (2 slices a round). */
  rounds: number
  sliceMs: number
  /** Part 2: instances, expired sessions, concurrent requests per session, runs per variant. */
  instances: number
  /** Expired sessions per storm: each size is a storm of its own (e.g. 1 and 40). */
  sessions: number[]
  perSession: number
  /** The token endpoint's answer comes after this many milliseconds (a provider's latency). */
  tokenDelayMs: number
  stormRuns: number
  /** Part 3: sessions written. */
  memorySessions: number
  onProgress: (message: string) => void
}

/** One row of part 1 (times in nanoseconds, as measure.ts's results). */
export interface RedisLoadRow {
  key: 'cookie' | 'memory' | 'get' | 'store-get' | 'redis'
  name: string
  /** Median over the rounds of each round's median wall time per call. */
  median: number
  /** Each round's median wall time per call. */
  rounds: number[]
  /** Node process CPU time per call (user + system, all threads), median over the rounds. */
  cpu: number
  /** redis-server's CPU time per call (`INFO cpu` around the row's slices), median over the rounds. */
  serverCpu: number
  /** p99 of every single call of every round (not of batches). */
  p99: number
  calls: number
}

export interface StormRun {
  /** Token endpoint calls per session (every call, answered or refused). */
  calls: number[]
  /** Calls that sent a refresh token already spent (answered `invalid_grant`). */
  replays: number
  /** Requests whose getAccessToken() failed. */
  failed: number
  /** The failures by kind: a token endpoint error (`invalid_grant`) or the library's code. */
  errors: Record<string, number>
  /** Sessions whose stored refresh token is the provider's live one afterwards (grant intact). */
  intact: number
  /** Each request's time from its start to its access token (or its failure), milliseconds. */
  p50: number
  p99: number
  max: number
  totalMs: number
  /** The process's CPU time (all instances, all threads) per request, microseconds. */
  cpuPerRequest: number
}

export interface StormSize {
  sessions: number
  lease: StormRun[]
  noLease: StormRun[]
}

export interface RedisResult {
  serverVersion: string
  appendfsync: string
  load: {
    rows: RedisLoadRow[]
    rounds: number
    sliceMs: number
    sessionJsonBytes: number
    cookieBytes: number
    idCookieBytes: number
  }
  storm: {
    instances: number
    perSession: number
    tokenDelayMs: number
    runs: number
    sizes: StormSize[]
  }
  memory: {
    sessions: number
    sessionJsonBytes: number
    usedMemoryBefore: number
    usedMemoryAfter: number
    keysBefore: number
    keysAfter: number
    /** `MEMORY USAGE` of one key of each kind, bytes. */
    keyBytes: Record<'session' | 'links' | 'sub index' | 'sid index', number>
    heapBeforeMB: number
    heapAfterMB: number
    /** After as many sessions again (not counted in the Redis figures): growth per session, if any. */
    heapAgainMB: number
    warmup: number
    writeSeconds: number
    concurrency: number
  }
  seconds: number
}

/** `redis-server --version`'s `v=7.0.15`, or `?`. */
export function redisServerVersion(): string {
  try {
    const out = execFileSync(process.env.REDIS_SERVER ?? 'redis-server', ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
    })
    return /v=(\S+)/.exec(out)?.[1] ?? '?'
  } catch {
    return '?'
  }
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error('run with node --expose-gc (pnpm bench does)')
  collect()
  collect()
}

/** The heap in use after full GCs (and a pause for what they release late), bytes. */
async function heapUsed(): Promise<number> {
  for (let pass = 0; pass < 3; pass++) {
    gc()
    await sleep(50)
  }
  gc()
  return process.memoryUsage().heapUsed
}

function fail(message: string): never {
  throw new Error(message)
}

/** The `fraction` quantile (nearest rank below) of `values`. */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(fraction * (sorted.length - 1))] ?? Number.NaN
}

type Client = Awaited<ReturnType<typeof connect>>

/** A node-redis client as packages/redis's README recommends it. */
async function connect(url: string) {
  const client = createClient({ url, disableOfflineQueue: true })
  client.on('error', (error: Error) => process.stderr.write(`\nredis client: ${error.message}\n`))
  await client.connect()
  return client
}

/** One `INFO` field, as a number. */
async function info(client: Client, section: string, field: string): Promise<number> {
  const text = String(await client.sendCommand(['INFO', section]))
  const value = new RegExp(`^${field}:(\\S+)`, 'm').exec(text)?.[1]
  if (value === undefined) fail(`INFO ${section} has no ${field}`)
  return Number(value)
}

/** redis-server's CPU seconds so far (user + system). */
async function serverCpuSeconds(client: Client): Promise<number> {
  const text = String(await client.sendCommand(['INFO', 'cpu']))
  const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(text)?.[1])
  return field('used_cpu_user') + field('used_cpu_sys')
}

export async function redisRun(
  fixtures: Fixtures,
  options: RedisBenchOptions,
): Promise<RedisResult> {
  const started = performance.now()
  const appendfsync = 'everysec'
  // Like the tests (startRedis: append-only file in its own directory), with the fsync policy
  // packages/redis's README recommends for production instead of the tests' `always`.
  const server = await startRedis({ args: ['--appendfsync', appendfsync] })
  const clients: Client[] = []
  try {
    const admin = await connect(server.url)
    clients.push(admin)
    for (let i = 0; i < options.instances; i++) clients.push(await connect(server.url))
    const instanceClients = clients.slice(1)
    const load = await loadPart(fixtures, admin, instanceClients[0]!, options)
    const storm = await stormPart(fixtures, instanceClients, options)
    const memory = await memoryPart(fixtures, admin, instanceClients[0]!, options)
    return {
      serverVersion: redisServerVersion(),
      appendfsync,
      load,
      storm,
      memory,
      seconds: (performance.now() - started) / 1000,
    }
  } finally {
    for (const client of clients) await client.close().catch(() => client.destroy())
    await server.stop()
  }
}

// ---- 1. An authenticated request: engine.load(), Redis store vs sealed cookie ---------------

async function loadPart(
  fixtures: Fixtures,
  admin: Client,
  client: Client,
  options: RedisBenchOptions,
): Promise<RedisResult['load']> {
  const crypto = new NodeCryptoProvider()
  const now = Math.floor(Date.now() / 1000)
  const engine = (store?: SessionStore) =>
    createHybridAuth({
      issuerBaseURL: ISSUER,
      baseURL: BASE_URL,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      secret: COOKIE_SECRET,
      crypto,
      fetch: cannedFetch(fixtures, () => fail('no token call in the load rows')),
      // A fixed clock: the session stays inside its rolling minute, so no reseal is timed.
      now: () => now,
      session: { store: store && serverSessions(store) },
    })
  const request = (cookie: string) => ({
    method: 'GET',
    url: `${BASE_URL}/profile`,
    headers: new Headers({ cookie: `${cookie}; _ga=GA1.1.123456789.1700000000` }),
  })
  const sealer = await CookieSealer.create(COOKIE_SECRET, crypto)

  // The cookie as this version writes it: the session without the claims (restored from the ID
  // token on load), sealed.
  const { claims: _, ...packed } = fixtures.session
  const sealed = await sealer.seal(SESSION_COOKIE, { session: packed, d: 1 }, now + 86_400)
  const cookieEngine = engine()
  const cookieRequest = request(`${SESSION_COOKIE}=${sealed}`)

  // The same session in a store: the cookie holds a sealed id.
  const redisStore = new RedisSessionStore({ client })
  const redisSessions = serverSessions(redisStore)
  const id = await redisSessions.write(fixtures.session, undefined, now + 86_400, crypto)
  const idCookie = await sealer.seal(SESSION_COOKIE, { id }, now + 86_400)
  const redisEngine = engine(redisStore)
  const memoryStore = new MemorySessionStore({ now: () => now })
  memoryStore.set(id, fixtures.session, now + 86_400)
  const memoryEngine = engine(memoryStore)
  const idRequest = request(`${SESSION_COOKIE}=${idCookie}`)
  const getArgs = ['GET', `${PREFIX}s:${id}`]

  const loads =
    (target: ReturnType<typeof engine>, incoming: ReturnType<typeof request>, what: string) =>
    async () => {
      const loaded = await target.load(incoming)
      const email = fixtures.session.claims.email
      if (loaded.user?.email !== email || loaded.takeSetCookies().length > 0) fail(`load (${what})`)
    }
  const cases: Array<{ key: RedisLoadRow['key']; name: string; fn: () => Promise<unknown> }> = [
    {
      key: 'cookie',
      name: `engine.load(), session sealed in the cookie: ${sealed.length} B (no store)`,
      fn: loads(cookieEngine, cookieRequest, 'cookie'),
    },
    {
      key: 'memory',
      name: `engine.load(), MemorySessionStore: ${idCookie.length} B cookie, no network (reference)`,
      fn: loads(memoryEngine, idRequest, 'memory store'),
    },
    {
      key: 'get',
      name: 'node-redis sendCommand GET of the same session key (one round trip, no engine)',
      fn: async () => {
        const reply = await client.sendCommand(getArgs)
        if (typeof reply !== 'string') fail('GET')
      },
    },
    {
      key: 'store-get',
      name: 'RedisSessionStore.get() of the same id (GET, JSON.parse, its timeout timer; no engine)',
      fn: async () => {
        const stored = await redisStore.get(id)
        if (stored?.sub !== fixtures.session.sub) fail('store get')
      },
    },
    {
      key: 'redis',
      name: `engine.load(), RedisSessionStore: ${idCookie.length} B cookie, unseal + GET`,
      fn: loads(redisEngine, idRequest, 'redis store'),
    },
  ]

  // Every case works before anything is timed; then 0.2 s of warm-up each.
  for (const item of cases) await item.fn()
  for (const item of cases) {
    const end = performance.now() + 200
    while (performance.now() < end) await item.fn()
  }
  const measured = new Map(
    cases.map((item) => [
      item,
      { rounds: [] as number[], cpu: [] as number[], server: [] as number[], all: [] as number[] },
    ]),
  )
  for (let round = 0; round < options.rounds; round++) {
    options.onProgress(`redis: load, round ${round + 1} of ${options.rounds}`)
    const sums = new Map(cases.map((item) => [item, { samples: [] as number[], cpu: 0, srv: 0 }]))
    // Two slices per case, A B C D then D C B A (the direction flipping every round): each row's
    // slices average to the same moment, so drift in the machine's speed hits every row alike.
    for (let slice = 0; slice < 2; slice++) {
      const order = (round + slice) % 2 === 0 ? cases : [...cases].reverse()
      for (const item of order) {
        const sum = sums.get(item)!
        // No forced GC before a slice: after one, V8 runs the next calls with a shrunken young
        // generation (measured here: CPU per call 2.5× the median, p99 5×), which no server sees.
        const serverBefore = await serverCpuSeconds(admin)
        const before = process.cpuUsage()
        const end = performance.now() + options.sliceMs
        for (;;) {
          const t0 = performance.now()
          if (t0 >= end) break
          await item.fn()
          sum.samples.push(performance.now() - t0)
        }
        const { user, system } = process.cpuUsage(before)
        sum.cpu += (user + system) * 1000
        sum.srv += (await serverCpuSeconds(admin)) - serverBefore
      }
    }
    for (const [item, sum] of sums) {
      const entry = measured.get(item)!
      const calls = sum.samples.length
      entry.rounds.push(median(sum.samples) * 1e6)
      entry.cpu.push(sum.cpu / calls)
      entry.server.push((sum.srv * 1e9) / calls)
      for (const sample of sum.samples) entry.all.push(sample * 1e6)
    }
  }
  // The session must still be there (nothing expired it, nothing evicted it).
  const exists = Number(await admin.sendCommand(['EXISTS', `${PREFIX}s:${id}`]))
  if (exists !== 1) fail('session key gone')
  const rows = cases.map((item): RedisLoadRow => {
    const entry = measured.get(item)!
    return {
      key: item.key,
      name: item.name,
      median: median(entry.rounds),
      rounds: entry.rounds,
      cpu: median(entry.cpu),
      serverCpu: median(entry.server),
      p99: percentile(entry.all, 0.99),
      calls: entry.all.length,
    }
  })
  return {
    rows,
    rounds: options.rounds,
    sliceMs: options.sliceMs,
    sessionJsonBytes: JSON.stringify(fixtures.session).length,
    cookieBytes: sealed.length,
    idCookieBytes: idCookie.length,
  }
}

// ---- 2. The cross-instance refresh storm --------------------------------------------------

/**
 * The provider's token endpoint, answered in memory after `delayMs` (its latency), rotating
 * refresh tokens: each is good for one call; a spent or unknown one gets `invalid_grant` (a
 * provider with reuse detection would revoke the whole grant there). Discovery and JWKS come from
 * `cannedFetch`.
 */
function tokenEndpoint(fixtures: Fixtures, delayMs: number) {
  /** Every refresh token issued → its session index. */
  const owner = new Map<string, number>()
  /** The refresh tokens not spent yet. */
  const live = new Set<string>()
  /** Session index → its live refresh token. */
  const current = new Map<number, string>()
  let calls: number[] = []
  let replays = 0
  let issued = 0
  const base = cannedFetch(fixtures, () => fail('token calls are answered by tokenEndpoint'))
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    })
  const answer = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url !== METADATA.token_endpoint) return base(input, init)
    await sleep(delayMs)
    const token = new URLSearchParams(String(init?.body)).get('refresh_token') ?? ''
    const session = owner.get(token)
    if (session === undefined) fail(`a refresh token the provider never issued: ${token}`)
    calls[session] = (calls[session] ?? 0) + 1
    if (!live.delete(token)) {
      replays++
      return json(400, { error: 'invalid_grant', error_description: 'refresh token already used' })
    }
    const next = `rt-${++issued}-${Math.random().toString(36).slice(2)}`
    owner.set(next, session)
    live.add(next)
    current.set(session, next)
    return json(200, {
      access_token: `at-${issued}`,
      id_token: fixtures.refreshIdToken,
      refresh_token: next,
      token_type: 'Bearer',
      expires_in: 86_400,
    })
  }) as typeof fetch
  return {
    fetch: answer,
    /** A new storm: `sessions` grants, each with its first refresh token. */
    reset(sessions: number, prefix: string): string[] {
      owner.clear()
      live.clear()
      current.clear()
      calls = Array.from({ length: sessions }, () => 0)
      replays = 0
      return Array.from({ length: sessions }, (_, session) => {
        const token = `${prefix}-${session}-first`
        owner.set(token, session)
        live.add(token)
        current.set(session, token)
        return token
      })
    },
    calls: () => [...calls],
    replays: () => replays,
    current: (session: number) => current.get(session),
  }
}

/** A store with only get/set/update/delete: refresh is then single-flight within each process only. */
function withoutLease(store: SessionStore): SessionStore {
  return {
    get: (id) => store.get(id),
    set: (id, session, expiresAt) => store.set(id, session, expiresAt),
    update: (id, session, expiresAt) => store.update(id, session, expiresAt),
    delete: (id) => store.delete(id),
  }
}

async function stormPart(
  fixtures: Fixtures,
  instanceClients: Client[],
  options: RedisBenchOptions,
): Promise<RedisResult['storm']> {
  const crypto = new NodeCryptoProvider()
  const provider = tokenEndpoint(fixtures, options.tokenDelayMs)
  const sealer = await CookieSealer.create(COOKIE_SECRET, crypto)
  // Each instance: its own client, store, serverSessions and engine, as separate processes have.
  const instances = (lease: boolean) =>
    instanceClients.map((client) => {
      const store = new RedisSessionStore({ client })
      return createHybridAuth({
        issuerBaseURL: ISSUER,
        baseURL: BASE_URL,
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        secret: COOKIE_SECRET,
        crypto,
        fetch: provider.fetch,
        session: { store: serverSessions(lease ? store : withoutLease(store)) },
      })
    })
  const engines = { lease: instances(true), noLease: instances(false) }
  const writer = serverSessions(new RedisSessionStore({ client: instanceClients[0]! }))
  const reader = new RedisSessionStore({ client: instanceClients[0]! })
  let runNumber = 0

  async function storm(lease: boolean, sessions: number): Promise<StormRun> {
    const prefix = `run${++runNumber}`
    const firstTokens = provider.reset(sessions, prefix)
    const now = Math.floor(Date.now() / 1000)
    const ids: string[] = []
    const cookies: string[] = []
    for (let session = 0; session < sessions; session++) {
      // Logged in a while ago; the access token expired 10 s ago.
      const stored: Session = {
        ...fixtures.session,
        accessToken: `${prefix}-${session}-expired`,
        refreshToken: firstTokens[session]!,
        expiresAt: now - 10,
        createdAt: now - 3600,
        updatedAt: now - 3600,
      }
      const id = await writer.write(stored, undefined, now + 86_400, crypto)
      ids.push(id)
      cookies.push(await sealer.seal(SESSION_COOKIE, { id }, now + 86_400))
    }
    const pool = lease ? engines.lease : engines.noLease
    const waits: number[] = []
    let failed = 0
    const errors: Record<string, number> = {}
    const cpuBefore = process.cpuUsage()
    const t0 = performance.now()
    const requests: Promise<void>[] = []
    // Request j of every session, then request j + 1 …: the sessions' requests arrive together,
    // request j on instance j mod N.
    for (let j = 0; j < options.perSession; j++) {
      for (let session = 0; session < sessions; session++) {
        const engine = pool[j % pool.length]!
        const start = performance.now()
        requests.push(
          (async () => {
            const loaded = await engine.load({
              method: 'GET',
              url: `${BASE_URL}/profile`,
              headers: new Headers({ cookie: `${SESSION_COOKIE}=${cookies[session]}` }),
            })
            const fresh = await loaded.getAccessToken()
            if (fresh.accessToken === `${prefix}-${session}-expired`) fail('not refreshed')
          })().then(
            () => {
              waits.push(performance.now() - start)
            },
            (error: { error?: unknown; code?: unknown; message?: unknown }) => {
              failed++
              const kind = String(error?.error ?? error?.code ?? error?.message)
              errors[kind] = (errors[kind] ?? 0) + 1
              waits.push(performance.now() - start)
            },
          ),
        )
      }
    }
    await Promise.all(requests)
    const totalMs = performance.now() - t0
    const cpu = process.cpuUsage(cpuBefore)
    let intact = 0
    for (let session = 0; session < sessions; session++) {
      const stored = await reader.get(ids[session]!)
      if (stored?.refreshToken !== undefined && stored.refreshToken === provider.current(session))
        intact++
    }
    // Clean up the storm's sessions (and any lease left).
    for (const id of ids) await reader.delete(id)
    return {
      calls: provider.calls(),
      replays: provider.replays(),
      failed,
      errors,
      intact,
      p50: percentile(waits, 0.5),
      p99: percentile(waits, 0.99),
      max: Math.max(...waits),
      totalMs,
      cpuPerRequest: (cpu.user + cpu.system) / requests.length,
    }
  }

  // Warm-up (discovery, JWKS, JIT) on both pools; not reported.
  options.onProgress('redis: refresh storm, warm-up')
  await storm(true, 4)
  await storm(false, 4)
  const sizes = options.sessions.map(
    (sessions): StormSize => ({ sessions, lease: [], noLease: [] }),
  )
  for (const size of sizes) {
    for (let run = 0; run < options.stormRuns; run++) {
      // Alternating, the order flipping every run.
      for (const lease of run % 2 === 0 ? [true, false] : [false, true]) {
        options.onProgress(
          `redis: refresh storm, ${size.sessions} session(s), run ${run + 1} of ${options.stormRuns}, ${lease ? 'with' : 'without'} the lease`,
        )
        ;(lease ? size.lease : size.noLease).push(await storm(lease, size.sessions))
        // Let the timers of the requests settle (lease polls) between runs.
        await sleep(250)
      }
    }
  }
  return {
    instances: instanceClients.length,
    perSession: options.perSession,
    tokenDelayMs: options.tokenDelayMs,
    runs: options.stormRuns,
    sizes,
  }
}

// ---- 3. Memory and keys for 10 000 sessions -----------------------------------------------

async function memoryPart(
  fixtures: Fixtures,
  admin: Client,
  client: Client,
  options: RedisBenchOptions,
): Promise<RedisResult['memory']> {
  const crypto = new NodeCryptoProvider()
  const sessions = serverSessions(new RedisSessionStore({ client }))
  const concurrency = 100
  const now = Math.floor(Date.now() / 1000)
  /** Session `i`: its own user (`sub`) and provider session (`sid`), so both indexes exist. */
  const sessionOf = (i: number, tag: string): Session => {
    const sub = `auth0|${tag}-user-${i.toString().padStart(6, '0')}`
    const sid = `${tag}-sid-${i.toString(36).padStart(8, '0')}-${fixtures.session.claims.sid}`
    return { ...fixtures.session, sub, claims: { ...fixtures.session.claims, sub, sid } }
  }
  async function writeMany(count: number, tag: string): Promise<string | undefined> {
    let first: string | undefined
    for (let start = 0; start < count; start += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, i) =>
        sessions.write(sessionOf(start + i, tag), undefined, now + 86_400, crypto),
      )
      const ids = await Promise.all(batch)
      first ??= ids[0]
    }
    return first
  }
  // The first few thousand writes grow the heap once (compiled code, the client's buffers and
  // queues): a warm-up, then an emptied Redis.
  const warmup = 5000
  options.onProgress('redis: memory, warm-up')
  await writeMany(warmup, 'warm')
  await admin.sendCommand(['FLUSHALL', 'SYNC'])
  const heapBefore = await heapUsed()
  const usedMemoryBefore = await info(admin, 'memory', 'used_memory')
  const keysBefore = Number(await admin.sendCommand(['DBSIZE']))
  options.onProgress(`redis: memory, writing ${options.memorySessions} sessions`)
  const t0 = performance.now()
  const firstId = (await writeMany(options.memorySessions, 'user'))!
  const writeSeconds = (performance.now() - t0) / 1000
  const heapAfter = await heapUsed()
  const usedMemoryAfter = await info(admin, 'memory', 'used_memory')
  const keysAfter = Number(await admin.sendCommand(['DBSIZE']))
  options.onProgress(`redis: memory, ${options.memorySessions} sessions again`)
  await writeMany(options.memorySessions, 'again')
  const heapAgain = await heapUsed()
  const first = sessionOf(0, 'user')
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url')
  const usage = async (key: string) => {
    const bytes = await admin.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0'])
    if (typeof bytes !== 'number') fail(`no key ${key}`)
    return bytes
  }
  const keyBytes = {
    session: await usage(`${PREFIX}s:${firstId}`),
    links: await usage(`${PREFIX}k:${firstId}`),
    'sub index': await usage(`${PREFIX}sub:${b64(first.issuer)}:${b64(first.sub)}`),
    'sid index': await usage(`${PREFIX}sid:${b64(first.issuer)}:${b64(String(first.claims.sid))}`),
  }
  await admin.sendCommand(['FLUSHALL', 'SYNC'])
  return {
    sessions: options.memorySessions,
    sessionJsonBytes: JSON.stringify(first).length,
    usedMemoryBefore,
    usedMemoryAfter,
    keysBefore,
    keysAfter,
    keyBytes,
    heapBeforeMB: heapBefore / 1024 ** 2,
    heapAfterMB: heapAfter / 1024 ** 2,
    heapAgainMB: heapAgain / 1024 ** 2,
    warmup,
    writeSeconds,
    concurrency,
  }
}
