/**
 * The framework-neutral part of an adapter's per-request context (`ctx.oidc`, `req.oidc`): the
 * express-openid-connect-shaped reads and actions on a {@link RequestSession}. Adapters extend it
 * with what needs their framework (login, logout, writing cookies).
 */
import type { IdTokenClaims, Session } from '../protocol/types.js'
import type { UserinfoClaims } from '../protocol/userinfo.js'
import type { AccessTokenOptions, AccessTokenView, RequestSession } from './request-session.js'

/**
 * The members every adapter's request context has (`ctx.oidc` in Koa, `req.oidc` in Express and
 * NestJS, `oidc` with the fetch adapter and `c.var.oidc` in Hono): the session's reads and the
 * actions on it. Each adapter's `OidcContext` extends it with what needs its framework (login,
 * logout, requiring a login).
 */
export interface OidcSessionView {
  isAuthenticated(): boolean
  /** ID token claims of the logged-in user. */
  readonly user: IdTokenClaims | undefined
  readonly idTokenClaims: IdTokenClaims | undefined
  readonly idToken: string | undefined
  /** The session's token-endpoint access token, as it is now. */
  readonly accessToken: AccessTokenView | undefined
  readonly refreshToken: string | undefined
  readonly session: Session | undefined
  /**
   * The access token, refreshed first when expired (concurrent requests share one refresh), or
   * with `refresh: 'force'` or a reduced `scope`; `{ audience }` / `{ resource }`: another API's
   * (with `apiTokens()`).
   */
  getAccessToken(options?: AccessTokenOptions): Promise<AccessTokenView>
  /** Userinfo claims, their `sub` checked against the session's (OIDC Core 5.3.2). */
  fetchUserInfo(): Promise<UserinfoClaims>
  /**
   * Calls an API with the access token as a Bearer token (RFC 6750 2.1), refreshing it first
   * when expired; `options` as for `getAccessToken` (e.g. `{ audience }`).
   */
  fetch(
    input: string | URL | Request,
    init?: RequestInit,
    options?: AccessTokenOptions,
  ): Promise<Response>
}

export class SessionContext implements OidcSessionView {
  protected readonly loaded: RequestSession

  constructor(loaded: RequestSession) {
    this.loaded = loaded
  }

  isAuthenticated(): boolean {
    return this.loaded.isAuthenticated()
  }
  /** ID token claims of the logged-in user. */
  get user(): IdTokenClaims | undefined {
    return this.loaded.user
  }
  get idTokenClaims(): IdTokenClaims | undefined {
    return this.loaded.user
  }
  get idToken(): string | undefined {
    return this.loaded.session?.idToken
  }
  get refreshToken(): string | undefined {
    return this.loaded.session?.refreshToken
  }
  get session(): Session | undefined {
    return this.loaded.session
  }
  /** The session's token-endpoint access token, as it is now. */
  get accessToken(): AccessTokenView | undefined {
    const session = this.loaded.session
    return session && this.loaded.viewOf(session)
  }

  /** The access token, refreshed first when expired (concurrent requests share one refresh). */
  async getAccessToken(options?: AccessTokenOptions): Promise<AccessTokenView> {
    return this.loaded.viewOf(await this.loaded.getAccessToken(options))
  }

  /** Userinfo claims, their `sub` checked against the session's (OIDC Core 5.3.2). */
  fetchUserInfo(): Promise<UserinfoClaims> {
    return this.loaded.fetchUserinfo()
  }

  /**
   * Calls an API with the access token as a Bearer token, refreshing it first when expired;
   * `options` as for {@link getAccessToken} (e.g. `{ audience }`: another API's token).
   */
  fetch(
    input: string | URL | Request,
    init?: RequestInit,
    options?: AccessTokenOptions,
  ): Promise<Response> {
    return this.loaded.fetchWithAccessToken(input, init, options)
  }
}
