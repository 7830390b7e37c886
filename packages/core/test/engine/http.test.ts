// The engine's one network call: timeout over headers and body, a body size cap, typed errors
// that name the cause and what to check, redirects handed back instead of followed. And what the
// Node adapters (Koa, NestJS) share from it: the chunked body reader with its cap, and the
// plain-http refusal.
import { createServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createTcpServer } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { plainHttpProblem, readCappedChunks, send } from '../../src/engine/http.js'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import type { HttpRequest } from '../../src/protocol/types.js'
import { APP, SECRET } from '../support/harness.js'

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

  describe('the timeout, on a fake clock', () => {
    beforeEach(() => {
      vi.useFakeTimers()
    })
    afterEach(() => {
      vi.useRealTimers()
    })

    /** A fetch that never answers; it fails when its signal aborts, as fetch does. */
    function hanging() {
      const seen: { signal?: AbortSignal } = {}
      const fetch: typeof globalThis.fetch = (_input, init) =>
        new Promise((_resolve, reject) => {
          seen.signal = init?.signal ?? undefined
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
        })
      return { fetch, seen }
    }

    it('no answer within the timeout is HTTP_TIMEOUT', async () => {
      const { fetch, seen } = hanging()
      let settled = false
      const outcome = send(request(), { fetch, timeout: 50, maxBodyBytes: 100 })
        .catch((error: unknown) => error)
        .finally(() => {
          settled = true
        })
      await vi.advanceTimersByTimeAsync(49)
      expect(seen.signal?.aborted).toBe(false)
      expect(settled).toBe(false)
      // The timeout, and nothing else, aborts the exchange.
      await vi.advanceTimersByTimeAsync(1)
      expect(seen.signal?.aborted).toBe(true)
      expect(await outcome).toMatchObject({
        code: 'HTTP_TIMEOUT',
        details: { url: 'https://op.example.test/oauth/token', timeout: 50 },
      })
    })

    it('the timeout covers the body too', async () => {
      let signal: AbortSignal | undefined
      const outcome = send(request(), {
        fetch: async (_input, init) => {
          signal = init?.signal ?? undefined
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
      }).catch((error: unknown) => error)
      await vi.advanceTimersByTimeAsync(49)
      expect(signal?.aborted).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect(signal?.aborted).toBe(true)
      expect(await outcome).toMatchObject({ code: 'HTTP_TIMEOUT' })
    })

    it('an answer in time clears its timer: nothing aborts afterwards', async () => {
      let signal: AbortSignal | undefined
      const result = await send(request(), {
        fetch: async (_input, init) => {
          signal = init?.signal ?? undefined
          return new Response('ok')
        },
        timeout: 50,
        maxBodyBytes: 100,
      })
      expect(result.body).toBe('ok')
      expect(vi.getTimerCount()).toBe(0)
      await vi.advanceTimersByTimeAsync(1000)
      expect(signal?.aborted).toBe(false)
    })
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

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createTcpServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A fetch that fails as undici does: "fetch failed", the system or TLS error in `cause`. */
const undiciFailure = (code: string, message: string) => () =>
  Promise.reject(
    new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) }),
  )

const sendVia = (fetch: typeof globalThis.fetch) =>
  send(
    { url: 'https://op.example.test/.well-known/openid-configuration', method: 'GET', headers: {} },
    { fetch, timeout: 1000, maxBodyBytes: 1000 },
  ).catch((error: unknown) => error)

describe('a provider that does not answer: the cause and what to check', () => {
  it('nothing listening: connection refused, is the provider running at host:port?', async () => {
    const port = await closedPort()
    const auth = createHybridAuth({
      issuerBaseURL: `http://127.0.0.1:${port}`,
      baseURL: APP,
      clientID: 'app',
      clientSecret: 'client-secret',
      secret: SECRET,
    })
    const response = await auth.login({
      method: 'GET',
      url: `${APP}/login`,
      headers: new Headers(),
    })
    expect(response.status).toBe(502)
    expect(response.error).toMatchObject({
      code: 'HTTP_REQUEST_FAILED',
      message: `GET http://127.0.0.1:${port}/.well-known/openid-configuration failed: fetch failed: connect ECONNREFUSED 127.0.0.1:${port} (ECONNREFUSED); check issuerBaseURL, the provider and its certificate`,
      details: { causeCode: 'ECONNREFUSED' },
    })
  })

  it.each([
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND op.example.test'],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN op.example.test'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
    ['CERT_HAS_EXPIRED', 'certificate has expired'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'],
  ])('undici cause %s: %s', async (code, message) => {
    const error = await sendVia(undiciFailure(code, message))
    expect(error).toMatchObject({ code: 'HTTP_REQUEST_FAILED', details: { causeCode: code } })
    expect((error as Error).message).toContain(
      `GET https://op.example.test/.well-known/openid-configuration failed: fetch failed: ${message} (${code}); check issuerBaseURL, the provider and its certificate`,
    )
  })

  it('another runtime (workerd, Deno, Bun): its plain message, no cause code', async () => {
    const error = await sendVia(() => Promise.reject(new TypeError('Network connection lost.')))
    expect(error).toMatchObject({
      code: 'HTTP_REQUEST_FAILED',
      message:
        'GET https://op.example.test/.well-known/openid-configuration failed: Network connection lost.',
    })
    expect((error as { details: { causeCode?: string } }).details.causeCode).toBeUndefined()
  })
})

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
