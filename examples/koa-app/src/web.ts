/**
 * The demo web app: logs in with the Hybrid Flow (form_post), shows who you are, calls the API
 * with the access token, refreshes (also with a reduced scope), fetches userinfo, logs out.
 */
import Router from '@koa/router'
import {
  auth,
  backchannelLogout,
  checkProvider,
  MemorySessionStore,
  requireAuth,
  serverSessions,
} from '@oidc-hybrid/koa'
import Koa from 'koa'

export interface WebOptions {
  issuerBaseURL: string
  baseURL: string
  clientID: string
  clientSecret: string
  secret: string
  apiURL: string
  audience: string
  responseType?: string
  /**
   * Sessions on the server (a MemorySessionStore: the cookie holds only an id) and back-channel
   * logout: signing out at the provider ends the app session too.
   */
  serverSessions?: boolean
}

/** The narrower scope the demo asks a refresh for (OIDC Core 12.1). */
const REDUCED_SCOPE = 'openid offline_access read:messages'

const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:1rem;overflow:auto}button,a.button{margin:.25rem .5rem .25rem 0}
nav a{margin-right:1rem}</style></head><body><nav><a href="/">Home</a><a href="/profile">Profile</a></nav>
<h1>${escapeHtml(title)}</h1>${body}</body></html>`
}

/** Decodes a JWT payload for display only; the library already verified what matters. */
function peek(jwt: string | undefined): Record<string, unknown> | undefined {
  const payload = jwt?.split('.')[1]
  if (!payload) return undefined
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

/** The web app, and a check of its configuration against the provider (run it at startup). */
export function createWeb(options: WebOptions): Koa & { checkProvider(): Promise<void> } {
  const app = new Koa()
  const router = new Router()
  const middleware = auth({
    issuerBaseURL: options.issuerBaseURL,
    baseURL: options.baseURL,
    clientID: options.clientID,
    clientSecret: options.clientSecret,
    secret: options.secret,
    authorizationParams: {
      response_type: options.responseType ?? 'code id_token',
      scope: 'openid profile email offline_access read:messages write:messages',
      audience: options.audience,
    },
    ...(options.serverSessions
      ? {
          session: { store: serverSessions(new MemorySessionStore()) },
          backchannelLogout: backchannelLogout(),
        }
      : {}),
  })
  app.use(middleware)

  router.get('/', (ctx) => {
    ctx.type = 'html'
    ctx.body = ctx.oidc.isAuthenticated()
      ? page(
          `Welcome, ${ctx.oidc.user?.name ?? ctx.oidc.user?.sub}`,
          `<p>You are logged in. <a href="/profile">See your profile and tokens</a> · <a id="logout" href="/logout">Log out</a></p>`,
        )
      : page(
          'oidc-hybrid demo',
          `<p>You are not logged in.</p><p><a id="login" class="button" href="/login?returnTo=%2Fprofile">Log in</a></p>`,
        )
  })

  router.get('/profile', requireAuth(), (ctx) => {
    const token = ctx.oidc.accessToken!
    const access = peek(token.access_token)
    const message = typeof ctx.query.message === 'string' ? ctx.query.message : ''
    ctx.type = 'html'
    ctx.body = page(
      'Profile',
      `${message ? `<p id="message"><strong>${escapeHtml(message)}</strong></p>` : ''}
<h2>ID token claims</h2><pre id="claims">${escapeHtml(JSON.stringify(ctx.oidc.idTokenClaims, null, 2))}</pre>
<h2>Access token</h2><ul>
<li>audience: <code id="aud">${escapeHtml(access?.aud ?? '(opaque token)')}</code></li>
<li>scope: <code id="scope">${escapeHtml(token.scope ?? access?.scope ?? '')}</code></li>
<li>expires in: <code id="expires">${escapeHtml(token.expires_in ?? 'unknown')}</code> s</li>
<li>refresh token: <code>${ctx.oidc.refreshToken ? 'yes' : 'no'}</code></li></ul>
<form method="post" action="/call-api"><button id="call-api">Call the API</button></form>
<form method="post" action="/refresh"><button id="refresh">Refresh tokens</button></form>
<form method="post" action="/refresh?reduced=1"><button id="refresh-reduced">Get a token with scope "${REDUCED_SCOPE}"</button></form>
<form method="get" action="/userinfo"><button id="userinfo">Fetch userinfo</button></form>
<p><a id="logout" href="/logout">Log out</a></p>`,
    )
  })

  router.post('/call-api', requireAuth(), async (ctx) => {
    const response = await ctx.oidc.fetch(`${options.apiURL}/api/messages`)
    const text = await response.text()
    ctx.type = 'html'
    ctx.body = page(
      'API response',
      `<p>Status <code id="api-status">${response.status}</code></p><pre id="api-body">${escapeHtml(text)}</pre><p><a href="/profile">Back</a></p>`,
    )
  })

  router.post('/refresh', requireAuth(), async (ctx) => {
    if (!ctx.query.reduced) {
      const token = await ctx.oidc.getAccessToken({ refresh: 'force' })
      ctx.redirect(
        `/profile?message=${encodeURIComponent(`Refreshed; the session's access token now has scope "${token.scope ?? ''}"`)}`,
      )
      return
    }
    // A reduced-scope token is for this use only: the session keeps its own access token, its
    // refresh token (rotated, if the provider rotates) and the user's profile claims.
    const reduced = await ctx.oidc.getAccessToken({ refresh: 'force', scope: REDUCED_SCOPE })
    const session = ctx.oidc.accessToken!
    ctx.type = 'html'
    ctx.body = page(
      'Reduced-scope access token',
      `<p id="message"><strong>Got an access token for scope "${escapeHtml(reduced.scope ?? '')}", for this call only.</strong></p>
<h2>The reduced-scope token</h2><ul>
<li>scope: <code id="reduced-scope">${escapeHtml(reduced.scope ?? peek(reduced.access_token)?.scope ?? '')}</code></li>
<li>audience: <code id="reduced-aud">${escapeHtml(peek(reduced.access_token)?.aud ?? '(opaque token)')}</code></li>
<li>expires in: <code>${escapeHtml(reduced.expires_in ?? 'unknown')}</code> s</li></ul>
<h2>The session's access token (unchanged)</h2><ul>
<li>scope: <code id="scope">${escapeHtml(session.scope ?? peek(session.access_token)?.scope ?? '')}</code></li>
<li>expires in: <code>${escapeHtml(session.expires_in ?? 'unknown')}</code> s</li></ul>
<p>Still logged in as <span id="user-name">${escapeHtml(ctx.oidc.user?.name ?? ctx.oidc.user?.sub)}</span>. <a href="/profile">Back</a></p>`,
    )
  })

  router.get('/userinfo', requireAuth(), async (ctx) => {
    const claims = await ctx.oidc.fetchUserInfo()
    ctx.type = 'html'
    ctx.body = page(
      'Userinfo',
      `<pre id="userinfo-body">${escapeHtml(JSON.stringify(claims, null, 2))}</pre><p><a href="/profile">Back</a></p>`,
    )
  })

  app.use(router.routes())
  app.use(router.allowedMethods())
  return Object.assign(app, { checkProvider: () => checkProvider(middleware.engine) })
}
