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

function page(body: string, status = 200): Response {
  return new Response(
    `<!doctype html><html lang="en"><meta charset="utf-8"><title>oidc-hybrid worker</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:1rem;white-space:pre-wrap;word-break:break-all}
.did{background:#eef6ff;border:1px solid #b6d4fe;border-radius:6px;padding:.5rem 1rem}
nav{border-bottom:1px solid #ddd;padding-bottom:.5rem}h3{font-size:1rem;margin-bottom:0}</style>
<nav><a href="/">Home</a> · <a href="/profile">Profile</a> · <a href="/messages">Messages</a> · <a href="/logout">Log out</a></nav><main>${body}</main>`,
    { status, headers: { 'content-type': 'text/html; charset=utf-8' } },
  )
}

/** A JWT's header or claims for display only (the library verified what matters); Web APIs only. */
function decodePart(jwt: string | undefined, index: 0 | 1): unknown {
  const part = jwt?.split('.')[index]
  if (!part) return '(not a JWT)'
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'))
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))))
  } catch {
    return '(not a JWT)'
  }
}

/** Pretty JSON, with the times in claims (seconds since 1970) also shown as dates. */
const pretty = (value: unknown) =>
  escapeHtml(
    JSON.stringify(
      value,
      (key, v) =>
        ['iat', 'exp', 'nbf', 'auth_time'].includes(key) && typeof v === 'number'
          ? `${v} (${new Date(v * 1000).toISOString()})`
          : v,
      2,
    ),
  )

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
          `<h1>oidc-hybrid on Cloudflare Workers</h1>${
            name === undefined
              ? '<p>You are not logged in. <a id="login" href="/login">Log in</a></p>'
              : `<p id="hello">Hello ${escapeHtml(String(name))}. See your <a href="/profile">profile</a>, or call the API: <a href="/messages">messages</a>.</p>`
          }`,
        )
      }
      case '/profile': {
        const denied = await oidc.requireAuth()
        if (denied) return denied
        const token = oidc.accessToken!
        return page(`<h1>Profile</h1>
<p id="user">Logged in as <strong>${escapeHtml(String(oidc.user?.name ?? oidc.user?.sub))}</strong>${oidc.user?.email ? ` (${escapeHtml(String(oidc.user.email))})` : ''}.</p>
<p>Response type <code>code id_token</code>, <code>form_post</code>; the session is sealed in a cookie.</p>
<h2>Access token</h2><p>For <code>${escapeHtml(env.AUDIENCE)}</code>, scope <code id="scope">${escapeHtml(token.scope ?? '')}</code>, expires in <code id="expires-in">${token.expires_in ?? 'unknown'}</code> s</p>
<pre id="access-claims">${pretty(decodePart(token.access_token, 1))}</pre>
<h2>ID token</h2><h3>Header</h3><pre id="id-header">${pretty(decodePart(oidc.idToken, 0))}</pre>
<h3>Claims</h3><pre id="claims">${pretty(oidc.user)}</pre>`)
      }
      case '/messages': {
        const denied = await oidc.requireAuth()
        if (denied) return denied
        // The access token is refreshed first when it has expired.
        const response = await oidc.fetch(env.API_URL)
        let body = await response.text()
        try {
          body = JSON.stringify(JSON.parse(body), null, 2)
        } catch {
          // not JSON: shown as it came
        }
        return page(
          `<h1>Messages</h1><div class="did" id="did">GET ${escapeHtml(env.API_URL)} with <code>Authorization: Bearer</code> and the session's access token: status <code id="api-status">${response.status}</code></div>
<pre id="api-body">${escapeHtml(body)}</pre>`,
          response.status === 200 ? 200 : 502,
        )
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
