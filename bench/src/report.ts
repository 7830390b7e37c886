// Formatting: the one console table, the HTTP and memory summaries, the targets, and the
// generated part of RESULTS.md (between markers, so the hand-written analysis around it stays).
import type { AppKind, LoadResult, LoadSummary } from './http-load.js'
import { type CryptoApi, median, type Result } from './measure.js'
import type { MemoryResult } from './memory.js'
import type { RedisResult, StormRun } from './redis.js'

export interface Environment {
  date: string
  node: string
  cpus: number
  model: string
  memoryGB: number
  versions: Record<string, string>
}

export interface BundleSize {
  name: string
  gz: number
  min: number
  target: number
}

export interface Target {
  target: string
  measured: string
  met: boolean | undefined
}

const us = (ns: number) => {
  const micro = ns / 1000
  return micro < 10 ? micro.toFixed(2) : micro < 100 ? micro.toFixed(1) : micro.toFixed(0)
}
/** Three significant figures or so: 0.24, 4.08, 12.3, 237. */
const figure = (value: number) =>
  value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)
const ratio = (value: number) => (Number.isFinite(value) ? `${figure(value)}×` : '')

/** The CEO's goal for ours against the RP floors (crypto + the JSON an RP cannot avoid). */
export const RP_FLOOR_GOAL = 1.25

/** A ratio of two rows taken round by round: both were measured in the same round. */
export interface Ratio {
  /** Median of the per-round ratios. */
  median: number
  /** The lowest and highest per-round ratio: the spread. */
  min: number
  max: number
}

/** `a` over `b` in each round (wall time, or CPU time per call), with its median and range. */
export function ratioOf(a: Result, b: Result, clock: 'wall' | 'cpu' = 'wall'): Ratio {
  const [top, bottom] = clock === 'wall' ? [a.rounds, b.rounds] : [a.cpuRounds, b.cpuRounds]
  const values = top.map((value, round) => value / bottom[round]!)
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) }
}

/** `1.83× (1.71–1.95)`: the median ratio and its spread over the rounds. */
export function ratioCell(value: Ratio): string {
  if (!Number.isFinite(value.median)) return ''
  return `${ratio(value.median)} (${figure(value.min)}–${figure(value.max)})`
}

function byRole(results: Result[], group: string, role: Result['role']) {
  return results.find((result) => result.group === group && result.role === role)
}

/** The crypto API a row goes through: given on `info` rows, else from its role (peers: WebCrypto). */
function cryptoOf(result: Result): CryptoApi | undefined {
  if (result.crypto) return result.crypto
  switch (result.role) {
    case 'floor-node':
    case 'floor-node-rp':
    case 'ours-node':
      return 'node'
    case 'info':
      return undefined
    default:
      return 'web'
  }
}

const isFloor = (result: Result) => result.role.startsWith('floor-')

export function get(results: Result[], key: string): Result {
  const found = results.find((result) => result.key === key)
  if (found === undefined) throw new Error(`no bench result "${key}"`)
  return found
}

/**
 * Rows of the main table: each measured case with its wall and CPU time per call, and its ratios
 * (with their spread over the rounds) to the floors and to ours.
 */
export function tableRows(results: Result[]): string[][] {
  const rows: string[][] = []
  let group = ''
  for (const result of results) {
    if (result.group !== group) {
      group = result.group
      rows.push([`**${group}**`, ...TABLE_HEADER.slice(1).map(() => '')])
    }
    const against = (base: Result | undefined) =>
      base === undefined ? '' : base === result ? '1.00×' : ratioCell(ratioOf(result, base))
    const api = cryptoOf(result)
    const rpFloor = api && byRole(results, group, api === 'node' ? 'floor-node-rp' : 'floor-web-rp')
    const rp = rpFloor ? ratioOf(result, rpFloor) : undefined
    const mark = rp === undefined || isFloor(result) ? '' : rp.median <= RP_FLOOR_GOAL ? ' ✓' : ' ✗'
    rows.push([
      result.name,
      us(result.median),
      us(result.cpu),
      us(result.p99),
      against(byRole(results, group, 'floor-node')),
      against(byRole(results, group, 'floor-web')),
      `${against(rpFloor)}${mark}`,
      against(byRole(results, group, 'ours-node')),
    ])
  }
  return rows
}

export const TABLE_HEADER = [
  'implementation',
  'median µs',
  'CPU µs',
  'p99 µs',
  '× node floor (min–max)',
  '× WebCrypto floor (min–max)',
  `× RP floor, same crypto (min–max) ≤ ${RP_FLOOR_GOAL}×`,
  '× ours NodeCrypto (min–max)',
]

/** What the columns of the main table mean, printed under it (and written into RESULTS.md). */
export function tableLegend(rounds: number): string {
  return [
    `Spread: a ratio cell is the median of the ${rounds} per-round ratios (in each round the two rows are measured within seconds, interleaved A B C … C B A) and, in parentheses, the lowest and the highest round's ratio. A change inside that range is not evidence of a regression.`,
    `Times per call: \`median µs\` is wall time, the median of the ${rounds} round medians; \`CPU µs\` is the process's CPU time (\`process.cpuUsage()\` user + system, every thread: WebCrypto's pool and the GC count) over 25 ms of calls after each of the row's mitata measurements, divided by the calls, the median over the rounds. It is a mean, so it includes the GC and the slow batches the median leaves out; other processes' load makes wall times grow, not CPU times.`,
    `RP floors: the raw crypto floor plus what an RP cannot avoid besides it: the callback's token \`Response\` read with \`.json()\` (the body the callback rows get), the unseal's \`JSON.parse\` of the decrypted session. The RP floor column divides each row by the RP floor of its crypto API (NodeCrypto rows by node:crypto's; WebCrypto rows and the peers, which use WebCrypto, by WebCrypto's). Goal ≤ ${RP_FLOOR_GOAL}× (the CEO's): ✓ met, ✗ not met, on the median.`,
  ].join('\n\n')
}

/** A plain-text table for the console. */
export function textTable(header: string[], rows: string[][]): string {
  const clean = (cell: string) => cell.replace(/\*\*/g, '')
  const all = [header, ...rows].map((row) => row.map(clean))
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)))
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!),
      )
      .join('  ')
      .trimEnd()
  return [
    line(all[0]!),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...all.slice(1).map(line),
  ].join('\n')
}

export function markdownTable(header: string[], rows: string[][]): string {
  const align = header.map((_, column) => (column === 0 ? '---' : '---:'))
  return [header, align, ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n')
}

/** The bare app of the same framework: what an authenticated app's row is compared with. */
function bareOf(load: LoadResult, kind: AppKind): LoadSummary {
  const framework = kind.slice(0, kind.indexOf('-'))
  return load.summary.find((entry) => entry.kind === `${framework}-bare`)!
}

export function loadRows(load: LoadResult): string[][] {
  return load.summary.map((entry) => {
    const base = bareOf(load, entry.kind)
    const added = entry === base
    return [
      {
        'koa-bare': 'Koa, bare',
        'koa-ours-web': 'Koa + ours auth() (WebCrypto)',
        'koa-ours-node': 'Koa + ours auth() (NodeCrypto)',
        'nest-bare': 'NestJS (Express), bare',
        'nest-ours-node': 'NestJS (Express) + ours HybridAuthModule + guard (NodeCrypto)',
        'express-bare': 'Express, bare',
        'express-eoc': 'Express + express-openid-connect auth()',
      }[entry.kind],
      entry.requestsPerSecond.toFixed(0),
      entry.cpuPerRequest.toFixed(1),
      added ? '' : `+${(entry.cpuPerRequest - base.cpuPerRequest).toFixed(1)}`,
      entry.serviceTime.toFixed(1),
      entry.p50.toFixed(0),
      added ? '' : `+${(entry.p50 - base.p50).toFixed(0)}`,
      entry.p99.toFixed(0),
      added ? '' : `+${(entry.p99 - base.p99).toFixed(0)}`,
      String(entry.non2xx + entry.errors),
    ]
  })
}

export const LOAD_HEADER = [
  'app (GET /profile, authenticated)',
  'req/s',
  'app CPU µs/req',
  'added CPU µs/req',
  '1/throughput µs',
  'p50 µs',
  'added p50',
  'p99 µs',
  'added p99',
  'non-2xx+errors',
]

export function memoryRows(memory: MemoryResult): string[][] {
  return memory.heap.map((entry) => [
    entry.label,
    entry.heapUsedMB.toFixed(1),
    entry.rssMB.toFixed(1),
  ])
}

export function targets(
  results: Result[],
  load: LoadResult | undefined,
  memory: MemoryResult | undefined,
  bundle: BundleSize | undefined,
): Target[] {
  const r = (key: string) => get(results, key)
  /** `4.08× (3.85–4.31) over 5 rounds (251 µs vs 61.5 µs); CPU 3.97× (…)`: wall, spread, CPU. */
  const versus = (key: string, base: string) => {
    const [a, b] = [r(key), r(base)]
    return `${ratioCell(ratioOf(a, b))} over ${a.rounds.length} rounds (${us(a.median)} µs vs ${us(b.median)} µs); CPU ${ratio(ratioOf(a, b, 'cpu').median)} (${us(a.cpu)} µs vs ${us(b.cpu)} µs)`
  }
  const below = (key: string, base: string, limit: number) =>
    ratioOf(r(key), r(base)).median <= limit
  const apis = { node: 'NodeCrypto vs node:crypto', web: 'WebCrypto vs WebCrypto' } as const
  const list: Target[] = []
  for (const kind of ['node', 'web'] as const) {
    list.push({
      target: `callback CPU ≤ 1.25× the raw crypto floor (${apis[kind]})`,
      measured: `${versus(`callback-ours-${kind}`, `callback-floor-${kind}`)}${
        kind === 'node'
          ? `; with the token response handed over as data (no undici Response): ${ratio(ratioOf(r('callback-ours-node-data'), r('callback-floor-node')).median)}`
          : ''
      }`,
      met: below(`callback-ours-${kind}`, `callback-floor-${kind}`, 1.25),
    })
  }
  for (const kind of ['node', 'web'] as const) {
    list.push({
      target: `callback ≤ ${RP_FLOOR_GOAL}× the RP floor: crypto + token Response.json() (CEO; ${apis[kind]})`,
      measured: versus(`callback-ours-${kind}`, `callback-floor-${kind}-rp`),
      met: below(`callback-ours-${kind}`, `callback-floor-${kind}-rp`, RP_FLOOR_GOAL),
    })
  }
  for (const kind of ['node', 'web'] as const) {
    const one = ratioOf(r('callback-openid-client'), r(`callback-ours-${kind}`))
    const two = ratioOf(r('callback-openid-client-2sig'), r(`callback-ours-${kind}`))
    list.push({
      target: `callback ≥ 2× faster than openid-client's hybrid callback (ours ${kind === 'node' ? 'NodeCrypto' : 'WebCrypto'})`,
      measured: `${ratioCell(one)} vs its default (1 signature), ${ratioCell(two)} vs the same checks (2 signatures)`,
      met: one.median >= 2,
    })
  }
  for (const kind of ['node', 'web'] as const) {
    list.push({
      target: `session unseal ≤ 1.5× a raw AES-256-GCM decrypt (${apis[kind]})`,
      measured: versus(`session-unseal-${kind}`, `session-floor-${kind}`),
      met: below(`session-unseal-${kind}`, `session-floor-${kind}`, 1.5),
    })
  }
  for (const kind of ['node', 'web'] as const) {
    list.push({
      target: `session unseal ≤ ${RP_FLOOR_GOAL}× the RP floor: decrypt + JSON.parse (CEO; ${apis[kind]})`,
      measured: versus(`session-unseal-${kind}`, `session-floor-${kind}-rp`),
      met: below(`session-unseal-${kind}`, `session-floor-${kind}-rp`, RP_FLOOR_GOAL),
    })
  }
  if (load) list.push(...loadTargets(load))
  for (const kind of ['node', 'web'] as const) {
    list.push({
      target: `bearer verification no slower than jose's jwtVerify (${kind === 'node' ? 'NodeCrypto' : 'WebCrypto'})`,
      measured: versus(`bearer-verifier-${kind}`, 'bearer-jose'),
      met: below(`bearer-verifier-${kind}`, 'bearer-jose', 1),
    })
  }
  list.push(
    bundle
      ? {
          target: 'fetch adapter hybrid path ≤ 20 KB min+gz (the budget; new features opt-in)',
          measured: `${bundle.gz} B of ${bundle.target} B min+gz (${bundle.name}, packages/adapter-fetch/scripts/size.mjs)`,
          met: bundle.gz <= bundle.target,
        }
      : {
          target: 'fetch adapter hybrid path ≤ 20 KB min+gz (the budget; new features opt-in)',
          measured: 'not measured (packages/adapter-fetch/scripts/size.mjs did not run)',
          met: undefined,
        },
  )
  if (memory) {
    const [, afterOne, afterTwo] = memory.heap
    const growth = afterTwo!.heapUsedMB - afterOne!.heapUsedMB
    const bounded =
      growth < 5 &&
      memory.singleFlight.tokenEndpointCalls === memory.singleFlight.sharedTokens &&
      memory.unknownKid.jwksFetches <= 2
    list.push({
      target: 'memory: caches and in-flight refresh maps bounded under load',
      measured: `heap ${afterOne!.heapUsedMB.toFixed(1)} → ${afterTwo!.heapUsedMB.toFixed(1)} MB over ${memory.requestsPerPhase} more sessions (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB); ${memory.singleFlight.requests} concurrent requests on ${memory.singleFlight.sharedTokens} refresh tokens → ${memory.singleFlight.tokenEndpointCalls} token calls; ${memory.unknownKid.tokens} unknown kids → ${memory.unknownKid.jwksFetches} JWKS fetch(es)`,
      met: bounded,
    })
  }
  return list
}

/**
 * "Added latency per authenticated request ≤ ¼ of express-openid-connect's", for each app with
 * ours: its app CPU per request above its bare framework's, against express-openid-connect's above
 * bare Express (p50 shown too).
 */
export function loadTargets(load: LoadResult): Target[] {
  const addedOver = (kind: AppKind) => {
    const entry = load.summary.find((candidate) => candidate.kind === kind)!
    const base = bareOf(load, kind)
    return { cpu: entry.cpuPerRequest - base.cpuPerRequest, p50: entry.p50 - base.p50 }
  }
  const eoc = addedOver('express-eoc')
  const labels = {
    'koa-ours-node': 'Koa, NodeCrypto',
    'koa-ours-web': 'Koa, WebCrypto',
    'nest-ours-node': 'NestJS HybridAuthModule + guard, NodeCrypto',
  } as const
  return (Object.keys(labels) as (keyof typeof labels)[]).map((kind) => {
    const ours = addedOver(kind)
    return {
      target: `added latency per authenticated request ≤ ¼ of express-openid-connect's (${labels[kind]})`,
      measured: `+${ours.cpu.toFixed(0)} µs vs +${eoc.cpu.toFixed(0)} µs app CPU per request (${(ours.cpu / eoc.cpu).toFixed(2)}×); p50 at ${load.connections} connections +${ours.p50.toFixed(0)} µs vs +${eoc.p50.toFixed(0)} µs (${(ours.p50 / eoc.p50).toFixed(2)}×)`,
      met: ours.cpu <= eoc.cpu / 4,
    }
  })
}

export function targetRows(list: Target[]): string[][] {
  return list.map((item) => [
    item.target,
    item.met === undefined ? 'not measured' : item.met ? 'met' : 'NOT met',
    item.measured,
  ])
}

export function environmentLines(environment: Environment): string[] {
  return [
    `- date: ${environment.date}`,
    `- machine: ${environment.cpus} × ${environment.model}, ${environment.memoryGB.toFixed(0)} GB RAM`,
    `- runtime: Node ${environment.node}`,
    `- versions: ${Object.entries(environment.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
  ]
}

// ---- Sessions in Redis (redis.ts) ---------------------------------------------------------

/** `1.00 (1.00–1.00)`: the median of `values` and their range. */
function spreadCell(values: number[], digits?: number): string {
  const show = (value: number) => (digits === undefined ? figure(value) : value.toFixed(digits))
  const low = Math.min(...values)
  const high = Math.max(...values)
  return low === high ? show(low) : `${show(median(values))} (${show(low)}–${show(high)})`
}

export const REDIS_LOAD_HEADER = [
  'authenticated request (NodeCrypto, one call at a time)',
  'median µs',
  'app CPU µs',
  'redis-server CPU µs',
  'p99 µs',
  '× sealed cookie (min–max)',
]

export function redisLoadRows(redis: RedisResult): string[][] {
  const { rows } = redis.load
  const cookie = rows.find((row) => row.key === 'cookie')!
  return rows.map((row) => {
    const values = row.rounds.map((value, round) => value / cookie.rounds[round]!)
    const versus = { median: median(values), min: Math.min(...values), max: Math.max(...values) }
    return [
      row.name,
      us(row.median),
      us(row.cpu),
      row.key === 'cookie' || row.key === 'memory' ? '' : us(row.serverCpu),
      us(row.p99),
      row === cookie ? '1.00×' : ratioCell(versus),
    ]
  })
}

export function redisLoadNote(redis: RedisResult): string {
  const { load } = redis
  const calls = load.rows.map((row) => row.calls)
  return `redis-server ${redis.serverVersion} on 127.0.0.1 of the same 2-core machine, over loopback TCP (a network hop adds its round trip to the Redis rows), started like the tests (test-kit's startRedis: append-only file, here with \`appendfsync ${redis.appendfsync}\`), node-redis client with \`disableOfflineQueue\`. ${load.rounds} rounds; in each, every row runs 2 × ${load.sliceMs} ms, interleaved (A B … B A, the direction flipping every round), one call at a time, each call timed alone. \`median µs\`: the median of the round medians; \`p99 µs\`: of all single calls of all rounds (${Math.min(...calls)}–${Math.max(...calls)} per row); \`app CPU µs\`: the Node process's CPU time per call (user + system, all threads; median over the rounds); \`redis-server CPU µs\`: the server's CPU time per call (\`INFO cpu\` around the row's slices), which the app CPU does not include. Ratios are taken round by round (median and range). Session JSON ${load.sessionJsonBytes} B; the cookie holding it ${load.cookieBytes} B, the cookie holding a sealed id ${load.idCookieBytes} B. A fixed clock keeps every load inside its rolling minute: no reseal, no store write is timed.`
}

export const REDIS_STORM_HEADER = [
  'refresh storm',
  'token calls per expired session (max)',
  'spent refresh tokens sent',
  'failed requests',
  'grants intact',
  'wait p50 ms',
  'wait p99 ms',
  'total ms',
  'app CPU µs/request',
]

export function redisStormRows(redis: RedisResult): string[][] {
  const { storm } = redis
  const rows: string[][] = []
  for (const size of storm.sizes) {
    const requests = size.sessions * storm.perSession
    const row = (label: string, runs: StormRun[]) => {
      const perSession = runs.map((run) => run.calls.reduce((a, b) => a + b, 0) / run.calls.length)
      const most = Math.max(...runs.map((run) => Math.max(...run.calls)))
      const count = (pick: (run: StormRun) => number) => spreadCell(runs.map(pick), 0)
      return [
        `${size.sessions} expired session${size.sessions === 1 ? '' : 's'} × ${storm.perSession} requests (${requests}), ${label}`,
        `${spreadCell(perSession)} (max ${most})`,
        count((run) => run.replays),
        `${count((run) => run.failed)} of ${requests}`,
        `${count((run) => run.intact)} of ${size.sessions}`,
        spreadCell(runs.map((run) => run.p50)),
        spreadCell(runs.map((run) => run.p99)),
        spreadCell(runs.map((run) => run.totalMs)),
        spreadCell(runs.map((run) => run.cpuPerRequest)),
      ]
    }
    rows.push(
      row('with the lease (RedisSessionStore)', size.lease),
      row('without the lease (get/set/update/delete only)', size.noLease),
    )
  }
  return rows
}

/** The storms' failures by kind, e.g. `40 sessions without the lease: invalid_grant × 3870`. */
function failures(storm: RedisResult['storm']): string {
  const parts: string[] = []
  for (const size of storm.sizes) {
    for (const [label, runs] of [
      ['with', size.lease],
      ['without', size.noLease],
    ] as const) {
      const kinds: Record<string, number> = {}
      for (const run of runs) {
        for (const [kind, count] of Object.entries(run.errors))
          kinds[kind] = (kinds[kind] ?? 0) + count
      }
      const list = Object.entries(kinds).map(([kind, count]) => `\`${kind}\` × ${count}`)
      parts.push(
        `${size.sessions} session${size.sessions === 1 ? '' : 's'} ${label} the lease: ${list.length > 0 ? list.join(', ') : 'none'}`,
      )
    }
  }
  return parts.join('; ')
}

export function redisStormNote(redis: RedisResult): string {
  const { storm } = redis
  return `${storm.instances} instances, each its own node-redis client, \`RedisSessionStore\`, \`serverSessions(store)\` and engine (NodeCrypto), as separate processes would have them, but in one process: their CPU work shares one thread (and one core), which separate processes would spread over the cores, so with many requests the waits are mostly requests queueing for that thread (\`app CPU µs/request\` × requests ≈ total). A storm: sessions whose access token expired 10 s before, ${storm.perSession} concurrent requests on each, launched together (request j of a session on instance j mod ${storm.instances}), each \`engine.load()\` then \`getAccessToken()\`. The token endpoint is answered in memory after ${storm.tokenDelayMs} ms (a provider's latency), with a verified ID token and rotating refresh tokens: each is good once, a spent one gets \`invalid_grant\` (a provider with reuse detection, RFC 9700 4.14.2, would revoke the whole grant there). Token calls count every call, refused ones included. Grants intact: sessions whose stored refresh token is the provider's live one afterwards (the others must log in again at their next refresh). Wait: each request's time from its start to its access token (or its failure). Without the lease the store is wrapped in an object with only get/set/update/delete: refresh is then single-flight within each instance only. Failures, all runs: ${failures(storm)}. ${storm.runs} runs per variant and size, alternating; a cell is the median of the runs and (their range).`
}

export function redisMemoryRows(redis: RedisResult): string[][] {
  const m = redis.memory
  const delta = m.usedMemoryAfter - m.usedMemoryBefore
  const heap = m.heapAfterMB - m.heapBeforeMB
  const again = m.heapAgainMB - m.heapAfterMB
  const signed = (value: number, digits: number) =>
    `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`
  return [
    [
      'Redis `INFO memory` used_memory',
      `${(m.usedMemoryBefore / 1024 ** 2).toFixed(1)} → ${(m.usedMemoryAfter / 1024 ** 2).toFixed(1)} MB (${signed(delta / 1024 ** 2, 1)} MB), ${(delta / m.sessions).toFixed(0)} B per session (its JSON: ${m.sessionJsonBytes} B)`,
    ],
    [
      'Redis `DBSIZE`',
      `${m.keysBefore} → ${m.keysAfter}: ${((m.keysAfter - m.keysBefore) / m.sessions).toFixed(2)} keys per session`,
    ],
    [
      '`MEMORY USAGE` of one session’s keys',
      Object.entries(m.keyBytes)
        .map(([kind, bytes]) => `${kind} ${bytes} B`)
        .join(', '),
    ],
    [
      'app (Node) heap after GC',
      `${m.heapBeforeMB.toFixed(2)} → ${m.heapAfterMB.toFixed(2)} MB (${signed(heap, 2)} MB, ${signed((heap * 1024 ** 2) / m.sessions, 0)} B per session); after ${m.sessions} more: ${m.heapAgainMB.toFixed(2)} MB (${signed(again, 2)} MB, ${signed((again * 1024 ** 2) / m.sessions, 0)} B per session)`,
    ],
    [
      'write time',
      `${m.writeSeconds.toFixed(2)} s (${(m.sessions / m.writeSeconds).toFixed(0)} sessions/s, ${m.concurrency} at a time)`,
    ],
  ]
}

export function redisMemoryNote(redis: RedisResult): string {
  const m = redis.memory
  return `${m.sessions} sessions written through \`serverSessions(new RedisSessionStore({ client })).write(session, undefined, expiresAt, crypto)\` (a login's write: a new random id), ${m.concurrency} at a time, into an emptied Redis (\`FLUSHALL\`), after ${m.warmup} warm-up writes (the first few thousand grow the app's heap once, by about 1.5 MB: compiled code, the client's buffers). Each session is the bench session (ES256 ID and access tokens, name and email) with its own \`sub\` and ID token \`sid\`, so each has its own \`sub\` and \`sid\` index (sorted sets) beside its session and links keys. used_memory, DBSIZE and \`MEMORY USAGE\` are read before and after; the app's heap after a forced GC, and once more after writing as many sessions again (not counted in the Redis rows).`
}

export function redisTargets(redis: RedisResult): Target[] {
  const { storm, memory } = redis
  const lease = storm.sizes.flatMap((size) => size.lease)
  const most = Math.max(...lease.map((run) => Math.max(...run.calls)))
  const least = Math.min(...lease.map((run) => Math.min(...run.calls)))
  const failed = lease.reduce((sum, run) => sum + run.failed, 0)
  const without = storm.sizes
    .map((size) => {
      const calls = size.noLease.map(
        (run) => run.calls.reduce((a, b) => a + b, 0) / run.calls.length,
      )
      return `${spreadCell(calls)} (${size.sessions} session${size.sessions === 1 ? '' : 's'})`
    })
    .join(', ')
  const growth = Math.max(
    memory.heapAfterMB - memory.heapBeforeMB,
    memory.heapAgainMB - memory.heapAfterMB,
  )
  const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`
  return [
    {
      target: `Redis: 1 token call per expired session across ${storm.instances} instances (${storm.perSession} concurrent requests each)`,
      measured: `${least === most ? most : `${least}–${most}`} per session in every run (${storm.sizes.map((size) => `${size.lease.length} × ${size.sessions}`).join(' and ')} sessions), ${failed} failed requests; without the lease ${without} per session`,
      met: least === 1 && most === 1 && failed === 0,
    },
    {
      target: `Redis: the app keeps nothing per stored session (heap growth < 1 MB per ${memory.sessions})`,
      measured: `${signed(memory.heapAfterMB - memory.heapBeforeMB)} MB of heap for ${memory.sessions} sessions, ${signed(memory.heapAgainMB - memory.heapAfterMB)} MB for ${memory.sessions} more; Redis holds ${((memory.usedMemoryAfter - memory.usedMemoryBefore) / memory.sessions).toFixed(0)} B and ${((memory.keysAfter - memory.keysBefore) / memory.sessions).toFixed(2)} keys per session`,
      met: growth < 1,
    },
  ]
}
