// docs/errors.md is the place a developer looks a code up: every code the library answers with has
// its row there, with the HTTP status the adapters send.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_STATUS } from '../src/engine/status.js'

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')

describe('docs/errors.md', () => {
  it('has a row for every error code, with its HTTP status', () => {
    const missing = Object.entries(ERROR_STATUS).filter(
      ([code, status]) => !new RegExp(`^\\| \`${code}\`\\s*\\| ${status}\\s*\\|`, 'm').test(doc),
    )
    expect(missing).toEqual([])
  })
})
