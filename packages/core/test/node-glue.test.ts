// What the Node adapters (Koa, NestJS) share from the core: the chunked body reader with its cap,
// the plain-http refusal and the loopback rule behind it, and the one BODY_TOO_LARGE refusal.
import { describe, expect, it } from 'vitest'
import { plainHttpProblem, readCappedChunks } from '../src/engine/http.js'
import { callbackBodyTooLarge, MAX_CALLBACK_BODY_BYTES } from '../src/protocol/callback.js'
import { isLoopbackHost } from '../src/protocol/http.js'

async function* chunks(...parts: Array<string | Uint8Array>) {
  for (const part of parts) yield part
}

const tooLarge = () => new Error('too large')

describe('readCappedChunks', () => {
  it('joins Buffers and strings as UTF-8, a character split across chunks included', async () => {
    const euro = new TextEncoder().encode('€') // 3 bytes
    const text = await readCappedChunks(
      chunks('a=', euro.subarray(0, 1), euro.subarray(1), Buffer.from('&b=ü'), 'c'),
      100,
      tooLarge,
    )
    expect(text).toBe('a=€&b=üc')
  })

  it('accepts exactly the cap and refuses one byte more', async () => {
    await expect(readCappedChunks(chunks('x'.repeat(8)), 8, tooLarge)).resolves.toHaveLength(8)
    await expect(readCappedChunks(chunks('x'.repeat(8), 'y'), 8, tooLarge)).rejects.toThrow(
      'too large',
    )
  })

  it('counts bytes, not characters', async () => {
    await expect(readCappedChunks(chunks('€€€'), 8, tooLarge)).rejects.toThrow('too large')
  })
})

describe('plainHttpProblem', () => {
  it('refuses plain http on a public host, with the advice given', () => {
    const problem = plainHttpProblem(false, 'app.example.com', 'set app.proxy = true')
    expect(problem).toMatchObject({
      code: 'CONFIG_INVALID',
      details: { hostname: 'app.example.com' },
    })
    expect(problem?.message).toContain('set app.proxy = true')
  })

  it.each(['localhost', 'app.localhost', '127.0.0.1', '127.1.2.3', '[::1]'])(
    'tolerates plain http on the loopback host %s',
    (host) => {
      expect(plainHttpProblem(false, host, '')).toBeUndefined()
    },
  )

  it('says nothing over https', () => {
    expect(plainHttpProblem(true, 'app.example.com', '')).toBeUndefined()
  })
})

describe('isLoopbackHost', () => {
  it.each(['localhost.example.com', '127.0.0.1.nip.io', '128.0.0.1', '[::2]', 'example.com', ''])(
    'is false for %j',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false)
    },
  )
})

describe('callbackBodyTooLarge', () => {
  it('is the 413 refusal every adapter throws, with the limit', () => {
    expect(callbackBodyTooLarge()).toMatchObject({
      code: 'BODY_TOO_LARGE',
      details: { limit: MAX_CALLBACK_BODY_BYTES },
    })
  })
})
