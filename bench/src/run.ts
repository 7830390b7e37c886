// pnpm bench: the micro benchmarks (one table), the HTTP load comparison, the memory run and the
// Redis session store (against a real redis-server), then the targets, printed and
// written into RESULTS.md between its markers.
//   --only=micro,dpop,http,memory,redis   run a part (RESULTS.md is then left alone)
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { DPOP_POOL, dpopCases } from './dpop.js'
import { API, createFixtures } from './fixtures.js'
import { httpLoad, type LoadResult } from './http-load.js'
import { runCases } from './measure.js'
import { type MemoryResult, memoryRun } from './memory.js'
import { microCases } from './micro.js'
import { type RedisResult, redisRun, redisServerVersion } from './redis.js'
import {
  type BundleSize,
  type Environment,
  environmentLines,
  LOAD_HEADER,
  loadRows,
  markdownTable,
  memoryRows,
  REDIS_LOAD_HEADER,
  REDIS_STORM_HEADER,
  redisLoadNote,
  redisLoadRows,
  redisMemoryNote,
  redisMemoryRows,
  redisStormNote,
  redisStormRows,
  redisTargets,
  TABLE_HEADER,
  type Target,
  tableLegend,
  tableRows,
  targetRows,
  targets,
  textTable,
} from './report.js'

const MICRO_ROUNDS = 5
const LOAD = { duration: 5, rounds: 2, connections: 10 }
const MEMORY = { requests: 10_000, concurrency: 100 }
const REDIS = {
  rounds: 5,
  sliceMs: 150,
  instances: 4,
  // Storms of 1 and of 40 expired sessions: 40 × 50 = 2000 requests at once, 500 per instance,
  // under the store's maxPending (1000 commands waiting per store).
  sessions: [1, 40],
  perSession: 50,
  tokenDelayMs: 20,
  stormRuns: 3,
  memorySessions: 10_000,
}

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
const wants = (part: string) => only === undefined || only.includes(part)
const progress = (message: string) => process.stderr.write(`\r\x1b[K… ${message}`)
const started = performance.now()

/** A package's version, found from its resolved entry (some do not export package.json). */
function versionOf(name: string, from = join(root, 'bench', 'package.json')): string {
  try {
    let directory = dirname(createRequire(from).resolve(name))
    for (;;) {
      const file = join(directory, 'package.json')
      if (existsSync(file)) {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
          name?: string
          version: string
        }
        if (manifest.name === name) return manifest.version
      }
      const parent = dirname(directory)
      if (parent === directory) return '?'
      directory = parent
    }
  } catch {
    return '?'
  }
}

function environment(): Environment {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown CPU'
  const workspace = (path: string) =>
    (JSON.parse(readFileSync(join(root, path, 'package.json'), 'utf8')) as { version: string })
      .version
  return {
    date: new Date().toISOString(),
    node: process.versions.node,
    cpus: availableParallelism(),
    model,
    memoryGB: totalmem() / 1024 ** 3,
    versions: {
      '@oidc-hybrid/core': workspace('packages/core'),
      '@oidc-hybrid/crypto-node': workspace('packages/crypto-node'),
      '@oidc-hybrid/koa': workspace('packages/adapter-koa'),
      '@oidc-hybrid/nestjs': workspace('packages/adapter-nestjs'),
      '@oidc-hybrid/redis': workspace('packages/redis'),
      oauth4webapi: versionOf('oauth4webapi'),
      'openid-client': versionOf('openid-client'),
      jose: versionOf('jose'),
      'express-openid-connect': versionOf('express-openid-connect'),
      'jose (inside express-openid-connect)': versionOf(
        'jose',
        createRequire(join(root, 'bench', 'package.json')).resolve('express-openid-connect'),
      ),
      express: versionOf('express'),
      koa: versionOf('koa'),
      '@nestjs/core': versionOf('@nestjs/core'),
      '@nestjs/platform-express': versionOf('@nestjs/platform-express'),
      'express (inside @nestjs/platform-express)': versionOf(
        'express',
        createRequire(join(root, 'bench', 'package.json')).resolve('@nestjs/platform-express'),
      ),
      mitata: versionOf('mitata'),
      autocannon: versionOf('autocannon'),
      '@redis/client': versionOf('@redis/client'),
      'redis-server': redisServerVersion(),
      OpenSSL: process.versions.openssl,
    },
  }
}

/** The bundle-size figure of the fetch adapter's own script, when it can run. */
async function bundleSize(): Promise<BundleSize | undefined> {
  const script = join(root, 'packages', 'adapter-fetch', 'scripts', 'size.mjs')
  if (!existsSync(script)) return undefined
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [script, '--json'], {
      cwd: dirname(dirname(script)),
      timeout: 60_000,
    })
    const report = JSON.parse(stdout) as {
      targetGz: number
      bundles: Record<string, { min: number; gz: number }>
    }
    const [name, headline] = Object.entries(report.bundles)[0]!
    return { name, gz: headline.gz, min: headline.min, target: report.targetGz }
  } catch {
    return undefined
  }
}

const env = environment()
process.stderr.write(`${environmentLines(env).join('\n')}\n`)
const fixtures = await createFixtures()

let results: Awaited<ReturnType<typeof runCases>> = []
let sizes: Awaited<ReturnType<typeof microCases>>['sizes'] | undefined
if (wants('micro')) {
  const setup = await microCases(fixtures)
  sizes = setup.sizes
  results = await runCases(setup.cases, MICRO_ROUNDS, progress)
}
// DPoP (RFC 9449): the proof per API call and its check per API request, in a table of its own.
let dpopResults: Awaited<ReturnType<typeof runCases>> = []
if (wants('dpop')) {
  dpopResults = await runCases(await dpopCases(fixtures), MICRO_ROUNDS, progress)
}
let load: LoadResult | undefined
if (wants('http')) load = await httpLoad({ ...LOAD, onProgress: progress })
let memory: MemoryResult | undefined
if (wants('memory')) memory = await memoryRun(fixtures, { ...MEMORY, onProgress: progress })
let redis: RedisResult | undefined
if (wants('redis')) redis = await redisRun(fixtures, { ...REDIS, onProgress: progress })
const bundle = only === undefined ? await bundleSize() : undefined
process.stderr.write('\r\x1b[K')

const out: string[] = []
const md: string[] = []
if (results.length > 0 && sizes) {
  const rows = tableRows(results)
  const note = `${tableLegend(MICRO_ROUNDS)}\n\nSession JSON ${sizes.sessionJson} B, sealed cookie value ${sizes.sealedCookie} B; express-openid-connect session JSON ${sizes.eocSessionJson} B, its cookie ${sizes.eocCookie} B.`
  out.push(textTable(TABLE_HEADER, rows), '', note)
  md.push('### In-process hot paths', '', markdownTable(TABLE_HEADER, rows), '', note)
}
if (dpopResults.length > 0) {
  const rows = tableRows(dpopResults)
  const note = `${MICRO_ROUNDS} rounds, measured and reported as the in-process table (the same columns). Group 7: one proof for \`GET ${API}/messages\` with \`ath\` and a server nonce, the key imported once (ours remembers it; the peers take a CryptoKeyPair); the floors sign our proof's own signing input. Groups 8 and 9: proofs made by ours ahead of the run, ${DPOP_POOL} of them with distinct \`jti\`s cycled, more than the verifier's replay memory keeps (10 000), so our rows pass the real replay check; the peers keep no replay memory (the application's job with them). RP floors here: the crypto every implementation must do, of the row's crypto API (7: the token's SHA-256 for \`ath\` + the signature; 8: the key imported from the proof's \`jwk\`, the signature, SHA-256 for \`ath\` and for the thumbprint).`
  out.push('', textTable(TABLE_HEADER, rows), '', note)
  md.push('', '### DPoP (RFC 9449)', '', markdownTable(TABLE_HEADER, rows), '', note)
}
if (load) {
  const rows = loadRows(load)
  const note = `autocannon, ${load.connections} connections, ${load.duration} s per run, ${load.rounds} rounds alternating between the apps, medians of the runs; latencies from autocannon's per-response timings. Session cookies: ours ${load.sessionCookieBytes.ours} B, express-openid-connect ${load.sessionCookieBytes.eoc} B (both from a real login at the dev provider).`
  out.push('', textTable(LOAD_HEADER, rows), '', note)
  md.push('', '### HTTP load on 127.0.0.1', '', markdownTable(LOAD_HEADER, rows), '', note)
}
if (memory) {
  const rows = memoryRows(memory)
  const header = ['memory checkpoint (after GC)', 'heap used MB', 'RSS MB']
  const note = `${memory.requestsPerPhase} requests per phase, ${memory.concurrency} concurrent, each a distinct session with an expired access token: every request unseals, refreshes (token endpoint answered in memory, ID token verified) and reseals; ${memory.refreshedRequests} of ${2 * memory.requestsPerPhase} refreshed, ${memory.tokenEndpointCalls} token endpoint calls. ${memory.singleFlight.requests} requests sharing ${memory.singleFlight.sharedTokens} refresh tokens (10 concurrent each) made ${memory.singleFlight.tokenEndpointCalls} token calls; ${memory.unknownKid.tokens} bearer tokens with unknown kids made ${memory.unknownKid.jwksFetches} JWKS fetch(es) and were all rejected: ${memory.unknownKid.rejected === memory.unknownKid.tokens}. ${memory.seconds.toFixed(1)} s.`
  out.push('', textTable(header, rows), '', note)
  md.push('', '### Memory under load', '', markdownTable(header, rows), '', note)
}
if (redis) {
  const loadNote = redisLoadNote(redis)
  const stormNote = redisStormNote(redis)
  const memoryNote = redisMemoryNote(redis)
  const loadTable = redisLoadRows(redis)
  const stormTable = redisStormRows(redis)
  const memoryHeader = [`${redis.memory.sessions} sessions in Redis`, 'measured']
  const memoryTable = redisMemoryRows(redis)
  out.push(
    '',
    textTable(REDIS_LOAD_HEADER, loadTable),
    '',
    loadNote,
    '',
    textTable(REDIS_STORM_HEADER, stormTable),
    '',
    stormNote,
    '',
    textTable(memoryHeader, memoryTable),
    '',
    memoryNote,
  )
  md.push(
    '',
    `### Sessions in Redis (redis-server ${redis.serverVersion} on 127.0.0.1)`,
    '',
    markdownTable(REDIS_LOAD_HEADER, loadTable),
    '',
    loadNote,
    '',
    markdownTable(REDIS_STORM_HEADER, stormTable),
    '',
    stormNote,
    '',
    markdownTable(memoryHeader, memoryTable),
    '',
    memoryNote,
    '',
    `${redis.seconds.toFixed(1)} s.`,
  )
}
const targetList: Target[] = [
  ...(results.length > 0 ? targets(results, load, memory, bundle) : []),
  ...(redis ? redisTargets(redis) : []),
]
if (targetList.length > 0) {
  const rows = targetRows(targetList)
  const header = ['target (issue 7; RP floors: the CEO)', 'result', 'measured']
  out.push('', textTable(header, rows))
  md.push('', '### Targets', '', markdownTable(header, rows))
}
const seconds = (performance.now() - started) / 1000
out.push('', `total ${seconds.toFixed(0)} s`)
process.stdout.write(`${out.join('\n')}\n`)

if (only === undefined) {
  const file = join(root, 'bench', 'RESULTS.md')
  const START = '<!-- results:start (written by pnpm bench) -->'
  const END = '<!-- results:end -->'
  const generated = [
    START,
    '',
    ...environmentLines(env),
    `- run time: ${seconds.toFixed(0)} s`,
    '',
    ...md,
    '',
    END,
  ].join('\n')
  const current = existsSync(file)
    ? readFileSync(file, 'utf8')
    : `# Benchmark results\n\n${START}\n${END}\n`
  const [before, rest = ''] = current.split(START)
  const after = rest.includes(END) ? rest.slice(rest.indexOf(END) + END.length) : '\n'
  writeFileSync(file, `${before}${generated}${after}`)
  process.stderr.write(`wrote ${file}\n`)
}
