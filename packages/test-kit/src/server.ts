/** Servers on 127.0.0.1 for the specs, and the requests fetch cannot make. */
import { once } from 'node:events'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

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
