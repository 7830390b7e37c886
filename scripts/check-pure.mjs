// Guards the architecture: packages/core/src/protocol is pure (no I/O, clock, randomness, node:*),
// and nothing in packages/core/src may depend on Node-only APIs (it runs in workerd too).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname

const everywhere = [
  [/from\s+['"]node:/, 'imports a node:* module'],
  [/require\(\s*['"]node:/, 'requires a node:* module'],
  [/\bBuffer\b/, 'uses Buffer (not available in workerd)'],
  [/\bprocess\./, 'uses process (not available in workerd)'],
  [/console\./, 'logs with console (use the logger hook)'],
]
const protocolOnly = [
  [/\bDate\.now\b|\bnew Date\b/, 'reads the clock (pass `now` in)'],
  [/Math\.random|getRandomValues|randomUUID|randomBytes\(/, 'uses randomness (pass it in)'],
  [/\bfetch\(/, 'performs I/O (return an Http effect instead)'],
  [/\bsetTimeout\b|\bsetInterval\b/, 'uses timers'],
]

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

const problems = []
// The fetch adapter runs in workerd, Deno and Bun, and the Durable Object store in workerd: Web
// APIs only, like the core.
for (const file of [
  'packages/adapter-fetch/src',
  'packages/adapter-hono/src',
  'packages/cloudflare/src',
].flatMap((dir) => files(join(root, dir)))) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (/^\s*(\*|\/\*)/.test(line)) return
      const code = line.replace(/\/\/.*$/, '')
      for (const [pattern, why] of everywhere) {
        if (pattern.test(code)) problems.push(`${relative(root, file)}:${index + 1} ${why}`)
      }
    })
}
for (const file of files(join(root, 'packages/core/src'))) {
  const isProtocol = file.includes('/protocol/')
  const rules = isProtocol ? [...everywhere, ...protocolOnly] : everywhere
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.forEach((line, index) => {
    const code = line.replace(/\/\/.*$/, '')
    if (/^\s*(\*|\/\*)/.test(line)) return
    for (const [pattern, why] of rules) {
      if (pattern.test(code)) problems.push(`${relative(root, file)}:${index + 1} ${why}`)
    }
  })
}

if (problems.length > 0) {
  console.error(`purity check failed:\n${problems.join('\n')}`)
  process.exit(1)
}
console.log(
  'purity check: the core protocol has no I/O, clock or randomness; the core, the fetch and Hono adapters and the Durable Object store use no Node-only APIs',
)
