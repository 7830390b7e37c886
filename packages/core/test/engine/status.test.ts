// The status rules the engine and adapters use agree with the explicit table, code by code.
import { describe, expect, it } from 'vitest'
import { ERROR_STATUS, statusForError } from '../../src/engine/status.js'
import type { ErrorCode } from '../../src/errors.js'

describe('statusForError', () => {
  it('gives every code the status of ERROR_STATUS', () => {
    const codes = Object.keys(ERROR_STATUS) as ErrorCode[]
    expect(codes.length).toBeGreaterThan(60)
    const differ = codes.filter((code) => statusForError(code) !== ERROR_STATUS[code])
    expect(differ).toEqual([])
  })

  it('is 500 for a code it does not know', () => {
    for (const code of ['SOMETHING_NEW', '', 'callback_parameter_missing', 'XSTATE_MISSING']) {
      expect(statusForError(code as ErrorCode)).toBe(500)
    }
  })
})
