// The micro benchmark harness: mitata's measure() per case (its warm-up, batching and GC before
// each case), several rounds over all cases in alternating order, median of the round medians.
import { do_not_optimize, measure } from 'mitata'

export type Role = 'floor-node' | 'floor-web' | 'ours-web' | 'ours-node' | 'peer' | 'info'

export interface Case {
  /** Row group, e.g. `1. front-channel ID token (RS256)`. */
  group: string
  /** What runs, e.g. `oauth4webapi validateCodeIdTokenResponse`. */
  name: string
  role: Role
  /** A short key the report and targets look rows up by. */
  key: string
  fn: () => unknown
}

export interface Result extends Omit<Case, 'fn'> {
  /** Median over rounds of each round's median, in nanoseconds. */
  median: number
  /** Each round's median, nanoseconds. */
  rounds: number[]
  /** p99 of the last round, nanoseconds. */
  p99: number
}

const OPTIONS = {
  // ~0.2 s per case and round (5 rounds): enough samples for a stable median on a 2-core machine,
  // and the whole suite fits the time budget.
  min_cpu_time: 200 * 1e6,
  min_samples: 16,
  batch_samples: 64,
  warmup_samples: 4,
}

/** Calls `fn` for about `ms` milliseconds so the JIT has settled before the first sample. */
async function warm(fn: () => unknown, ms: number): Promise<void> {
  const end = performance.now() + ms
  while (performance.now() < end) do_not_optimize(await fn())
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
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
  // A synchronous case (the node:crypto floor) is timed as such: no promise per call.
  const timed = new Map<Case, () => unknown>()
  for (const item of cases) {
    await warm(item.fn, 60)
    const probe = item.fn()
    const isAsync = probe instanceof Promise
    if (isAsync) await probe
    timed.set(
      item,
      isAsync ? async () => do_not_optimize(await item.fn()) : () => do_not_optimize(item.fn()),
    )
  }
  const samples = new Map<Case, { p50: number[]; p99: number }>()
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? cases : [...cases].reverse()
    for (const [index, item] of order.entries()) {
      onProgress(`round ${round + 1}/${rounds}, case ${index + 1}/${cases.length}`)
      const stats = await measure(timed.get(item)!, OPTIONS)
      const entry = samples.get(item) ?? { p50: [], p99: 0 }
      entry.p50.push(stats.p50)
      entry.p99 = stats.p99
      samples.set(item, entry)
    }
  }
  return cases.map((item) => {
    const { fn: _fn, ...rest } = item
    const entry = samples.get(item)!
    return { ...rest, median: median(entry.p50), rounds: entry.p50, p99: entry.p99 }
  })
}

export { median }
