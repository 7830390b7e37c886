/**
 * Serves a Hono app on Node the way Hono users do: `@hono/node-server`'s `serve({ fetch })`
 * (which streams the request body in and sends every Set-Cookie line as its own header).
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Hono } from 'hono'

export interface NodeServer {
  url: string
  /**
   * Serves `app` (the app needs the server's URL before it can be built), with `env` as its
   * bindings when given (`app.fetch(request, env)`, as a Worker is called).
   */
  // biome-ignore lint/suspicious/noExplicitAny: an app of any bindings
  use(app: Hono<any>, env?: object): void
  /** Errors that reached the app's onError (a library error is answered with its own status). */
  errors: unknown[]
  close(): Promise<void>
}

export async function serveHono(): Promise<NodeServer> {
  let fetch: ((request: Request, bindings: object) => Response | Promise<Response>) | undefined
  const errors: unknown[] = []
  const server = serve({
    fetch: (request, bindings) =>
      fetch?.(request, bindings) ?? new Response('no app yet', { status: 503 }),
    port: 0,
    hostname: '127.0.0.1',
  })
  if (!server.listening) await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://localhost:${port}`,
    use: (app, env) => {
      app.onError((error, c) => {
        errors.push(error)
        return c.text('Internal Server Error', 500)
      })
      // Without `env`, the node server's own bindings (`c.env.incoming`, `c.env.outgoing`).
      fetch = (request, bindings) => app.fetch(request, env ?? bindings)
    },
    errors,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
