/**
 * Serves a fetch handler with node:http, the way Node users without a framework do: the request
 * body is streamed in as a web ReadableStream (so the adapter's streaming size limit is what
 * stops an oversized body), and every Set-Cookie line goes out as its own header.
 */
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'

export interface NodeServer {
  url: string
  /** Sets the handler (the app needs the server's URL before it can be built). */
  use(handler: (request: Request) => Promise<Response>): void
  /** Errors the handler threw (each answered with a bare 500). */
  errors: unknown[]
  close(): Promise<void>
}

function toRequest(req: IncomingMessage, origin: string): Request {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD'
  return new Request(new URL(req.url ?? '/', origin), {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    duplex: 'half',
  } as RequestInit)
}

async function send(response: Response, res: ServerResponse): Promise<void> {
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value)
  }
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) res.setHeader('set-cookie', cookies)
  res.writeHead(response.status)
  res.end(new Uint8Array(await response.arrayBuffer()))
}

export async function serveNode(): Promise<NodeServer> {
  let handler: ((request: Request) => Promise<Response>) | undefined
  const errors: unknown[] = []
  const server = createServer((req, res) => {
    const origin = `http://${req.headers.host}`
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error('no handler yet')
        return handler(toRequest(req, origin))
      })
      .then((response) => send(response, res))
      .catch((error: unknown) => {
        errors.push(error)
        if (!res.headersSent) res.writeHead(500)
        res.end()
      })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://localhost:${port}`,
    use: (next) => {
      handler = next
    },
    errors,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
