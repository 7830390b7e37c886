/**
 * The only place that performs network I/O: the injected `fetch`, with a timeout covering headers
 * and body, and a cap on the body size. Everything it returns is plain data for the protocol.
 */
import { OidcHybridError } from '../errors.js'
import type { HttpResponseData } from '../protocol/types.js'

export interface HttpOptions {
  fetch: typeof fetch
  /** Milliseconds for the whole exchange, body included. */
  timeout: number
  /** Bytes; larger bodies are refused. */
  maxBodyBytes: number
}

export async function send(request: Request, options: HttpOptions): Promise<HttpResponseData> {
  // A timer cleared in `finally`, not AbortSignal.timeout(): those stay alive for the whole
  // timeout, which under load holds memory for requests long finished.
  const controller = new AbortController()
  const signal = controller.signal
  const timer = setTimeout(() => controller.abort(), options.timeout)
  const target = new URL(request.url)
  const where = `${target.origin}${target.pathname}`
  try {
    const response = await options.fetch(request, { signal, redirect: 'manual' })
    const body = await readLimited(response, options.maxBodyBytes, where)
    return { status: response.status, headers: response.headers, body }
  } catch (error) {
    if (error instanceof OidcHybridError) throw error
    if (signal.aborted) {
      throw new OidcHybridError(
        'HTTP_TIMEOUT',
        `${request.method} ${where} did not answer within ${options.timeout} ms: is the identity provider reachable from this server?`,
        { cause: error, details: { url: where, timeout: options.timeout } },
      )
    }
    throw new OidcHybridError(
      'HTTP_REQUEST_FAILED',
      `${request.method} ${where} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { url: where } },
    )
  } finally {
    clearTimeout(timer)
  }
}

async function readLimited(response: Response, limit: number, where: string): Promise<string> {
  const tooLarge = () =>
    new OidcHybridError(
      'HTTP_RESPONSE_TOO_LARGE',
      `the response from ${where} is larger than ${limit} bytes and was not read`,
      { details: { url: where, limit } },
    )
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel()
    throw tooLarge()
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}
