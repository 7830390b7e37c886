/**
 * A Cloudflare Worker that logs users in with the OpenID Connect Hybrid Flow (form_post), shows
 * their profile and calls an API with their access token. It also shows what that API looks like
 * on the other side: `/api/messages`, protected with a bearer check (deploy it as its own Worker,
 * or point `API_URL` at the API you have).
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
  /**
   * The API to call with the user's access token. On Cloudflare a subrequest to the Worker's own
   * zone does not run the Worker again, so in production this is another Worker or your API.
   */
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
  const readMessages = auth.requireBearer({ audience: env.AUDIENCE, scopes: ['read:messages'] })

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
      case '/api/messages': {
        const bearer = await readMessages(request)
        if (bearer instanceof Response) return bearer
        return Response.json({
          for: bearer.claims.sub,
          messages: [{ id: 1, text: 'Hello from the API' }],
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
