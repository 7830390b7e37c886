// The loopback rule behind the plain-http refusal (see engine/http.test.ts, plainHttpProblem):
// only a real loopback name or address, never a public name that merely contains one.
import { describe, expect, it } from 'vitest'
import { isLoopbackHost } from '../../src/protocol/http.js'

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]'])(
    'is true for %j',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true)
    },
  )

  it.each(['localhost.example.com', '127.0.0.1.nip.io', '128.0.0.1', '[::2]', 'example.com', ''])(
    'is false for %j',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false)
    },
  )
})
