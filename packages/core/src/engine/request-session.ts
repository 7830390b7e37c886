/**
 * One request's view of its session: loaded once by the engine, updated in place when a refresh
 * happens, with the Set-Cookie lines the adapter must send collected here.
 */
import { OidcHybridError, TokenEndpointError } from '../errors.js'
import type { IdTokenClaims, Session } from '../protocol/types.js'
import type { UserinfoClaims } from '../protocol/userinfo.js'

export interface AccessTokenOptions {
  /** `auto` (default): refresh when expired; `force`: always refresh; `never`. */
  refresh?: 'auto' | 'force' | 'never'
  /** Reduced scope for the refresh (OIDC Core 12.1); implies a refresh. */
  scope?: string
  /**
   * A token for another API: Auth0's `audience` (multi-resource refresh tokens), sent with the
   * refresh token. Needs `apiTokens: apiTokens()` in the configuration (opt-in code).
   */
  audience?: string
  /**
   * A token for another API: an RFC 8707 resource indicator (an absolute URI), sent with the
   * refresh token. Needs `apiTokens: apiTokens()` in the configuration (opt-in code).
   */
  resource?: string
}

/** The session's token-endpoint access token, shaped as express-openid-connect users know it. */
export interface AccessTokenView {
  access_token: string
  token_type: 'Bearer' | 'DPoP'
  /** Seconds until it expires (0 when it has), undefined when the provider did not say. */
  expires_in: number | undefined
  scope: string | undefined
  isExpired(): boolean
  /** Refreshes now and stores the new tokens; a reduced `scope`'s token is for this use only. */
  refresh(options?: { scope?: string }): Promise<AccessTokenView>
}

/** Runs an operation; adapters that must write cookies at once wrap it. */
export type Around = <T>(run: () => Promise<T>) => Promise<T>

/** What the engine lends a request session; no protocol logic lives here. */
export interface SessionOperations {
  /** `force`: reach the provider even when a concurrent rotation's result could be served. */
  refresh(
    session: Session,
    scope: string | undefined,
    force: boolean,
    extra?: Record<string, string>,
  ): Promise<Session>
  write(session: Session): Promise<string[]>
  userinfo(session: Session): Promise<UserinfoClaims>
  /** Sends an API call; `dpop`: the session's DPoP key, for the proof (RFC 9449 7). */
  fetch(request: Request, dpop?: JsonWebKey): Promise<Response>
  isExpired(session: Session): boolean
  /** The engine's clock, seconds since the epoch. */
  now(): number
  /** A token for another API (`audience` or `resource`): the configured `apiTokens`. */
  forApi(loaded: RequestSession, options: AccessTokenOptions): Promise<Session>
}

export class RequestSession {
  #session: Session | undefined
  #setCookies: string[]
  readonly #operations: SessionOperations

  constructor(operations: SessionOperations, session: Session | undefined, setCookies: string[]) {
    this.#operations = operations
    this.#session = session
    this.#setCookies = setCookies
  }

  /** The session, or `undefined` when the user is not logged in. */
  get session(): Session | undefined {
    return this.#session
  }

  isAuthenticated(): boolean {
    return !!this.#session
  }

  /** The ID token claims of the logged-in user. */
  get user(): IdTokenClaims | undefined {
    return this.#session?.claims
  }

  /** True when the access token has expired (or will within the refresh leeway). */
  isAccessTokenExpired(): boolean {
    return !!this.#session && this.#operations.isExpired(this.#session)
  }

  /**
   * The session with a usable token-endpoint access token: refreshed first when it has expired
   * (or always with `refresh: 'force'` or a reduced `scope`). Concurrent requests share one
   * refresh. Throws SESSION_MISSING without a session, REFRESH_TOKEN_MISSING when it expired and
   * there is no refresh token, and the token endpoint's error when the refresh fails (the session
   * is then kept as it was).
   *
   * @see [OIDC Core 12](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshTokens)
   */
  async getAccessToken(options: AccessTokenOptions = {}): Promise<Session> {
    const session = this.#require()
    // An empty one too: never the session's own token where another API's was asked for.
    if ((options.audience ?? options.resource) !== undefined) {
      return this.#operations.forApi(this, options)
    }
    const { refresh = 'auto', scope } = options
    return refresh === 'never' ||
      (refresh === 'auto' && scope === undefined && !this.#operations.isExpired(session))
      ? session
      : this.refresh(scope, refresh === 'force')
  }

  /**
   * Refreshes now. Without `scope` the new tokens become the session's. With a reduced `scope`
   * the narrowed access token is returned for this use only: the session keeps its own access
   * token and takes the rotated refresh token (and any new ID token), so nothing is lost.
   * When the provider answers `invalid_grant`, the dead refresh token is dropped from the
   * session so later requests do not retry it; the error is rethrown either way.
   * With `force` (the default) the provider is asked even when another request's refresh of the
   * same token has just finished; without it, that fresh result may be used.
   */
  async refresh(
    scope?: string,
    force = true,
    extra?: Record<string, string>,
    merge?: (refreshed: Session, session: Session) => Session,
  ): Promise<Session> {
    const session = this.#require()
    let refreshed: Session
    try {
      refreshed = await this.#operations.refresh(session, scope, force, extra)
    } catch (error) {
      if (error instanceof TokenEndpointError && error.error === 'invalid_grant') {
        await this.#store({ ...session, refreshToken: undefined })
      }
      throw error
    }
    const { refreshToken, idToken, claims, updatedAt } = refreshed
    await this.#store(
      merge
        ? merge(refreshed, session)
        : scope === undefined
          ? refreshed
          : { ...session, refreshToken, idToken, claims, updatedAt },
    )
    return refreshed
  }

  async #store(session: Session): Promise<void> {
    this.#session = session
    this.#setCookies = await this.#operations.write(session)
  }

  /**
   * Userinfo claims fetched with the access token (refreshed first when needed); their `sub`
   * must be the session's.
   *
   * @see [OIDC Core 5.3.2](https://openid.net/specs/openid-connect-core-1_0-errata2.html#UserInfoResponse)
   */
  async fetchUserinfo(): Promise<UserinfoClaims> {
    return this.#operations.userinfo(await this.getAccessToken())
  }

  /**
   * Calls an API with the token-endpoint access token as a Bearer token (RFC 6750 2.1),
   * refreshed first when it has expired. The front-channel access token is never used. A
   * DPoP-bound token (`dpop()`) is sent as `Authorization: DPoP` with a proof (RFC 9449 7.1).
   */
  async fetchWithAccessToken(
    input: string | URL | Request,
    init?: RequestInit,
    options?: AccessTokenOptions,
  ): Promise<Response> {
    const { accessToken, tokenType, dpop } = await this.getAccessToken(options)
    const outgoing = new Request(input, init)
    outgoing.headers.set('authorization', `${tokenType} ${accessToken}`)
    return this.#operations.fetch(outgoing, dpop)
  }

  /**
   * `session`'s access token as a view with `expires_in`, `isExpired()` and `refresh()`. `around`
   * wraps the refresh (an adapter that writes cookies right away passes its writer).
   */
  viewOf(session: Session, around: Around = (run) => run()): AccessTokenView {
    const { expiresAt } = session
    const operations = this.#operations
    return {
      access_token: session.accessToken,
      token_type: session.tokenType,
      expires_in: expiresAt === undefined ? undefined : Math.max(0, expiresAt - operations.now()),
      scope: session.scope,
      isExpired: () => operations.isExpired(session),
      refresh: (options) =>
        around(async () => this.viewOf(await this.refresh(options?.scope), around)),
    }
  }

  /** The Set-Cookie lines to send with the response; each is returned once. */
  takeSetCookies(): string[] {
    const lines = this.#setCookies
    this.#setCookies = []
    return lines
  }

  #require(): Session {
    if (!this.#session) throw new OidcHybridError('SESSION_MISSING', 'log in first')
    return this.#session
  }
}
