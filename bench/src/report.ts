// Formatting: the one console table, the HTTP and memory summaries, the targets, and the
// generated part of RESULTS.md (between markers, so the hand-written analysis around it stays).
import type { AppKind, LoadResult, LoadSummary } from './http-load.js'
import type { Result } from './measure.js'
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
const ratio = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? '' : `${value.toFixed(2)}×`

function byRole(results: Result[], group: string, role: Result['role']) {
  return results.find((result) => result.group === group && result.role === role)
}

export function get(results: Result[], key: string): Result {
  const found = results.find((result) => result.key === key)
  if (found === undefined) throw new Error(`no bench result "${key}"`)
  return found
}

/** Rows of the main table: each measured case with its ratios to the floors and to ours. */
export function tableRows(results: Result[]): string[][] {
  const rows: string[][] = []
  let group = ''
  for (const result of results) {
    if (result.group !== group) {
      group = result.group
      rows.push([`**${group}**`, '', '', '', '', ''])
    }
    const floorNode = byRole(results, group, 'floor-node')
    const floorWeb = byRole(results, group, 'floor-web')
    const oursNode = byRole(results, group, 'ours-node')
    rows.push([
      result.name,
      us(result.median),
      us(result.p99),
      floorNode ? ratio(result.median / floorNode.median) : '',
      floorWeb ? ratio(result.median / floorWeb.median) : '',
      oursNode ? ratio(result.median / oursNode.median) : '',
    ])
  }
  return rows
}

export const TABLE_HEADER = [
  'implementation',
  'median µs',
  'p99 µs',
  '× node floor',
  '× WebCrypto floor',
  '× ours (NodeCrypto)',
]

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
  const r = (key: string) => get(results, key).median
  const list: Target[] = []
  for (const kind of ['node', 'web'] as const) {
    const value = r(`callback-ours-${kind}`) / r(`callback-floor-${kind}`)
    list.push({
      target: `callback CPU ≤ 1.25× the raw crypto floor (${kind === 'node' ? 'NodeCrypto vs node:crypto' : 'WebCrypto vs WebCrypto'})`,
      measured: `${value.toFixed(2)}× (${us(r(`callback-ours-${kind}`))} µs vs ${us(r(`callback-floor-${kind}`))} µs)${
        kind === 'node'
          ? `; with the token response handed over as data (no undici Response): ${(r('callback-ours-node-data') / r('callback-floor-node')).toFixed(2)}×`
          : ''
      }`,
      met: value <= 1.25,
    })
  }
  for (const kind of ['node', 'web'] as const) {
    const one = r('callback-openid-client') / r(`callback-ours-${kind}`)
    const two = r('callback-openid-client-2sig') / r(`callback-ours-${kind}`)
    list.push({
      target: `callback ≥ 2× faster than openid-client's hybrid callback (ours ${kind === 'node' ? 'NodeCrypto' : 'WebCrypto'})`,
      measured: `${one.toFixed(2)}× vs its default (1 signature), ${two.toFixed(2)}× vs the same checks (2 signatures)`,
      met: one >= 2,
    })
  }
  for (const kind of ['node', 'web'] as const) {
    const value = r(`session-unseal-${kind}`) / r(`session-floor-${kind}`)
    list.push({
      target: `session unseal ≤ 1.5× a raw AES-256-GCM decrypt (${kind === 'node' ? 'NodeCrypto vs node:crypto' : 'WebCrypto vs WebCrypto'})`,
      measured: `${value.toFixed(2)}× (${us(r(`session-unseal-${kind}`))} µs vs ${us(r(`session-floor-${kind}`))} µs)`,
      met: value <= 1.5,
    })
  }
  if (load) list.push(...loadTargets(load))
  for (const kind of ['node', 'web'] as const) {
    const value = r(`bearer-verifier-${kind}`) / r('bearer-jose')
    list.push({
      target: `bearer verification no slower than jose's jwtVerify (${kind === 'node' ? 'NodeCrypto' : 'WebCrypto'})`,
      measured: `${value.toFixed(2)}× jose (${us(r(`bearer-verifier-${kind}`))} µs vs ${us(r('bearer-jose'))} µs)`,
      met: value <= 1,
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
