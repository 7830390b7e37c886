/**
 * The test app as a Cloudflare Worker (module syntax). The configuration comes from `env`, so the
 * app is built on the first request and kept for the isolate's life: discovery and the JWKS are
 * then fetched once per isolate, not once per request.
 */
import { createTestApp, type TestEnv } from './app.js'

let app: ((request: Request) => Promise<Response>) | undefined

export default {
  fetch(request: Request, env: TestEnv): Promise<Response> {
    app ??= createTestApp(env)
    return app(request)
  },
}
