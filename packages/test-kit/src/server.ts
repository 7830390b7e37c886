/** Servers on 127.0.0.1 for the specs, and the requests fetch cannot make. */
import { once } from 'node:events'
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'

export interface Listener {
  server: Server
  port: number
  /** `http://localhost:<port>`: a secure context for browsers, so `__Host-` cookies work. */
  url: string
}

/** `server` (a new one by default) listening on a free port of 127.0.0.1. */
export async function listen(server: Server = createServer()): Promise<Listener> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return { server, port, url: `http://localhost:${port}` }
}

/**
 * A fetch handler (`Request` in, `Response` out) as a node:http request listener, the way a Node
 * user without a framework runs one: the body streamed in, every Set-Cookie line kept, a thrown
 * error a bare 500.
 */
export function nodeHandler(
  handler: (request: Request) => Promise<Response>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const headers = new Headers()
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
    const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host}`), {
      method: req.method,
      headers,
      body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
      duplex: 'half',
    } as RequestInit)
    handler(request)
      .then(async (response) => {
        for (const [name, value] of response.headers) {
          if (name !== 'set-cookie') res.setHeader(name, value)
        }
        res.setHeader('set-cookie', response.headers.getSetCookie())
        res.writeHead(response.status)
        res.end(new Uint8Array(await response.arrayBuffer()))
      })
      .catch(() => {
        res.writeHead(500)
        res.end()
      })
  }
}

/** Serves the fetch handler `handler` on `server` (see {@link nodeHandler}). */
export function serveFetch(server: Server, handler: (request: Request) => Promise<Response>): void {
  server.on('request', nodeHandler(handler))
}

/** Stops `server`, ending its open (keep-alive) connections too. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/**
 * A port of 127.0.0.1 that was free a moment ago and where nothing listens now: for a URL that
 * must be known before its server starts, or for an issuer that cannot be reached.
 */
export async function freePort(): Promise<number> {
  const { server, port } = await listen()
  await closeServer(server)
  return port
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A GET with node:http, for headers fetch refuses to set (`Host` is a forbidden header name). */
export function rawGet(
  base: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  const { port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
