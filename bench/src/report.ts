// Formatting: the one console table, the HTTP and memory summaries, the targets, and the
// generated part of RESULTS.md (between markers, so the hand-written analysis around it stays).
import type { AppKind, LoadResult, LoadSummary } from './http-load.js'
import { type CryptoApi, median, type Result } from './measure.js'
import type { MemoryResult } from './memory.js'

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
