// Type-checks every ```ts block of the getting-started pages, so a renamed option or export
// breaks `pnpm typecheck` (turbo's typecheck task in scripts/test.sh), not the reader.
//
// Each block is written, as it is, to .snippets/<runtime>/<page>-<n>.ts and compiled with
// `tsc --noEmit -p tsconfig.<runtime>.json`: `node` (Koa, NestJS, Express, Hono on Node: @types/node),
// `workers` (@cloudflare/workers-types, no DOM), `deno` (Web APIs + deno.d.ts), `bun` (@types/bun).
// A page's runtime is in PAGES; a block may name another after its language (```ts workers).
// A block may also name its file (```ts app.module.ts), so that another block of the same page
// imports it (`from './app.module'`); it is then written to .snippets/<runtime>/<page>/<file>.
// Errors are reported at the page's line, e.g. `koa.md:31:5`.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, '.snippets')
const RUNTIMES = ['node', 'workers', 'deno', 'bun']
const PAGES = {
  'README.md': 'node',
  'koa.md': 'node',
  'nestjs.md': 'node',
  'express.md': 'node',
  'hono.md': 'node',
  'workers.md': 'workers',
  'deno.md': 'deno',
  'bun.md': 'bun',
}
// Pages that must hold at least one block: a page that lost them all would check nothing.
const MUST_HAVE_BLOCKS = Object.keys(PAGES).filter((page) => page !== 'README.md')

const problems = []
const pages = readdirSync(here).filter((name) => name.endsWith('.md'))
for (const page of pages)
  if (!(page in PAGES))
    problems.push(`${page}: not in PAGES of check-snippets.mjs (which runtime?)`)

/** The fenced code blocks of a markdown text: language, extra words, first line (1-based), code. */
function blocksOf(page, text) {
  const lines = text.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i])
    if (!open) continue
    const [, indent, fence, lang, rest] = open
    const body = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ *${fence[0]}{${fence.length},}\\s*$`).exec(lines[j])
      if (close) break
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart())
    }
    if (j === lines.length) problems.push(`${page}:${i + 1}: unclosed code fence`)
    blocks.push({ lang, words: rest.split(/\s+/).filter(Boolean), line: i + 2, code: body })
    i = j
  }
  return blocks
}

rmSync(out, { recursive: true, force: true })
const files = new Map() // snippet path relative to here -> { page, line }
const checkedPages = new Set()
const counts = Object.fromEntries(RUNTIMES.map((runtime) => [runtime, 0]))
for (const page of pages.filter((name) => name in PAGES)) {
  const blocks = blocksOf(page, readFileSync(join(here, page), 'utf8'))
  let n = 0
  for (const block of blocks) {
    if (block.lang === 'js' || block.lang === 'javascript' || block.lang === 'tsx')
      problems.push(
        `${page}:${block.line - 1}: a \`${block.lang}\` block is not checked: use \`ts\``,
      )
    if (block.lang !== 'ts' && block.lang !== 'typescript') continue
    const runtime = block.words.find((word) => RUNTIMES.includes(word)) ?? PAGES[page]
    const name = block.words.find((word) => /^[\w.-]+\.ts$/.test(word))
    for (const word of block.words)
      if (!RUNTIMES.includes(word) && word !== name)
        problems.push(`${page}:${block.line - 1}: unknown word \`${word}\` after \`\`\`ts`)
    const stem = page.replace(/\.md$/, '')
    n++
    const file = join('.snippets', runtime, ...(name ? [stem, name] : [`${stem}-${n}.ts`]))
    if (files.has(file)) problems.push(`${page}:${block.line - 1}: a second block named ${name}`)
    mkdirSync(join(here, dirname(file)), { recursive: true })
    writeFileSync(join(here, file), `${block.code.join('\n')}\n`)
    files.set(file, { page, line: block.line })
    counts[runtime]++
    checkedPages.add(page)
  }
  if (n === 0 && MUST_HAVE_BLOCKS.includes(page)) problems.push(`${page}: no \`\`\`ts block found`)
}
for (const page of MUST_HAVE_BLOCKS)
  if (!pages.includes(page)) problems.push(`${page}: missing (listed in PAGES)`)

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
for (const runtime of RUNTIMES) {
  if (counts[runtime] === 0) continue
  const run = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--pretty', 'false', '-p', `tsconfig.${runtime}.json`],
    { cwd: here, encoding: 'utf8' },
  )
  const output = `${run.stdout}${run.stderr}`.trim()
  if (run.status === 0 && output === '') continue
  // `.snippets/node/koa-2.ts(14,5): error TS...` -> `koa.md:45:5 (.snippets/node/koa-2.ts:14:5): error TS...`
  const mapped = output.replace(/^(\.snippets\/[^(]+)\((\d+),(\d+)\)/gm, (all, file, line, col) => {
    const origin = files.get(file)
    if (!origin) return all
    return `${origin.page}:${origin.line + Number(line) - 1}:${col} (${file}:${line}:${col})`
  })
  problems.push(`tsc -p tsconfig.${runtime}.json:\n${mapped || `exit code ${run.status}`}`)
}

const summary = RUNTIMES.filter((runtime) => counts[runtime] > 0)
  .map((runtime) => `${runtime} ${counts[runtime]}`)
  .join(', ')
const total = Object.values(counts).reduce((a, b) => a + b, 0)
if (problems.length > 0) {
  for (const problem of problems) process.stderr.write(`${problem}\n`)
  process.stderr.write(
    `getting-started snippets: ${problems.length} problem(s) in ${total} blocks (${summary}); generated files in ${relative(process.cwd(), out) || '.'}\n`,
  )
  process.exit(1)
}
process.stdout.write(
  `getting-started snippets: ${total} ts blocks of ${checkedPages.size} pages type-check (${summary})\n`,
)
