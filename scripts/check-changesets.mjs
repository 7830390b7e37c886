// Every changeset must parse (front matter naming known workspace packages), or `changeset
// version` fails at release time. A formatter once turned the front matter into headings.
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const fromCli = createRequire(createRequire(join(root, 'package.json')).resolve('@changesets/cli'))
const parse = fromCli('@changesets/parse').default
const names = new Set(
  ['packages', 'examples']
    .flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name)))
    .map((dir) => {
      try {
        return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name
      } catch {
        return undefined
      }
    }),
)
let failures = 0
const files = readdirSync(join(root, '.changeset')).filter(
  (file) => file.endsWith('.md') && file !== 'README.md',
)
for (const file of files) {
  try {
    const { releases } = parse(readFileSync(join(root, '.changeset', file), 'utf8'))
    if (releases.length === 0) throw new Error('names no package')
    for (const { name } of releases)
      if (!names.has(name)) throw new Error(`unknown package ${name}`)
  } catch (error) {
    failures++
    console.error(`.changeset/${file}: ${error.message}`)
  }
}
if (failures > 0) process.exit(1)
console.log(`changesets: ${files.length} parse`)
