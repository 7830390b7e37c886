/**
 * The engine: the one small I/O shell every adapter shares. It reads cookies, runs the protocol
 * state machine, performs its effects (HTTP with the injected fetch, sealed cookies, redirects)
 * and answers with plain data. Adapters translate requests and responses, nothing more.
 */
import { ConfigurationError, isOidcHybridError, OidcHybridError } from '../errors.js'
import { encode } from '../lib/base64url.js'
import type { AuthorizationOptions } from '../protocol/authorize.js'
import { parseCallbackRequest, stateOf } from '../protocol/callback.js'
import { type Effect, type Event, type State, transition } from '../protocol/machine.js'
import { validateReturnTo } from '../protocol/return-to.js'
import type {
  ClientMetadata,
  JsonWebKeySet,
  ProtocolContext,
  Session,
  Transaction,
} from '../protocol/types.js'
import {
  buildUserinfoRequest,
  processUserinfoResponse,
  type UserinfoClaims,
} from '../protocol/userinfo.js'
import {
  type BearerFailure,
  type BearerOptions,
  BearerVerifier,
  type VerifiedBearer,
} from './bearer-verifier.js'
import {
  type AuthorizationParams,
  assertFormPost,
  type HybridAuthConfig,
  type ResolvedConfig,
  resolveConfig,
  toAuthorizationOptions,
} from './config.js'
import {
  type CookieAttributes,
  clearChunkedCookie,
  expireCookie,
  parseCookieHeader,
  readChunkedCookie,
  serializeCookie,
  writeChunkedCookie,
} from './cookies.js'
import { type HttpOptions, send } from './http.js'
import { ProviderCache } from './provider-cache.js'
import { RefreshCoordinator } from './refresh-coordinator.js'
import { type AccessTokenOptions, RequestSession } from './request-session.js'
import { CookieSealer } from './seal.js'
import { statusForError } from './status.js'

/** The parts of an incoming request the engine reads. */
export interface AuthRequest {
  method: string
  /** Absolute URL as the browser sent it. */
  url: string
  headers: { get(name: string): string | null }
  /** The raw body (form_post callback only). */
  body?: string | null
}

/** What to answer: status, headers (Location, Set-Cookie, ...), an optional body and error. */
export interface AuthResponse {
  status: number
  headers: Headers
  body?: string
  error?: OidcHybridError
}

/** A result with the Set-Cookie headers that must reach the browser alongside it. */
export interface WithCookies<T> {
  value: T
  /** Append these to the outgoing response (session rolled, resealed, refreshed or cleared). */
  setCookies: string[]
}

export interface LoginOptions {
  /** Same-origin path to return to after login. */
  returnTo?: string
  /** Overrides of the configured authorization parameters for this login. */
  authorizationParams?: AuthorizationParams
}

interface SealedSession {
  session: Session
}

interface SessionState {
  session?: Session
  setCookies: string[]
}

const TRANSACTION_STATE = /^[A-Za-z0-9_-]+$/

/** The request URL; adapters must pass an absolute one. */
function requestUrl(request: AuthRequest): URL {
  try {
    return new URL(request.url)
  } catch {
    throw new ConfigurationError(
      'the adapter passed a request URL that is not absolute; build it from the protocol and host',
    )
  }
}

/** Creates the engine; validates the configuration now (throws ConfigurationError). */
export function createHybridAuth(config: HybridAuthConfig): HybridAuth {
  return new HybridAuth(resolveConfig(config))
}

export class HybridAuth {
  readonly config: ResolvedConfig
  readonly #http: HttpOptions
  readonly #provider: ProviderCache
  readonly #refreshes: RefreshCoordinator<{ scope: string | undefined; session: Session }>
  readonly #sealer: Promise<CookieSealer>
  readonly #bearer: BearerVerifier
  /** States already used on a callback, until their transaction would have expired. */
  readonly #usedStates = new Map<string, number>()

  constructor(config: ResolvedConfig) {
    this.config = config
    this.#http = { fetch: config.fetch, timeout: config.httpTimeout, maxBodyBytes: 1 << 20 }
    this.#provider = new ProviderCache({
      issuerBaseURL: config.issuerBaseURL,
      http: this.#http,
      now: config.now,
      maxAge: config.cacheMaxAge,
      jwksCooldown: config.jwksCooldown,
      onStale: (error) =>
        config.log({
          level: 'warn',
          event: 'provider_refetch_failed',
          code: isOidcHybridError(error) ? error.code : undefined,
          message: 'serving the cached discovery document or JWKS',
        }),
    })
    this.#refreshes = new RefreshCoordinator({ now: config.now, grace: 60, maxEntries: 1000 })
    this.#bearer = new BearerVerifier(
      this.#provider,
      { audience: [] },
      { now: config.now, tolerance: config.clockTolerance, crypto: config.crypto },
    )
    this.#sealer = CookieSealer.create(config.secrets, config.crypto)
    // A rejected sealer surfaces on first use; avoid an unhandled rejection in the meantime.
    this.#sealer.catch(() => {})
  }

  /** The configured routes (login, callback, logout). */
  get routes(): ResolvedConfig['routes'] {
    return this.config.routes
  }

  /**
   * Answers the login, callback and logout routes; `undefined` for any other path.
   * Failures come back as a response with `error` set and the status from the error table.
   */
  async handle(request: AuthRequest): Promise<AuthResponse | undefined> {
    switch (this.routeOf(request.method, requestUrl(request).pathname)) {
      case 'login':
        return this.login(request)
      case 'callback':
        return this.callback(request)
      case 'logout':
        return this.logout(request)
      default:
        return undefined
    }
  }

  /**
   * Which of the engine's routes `method` and `path` name: GET login, the callback (any method,
   * so a wrong one gets a typed error), GET logout. Adapters ask first, to read the form body
   * only for a callback POST.
   */
  routeOf(method: string, path: string): 'login' | 'callback' | 'logout' | undefined {
    const { login, callback, logout } = this.config.routes
    if (path === callback) return 'callback'
    if (method !== 'GET') return undefined
    if (path === login) return 'login'
    if (path === logout) return 'logout'
    return undefined
  }

  /**
   * Starts a login: a transaction cookie and a redirect to the authorization endpoint.
   * `returnTo` comes from the options or the `returnTo` query parameter, same-origin only.
   *
   * @see [OIDC Core 3.3.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthRequest)
   */
  async login(request: AuthRequest, options: LoginOptions = {}): Promise<AuthResponse> {
    return this.#answer(async (headers) => {
      const returnTo = validateReturnTo(
        options.returnTo ?? requestUrl(request).searchParams.get('returnTo'),
        this.config.baseURL.href,
      )
      const override = toAuthorizationOptions(options.authorizationParams)
      const authorization: AuthorizationOptions = {
        ...this.config.authorization,
        ...override,
        extra: { ...this.config.authorization.extra, ...override.extra },
        returnTo,
      }
      assertFormPost(authorization)
      const random = () => encode(this.config.crypto.randomBytes(32))
      const event: Event = {
        type: 'LoginRequested',
        options: authorization,
        random: { state: random(), nonce: random(), codeVerifier: random() },
      }
      const cookies = parseCookieHeader(request.headers.get('cookie'))
      for (const line of await this.#pruneTransactions(cookies)) headers.append('set-cookie', line)
      await this.#drive({ kind: 'Idle' }, event, headers, cookies)
      return 302
    })
  }

  /**
   * Completes a login from the form_post callback: every front-channel check, then the code
   * exchange and its checks, then the session cookie and a redirect to `returnTo`.
   *
   * @see [OIDC Core 3.3.2.8-3.3.3.8](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthResponse)
   * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
   */
  async callback(request: AuthRequest): Promise<AuthResponse> {
    return this.#answer(async (headers) => {
      const params = parseCallbackRequest({
        method: request.method,
        url: request.url,
        contentType: request.headers.get('content-type'),
        body: request.body ?? null,
      })
      const state = stateOf(params)
      const cookies = parseCookieHeader(request.headers.get('cookie'))
      const transaction = await this.#readTransaction(state, cookies)
      await this.#drive(
        { kind: 'LoginStarted', transaction },
        { type: 'CallbackReceived', params },
        headers,
        cookies,
      )
      return 302
    })
  }

  /**
   * Ends the session and, when configured and possible, the provider's session too
   * (RP-initiated logout, or Auth0 `/v2/logout`).
   *
   * @see [OpenID Connect RP-Initiated Logout 1.0 2](https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout)
   */
  async logout(request: AuthRequest, options: { returnTo?: string } = {}): Promise<AuthResponse> {
    return this.#answer(async (headers) => {
      const path =
        validateReturnTo(
          options.returnTo ?? requestUrl(request).searchParams.get('returnTo'),
          this.config.baseURL.href,
        ) ?? this.config.routes.postLogoutRedirect
      const returnTo = new URL(path, this.config.baseURL).href
      const cookies = parseCookieHeader(request.headers.get('cookie'))
      const { session } = await this.#readSession(cookies)
      const state: State =
        session && this.config.idpLogout ? { kind: 'Authenticated', session } : { kind: 'Idle' }
      await this.#drive(
        state,
        {
          type: 'LogoutRequested',
          returnTo,
          logout: {
            postLogoutRedirectUri: returnTo,
            mode: this.config.logoutMode,
          },
        },
        headers,
        cookies,
      )
      return 302
    })
  }

  /**
   * Loads the session of a request once, for everything a handler may do with it: read the user,
   * get a fresh access token, refresh, fetch userinfo, call an API. Expired, tampered or foreign
   * cookies count as no session and are cleared. The adapter sends `takeSetCookies()` with the
   * response.
   */
  async load(request: AuthRequest): Promise<RequestSession> {
    const cookies = parseCookieHeader(request.headers.get('cookie'))
    const { session, setCookies } = await this.#readSession(cookies)
    return new RequestSession(
      {
        refresh: (current, scope) => this.refreshSession(current, scope),
        write: (current) => this.#writeSession(current, cookies),
        userinfo: async (current) => {
          const metadata = await this.#provider.metadata()
          const response = await send(
            buildUserinfoRequest(metadata, current.accessToken),
            this.#http,
          )
          return processUserinfoResponse(response, current.sub)
        },
        fetch: this.config.fetch,
        isExpired: (current) =>
          current.expiresAt !== undefined &&
          current.expiresAt - this.config.refreshLeeway <= this.config.now(),
        now: this.config.now,
      },
      session,
      setCookies,
    )
  }

  /** The session of a request, or `undefined` (see {@link HybridAuth.load}). */
  async getSession(request: AuthRequest): Promise<WithCookies<Session | undefined>> {
    const loaded = await this.load(request)
    return { value: loaded.session, setCookies: loaded.takeSetCookies() }
  }

  /** The session with a fresh access token (see {@link RequestSession.getAccessToken}). */
  async getAccessToken(
    request: AuthRequest,
    options: AccessTokenOptions = {},
  ): Promise<WithCookies<Session>> {
    const loaded = await this.load(request)
    const value = await loaded.getAccessToken(options)
    return { value, setCookies: loaded.takeSetCookies() }
  }

  /**
   * Refreshes `session` with its refresh token (optionally for a reduced `scope`), single-flight
   * per refresh token, rotation-safe. The caller stores the returned session.
   *
   * @see [OIDC Core 12.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshingAccessToken)
   */
  async refreshSession(session: Session, scope?: string): Promise<Session> {
    let current = session
    // Keyed by refresh token alone: one token is never sent twice, whatever scope is asked. A
    // result for another scope hands over its successor token, refreshed again (bounded).
    for (let attempt = 0; attempt < 3; attempt++) {
      const from = current
      const result = await this.#refreshes.run(from.refreshToken ?? '', async () => {
        // No headers: the caller decides where the refreshed session is stored.
        const settled = await this.#drive(
          { kind: 'Authenticated', session: from },
          { type: 'RefreshRequested', scope },
          undefined,
          new Map(),
        )
        if (settled.kind !== 'Authenticated') {
          throw new OidcHybridError('ILLEGAL_TRANSITION', 'the refresh ended without a session')
        }
        return { scope, session: settled.session }
      })
      if (result.scope === scope) return result.session
      current = result.session
    }
    throw new OidcHybridError(
      'ILLEGAL_TRANSITION',
      'concurrent refreshes for different scopes did not settle; retry the request',
    )
  }

  /** Userinfo for the request's session (see {@link RequestSession.fetchUserinfo}). */
  async fetchUserinfo(request: AuthRequest): Promise<WithCookies<UserinfoClaims>> {
    const loaded = await this.load(request)
    const value = await loaded.fetchUserinfo()
    return { value, setCookies: loaded.takeSetCookies() }
  }

  /** Calls an API for the request's session (see {@link RequestSession.fetchWithAccessToken}). */
  async fetchWithAccessToken(
    request: AuthRequest,
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<WithCookies<Response>> {
    const loaded = await this.load(request)
    const value = await loaded.fetchWithAccessToken(input, init)
    return { value, setCookies: loaded.takeSetCookies() }
  }

  /**
   * Verifies an API request's bearer access token (RFC 9068 JWT) against this issuer and
   * `audience`, and that it grants `scopes`. Throws BEARER_* errors; answer them with
   * {@link HybridAuth.bearerError}.
   *
   * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
   */
  verifyBearer(
    authorization: string | null | undefined,
    options: BearerOptions,
  ): Promise<VerifiedBearer> {
    return this.#bearer.verify(authorization, options)
  }

  /** The RFC 6750 3 answer (status, `WWW-Authenticate`, JSON body) for a failed bearer check. */
  bearerError(error: unknown, options: { scopes?: string[] } = {}): BearerFailure {
    return this.#bearer.failure(error, options)
  }

  /** Provider metadata (discovery), cached. */
  metadata() {
    return this.#provider.metadata()
  }

  /** The HTTP status for any error this library throws (one table for every adapter). */
  statusOf(error: unknown): number {
    return isOidcHybridError(error) ? statusForError(error.code) : 500
  }

  // ---- internals -------------------------------------------------------------------------

  async #answer(run: (headers: Headers) => Promise<number>): Promise<AuthResponse> {
    const headers = new Headers({ 'cache-control': 'no-store' })
    try {
      const status = await run(headers)
      return { status, headers }
    } catch (error) {
      if (!isOidcHybridError(error)) throw error
      this.config.log({
        level: 'warn',
        event: 'request_failed',
        code: error.code,
        message: error.message,
      })
      headers.delete('location')
      return { status: statusForError(error.code), headers, error }
    }
  }

  #context(jwks: JsonWebKeySet, metadata: ProtocolContext['provider']): ProtocolContext {
    const client: ClientMetadata = {
      client_id: this.config.clientID,
      redirect_uri: this.config.redirectUri,
      id_token_signed_response_algs: this.config.idTokenSigningAlgs,
      client_secret_for_hs: this.config.allowSymmetricIdTokens
        ? this.config.clientSecret
        : undefined,
    }
    return {
      provider: metadata,
      client,
      now: this.config.now(),
      clockTolerance: this.config.clockTolerance,
      jwks,
      crypto: this.config.crypto,
      clientAuth: this.config.clientAuth,
    }
  }

  /**
   * Runs the machine from `start` with `event`, performing effects until it settles, and returns
   * the final state. Without `headers`, cookie and redirect effects are not performed.
   */
  async #drive(
    start: State,
    event: Event,
    headers: Headers | undefined,
    cookies: ReadonlyMap<string, string>,
  ): Promise<State> {
    const metadata = await this.#provider.metadata()
    const needsKeys = event.type === 'CallbackReceived' || event.type === 'RefreshRequested'
    let context = this.#context(needsKeys ? await this.#provider.jwks() : { keys: [] }, metadata)
    let current = await transition(context, start, event)
    // Each login or refresh needs at most: keys, token response, keys again. Bounded anyway.
    for (let step = 0; step < 6; step++) {
      let next: Event | undefined
      for (const effect of current.effects) {
        const produced = await this.#perform(effect, headers, cookies)
        if (produced) next = produced
      }
      if (current.state.kind === 'Failed') throw current.state.error
      if (next === undefined) return current.state
      if (next.type === 'KeysReceived') context = { ...context, jwks: next.jwks }
      context = { ...context, now: this.config.now() }
      current = await transition(context, current.state, next)
    }
    throw new OidcHybridError('ILLEGAL_TRANSITION', 'the protocol did not settle')
  }

  async #perform(
    effect: Effect,
    headers: Headers | undefined,
    cookies: ReadonlyMap<string, string>,
  ): Promise<Event | undefined> {
    if (effect.type === 'Http') {
      return { type: 'TokenResponseReceived', response: await send(effect.request, this.#http) }
    }
    if (effect.type === 'NeedKeys') {
      return { type: 'KeysReceived', jwks: await this.#provider.jwksAfterUnknownKid() }
    }
    if (headers === undefined) return undefined
    switch (effect.type) {
      case 'Redirect':
        headers.set('location', new URL(effect.url, this.config.baseURL).href)
        return undefined
      case 'SetTransaction':
        headers.append('set-cookie', await this.#writeTransaction(effect.transaction))
        return undefined
      case 'ClearTransaction':
        headers.append(
          'set-cookie',
          expireCookie(this.#transactionName(effect.state), this.#transactionAttributes()),
        )
        return undefined
      case 'SetSession':
        for (const line of await this.#writeSession(effect.session, cookies)) {
          headers.append('set-cookie', line)
        }
        return undefined
      case 'ClearSession':
        for (const line of clearChunkedCookie(
          this.config.session.name,
          this.#sessionAttributes(),
          cookies,
        )) {
          headers.append('set-cookie', line)
        }
        return undefined
    }
  }

  // ---- transaction cookies: one per login, keyed by state, SameSite=None (form_post is cross-site)

  #transactionName(state: string): string {
    return `${this.config.transaction.name}_${state}`
  }

  #transactionAttributes(): CookieAttributes {
    return {
      path: '/',
      secure: true,
      httpOnly: true,
      sameSite: 'None',
      maxAge: this.config.transaction.maxAge,
    }
  }

  async #writeTransaction(transaction: Transaction): Promise<string> {
    const name = this.#transactionName(transaction.state)
    const expiresAt = transaction.createdAt + this.config.transaction.maxAge
    const sealed = await (await this.#sealer).seal(name, transaction, expiresAt)
    return serializeCookie(name, sealed, this.#transactionAttributes())
  }

  async #readTransaction(
    state: string,
    cookies: ReadonlyMap<string, string>,
  ): Promise<Transaction> {
    const now = this.config.now()
    const usedUntil = this.#usedStates.get(state)
    if (usedUntil !== undefined && usedUntil > now) {
      throw new OidcHybridError(
        'TRANSACTION_MISSING',
        'this login response was already used: a callback is accepted once. Start the login again.',
      )
    }
    const name = this.#transactionName(state)
    const sealed = TRANSACTION_STATE.test(state) ? cookies.get(name) : undefined
    // Marked before any await: two concurrent replays cannot both reach the token endpoint.
    if (sealed !== undefined) this.#markUsed(state)
    if (sealed === undefined) {
      throw new OidcHybridError(
        'TRANSACTION_MISSING',
        'the login cookie was not sent back with the callback. Likely causes: the browser blocked the cross-site cookie (the callback must be served over https, or http://localhost, so the SameSite=None; Secure cookie is sent), the login was started in another browser or profile, it was started on a different host name than `baseURL`, or two apps share the cookie name (set `transaction.name`). Start the login again from this app.',
        { details: { cookie: name } },
      )
    }
    const opened = await (await this.#sealer).unseal<Transaction>(name, sealed)
    if (opened.expiresAt <= now) {
      throw new OidcHybridError(
        'TRANSACTION_EXPIRED',
        `the login took longer than ${this.config.transaction.maxAge} s; start it again`,
      )
    }
    return opened.payload
  }

  #markUsed(state: string): void {
    const now = this.config.now()
    for (const [used, until] of this.#usedStates) {
      if (until > now && this.#usedStates.size < 10_000) break
      this.#usedStates.delete(used)
    }
    this.#usedStates.set(state, now + this.config.transaction.maxAge)
  }

  /** Expires transaction cookies beyond the cap (oldest first) and any that no longer open. */
  async #pruneTransactions(cookies: ReadonlyMap<string, string>): Promise<string[]> {
    const prefix = `${this.config.transaction.name}_`
    const sealer = await this.#sealer
    const now = this.config.now()
    const live: Array<{ name: string; createdAt: number }> = []
    const expired: string[] = []
    for (const [name, value] of cookies) {
      if (!name.startsWith(prefix)) continue
      try {
        const opened = await sealer.unseal<Transaction>(name, value)
        if (opened.expiresAt <= now) expired.push(name)
        else live.push({ name, createdAt: opened.payload.createdAt })
      } catch {
        expired.push(name)
      }
    }
    live.sort((a, b) => a.createdAt - b.createdAt)
    const excess = live.length - (this.config.transaction.maxCount - 1)
    if (excess > 0) expired.push(...live.slice(0, excess).map((entry) => entry.name))
    return expired.map((name) => expireCookie(name, this.#transactionAttributes()))
  }

  // ---- session cookie: sealed, chunked above ~4 KB, rolling and absolute lifetimes

  #sessionAttributes(maxAge?: number): CookieAttributes {
    return {
      path: this.config.session.path,
      domain: this.config.session.domain,
      secure: true,
      httpOnly: true,
      sameSite: this.config.session.sameSite,
      maxAge,
    }
  }

  #sessionExpiry(session: Session, now: number): number {
    const absolute = session.createdAt + this.config.session.absoluteDuration
    return this.config.session.rolling
      ? Math.min(absolute, now + this.config.session.rollingDuration)
      : absolute
  }

  async #writeSession(session: Session, cookies: ReadonlyMap<string, string>): Promise<string[]> {
    const now = this.config.now()
    const expiresAt = this.#sessionExpiry(session, now)
    const name = this.config.session.name
    const sealed = await (await this.#sealer).seal(
      name,
      { session } satisfies SealedSession,
      expiresAt,
    )
    return writeChunkedCookie(name, sealed, this.#sessionAttributes(expiresAt - now), cookies)
  }

  async #readSession(cookies: ReadonlyMap<string, string>): Promise<SessionState> {
    const name = this.config.session.name
    const sealed = readChunkedCookie(name, cookies)
    if (sealed === undefined) return { setCookies: [] }
    const now = this.config.now()
    const clear = () => clearChunkedCookie(name, this.#sessionAttributes(), cookies)
    let opened: Awaited<ReturnType<CookieSealer['unseal']>>
    try {
      opened = await (await this.#sealer).unseal<SealedSession>(name, sealed)
    } catch (error) {
      if (!isOidcHybridError(error)) throw error
      this.config.log({ level: 'warn', event: 'session_cookie_rejected', code: error.code })
      return { setCookies: clear() }
    }
    const { session } = opened.payload as SealedSession
    if (
      opened.expiresAt <= now ||
      session.createdAt + this.config.session.absoluteDuration <= now
    ) {
      return { setCookies: clear() }
    }
    // Reseal when the secret rotated, or roll the expiry forward at most once a minute.
    const roll =
      this.config.session.rolling && this.#sessionExpiry(session, now) - opened.expiresAt >= 60
    if (opened.stale || roll) {
      return { session, setCookies: await this.#writeSession(session, cookies) }
    }
    return { session, setCookies: [] }
  }
}
