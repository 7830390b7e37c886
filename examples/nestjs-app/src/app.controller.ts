/**
 * The demo web app's pages: who you are, how you logged in, both tokens decoded, and buttons that
 * call the API with the access token, refresh (or get a reduced-scope token) and fetch userinfo,
 * each answered with what was called and what came back. Every route needs a login (the global
 * HybridAuthGuard) except the home page, marked @Public().
 */
import { Controller, Get, Header, HttpCode, Inject, Post, Query, Redirect } from '@nestjs/common'
import {
  AccessToken,
  AuthSession,
  HybridAuthService,
  type IdTokenClaims,
  Oidc,
  type OidcContext,
  Public,
  type Session,
  User,
} from '@oidc-hybrid/nestjs'
import { decodedToken, decodeJwt, didPanel, escapeHtml, page } from './page.js'

/** What the pages need besides the login configuration. */
export interface WebSettings {
  apiURL: string
  issuerBaseURL: string
  responseType: string
  /** Where sessions live, for the profile page. */
  sessionMode: string
  /** The Nest platform serving the app. */
  platform: 'express' | 'fastify'
}
export const WEB_SETTINGS = Symbol('WEB_SETTINGS')

/** The narrower scope the reduced refresh asks for (OIDC Core 12.1). */
export const REDUCED_SCOPE = 'openid offline_access read:messages'

const HTML = 'text/html; charset=utf-8'

const scopeList = (scope: string | undefined) =>
  (scope ?? '')
    .split(' ')
    .filter(Boolean)
    .map((item) => `<code>${escapeHtml(item)}</code>`)
    .join(' ')

const back = '<p><a href="/profile">Back to the profile</a></p>'

@Controller()
export class AppController {
  // Explicit @Inject(): tsx (esbuild) does not emit decorator metadata.
  constructor(
    @Inject(WEB_SETTINGS) private readonly settings: WebSettings,
    @Inject(HybridAuthService) private readonly auth: HybridAuthService,
  ) {}

  /** The provider's endpoints, from its discovery document (cached by the engine). */
  private endpoints() {
    return this.auth.engine.provider.metadata()
  }

  @Public()
  @Get()
  @Header('content-type', HTML)
  home(@User() user: IdTokenClaims | undefined): string {
    return user
      ? page(
          `Welcome, ${user.name ?? user.sub}`,
          `<p>You are logged in. <a href="/profile">See your profile and tokens</a> · <a id="logout" href="/logout">Log out</a></p>`,
        )
      : page(
          'oidc-hybrid NestJS demo',
          `<p>You are not logged in.</p><p><a id="login" class="button" href="/login?returnTo=%2Fprofile">Log in</a></p>`,
        )
  }

  @Get('profile')
  @Header('content-type', HTML)
  async profile(
    @AuthSession() session: Session,
    @User() user: IdTokenClaims,
    @Query('did') did?: string,
  ): Promise<string> {
    const { settings } = this
    const access = decodeJwt(session.accessToken).payload
    const expiresIn =
      session.expiresAt === undefined
        ? undefined
        : Math.max(0, session.expiresAt - Math.floor(Date.now() / 1000))
    // After the full refresh (POST /refresh, redirected here): what it called; what came back is
    // the session below.
    const refreshed =
      did === 'refresh'
        ? didPanel(
            `POST ${(await this.endpoints()).token_endpoint}`,
            `<code>grant_type=refresh_token</code> with the session's refresh token (OIDC Core 12). Back came a new access token (below, scope ${scopeList(session.scope)}) and whatever new ID token and refresh token the provider sent (a rotated refresh token replaces the used one); the session keeps them.`,
          )
        : ''
    return page(
      'Profile',
      `${refreshed}
<div class="panel"><dl>
<dt>User</dt><dd><span id="user-name">${escapeHtml(user.name ?? user.sub)}</span> (<code>${escapeHtml(user.email ?? user.sub)}</code>)</dd>
<dt>Response type</dt><dd><code id="response-type">${escapeHtml(settings.responseType)}</code> with <code>response_mode=form_post</code></dd>
<dt>Session</dt><dd id="session-mode">${escapeHtml(settings.sessionMode)}</dd>
<dt>Served by</dt><dd id="platform">NestJS on ${escapeHtml(settings.platform === 'fastify' ? 'Fastify' : 'Express')}</dd>
<dt>Provider</dt><dd><code>${escapeHtml(settings.issuerBaseURL)}</code></dd></dl>
<div id="actions"><form method="post" action="/call-api"><button id="call-api">Call the API</button></form>
<form method="post" action="/refresh"><button id="refresh">Refresh tokens</button></form>
<form method="post" action="/refresh-reduced"><button id="refresh-reduced">Get a token with scope "${REDUCED_SCOPE}"</button></form>
<form method="get" action="/userinfo"><button id="userinfo">Fetch userinfo</button></form>
<a id="logout" class="button" href="/logout">Log out</a></div></div>
<h2>Access token (from the token endpoint)</h2><div class="panel"><dl>
<dt>Audience</dt><dd><code id="aud">${escapeHtml(access ? [access.aud].flat().join(', ') : '(opaque token)')}</code></dd>
<dt>Scopes</dt><dd id="scope">${scopeList(session.scope ?? String(access?.scope ?? ''))}</dd>
<dt>Expires in</dt><dd><code id="expires" data-expires-in="${expiresIn ?? ''}">${escapeHtml(expiresIn ?? 'unknown')}</code> s</dd>
<dt>Refresh token</dt><dd id="refresh-token">${session.refreshToken ? 'yes (offline_access)' : 'no'}</dd></dl>
${decodedToken('access', session.accessToken, '(not a JWT)')}</div>
<h2>ID token</h2><div class="panel">
${decodedToken('id', session.idToken, '(none kept)')}</div>
<script>
// The access token's expiry, counting down from when the page loaded.
const expires = document.getElementById('expires')
const seconds = expires.dataset.expiresIn === '' ? NaN : Number(expires.dataset.expiresIn)
const loaded = Date.now()
if (!Number.isNaN(seconds)) setInterval(() => { expires.textContent = String(Math.max(0, seconds - Math.round((Date.now() - loaded) / 1000))) }, 1000)
</script>`,
    )
  }

  // A page, not a created resource: 200 rather than Nest's 201 for a POST.
  @Post('call-api')
  @HttpCode(200)
  @Header('content-type', HTML)
  async callApi(@AccessToken() accessToken: string): Promise<string> {
    // @AccessToken() refreshed the token first if it had expired (the new cookie goes out).
    const url = `${this.settings.apiURL}/api/messages`
    const response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } })
    const text = await response.text()
    let body = text
    try {
      body = JSON.stringify(JSON.parse(text), null, 2)
    } catch {
      // Not JSON: shown as it came.
    }
    const challenge = response.headers.get('www-authenticate')
    return page(
      'API response',
      `${didPanel(`GET ${url}`, `with <code>Authorization: Bearer ${escapeHtml(accessToken.slice(0, 16))}…</code>, the session's access token (<code>@AccessToken()</code>, refreshed first if it had expired); the API verified it as an RFC 9068 JWT for its audience, and the scope the route requires.`)}
<h2>What came back</h2>
<p>Status <code id="api-status">${response.status}</code> ${escapeHtml(response.statusText)}${challenge ? `, <code>WWW-Authenticate: ${escapeHtml(challenge)}</code>` : ''}</p>
<pre id="api-body">${escapeHtml(body)}</pre>${back}`,
    )
  }

  /** Refreshes the session's tokens now, then shows them on the profile. */
  @Post('refresh')
  @Redirect('/profile?did=refresh')
  async refresh(@Oidc() oidc: OidcContext): Promise<void> {
    await oidc.getAccessToken({ refresh: 'force' })
  }

  /**
   * A narrower access token, for this use only: the session keeps its own access token, its
   * refresh token (rotated, if the provider rotates) and the user's profile claims.
   */
  @Post('refresh-reduced')
  @HttpCode(200)
  @Header('content-type', HTML)
  async refreshReduced(@Oidc() oidc: OidcContext): Promise<string> {
    const token = await oidc.getAccessToken({ refresh: 'force', scope: REDUCED_SCOPE })
    const claims = decodeJwt(token.access_token).payload
    return page(
      'Reduced-scope access token',
      `${didPanel(
        `POST ${(await this.endpoints()).token_endpoint}`,
        `<code>grant_type=refresh_token</code> with <code>scope=${escapeHtml(REDUCED_SCOPE)}</code> (OIDC Core 12.1): a narrower access token, for this use only.`,
      )}
<h2>What came back</h2><div class="panel"><dl>
<dt>Scope</dt><dd><code id="reduced-scope">${escapeHtml(token.scope ?? claims?.scope ?? '')}</code></dd>
<dt>Expires in</dt><dd><code>${escapeHtml(token.expires_in ?? 'unknown')}</code> s</dd></dl>
${decodedToken('reduced', token.access_token, '(not a JWT)')}</div>
<h2>The session's access token (unchanged)</h2><div class="panel"><dl>
<dt>Scopes</dt><dd id="scope">${scopeList(oidc.session?.scope)}</dd></dl></div>${back}`,
    )
  }

  @Get('userinfo')
  @Header('content-type', HTML)
  async userinfo(@Oidc() oidc: OidcContext): Promise<string> {
    const claims = await oidc.fetchUserInfo()
    return page(
      'Userinfo',
      `${didPanel(`GET ${(await this.endpoints()).userinfo_endpoint}`, "with the access token as a Bearer token; the <code>sub</code> that came back was checked against the ID token's (OIDC Core 5.3.2).")}
<h2>What came back</h2><pre id="userinfo-body">${escapeHtml(JSON.stringify(claims, null, 2))}</pre>${back}`,
    )
  }
}
