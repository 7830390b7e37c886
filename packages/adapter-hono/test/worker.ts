/**
 * The test app as a Cloudflare Worker (module syntax): a Hono app is its own default export
 * (`app.fetch(request, env, ctx)`). The configuration comes from `env` on every request; the
 * middleware keeps one engine per isolate for it, so discovery and the JWKS are fetched once per
 * isolate, not once per request.
 */
import { createTestApp } from './app.js'

export default createTestApp('bindings')
