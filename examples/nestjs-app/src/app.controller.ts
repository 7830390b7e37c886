/**
 * The demo web app's pages: who you are, your tokens, a call to the API with the access token,
 * refresh (also with a reduced scope), userinfo. Every route needs a login (the global
 * HybridAuthGuard) except the home page, marked @Public().
 */
import { Controller, Get, Header, Inject, Post, Query, Redirect } from '@nestjs/common'
import { type IdTokenClaims, Oidc, type OidcContext, Public, User } from '@oidc-hybrid/nestjs'
import { escapeHtml, page, peek } from './page.js'

/** What the web app needs besides the login configuration. */
export interface WebSettings {
  apiURL: string
}
export const WEB_SETTINGS = Symbol('WEB_SETTINGS')

const HTML = 'text/html; charset=utf-8'

@Controller()
export class AppController {
  // Explicit @Inject(): tsx (esbuild) does not emit decorator metadata.
  constructor(@Inject(WEB_SETTINGS) private readonly settings: WebSettings) {}

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
  profile(@Oidc() oidc: OidcContext, @Query('message') message?: string): string {
    const token = oidc.accessToken!
    const access = peek(token.access_token)
    return page(
      'Profile',
      `${message ? `<p id="message"><strong>${escapeHtml(message)}</strong></p>` : ''}
<h2>ID token claims</h2><pre id="claims">${escapeHtml(JSON.stringify(oidc.user, null, 2))}</pre>
<h2>Access token</h2><ul>
<li>audience: <code id="aud">${escapeHtml(access?.aud ?? '(opaque token)')}</code></li>
<li>scope: <code id="scope">${escapeHtml(token.scope ?? access?.scope ?? '')}</code></li>
<li>expires in: <code id="expires">${escapeHtml(token.expires_in ?? 'unknown')}</code> s</li>
<li>refresh token: <code>${oidc.refreshToken ? 'yes' : 'no'}</code></li></ul>
<form method="post" action="/call-api"><button id="call-api">Call the API</button></form>
<form method="post" action="/refresh"><button id="refresh">Refresh tokens</button></form>
<form method="post" action="/refresh?reduced=1"><button id="refresh-reduced">Refresh with scope "openid offline_access read:messages"</button></form>
<form method="get" action="/userinfo"><button id="userinfo">Fetch userinfo</button></form>
<p><a id="logout" href="/logout">Log out</a></p>`,
    )
  }

  @Post('call-api')
  @Header('content-type', HTML)
  async callApi(@Oidc() oidc: OidcContext): Promise<string> {
    // The access token is refreshed first when it has expired; the new cookie goes out.
    const response = await oidc.fetch(`${this.settings.apiURL}/api/messages`)
    const text = await response.text()
    return page(
      'API response',
      `<p>Status <code id="api-status">${response.status}</code></p><pre id="api-body">${escapeHtml(text)}</pre><p><a href="/profile">Back</a></p>`,
    )
  }

  @Post('refresh')
  @Redirect()
  async refresh(@Oidc() oidc: OidcContext, @Query('reduced') reduced?: string) {
    const scope = reduced ? 'openid offline_access read:messages' : undefined
    const token = await oidc.getAccessToken({ refresh: 'force', scope })
    const message = `Refreshed; scope is now "${token.scope ?? ''}"`
    return { url: `/profile?message=${encodeURIComponent(message)}` }
  }

  @Get('userinfo')
  @Header('content-type', HTML)
  async userinfo(@Oidc() oidc: OidcContext): Promise<string> {
    const claims = await oidc.fetchUserInfo()
    return page(
      'Userinfo',
      `<pre id="userinfo-body">${escapeHtml(JSON.stringify(claims, null, 2))}</pre><p><a href="/profile">Back</a></p>`,
    )
  }
}
