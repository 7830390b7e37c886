// The few Deno globals deno.md uses, so its snippets type-check against the Web APIs (lib DOM)
// and @oidc-hybrid/fetch only, without a Deno type package. Shapes as in Deno 2's `Deno`
// namespace (lib.deno.ns.d.ts), reduced to what the page calls.
declare namespace Deno {
  interface Env {
    get(key: string): string | undefined
  }
  const env: Env

  interface ServeHandlerInfo {
    remoteAddr: { transport: 'tcp' | 'udp'; hostname: string; port: number }
    completed: Promise<void>
  }
  type ServeHandler = (request: Request, info: ServeHandlerInfo) => Response | Promise<Response>
  interface ServeOptions {
    port?: number
    hostname?: string
    signal?: AbortSignal
    onListen?: (localAddr: { hostname: string; port: number }) => void
  }
  interface HttpServer {
    finished: Promise<void>
    shutdown(): Promise<void>
  }
  function serve(handler: ServeHandler): HttpServer
  function serve(options: ServeOptions, handler: ServeHandler): HttpServer
}
