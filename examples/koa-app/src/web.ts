/**
 * The demo web app: logs in with the Hybrid Flow (form_post), shows who you are, calls the API
 * with the access token, refreshes (also with a reduced scope), fetches userinfo, logs out; with
 * `dpop`, every token is DPoP-bound to a key of the login and every use of it carries a proof.
 */
import { createHash } from 'node:crypto'
import Router from '@koa/router'
import {
  type AuthEvent,
  auth,
  backchannelLogout,
  checkProvider,
  dpop,
  events,
  MemorySessionStore,
  requireAuth,
  type SessionStore,
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
  /**
   * Sessions in this store instead (with back-channel logout), e.g. Redis shared by several
   * instances of the app; `sessionMode` says where, for the profile page.
   */
  store?: SessionStore
  sessionMode?: string
  /** Which instance of the app this is (the profile page says so), when there are several. */
  instance?: string
  /** Told of each login, callback, refresh and logout (`events()`: no tokens in them). */
  onEvent?: (event: AuthEvent) => void
  /** DPoP-bound tokens (RFC 9449): `extensions: [dpop()]`. */
  dpop?: boolean
}

/** The narrower scope the demo asks a refresh for (OIDC Core 12.1). */
const REDUCED_SCOPE = 'openid offline_access read:messages'

const escapeHtml = (value: unknown) =>
  String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:1rem;white-space:pre-wrap;word-break:break-all}
button,a.button{margin:.25rem .5rem .25rem 0}nav a{margin-right:1rem}
.panel{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.did{background:#eef6ff;border-color:#b6d4fe}.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
dt{font-weight:600}dd{margin:0 0 .5rem}</style></head><body><nav><a href="/">Home</a><a href="/profile">Profile</a></nav>
<h1>${escapeHtml(title)}</h1>${body}</body></html>`
}

/** A JWT's header and payload for display only; the library already verified what matters. */
function decode(jwt: string | undefined): {
  header?: Record<string, unknown>
  payload?: Record<string, unknown>
} {
  const [header, payload] = (jwt ?? '').split('.')
  const part = (text: string | undefined) => {
    try {
      return text ? JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) : undefined
    } catch {
      return undefined
    }
  }
  return { header: part(header), payload: part(payload) }
}

/** `iat`, `exp`, `auth_time` as dates beside their numbers. */
function withDates(claims: unknown): string {
  return JSON.stringify(
    claims,
    (key, value) =>
      /^(iat|exp|nbf|auth_time)$/.test(key) && typeof value === 'number'
        ? `${value} (${new Date(value * 1000).toISOString()})`
        : value,
    2,
  )
}

/**
 * The RFC 7638 thumbprint of a JWK's public key: the required members in lexicographic order,
 * SHA-256, base64url. What `dpop_jkt` and an access token's `cnf.jkt` carry. Computed here, apart
 * from the library, so the page checks the binding independently.
 */
function thumbprint({ kty, crv, x, y }: JsonWebKey): string {
  const members = kty === 'EC' ? { crv, kty, x, y } : { crv, kty, x }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

/** The session's DPoP key for display: its algorithm and thumbprint. */
function dpopKey(key: JsonWebKey | undefined): { alg: string; jkt: string } | undefined {
  if (!key) return undefined
  return {
    alg: key.kty === 'OKP' ? `EdDSA (${key.crv})` : `ES256 (${key.crv})`,
    jkt: thumbprint(key),
  }
}

/** A token's `cnf.jkt` beside the session key's thumbprint: whether they are the same. */
function jktMatch(claims: Record<string, unknown> | undefined, jkt: string, id: string): string {
  const cnf = (claims?.cnf as { jkt?: unknown } | undefined)?.jkt
  return `<code id="${id}-cnf-jkt">${escapeHtml(cnf ?? '(none)')}</code>: <strong id="${id}-jkt-match">${
    cnf === jkt ? "matches the session's key" : "does NOT match the session's key"
  }</strong>`
}

/** How a request with the session's token went: as DPoP with a proof, or as Bearer. */
function presented(tokenType: string): string {
  return tokenType === 'DPoP'
    ? "with <code>Authorization: DPoP</code>, the session's access token, and a <code>DPoP</code> proof header signed by the session's key (<code>htm</code>, <code>htu</code>, a new <code>jti</code>, <code>iat</code>, <code>ath</code> = the token's SHA-256)"
    : "with <code>Authorization: Bearer</code> and the session's access token"
}

/** What the button the user pressed did: the request that went out and what came back. */
function didPanel(what: string, detail: string): string {
  return `<div class="panel did" id="did"><strong>${escapeHtml(what)}</strong><br>${detail}</div>`
}

/** The web app, and a check of its configuration against the provider (run it at startup). */
export function createWeb(options: WebOptions): Koa & { checkProvider(): Promise<void> } {
  const app = new Koa()
  const router = new Router()
  const responseType = options.responseType ?? 'code id_token'
  const middleware = auth({
    issuerBaseURL: options.issuerBaseURL,
    baseURL: options.baseURL,
    clientID: options.clientID,
    clientSecret: options.clientSecret,
    secret: options.secret,
    authorizationParams: {
      response_type: responseType,
      scope: 'openid profile email offline_access read:messages write:messages',
      audience: options.audience,
    },
    extensions: [
      ...(options.onEvent ? [events({ onEvent: options.onEvent })] : []),
      ...(options.dpop ? [dpop()] : []),
    ],
    ...(options.serverSessions || options.store
      ? {
          session: { store: serverSessions(options.store ?? new MemorySessionStore()) },
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
    const access = decode(token.access_token)
    const id = decode(ctx.oidc.idToken)
    const accessClaims = access.payload
    const message = typeof ctx.query.message === 'string' ? ctx.query.message : ''
    const scopes = (token.scope ?? String(accessClaims?.scope ?? '')).split(' ').filter(Boolean)
    const key = dpopKey(ctx.oidc.session?.dpop)
    ctx.type = 'html'
    ctx.body = page(
      'Profile',
      `${message ? didPanel(message, '') : ''}
<div class="panel"><dl>
<dt>Response type</dt><dd><code id="response-type">${escapeHtml(responseType)}</code>, <code>form_post</code></dd>
<dt>Session</dt><dd id="session-mode">${escapeHtml(options.sessionMode ?? (options.serverSessions ? 'on the server (a MemorySessionStore; the cookie holds only an id), with back-channel logout' : 'in a sealed cookie (AES-256-GCM)'))}</dd>
${options.instance ? `<dt>Served by</dt><dd id="instance">${escapeHtml(options.instance)}</dd>` : ''}
<dt>Provider</dt><dd><code>${escapeHtml(options.issuerBaseURL)}</code></dd></dl></div>
<h2>Access token (from the token endpoint)</h2><div class="panel"><dl>
<dt>Audience</dt><dd><code id="aud">${escapeHtml(accessClaims ? [accessClaims.aud].flat().join(', ') : '(opaque token)')}</code></dd>
<dt>Scopes</dt><dd id="scope">${scopes.map((scope) => `<code>${escapeHtml(scope)}</code>`).join(' ')}</dd>
<dt>Expires in</dt><dd><code id="expires" data-expires-at="${token.expires_in === undefined ? '' : Date.now() + token.expires_in * 1000}">${escapeHtml(token.expires_in ?? 'unknown')}</code> s</dd>
<dt>Refresh token</dt><dd>${ctx.oidc.refreshToken ? 'yes (offline_access)' : 'no'}</dd>
<dt>Token type</dt><dd><code id="token-type">${escapeHtml(token.token_type)}</code>${
        token.token_type === 'DPoP'
          ? " (RFC 9449): sender-constrained, usable only with a proof signed by the session's key"
          : ' (whoever holds it can use it; <code>DPOP=1</code> binds it to a key)'
      }</dd>
${
  key
    ? `<dt>DPoP key</dt><dd>${escapeHtml(key.alg)}, generated for this login and kept with the session; thumbprint (RFC 7638, sent as <code>dpop_jkt</code>) <code id="jkt">${escapeHtml(key.jkt)}</code></dd>
<dt>Bound to it</dt><dd>the access token's <code>cnf.jkt</code> ${jktMatch(accessClaims, key.jkt, 'access')}</dd>`
    : ''
}</dl>
<div class="cols"><div><h3>Header</h3><pre id="access-header">${escapeHtml(withDates(access.header ?? '(not a JWT)'))}</pre></div>
<div><h3>Claims</h3><pre id="access-claims">${escapeHtml(withDates(accessClaims ?? '(not a JWT)'))}</pre></div></div></div>
<h2>ID token</h2><div class="panel"><div class="cols">
<div><h3>Header</h3><pre id="id-header">${escapeHtml(withDates(id.header ?? '(none kept)'))}</pre></div>
<div><h3>Claims</h3><pre id="claims">${escapeHtml(JSON.stringify(ctx.oidc.idTokenClaims, null, 2))}</pre></div></div></div>
<form method="post" action="/call-api"><button id="call-api">Call the API</button></form>
<form method="post" action="/refresh"><button id="refresh">Refresh tokens</button></form>
<form method="post" action="/refresh?reduced=1"><button id="refresh-reduced">Get a token with scope "${REDUCED_SCOPE}"</button></form>
<form method="get" action="/userinfo"><button id="userinfo">Fetch userinfo</button></form>
<p><a id="logout" href="/logout">Log out</a></p>
<script>
// The access token's expiry, counting down.
const expires = document.getElementById('expires')
const at = Number(expires.dataset.expiresAt)
if (at) setInterval(() => { expires.textContent = String(Math.max(0, Math.round((at - Date.now()) / 1000))) }, 1000)
</script>`,
    )
  })

  router.post('/call-api', requireAuth(), async (ctx) => {
    const url = `${options.apiURL}/api/messages`
    const response = await ctx.oidc.fetch(url)
    const text = await response.text()
    const tokenType = ctx.oidc.accessToken!.token_type
    const key = dpopKey(ctx.oidc.session?.dpop)
    // What the API says it saw: the scheme, and for DPoP the thumbprint of the proof's key.
    let seen: { scheme?: string; jkt?: string } = {}
    try {
      seen = JSON.parse(text)
    } catch {}
    ctx.type = 'html'
    ctx.body = page(
      'API response',
      `${didPanel(`GET ${url}`, `${presented(tokenType)}, from the token endpoint (refreshed first if it had expired); the API verified it (RFC 9068) and its scope${tokenType === 'DPoP' ? ", and requires DPoP: it checked the proof (one use, this method and URL, this token) and that the token's <code>cnf.jkt</code> is the proof's key" : ''}`)}
<p>Status <code id="api-status">${response.status}</code>${
        seen.scheme
          ? `; the API accepted a <code id="api-scheme">${escapeHtml(seen.scheme)}</code> token${
              seen.jkt
                ? ` proved with the key <code id="api-jkt">${escapeHtml(seen.jkt)}</code>: <strong id="api-jkt-match">${seen.jkt === key?.jkt ? "the session's key" : "NOT the session's key"}</strong>`
                : ''
            }`
          : ''
      }</p><pre id="api-body">${escapeHtml(text)}</pre><p><a href="/profile">Back</a></p>`,
    )
  })

  router.post('/refresh', requireAuth(), async (ctx) => {
    if (!ctx.query.reduced) {
      const token = await ctx.oidc.getAccessToken({ refresh: 'force' })
      const bound =
        token.token_type === 'DPoP'
          ? " with a DPoP proof signed by the session's key; the new access token is DPoP-bound again (token_type DPoP, its cnf.jkt below)"
          : ''
      ctx.redirect(
        `/profile?message=${encodeURIComponent(`POST to the token endpoint (grant_type=refresh_token)${bound}: the session's access token now has scope "${token.scope ?? ''}"`)}`,
      )
      return
    }
    // A reduced-scope token is for this use only: the session keeps its own access token, its
    // refresh token (rotated, if the provider rotates) and the user's profile claims.
    const reduced = await ctx.oidc.getAccessToken({ refresh: 'force', scope: REDUCED_SCOPE })
    const session = ctx.oidc.accessToken!
    const reducedClaims = decode(reduced.access_token).payload
    const key = dpopKey(ctx.oidc.session?.dpop)
    ctx.type = 'html'
    ctx.body = page(
      'Reduced-scope access token',
      `<p id="message"><strong>Got an access token for scope "${escapeHtml(reduced.scope ?? '')}", for this call only.</strong></p>
${didPanel('POST to the token endpoint', `<code>grant_type=refresh_token</code> with <code>scope=${escapeHtml(REDUCED_SCOPE)}</code> (OIDC Core 12.1)${key ? " and a <code>DPoP</code> proof signed by the session's key" : ''}`)}
<h2>The reduced-scope token</h2><ul>
<li>scope: <code id="reduced-scope">${escapeHtml(reduced.scope ?? reducedClaims?.scope ?? '')}</code></li>
<li>audience: <code id="reduced-aud">${escapeHtml(reducedClaims?.aud ?? '(opaque token)')}</code></li>
<li>expires in: <code>${escapeHtml(reduced.expires_in ?? 'unknown')}</code> s</li>
<li>token type: <code id="reduced-token-type">${escapeHtml(reduced.token_type)}</code></li>
${key ? `<li><code>cnf.jkt</code>: ${jktMatch(reducedClaims, key.jkt, 'reduced')}</li>` : ''}</ul>
<h2>The session's access token (unchanged)</h2><ul>
<li>scope: <code id="scope">${escapeHtml(session.scope ?? decode(session.access_token).payload?.scope ?? '')}</code></li>
<li>expires in: <code>${escapeHtml(session.expires_in ?? 'unknown')}</code> s</li></ul>
<p>Still logged in as <span id="user-name">${escapeHtml(ctx.oidc.user?.name ?? ctx.oidc.user?.sub)}</span>. <a href="/profile">Back</a></p>`,
    )
  })

  router.get('/userinfo', requireAuth(), async (ctx) => {
    const tokenType = ctx.oidc.accessToken!.token_type
    const claims = await ctx.oidc.fetchUserInfo()
    ctx.type = 'html'
    ctx.body = page(
      'Userinfo',
      `${didPanel('GET the userinfo endpoint', `${presented(tokenType)}; its <code>sub</code> was checked against the ID token's (OIDC Core 5.3.2)`)}
<pre id="userinfo-body">${escapeHtml(JSON.stringify(claims, null, 2))}</pre><p><a href="/profile">Back</a></p>`,
    )
  })

  app.use(router.routes())
  app.use(router.allowedMethods())
  return Object.assign(app, { checkProvider: () => checkProvider(middleware.engine) })
}
