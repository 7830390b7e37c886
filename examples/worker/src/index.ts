/**
 * A Cloudflare Worker that logs users in with the OpenID Connect Hybrid Flow (form_post), shows
 * their profile and calls an API with their access token. The API is its own Worker
 * (`src/api.ts`), so this one bundles the login side only, and the API the bearer check only.
 *
 * The configuration comes from `env` (wrangler.toml `[vars]` and `wrangler secret put`), so the
 * app is created on the first request and kept at module scope: discovery and the JWKS are then
 * cached for the isolate's life instead of fetched on every request.
 */
import { createAuth } from '@oidc-hybrid/fetch'

export interface Env {
  /** e.g. `https://YOUR_TENANT.auth0.com` */
  ISSUER_BASE_URL: string
  /** Where this Worker is served, e.g. `https://auth-demo.example.workers.dev` */
  BASE_URL: string
  CLIENT_ID: string
  /** A secret: `wrangler secret put CLIENT_SECRET` */
  CLIENT_SECRET: string
  /** A secret of at least 32 characters sealing the cookies: `wrangler secret put COOKIE_SECRET` */
  COOKIE_SECRET: string
  /** The API identifier (Auth0 `audience`) */
  AUDIENCE: string
  /** The API to call with the user's access token: the `src/api.ts` Worker, or your API. */
  API_URL: string
}

type Handler = (request: Request) => Promise<Response>

let app: Handler | undefined

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(body: string): Response {
  return new Response(
    `<!doctype html><meta charset="utf-8"><title>oidc-hybrid worker</title>${body}`,
    { headers: { 'content-type': 'text/html; charset=utf-8' } },
  )
}

function createApp(env: Env): Handler {
  const auth = createAuth({
    issuerBaseURL: env.ISSUER_BASE_URL,
    baseURL: env.BASE_URL,
    clientID: env.CLIENT_ID,
    clientSecret: env.CLIENT_SECRET,
    secret: env.COOKIE_SECRET,
    authorizationParams: {
      response_type: 'code id_token',
      scope: 'openid profile email offline_access read:messages',
      audience: env.AUDIENCE,
    },
  })

  // wrap(): answers /login, /callback and /logout, hands every other request over with its
  // session, renders library errors, and sends the cookies a refresh produced.
  return auth.wrap(async (request, oidc) => {
    const { pathname } = new URL(request.url)
    switch (pathname) {
      case '/': {
        const name = oidc.user?.name ?? oidc.user?.sub
        return page(
          name === undefined
            ? '<p><a href="/login">Log in</a></p>'
            : `<p>Hello ${escapeHtml(String(name))}.</p><p><a href="/profile">Profile</a> · <a href="/messages">Messages</a> · <a href="/logout">Log out</a></p>`,
        )
      }
      case '/profile': {
        const denied = await oidc.requireAuth()
        return denied ?? Response.json(oidc.user)
      }
      case '/messages': {
        const denied = await oidc.requireAuth()
        if (denied) return denied
        // The access token is refreshed first when it has expired.
        const response = await oidc.fetch(env.API_URL)
        return new Response(response.body, {
          status: response.status,
          headers: { 'content-type': 'application/json' },
        })
      }
      default:
        return new Response('not found', { status: 404 })
    }
  })
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    app ??= createApp(env)
    return app(request)
  },
}
