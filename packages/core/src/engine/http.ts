/**
 * Requests to the provider (discovery, JWKS, token, userinfo): the injected `fetch`, with a timeout
 * covering headers
 * and body, and a cap on the body size. Everything it returns is plain data for the protocol.
 */
import { OidcHybridError } from '../errors.js'
import { isLoopbackHost } from '../protocol/http.js'
import type { HttpRequest, HttpResponseData } from '../protocol/types.js'

export interface HttpOptions {
  fetch: typeof fetch
  /** Milliseconds for the whole exchange, body included. */
  timeout: number
  /** Bytes; larger bodies are refused. */
  maxBodyBytes: number
}

/**
 * Sends a request built by a protocol step as `fetch(url, { method, headers, body })`, redirects
 * handed back rather than followed, and reads the body within `timeout` and `maxBodyBytes`.
 * Messages and details name the URL without its query.
 */
export async function send(
  { url, method, headers, body }: HttpRequest,
  { fetch, timeout, maxBodyBytes }: HttpOptions,
): Promise<HttpResponseData> {
  // A timer cleared in `finally`, not AbortSignal.timeout(): those stay alive for the whole
  // timeout, which under load holds memory for requests long finished.
  const controller = new AbortController()
  const { signal } = controller
  const timer = setTimeout(() => controller.abort(), timeout)
  const target = new URL(url)
  const where = target.origin + target.pathname
  const fail = (
    code: 'HTTP_TIMEOUT' | 'HTTP_REQUEST_FAILED' | 'HTTP_RESPONSE_TOO_LARGE',
    message: string,
    details?: Record<string, unknown>,
    cause?: unknown,
  ) => new OidcHybridError(code, message, { cause, details: { url: where, ...details } })
  try {
    const response = await fetch(url, { method, headers, body, redirect: 'manual', signal })
    return {
      status: response.status,
      headers: response.headers,
      body: await readCappedText(response, maxBodyBytes, () =>
        fail('HTTP_RESPONSE_TOO_LARGE', `${where} answered over ${maxBodyBytes} bytes`, {
          limit: maxBodyBytes,
        }),
      ),
    }
  } catch (error) {
    if (error instanceof OidcHybridError) throw error
    if (signal.aborted) {
      throw fail(
        'HTTP_TIMEOUT',
        `${method} ${where} timed out: is the provider reachable?`,
        { timeout },
        error,
      )
    }
    // undici (Node) says "fetch failed", with the system or TLS error's `code` in `cause`; other
    // runtimes (workerd, Deno, Bun) have the message alone.
    const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause
    const code = cause?.code
    const hint =
      typeof code === 'string'
        ? `: ${cause!.message} (${code}); check issuerBaseURL, the provider and its certificate`
        : ''
    throw fail(
      'HTTP_REQUEST_FAILED',
      `${method} ${where} failed: ${error instanceof Error ? error.message : String(error)}${hint}`,
      { causeCode: code },
      error,
    )
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The body of a `Request` or `Response` as UTF-8 text, at most `maxBytes` (declared in
 * Content-Length or sent): beyond that the stream is cancelled unread and `tooLarge()` thrown.
 * Adapters read callback bodies with it too.
 */
export async function readCappedText(
  message: Request | Response,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const { body } = message
  if (Number(message.headers.get('content-length')) > maxBytes) {
    await body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (!body) return ''
  const reader = body.getReader()
  // Streaming decode: a character split across chunks survives.
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    size += chunk.value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    text += decoder.decode(chunk.value, { stream: true })
  }
  return text + decoder.decode()
}

/**
 * Reads a body that arrives as chunks (a Node request stream is an async iterable of Buffers)
 * as UTF-8 text, refusing it once more than `maxBytes` have come. The stream is left as it is on
 * refusal, so the error answer can still reach the client.
 */
export async function readCappedChunks(
  source: AsyncIterable<unknown>,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  for await (const chunk of source) {
    const bytes =
      typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array)
    size += bytes.byteLength
    if (size > maxBytes) throw tooLarge()
    text += decoder.decode(bytes, { stream: true })
  }
  return text + decoder.decode()
}

/**
 * The refusal of a login route reached over plain http on a host that is not loopback: browsers
 * drop the `Secure` login cookies there, so the login could never complete. `advice` says how to
 * make the framework see https behind a TLS-terminating proxy. `undefined` when all is well.
 */
export function plainHttpProblem(
  secure: boolean,
  hostname: string,
  advice: string,
): OidcHybridError | undefined {
  if (secure || isLoopbackHost(hostname)) return undefined
  return new OidcHybridError(
    'CONFIG_INVALID',
    `plain http drops the Secure login cookies: serve over https; ${advice}`,
    { details: { hostname } },
  )
}
