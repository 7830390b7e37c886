// The engine's one network call: timeout over headers and body, a body size cap, typed errors,
// redirects handed back instead of followed.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { send } from '../src/engine/http.js'
import type { HttpRequest } from '../src/protocol/types.js'

const URL_WITH_QUERY = 'https://op.example.test/oauth/token?secret=never-in-messages'

function request(): HttpRequest {
  return {
    url: URL_WITH_QUERY,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=refresh_token',
  }
}

/** A body stream that hands out `chunks` one by one and records how far it was read. */
function recordingStream(chunks: Uint8Array[]) {
  const record = { pulled: 0, cancelled: false }
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[record.pulled]
      if (chunk === undefined) {
        controller.close()
        return
      }
      record.pulled++
      controller.enqueue(chunk)
    },
    cancel() {
      record.cancelled = true
    },
  })
  return { stream, record }
}

const bytes = (length: number) => new Uint8Array(length).fill(0x61)

describe('send', () => {
  it('returns status, headers and the body as text', async () => {
    let init: RequestInit | undefined
    const result = await send(request(), {
      fetch: async (_input, given) => {
        init = given
        return new Response('{"ok":true}', {
          status: 201,
          headers: { 'content-type': 'application/json' },
        })
      },
      timeout: 1000,
      maxBodyBytes: 100,
    })
    expect(result.status).toBe(201)
    expect(result.headers.get('content-type')).toBe('application/json')
    expect(result.body).toBe('{"ok":true}')
    expect(init?.redirect).toBe('manual')
    expect(init?.signal).toBeInstanceOf(AbortSignal)
  })

  it('passes the request to fetch as a URL string and plain init, not a Request', async () => {
    let call: unknown[] = []
    await send(request(), {
      fetch: async (...args) => {
        call = args
        return new Response('')
      },
      timeout: 1000,
      maxBodyBytes: 100,
    })
    expect(call[0]).toBe(URL_WITH_QUERY)
    expect(call[1]).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token',
    })
  })

  it('a response without a body is the empty string', async () => {
    const result = await send(request(), {
      fetch: async () => new Response(null, { status: 204 }),
      timeout: 1000,
      maxBodyBytes: 100,
    })
    expect(result).toMatchObject({ status: 204, body: '' })
  })

  it('joins chunks before decoding, so a character split across chunks survives', async () => {
    const euro = new TextEncoder().encode('€') // three bytes
    const { stream } = recordingStream([euro.subarray(0, 1), euro.subarray(1), bytes(2)])
    const result = await send(request(), {
      fetch: async () => new Response(stream),
      timeout: 1000,
      maxBodyBytes: 5,
    })
    expect(result.body).toBe('€aa')
  })

  it('a declared content-length over the limit is refused without reading the body', async () => {
    const { stream, record } = recordingStream([bytes(10)])
    const p = send(request(), {
      fetch: async () => new Response(stream, { headers: { 'content-length': '101' } }),
      timeout: 1000,
      maxBodyBytes: 100,
    })
    await expect(p).rejects.toMatchObject({
      code: 'HTTP_RESPONSE_TOO_LARGE',
      details: { url: 'https://op.example.test/oauth/token', limit: 100 },
    })
    expect(record.cancelled).toBe(true)
    expect(record.pulled).toBeLessThanOrEqual(1)
  })

  it('a streamed body over the limit (no content-length) is cut off', async () => {
    const { stream, record } = recordingStream([bytes(60), bytes(60), bytes(60), bytes(60)])
    const p = send(request(), {
      fetch: async () => new Response(stream),
      timeout: 1000,
      maxBodyBytes: 100,
    })
    await expect(p).rejects.toMatchObject({ code: 'HTTP_RESPONSE_TOO_LARGE' })
    expect(record.cancelled).toBe(true)
    expect(record.pulled).toBeLessThan(4)
  })

  it('a body of exactly the limit is accepted', async () => {
    const { stream } = recordingStream([bytes(60), bytes(40)])
    const result = await send(request(), {
      fetch: async () => new Response(stream),
      timeout: 1000,
      maxBodyBytes: 100,
    })
    expect(result.body).toHaveLength(100)
  })

  it('a network failure is HTTP_REQUEST_FAILED, without the query in the message', async () => {
    const cause = new TypeError('fetch failed')
    const error = await send(request(), {
      fetch: () => Promise.reject(cause),
      timeout: 1000,
      maxBodyBytes: 100,
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'HTTP_REQUEST_FAILED',
      cause,
      details: { url: 'https://op.example.test/oauth/token' },
    })
    expect((error as Error).message).toContain('POST https://op.example.test/oauth/token failed')
    expect((error as Error).message).toContain('fetch failed')
    expect((error as Error).message).not.toContain('never-in-messages')
  })

  it('a rejection that is not an Error is still HTTP_REQUEST_FAILED', async () => {
    await expect(
      send(request(), {
        fetch: () => Promise.reject('socket hang up'),
        timeout: 1000,
        maxBodyBytes: 100,
      }),
    ).rejects.toMatchObject({
      code: 'HTTP_REQUEST_FAILED',
      message: expect.stringContaining('socket hang up'),
    })
  })

  it('no answer within the timeout is HTTP_TIMEOUT', async () => {
    const started = Date.now()
    const p = send(request(), {
      fetch: (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
        }),
      timeout: 50,
      maxBodyBytes: 100,
    })
    await expect(p).rejects.toMatchObject({
      code: 'HTTP_TIMEOUT',
      details: { url: 'https://op.example.test/oauth/token', timeout: 50 },
    })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it('the timeout covers the body too', async () => {
    const p = send(request(), {
      fetch: async (_input, init) => {
        // Headers arrive at once; the body never ends, and fails when the signal aborts (as
        // fetch's own body stream does).
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes(1))
            init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason))
          },
        })
        return new Response(body)
      },
      timeout: 50,
      maxBodyBytes: 100,
    })
    await expect(p).rejects.toMatchObject({ code: 'HTTP_TIMEOUT' })
  })

  describe('with the real fetch', () => {
    let server: Server
    let origin: string

    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/redirect') {
          res.writeHead(302, { location: '/elsewhere' }).end()
        } else {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('followed')
        }
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve))
    })

    it('a redirect is returned as it is, not followed', async () => {
      const result = await send(
        { url: `${origin}/redirect`, method: 'GET', headers: {} },
        {
          fetch: globalThis.fetch,
          timeout: 2000,
          maxBodyBytes: 1000,
        },
      )
      expect(result.status).toBe(302)
      expect(result.headers.get('location')).toBe('/elsewhere')
      expect(result.body).not.toBe('followed')
    })
  })
})
