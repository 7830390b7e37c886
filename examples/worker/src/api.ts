/**
 * The API the app calls, as its own Cloudflare Worker (`wrangler deploy -c wrangler.api.toml`):
 * `GET /api/messages` needs a bearer access token (an RFC 9068 JWT) for `AUDIENCE` granting
 * `read:messages`. It uses `requireBearer` alone, so its bundle has no login code.
 *
 * The check is created on the first request (the configuration is in `env`) and kept at module
 * scope: discovery and the provider's keys are then fetched once per isolate.
 */
import { type BearerGuard, requireBearer } from '@oidc-hybrid/fetch'

export interface ApiEnv {
  /** e.g. `https://YOUR_TENANT.auth0.com` */
  ISSUER_BASE_URL: string
  /** The API identifier (Auth0 `audience`) */
  AUDIENCE: string
}

let readMessages: BearerGuard | undefined

export default {
  async fetch(request: Request, env: ApiEnv): Promise<Response> {
    if (new URL(request.url).pathname !== '/api/messages') {
      return new Response('not found', { status: 404 })
    }
    readMessages ??= requireBearer(
      { issuerBaseURL: env.ISSUER_BASE_URL, audience: env.AUDIENCE },
      { scopes: ['read:messages'] },
    )
    // 400 / 401 / 403 with a WWW-Authenticate challenge (RFC 6750 3) when the token is refused.
    const bearer = await readMessages(request)
    if (bearer instanceof Response) return bearer
    return Response.json({
      for: bearer.claims.sub,
      messages: [{ id: 1, text: 'Hello from the API' }],
    })
  },
}
