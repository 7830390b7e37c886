// The micro benchmark harness. In several rounds, each round group by group, each case gets
// mitata's measure() (its warm-up and batching) for its wall time, then a timed batch of calls
// read with the process's CPU clock; each case's time in a round comes in two slices, interleaved
// with the other cases of its group, and every ratio can be taken round by round (report.ts).
import { do_not_optimize, measure } from 'mitata'

export type Role =
  | 'floor-node'
  | 'floor-web'
  /** The raw crypto floor plus the non-crypto work an RP cannot avoid (token JSON, session JSON). */
  | 'floor-node-rp'
  | 'floor-web-rp'
  | 'ours-web'
  | 'ours-node'
  | 'peer'
  | 'info'

/** Which crypto API a row's signatures and decryption go through. */
export type CryptoApi = 'node' | 'web'

export interface Case {
  /** Row group, e.g. `1. front-channel ID token (RS256)`. */
  group: string
  /** What runs, e.g. `oauth4webapi validateCodeIdTokenResponse`. */
  name: string
  role: Role
  /** A short key the report and targets look rows up by. */
  key: string
  /**
   * The crypto API the row uses, for the RP floor column: set on `info` rows of ours; the floors
   * and ours follow from their role, and the peers (jose 6, oauth4webapi, openid-client 6 and
   * express-openid-connect through jose) all verify and decrypt with WebCrypto.
   */
  crypto?: CryptoApi
  fn: () => unknown
}

export interface Result extends Omit<Case, 'fn'> {
  /** Median over rounds of each round's median wall time per call, in nanoseconds. */
  median: number
  /** Each round's median wall time per call (of mitata's samples in its slices), nanoseconds. */
  rounds: number[]
  /** Median over rounds of the CPU time per call, nanoseconds. */
  cpu: number
  /**
   * Each round's CPU time per call, nanoseconds: `process.cpuUsage()` (user + system, all the
   * process's threads, so WebCrypto's thread pool and V8's GC threads count) over the case's
   * CPU batches in the round, divided by the calls made in them.
   */
  cpuRounds: number[]
  /** p99 of the last round's samples (of batches, for fast cases), nanoseconds. */
  p99: number
}

/**
 * Each case's time in a round is cut in two, and its group is run forward then backward (A B C C
 * B A): every row's two halves average to the same moment, so a drift in the machine's speed
 * during the round hits every row of the group alike. (More slices would interleave finer, but
 * each slice costs a GC and mitata's set-up, some 20–40 ms, and the suite has a time budget.)
 */
const SLICES = 2
/** Per slice: mitata's samples, then calls for the CPU clock (wall-clock milliseconds each). */
const SAMPLES_MS = 75
const CPU_BATCH_MS = 25

const OPTIONS = {
  // 0.2 s per case and round in all (2 × (25 ms + 75 ms), 5 rounds): enough samples for a stable
  // median on a 2-core machine, and the whole suite fits the time budget.
  min_cpu_time: SAMPLES_MS * 1e6,
  min_samples: 16,
  batch_samples: 64,
  warmup_samples: 4,
}

/** Calls `fn` for about `ms` milliseconds; returns how many calls that took. */
async function callFor(fn: () => unknown, ms: number): Promise<number> {
  const end = performance.now() + ms
  let calls = 0
  for (; performance.now() < end; calls++) do_not_optimize(await fn())
  return calls
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** The `fraction` quantile (nearest rank below) of `values`. */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(fraction * (sorted.length - 1))]!
}

/** A case ready to time: as mitata calls it, and in chunks for the CPU clock. */
interface Timed {
  /** For mitata (a synchronous case stays synchronous: no promise per call). */
  fn: () => unknown
  /** `chunkCalls` calls one after the other, about half a millisecond. */
  chunk: () => Promise<void>
  chunkCalls: number
}

/**
 * Calls the case for `ms` milliseconds of wall time (whole chunks) and reads the CPU time (user +
 * system, all threads) they took, in nanoseconds. Timed by the clock rather than by a count, so a
 * stall never leaves a handful of calls to carry the fixed costs around them.
 */
async function cpuBatch(entry: Timed, ms: number): Promise<{ cpu: number; calls: number }> {
  const before = process.cpuUsage()
  const end = performance.now() + ms
  let calls = 0
  while (performance.now() < end) {
    await entry.chunk()
    calls += entry.chunkCalls
  }
  const { user, system } = process.cpuUsage(before)
  return { cpu: (user + system) * 1000, calls }
}

export async function runCases(
  cases: Case[],
  rounds: number,
  onProgress: (message: string) => void,
): Promise<Result[]> {
  // Every case must work before anything is timed: a benchmark of a throwing path is worthless.
  for (const item of cases) {
    try {
      await item.fn()
    } catch (error) {
      throw new Error(`bench case "${item.group} / ${item.name}" failed: ${String(error)}`, {
        cause: error,
      })
    }
  }
  const timed = new Map<Case, Timed>()
  for (const item of cases) {
    // 60 ms so the JIT has settled, then 20 ms to size the CPU batch's chunks (~0.5 ms each).
    await callFor(item.fn, 60)
    const chunkCalls = Math.max(1, Math.round((await callFor(item.fn, 20)) / 40))
    const probe = item.fn()
    const isAsync = probe instanceof Promise
    if (isAsync) await probe
    timed.set(item, {
      fn: isAsync ? async () => do_not_optimize(await item.fn()) : () => do_not_optimize(item.fn()),
      chunk: isAsync
        ? async () => {
            for (let call = 0; call < chunkCalls; call++) do_not_optimize(await item.fn())
          }
        : async () => {
            for (let call = 0; call < chunkCalls; call++) do_not_optimize(item.fn())
          },
      chunkCalls,
    })
  }
  // Rows are compared within their group, so a round runs group by group, each group's rows in
  // slices taken in turn, the order flipping every slice (and the first slice's every round):
  // every row of a group is sampled across the same seconds, and a burst of load from another
  // process lands on them alike instead of on one row's window.
  const byGroup = new Map<string, Case[]>()
  for (const item of cases) byGroup.set(item.group, [...(byGroup.get(item.group) ?? []), item])
  const groups = [...byGroup.values()]
  const measured = new Map<Case, { p50: number[]; cpu: number[]; p99: number }>()
  for (let round = 0; round < rounds; round++) {
    const groupOrder = round % 2 === 0 ? groups : [...groups].reverse()
    for (const [index, group] of groupOrder.entries()) {
      onProgress(`round ${round + 1}/${rounds}, group ${index + 1}/${groups.length}`)
      const slices = new Map(
        group.map((item) => [item, { samples: [] as number[], cpu: 0, calls: 0 }]),
      )
      for (let slice = 0; slice < SLICES; slice++) {
        const order = (round + slice) % 2 === 0 ? group : [...group].reverse()
        for (const item of order) {
          const entry = timed.get(item)!
          const sum = slices.get(item)!
          sum.samples.push(...(await measure(entry.fn, OPTIONS)).samples)
          const batch = await cpuBatch(entry, CPU_BATCH_MS)
          sum.cpu += batch.cpu
          sum.calls += batch.calls
        }
      }
      for (const [item, sum] of slices) {
        const result = measured.get(item) ?? { p50: [], cpu: [], p99: 0 }
        result.p50.push(median(sum.samples))
        result.cpu.push(sum.cpu / sum.calls)
        result.p99 = percentile(sum.samples, 0.99)
        measured.set(item, result)
      }
    }
  }
  return cases.map((item) => {
    const { fn: _fn, ...rest } = item
    const entry = measured.get(item)!
    return {
      ...rest,
      median: median(entry.p50),
      rounds: entry.p50,
      cpu: median(entry.cpu),
      cpuRounds: entry.cpu,
      p99: entry.p99,
    }
  })
}

export { median }
