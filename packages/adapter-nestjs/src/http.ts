/**
 * The one place that knows the request and response shapes of both platforms: Express's
 * request/response (Node's IncomingMessage/ServerResponse underneath), Fastify's request/reply,
 * and the raw Node objects a middleware receives on Fastify. Everything else in the adapter
 * speaks the engine's `AuthRequest` and the few writers below; no `res.setHeader` elsewhere.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { AuthRequest, AuthResponse, OidcHybridError } from '@oidc-hybrid/core'
import { plainHttpProblem, renderError } from '@oidc-hybrid/core/adapter'

/** A request on either platform: Express's, Fastify's, or the raw Node one. */
export interface PlatformRequest {
  method?: string
  url?: string
  /** Express and Fastify keep the URL as received here (a mounted middleware's `url` is cut). */
  originalUrl?: string
  headers: IncomingHttpHeaders
  /** Express and Fastify: `http` or `https`, from `X-Forwarded-Proto` when the proxy is trusted. */
  protocol?: string
  /** Express 5 and Fastify 5: the host with its port, from `X-Forwarded-Host` when trusted. */
  host?: string
  /** Fastify: the Node request underneath. */
  raw?: IncomingMessage
  socket?: { encrypted?: boolean } | null
}

/** Node's response, which Express's response extends and Fastify middleware receives. */
export type NodeResponse = Pick<
  ServerResponse,
  'statusCode' | 'setHeader' | 'getHeader' | 'end' | 'headersSent'
>

/** The parts of Fastify's reply the adapter uses. */
export interface FastifyReplyLike {
  raw: object
  sent: boolean
  code(statusCode: number): unknown
  header(name: string, value: string): unknown
  send(payload?: string): unknown
}

/** A response on either platform. */
export type PlatformResponse = NodeResponse | FastifyReplyLike

function isFastifyReply(response: PlatformResponse): response is FastifyReplyLike {
  const candidate = response as Partial<FastifyReplyLike>
  return typeof candidate.code === 'function' && typeof candidate.raw === 'object'
}

/** A request header as one string (Node joins repeated ones, except a few we never read). */
export function headerOf(request: PlatformRequest, name: string): string | null {
  const value = request.headers[name.toLowerCase()]
  if (value === undefined) return null
  return Array.isArray(value) ? value.join(', ') : value
}

/** The request target as received: path and query. */
export function targetOf(request: PlatformRequest): string {
  return request.originalUrl || request.url || '/'
}

/** The path of the request target, without query or fragment. */
export function pathOf(request: PlatformRequest): string {
  const target = targetOf(request)
  const end = target.search(/[?#]/)
  return end === -1 ? target : target.slice(0, end)
}

/**
 * The request as the engine reads it. The URL is absolute, built from the protocol and host the
 * platform determined (its proxy settings decide whether `X-Forwarded-*` count); a missing or
 * unusable Host falls back to `baseURL`'s, as the engine only reads the path and query.
 */
export function toAuthRequest(request: PlatformRequest, baseURL: URL, body?: string): AuthRequest {
  const protocol =
    typeof request.protocol === 'string' && /^https?$/.test(request.protocol)
      ? request.protocol
      : request.socket?.encrypted
        ? 'https'
        : 'http'
  const host = (typeof request.host === 'string' && request.host) || headerOf(request, 'host')
  const origin = host && URL.canParse(`${protocol}://${host}`) ? `${protocol}://${host}` : null
  let url: URL
  try {
    url = new URL(targetOf(request), origin ?? baseURL.origin)
  } catch {
    url = new URL('/', baseURL)
  }
  return {
    method: request.method ?? 'GET',
    url: url.href,
    headers: { get: (name) => headerOf(request, name) },
    body,
  }
}

/**
 * The core's plain-http refusal for a request URL the platform built (it says https only when it
 * trusts the proxy's X-Forwarded-Proto).
 */
export function plainHttpRefusal(url: string): OidcHybridError | undefined {
  const { protocol, hostname } = new URL(url)
  return plainHttpProblem(
    protocol === 'https:',
    hostname,
    "behind a TLS-terminating proxy make the platform trust it (Express: app.set('trust proxy', 1); Fastify: new FastifyAdapter({ trustProxy: true }))",
  )
}

/** True once the response's head has gone out; nothing can be added to it then. */
export function isSent(response: PlatformResponse): boolean {
  return isFastifyReply(response) ? response.sent : response.headersSent
}

export function setHeader(response: PlatformResponse, name: string, value: string): void {
  if (isFastifyReply(response)) response.header(name, value)
  else response.setHeader(name, value)
}

/** Appends Set-Cookie lines, keeping the ones already set (each cookie is its own header). */
export function appendSetCookies(response: PlatformResponse, lines: readonly string[]): void {
  if (lines.length === 0 || isSent(response)) return
  // Fastify's reply collects repeated set-cookie headers into a list.
  if (isFastifyReply(response)) {
    for (const line of lines) response.header('set-cookie', line)
    return
  }
  const prior = response.getHeader('set-cookie')
  const kept = prior === undefined ? [] : Array.isArray(prior) ? prior : [String(prior)]
  response.setHeader('set-cookie', [...kept, ...lines])
}

/** Sends the status and body; headers set before are kept. */
export function send(
  response: PlatformResponse,
  status: number,
  body = '',
  contentType?: string,
): void {
  if (contentType !== undefined) setHeader(response, 'content-type', contentType)
  if (isFastifyReply(response)) {
    response.code(status)
    response.send(body)
    return
  }
  response.statusCode = status
  response.end(body)
}

/** Answers with a library error: the status from the core's table, an HTML page or JSON. */
export function sendError(
  response: PlatformResponse,
  error: unknown,
  accept: string | null,
  status?: number,
): void {
  const page = renderError(error, accept, status)
  setHeader(response, 'cache-control', 'no-store')
  send(response, page.status, page.body, page.contentType)
}

/** Copies an engine answer's headers (every Set-Cookie line kept) onto the response. */
export function applyHeaders(response: PlatformResponse, answer: AuthResponse): void {
  for (const [name, value] of answer.headers) {
    if (name !== 'set-cookie') setHeader(response, name, value)
  }
  appendSetCookies(response, answer.headers.getSetCookie())
}

/** Writes an engine answer: its headers, then its status and body or its rendered error. */
export function writeAuthResponse(
  response: PlatformResponse,
  answer: AuthResponse,
  accept: string | null,
): void {
  applyHeaders(response, answer)
  if (answer.error) sendError(response, answer.error, accept, answer.status)
  else send(response, answer.status, answer.body)
}
