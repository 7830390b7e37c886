// Prints what the test run measured, from the files the runners wrote: tests per package,
// core coverage, and one closing line "N passed, N failed" for CI.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const folders = ['packages', 'examples'].flatMap((group) =>
  existsSync(join(root, group))
    ? readdirSync(join(root, group)).map((name) => join(root, group, name))
    : [],
)

let passed = 0
let failed = 0
let skipped = 0
const rows = []
for (const folder of folders) {
  const report = join(folder, 'test-results/vitest.json')
  if (!existsSync(report)) continue
  const result = JSON.parse(readFileSync(report, 'utf8'))
  passed += result.numPassedTests
  failed += result.numFailedTests
  skipped += result.numPendingTests + (result.numTodoTests ?? 0)
  rows.push(
    `${folder.slice(root.length).padEnd(28)} ${String(result.numPassedTests).padStart(5)} passed ${String(result.numFailedTests).padStart(3)} failed`,
  )
}
console.log(rows.join('\n'))

const coverage = join(root, 'packages/core/coverage/coverage-summary.json')
if (existsSync(coverage)) {
  const { total } = JSON.parse(readFileSync(coverage, 'utf8'))
  const pct = (key) => `${key} ${total[key].pct}%`
  console.log(
    `core coverage (packages/core/src): ${['statements', 'branches', 'functions', 'lines'].map(pct).join(', ')}`,
  )
}
if (skipped > 0) console.log(`${skipped} tests skipped`)
console.log(`${passed} passed, ${failed} failed`)
if (passed === 0 || failed > 0) process.exit(1)
