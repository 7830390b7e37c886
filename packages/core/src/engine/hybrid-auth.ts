/**
 * The engine: the one small I/O shell every adapter shares. It reads cookies, runs the protocol
 * state machine, performs its effects (HTTP with the injected fetch, sealed cookies, redirects)
 * and answers with plain data. Adapters translate requests and responses, nothing more.
 *
 * The API side (bearer checks) is not here, so a login-only bundle does not carry it: use
 * `createBearerVerifier({ engine, audience })` to share this engine's discovery and JWKS cache.
 */
import { ConfigurationError, isOidcHybridError, OidcHybridError } from '../errors.js'
import { encode } from '../lib/base64url.js'
import { remember } from '../lib/remember.js'
import type { AuthorizationOptions } from '../protocol/authorize.js'
import { parseCallbackRequest, stateOf } from '../protocol/callback.js'
import { buildRevocationRequest } from '../protocol/grant.js'
import { type Effect, type Event, type State, step } from '../protocol/machine.js'
import { validateReturnTo } from '../protocol/return-to.js'
import type {
  HttpRequest,
  HttpResponseData,
  ProtocolContext,
  Session,
  Transaction,
} from '../protocol/types.js'
import { buildUserinfoRequest, processUserinfoResponse } from '../protocol/userinfo.js'
import { assertFormPost, clientMetadata, resolveConfig, toAuthorizationOptions } from './config.js'
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
import { RequestSession, type SessionOperations } from './request-session.js'
import { CookieSealer, type UnsealResult } from './seal.js'
import { packSession, type SealedSession, unpackSession } from './session-cookie.js'
import { statusForError } from './status.js'
import type {
  AuthRequest,
  AuthResponse,
  ExtensibleEngine,
  HybridAuthConfig,
  LoginOptions,
  ResolvedConfig,
} from './types.js'

export type { AuthRequest, AuthResponse, LoginOptions } from './types.js'

type Cookies = ReadonlyMap<string, string>

/** The login transaction cookie's payload: with a store, the id of the session it replaces. */
interface SealedTransaction extends Transaction {
  replaces?: string
}

/** The AAD name RP-initiated logout's sealed `state` is bound to (no cookie has it). */
const LOGOUT_STATE = 'oidc-hybrid logout state'

/** A login or refresh that did not settle within its bounded steps (a defect, never input). */
const unsettled = () => new OidcHybridError('ILLEGAL_TRANSITION', 'the protocol did not settle')

/** A state is a base64url value we generated; anything else cannot name a cookie of ours. */
const TRANSACTION_STATE = /^[\w-]+$/

/** The request URL; adapters must pass an absolute one. */
function requestUrl(request: AuthRequest): URL {
  try {
    return new URL(request.url)
  } catch {
    throw new ConfigurationError('the adapter must pass an absolute request URL')
  }
}

/**
 * Creates the engine; validates the configuration now (throws ConfigurationError). Each of
 * `config.extensions` then joins it, in order.
 */
export function createHybridAuth(config: HybridAuthConfig): HybridAuth {
  const engine = new HybridAuth(resolveConfig(config))
  for (const extension of config.extensions ?? []) extension.engine?.(engine)
  return engine
}

export class HybridAuth implements ExtensibleEngine {
  /** The resolved configuration (it holds the cookie secrets: never log or send it). */
  readonly config: ResolvedConfig
  /** `config` under a private name, which minifiers shorten. */
  readonly #config: ResolvedConfig
  /** Discovery and JWKS, cached; a bearer verifier created with `{ engine }` shares it. */
  readonly provider: ProviderCache
  readonly #http: HttpOptions
  readonly #refreshes: RefreshCoordinator<{
    scope: string | undefined
    extra: Record<string, string> | undefined
    session: Session
  }>
  readonly #sealer: Promise<CookieSealer>
  readonly #client: ProtocolContext['client']
  /** Transaction cookies: one per login, keyed by state, SameSite=None (form_post is cross-site). */
  readonly #tx: CookieAttributes
  /** States already used on a callback, until their transaction would have expired. */
  readonly #usedStates = new Map<string, number>()

  constructor(config: ResolvedConfig) {
    this.config = this.#config = config
    const { now } = config
    this.#http = { fetch: config.fetch, timeout: config.httpTimeout, maxBodyBytes: 1 << 20 }
    this.provider = new ProviderCache({
      issuerBaseURL: config.issuerBaseURL,
      http: this.#http,
      now,
      maxAge: config.cacheMaxAge,
      jwksCooldown: config.jwksCooldown,
      onStale: (error) =>
        config.log({
          level: 'warn',
          event: 'provider_refetch_failed',
          // The cached discovery document or JWKS is served meanwhile.
          code: isOidcHybridError(error) ? error.code : undefined,
        }),
    })
    this.#refreshes = new RefreshCoordinator(now)
    this.#client = clientMetadata(config)
    this.#tx = cookie('/', 'None', config.transaction.maxAge)
    this.#sealer = CookieSealer.create(config.secrets, config.crypto)
    // A rejected sealer surfaces on first use; avoid an unhandled rejection in the meantime.
    this.#sealer.catch(() => {})
  }

  /**
   * Answers the login, callback, logout and (when enabled) back-channel logout routes, and the
   * return from RP-initiated logout (see {@link logoutReturn}); `undefined` for anything else.
   * Failures come back as a response with `error` set and the status from the error table.
   */
  async handle(request: AuthRequest): Promise<AuthResponse | undefined> {
    const { pathname, search } = requestUrl(request)
    const route = this.routeOf(request.method, pathname, search)
    return route && this[route](request)
  }

  /**
   * Which of the engine's routes `method` and `path` name: GET login, the callback (any method,
   * so a wrong one gets a typed error), GET logout, POST back-channel logout (when enabled), and
   * `logoutReturn`: a GET whose query (`search`, with or without `?`) has a `state` sealed the way
   * this engine seals (`v1.`), maybe the return from RP-initiated logout.
   * Adapters ask first, then read the form body only when {@link readsForm} says so.
   */
  routeOf(
    method: string,
    path: string,
    search?: string,
  ): 'login' | 'callback' | 'logout' | 'backchannelLogout' | 'logoutReturn' | undefined {
    const { login, callback, logout, backchannelLogout } = this.#config.routes
    if (path === callback) return 'callback'
    if (path === backchannelLogout && method === 'POST') return 'backchannelLogout'
    if (method === 'GET') {
      if (path === login) return 'login'
      if (path === logout) return 'logout'
      // Cheap for every other request: nothing is parsed or unsealed here.
      if (/(^|[?&])state=v[12]\./.test(search ?? '')) return 'logoutReturn'
    }
  }

  /**
   * Whether a request to `route` (from {@link routeOf}) carries a form body the adapter must read
   * and pass as `body`: a POST to the callback (form_post) or to back-channel logout.
   */
  readsForm(route: string | undefined, method: string): boolean {
    return method === 'POST' && (route === 'callback' || route === 'backchannelLogout')
  }

  /**
   * Starts a login: a transaction cookie and a redirect to the authorization endpoint.
   * `returnTo` comes from the options or the `returnTo` query parameter, same-origin only.
   *
   * @see [OIDC Core 3.3.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthRequest)
   */
  login(request: AuthRequest, options: LoginOptions = {}): Promise<AuthResponse> {
    return this.#answer(request, async (cookies, headers) => {
      const returnTo = this.#returnTo(request, options)
      const { authorization: configured, crypto } = this.#config
      const override = toAuthorizationOptions(options.authorizationParams)
      // `GET /login?prompt=none`: a silent login, the one authorization parameter a link may set.
      if (requestUrl(request).searchParams.get('prompt') === 'none') override.prompt = 'none'
      // Overrides add to the configured parameters; they never erase them (organization, ...).
      const authorization: AuthorizationOptions = {
        ...configured,
        ...override,
        extra: { ...configured.extra, ...override.extra },
        returnTo,
        dpop: options.dpop,
      }
      assertFormPost(authorization)
      const random = () => encode(crypto.randomBytes(32))
      for (const line of await this.#pruneTransactions(cookies)) headers.append('set-cookie', line)
      return [
        { kind: 'Idle' },
        {
          type: 'LoginRequested',
          options: authorization,
          random: { state: random(), nonce: random(), codeVerifier: random() },
        },
        // The stored session this login will replace, noted now: the session cookie is
        // SameSite=Lax, so the cross-site form_post callback does not carry it.
        await this.#storedId(cookies),
      ]
    })
  }

  /**
   * Completes a login from the form_post callback: every front-channel check, then the code
   * exchange and its checks, then the session cookie and a redirect to `returnTo`.
   *
   * @see [OIDC Core 3.3.2.8-3.3.3.8](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthResponse)
   * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
   */
  callback(request: AuthRequest): Promise<AuthResponse> {
    return this.#answer(request, async (cookies) => {
      const params = parseCallbackRequest({
        method: request.method,
        url: request.url,
        contentType: request.headers.get('content-type'),
        body: request.body ?? null,
      })
      const transaction = await this.#readTransaction(stateOf(params), cookies)
      // A code in a query (no body: a GET) answers only a login that asked for one (RFC 6749
      // 4.1.2); any other login's code comes in its form_post body.
      if (!request.body && params.code && transaction.responseMode !== 'query') {
        throw new OidcHybridError('CALLBACK_PARAMETERS_IN_QUERY', 'a code in a query')
      }
      return [
        { kind: 'LoginStarted', transaction },
        { type: 'CallbackReceived', params },
        transaction.replaces,
      ]
    })
  }

  /**
   * Ends the session and, when configured and possible, the provider's session too
   * (RP-initiated logout, or Auth0 `/v2/logout`).
   *
   * @see [OpenID Connect RP-Initiated Logout 1.0 2](https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout)
   */
  logout(request: AuthRequest, options: { returnTo?: string } = {}): Promise<AuthResponse> {
    return this.#answer(request, async (cookies) => {
      const { baseURL, routes, idpLogout, logoutMode, now, transaction } = this.#config
      const returnTo = new URL(
        this.#returnTo(request, options) ?? routes.postLogoutRedirect,
        baseURL,
      ).href
      const { session, id } = await this.#readSession(cookies)
      // RFC 7009: a copy of the session can no longer refresh. Best effort: the logout goes on
      // (a provider without a revocation_endpoint included).
      if (session?.refreshToken && this.#config.revokeOnLogout) {
        const { clientAuth } = this.#config
        const provider = await this.provider.metadata()
        await buildRevocationRequest(
          { provider, client: this.#client, clientAuth },
          session.refreshToken,
        )
          .then((request) => this.send(request))
          .catch(() => {})
      }
      return [
        session && idpLogout ? { kind: 'Authenticated', session } : { kind: 'Idle' },
        {
          type: 'LogoutRequested',
          returnTo,
          // `state`: sent with RP-initiated logout only; `returnTo` sealed (a random IV, bound
          // to its purpose and expiry), checked by logoutReturn. No cookie is needed.
          logout: {
            postLogoutRedirectUri: returnTo,
            mode: logoutMode,
            state: await this.#seal(LOGOUT_STATE, returnTo, now() + transaction.maxAge),
          },
        },
        // The stored session that ends (deleted with the cookie).
        id,
      ]
    })
  }

  /**
   * The browser back from RP-initiated logout with the `state` sent: `returnTo`, sealed by this
   * engine. When one `state` opens, has not expired and names this app's origin and this path,
   * the browser is redirected to `returnTo` (the URL without `state`). Anything else, a forged or
   * expired state or another app's, is the app's to answer (`undefined`): nothing to undo, the
   * session ended at the logout.
   *
   * @see [OpenID Connect RP-Initiated Logout 1.0 2, 3](https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout)
   */
  async logoutReturn(request: AuthRequest): Promise<AuthResponse | undefined> {
    const url = requestUrl(request)
    for (const state of url.searchParams.getAll('state')) {
      const opened = await this.#unseal<string>(LOGOUT_STATE, state).catch(() => {})
      const to = opened && opened.expiresAt > this.#config.now() && new URL(opened.payload)
      // Ours only on the origin and path the state names (this app's `baseURL`, the returnTo).
      if (to && to.origin === this.#config.baseURL.origin && to.pathname === url.pathname) {
        return {
          status: 302,
          headers: new Headers({ 'cache-control': 'no-store', location: to.href }),
        }
      }
    }
  }

  /**
   * Back-channel logout: verifies the provider's Logout Token (signature, claims, not seen
   * before) and deletes the sessions it names (its `sub` and/or `sid`) from the session store.
   * 200 when done; any failure is a 400 (Back-Channel Logout 1.0 2.8): `LOGOUT_TOKEN_INVALID`,
   * or `SESSION_STORE_FAILED` when the store fails; 500 only for a misconfiguration. Never cached.
   *
   * @see [OpenID Connect Back-Channel Logout 1.0 2.5-2.8](https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest)
   */
  async backchannelLogout(request: AuthRequest): Promise<AuthResponse> {
    const handler = this.#config.backchannelLogout
    // The handler answers every failure itself (400, Back-Channel Logout 1.0 2.8).
    if (handler) return handler.handle(this, request)
    const off = new ConfigurationError('back-channel logout is off; pass backchannelLogout()')
    return this.#failed(off, new Headers({ 'cache-control': 'no-store' }))
  }

  /**
   * Loads the session of a request once, for everything a handler may do with it: read the user,
   * get a fresh access token, refresh, fetch userinfo, call an API. Expired, tampered or foreign
   * cookies count as no session and are cleared. The adapter sends `takeSetCookies()` with the
   * response.
   */
  async load(request: AuthRequest): Promise<RequestSession> {
    const cookies = parseCookieHeader(request.headers.get('cookie'))
    const { session, id, setCookies } = await this.#readSession(cookies)
    const { now } = this.#config
    const operations: SessionOperations = {
      refresh: (current, scope, force, extra) => this.refreshSession(current, scope, force, extra),
      write: (current) => this.#writeSession(current, cookies, id),
      userinfo: async (current) =>
        processUserinfoResponse(
          await this.send(
            buildUserinfoRequest(await this.provider.metadata(), current.accessToken, current.dpop),
          ),
          current.sub,
        ),
      fetch: (request, dpop) => this.fetchApi(request, dpop),
      isExpired: (current) => this.#isExpired(current),
      now,
      forApi: (loaded, options) => this.#config.apiTokens.get(loaded, options),
    }
    // With a store, refresh is coordinated through it (across instances, with a lease).
    return new RequestSession(
      this.#config.session.store?.lend(id, operations) ?? operations,
      session,
      setCookies,
    )
  }

  /**
   * Refreshes `session` with its refresh token (optionally for a reduced `scope`). Requests with
   * the same refresh token share a refresh in flight; after a rotation, a late request with the
   * spent token gets that result when it has the same scope and a live access token, and
   * otherwise refreshes with the successor token, so a rotated token is never sent twice. With
   * `force` (or without rotation) the provider is always asked. The caller stores the result.
   *
   * @see [OIDC Core 12.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshingAccessToken)
   * @see [RFC 6749 6](https://www.rfc-editor.org/rfc/rfc6749#section-6) rotation is optional
   */
  async refreshSession(
    session: Session,
    scope?: string,
    force = false,
    extra?: Record<string, string>,
  ): Promise<Session> {
    let current = session
    // Each pass moves to a newer refresh token or settles; bounded for pathological races.
    for (let attempt = 0; attempt < 4; attempt++) {
      const from = current
      const key = from.refreshToken ?? ''
      const rotated = this.#refreshes.rotated(key)
      if (rotated) {
        // Served only while it is the newest: a successor rotated again is followed instead.
        const fresh = !this.#refreshes.rotated(rotated.session.refreshToken ?? '')
        if (
          fresh &&
          !force &&
          rotated.scope === scope &&
          !rotated.extra &&
          !this.#isExpired(rotated.session)
        ) {
          return rotated.session
        }
        current = rotated.session
        continue
      }
      const result = await this.#refreshes.run(
        key,
        async () => {
          // No headers: the caller decides where the refreshed session is stored.
          // A refresh settles Authenticated (the machine's table); a failure was thrown.
          const settled = await this.#drive(
            { kind: 'Authenticated', session: from },
            { type: 'RefreshRequested', scope, extra },
            undefined,
            new Map(),
          )
          // Authenticated: the machine's table (a test holds it to that).
          const { session } = settled as Extract<State, { kind: 'Authenticated' }>
          return { scope, extra, session: this.#keepClaims(session) }
        },
        (result) => result.session.refreshToken !== key,
      )
      // Joined a refresh for another scope or API: go again from its result (its successor).
      if (result.scope === scope && result.extra === extra) return result.session
      current = result.session
    }
    throw unsettled()
  }

  // ---- internals -------------------------------------------------------------------------

  /** Whether the access token has expired, or will within `refreshLeeway`. */
  #isExpired({ expiresAt }: Session): boolean {
    const { now, refreshLeeway } = this.#config
    return expiresAt !== undefined && expiresAt - refreshLeeway <= now()
  }

  /** The session with only the claims `filterClaims` keeps (and the protocol's own). */
  #keepClaims(session: Session): Session {
    return this.#config.filterClaims?.filter(session) ?? session
  }

  /**
   * Runs a route: `prepare` gives the machine's start and event, which are driven to the end.
   * A library error becomes its status (no redirect); anything else is thrown.
   */
  async #answer(
    request: AuthRequest,
    prepare: (
      cookies: Cookies,
      headers: Headers,
    ) => Promise<[State, Event, replaces?: string | undefined]>,
  ): Promise<AuthResponse> {
    // no-referrer: a callback URL may hold a code (response_mode=query); an error page rendered
    // at it must not send it on in a Referer (RFC 9700 4.2.4).
    const headers = new Headers({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
    try {
      const cookies = parseCookieHeader(request.headers.get('cookie'))
      const [start, event, replaces] = await prepare(cookies, headers)
      await this.#drive(start, event, headers, cookies, replaces)
      return { status: 302, headers }
    } catch (error) {
      if (!isOidcHybridError(error)) throw error
      return this.#failed(error, headers)
    }
  }

  /** A library error as the route's answer: its status, no redirect, logged. */
  #failed(error: OidcHybridError, headers: Headers): AuthResponse {
    const { code, message } = error
    this.#config.log({ level: 'warn', event: 'request_failed', code, message })
    headers.delete('location')
    return { status: statusForError(code), headers, error }
  }

  #returnTo(request: AuthRequest, options: { returnTo?: string }): string | undefined {
    return validateReturnTo(
      options.returnTo ?? requestUrl(request).searchParams.get('returnTo'),
      this.#config.baseURL.href,
    )
  }

  /**
   * Runs the machine from `state` with `event`, performing effects until it settles, and returns
   * the final state. Without `headers`, cookie and redirect effects are not performed.
   * `replaces`: the id of the stored session a login replaces (see `login`) or a logout ends.
   */
  async #drive(
    state: State,
    event: Event,
    headers: Headers | undefined,
    cookies: Cookies,
    replaces?: string,
  ): Promise<State> {
    const { config, provider } = this
    // One context, its time and keys updated per step: no spread (V8 on Node 20 spends
    // microseconds on spreads that add keys).
    const context: ProtocolContext = {
      client: this.#client,
      clockTolerance: config.clockTolerance,
      crypto: config.crypto,
      clientAuth: config.clientAuth,
      provider: await provider.metadata(),
      jwks:
        event.type === 'CallbackReceived' || event.type === 'RefreshRequested'
          ? await provider.jwks()
          : { keys: [] },
      now: 0,
    }
    // Each login or refresh needs at most: keys, token response, keys again. Bounded anyway.
    for (let steps = 0; steps < 7; steps++) {
      if (event.type === 'KeysReceived') context.jwks = event.jwks
      context.now = config.now()
      const result = await step(context, state, event)
      state = result.state
      let next: Event | undefined
      for (const effect of result.effects) {
        next = (await this.#perform(effect, headers, cookies, replaces)) ?? next
      }
      if (state.kind === 'Failed') throw state.error
      if (!next) return state
      event = next
    }
    throw unsettled()
  }

  async #perform(
    effect: Effect,
    headers: Headers | undefined,
    cookies: Cookies,
    replaces: string | undefined,
  ): Promise<Event | undefined> {
    switch (effect.type) {
      case 'Http':
        return { type: 'TokenResponseReceived', response: await this.send(effect.request) }
      case 'NeedKeys':
        return { type: 'KeysReceived', jwks: await this.provider.jwksAfterUnknownKid() }
    }
    if (!headers) return
    const tx = this.#tx
    let lines: string[]
    switch (effect.type) {
      case 'Redirect':
        headers.set('location', new URL(effect.url, this.#config.baseURL).href)
        return
      case 'SetTransaction': {
        const { transaction } = effect
        const name = this.#txName(transaction.state)
        const expiresAt = transaction.createdAt + tx.maxAge!
        const sealed: SealedTransaction = replaces ? { ...transaction, replaces } : transaction
        lines = [serializeCookie(name, await this.#seal(name, sealed, expiresAt), tx)]
        break
      }
      case 'ClearTransaction':
        lines = [expireCookie(this.#txName(effect.state), tx)]
        break
      case 'SetSession':
        // A new login: the session gets a new id (no fixation); the one it replaces, noted at the
        // login or (same-site callbacks) in the cookie, is deleted.
        await this.#forget(await this.#storedId(cookies), replaces)
        lines = await this.#writeSession(this.#keepClaims(effect.session), cookies)
        break
      default:
        await this.#forget(replaces)
        lines = clearChunkedCookie(this.#config.session.name, this.#sessionCookie(), cookies)
    }
    for (const line of lines) headers.append('set-cookie', line)
  }

  /**
   * Sends a request a protocol step built, the one way the engine reaches the provider's
   * endpoints (token, userinfo, revocation; PAR through its extension): the configured
   * `clientAuth` is applied first when the request asks for it (`applyClientAuth`: a signed
   * assertion needs the clock and randomness, which the protocol does not have). An extension may
   * wrap it (a DPoP proof, tracing).
   */
  async send(request: HttpRequest): Promise<HttpResponseData> {
    if (request.applyClientAuth) {
      const { issuer, token_endpoint } = await this.provider.metadata()
      const body = new URLSearchParams(request.body)
      const headers = new Headers(request.headers)
      try {
        await this.#config.applyClientAuth!(
          { issuer, token_endpoint },
          { client_id: this.#client.client_id },
          body,
          headers,
        )
      } catch (error) {
        throw new ConfigurationError('custom clientAuth failed: check its key', { cause: error })
      }
      request = { ...request, headers: Object.fromEntries(headers), body: body.toString() }
    }
    return send(request, this.#http)
  }

  /**
   * Calls an API for a request session (`fetchWithAccessToken`), its `Authorization` set; `dpop`
   * is the session's DPoP key when its token is DPoP-bound, whose proof `dpop()`, wrapping this,
   * adds (RFC 9449 7).
   */
  fetchApi(request: Request, _dpop?: JsonWebKey): Promise<Response> {
    return this.#config.fetch(request)
  }

  async #seal(name: string, payload: unknown, expiresAt: number): Promise<string> {
    return (await this.#sealer).seal(name, payload, expiresAt)
  }

  async #unseal<T>(name: string, sealed: string): Promise<UnsealResult<T>> {
    return (await this.#sealer).unseal<T>(name, sealed)
  }

  // ---- transaction cookies

  #txName(state: string): string {
    return `${this.#config.transaction.name}_${state}`
  }

  async #readTransaction(state: string, cookies: Cookies): Promise<SealedTransaction> {
    const now = this.#config.now()
    const used = this.#usedStates
    const { maxAge } = this.#tx
    if ((used.get(state) ?? 0) > now) {
      throw new OidcHybridError('TRANSACTION_MISSING', 'this login response was already used')
    }
    const name = this.#txName(state)
    const sealed = TRANSACTION_STATE.test(state) ? cookies.get(name) : undefined
    if (sealed === undefined) {
      // Likely causes: the SameSite=None cookie was blocked (callback not on https or
      // http://localhost), another browser, another host name than `baseURL`, or two apps
      // sharing the cookie name (`transaction.name`).
      throw new OidcHybridError(
        'TRANSACTION_MISSING',
        'login cookie (SameSite=None) not sent back; start a new login',
        { details: { cookie: name } },
      )
    }
    // Marked before any await: two concurrent replays cannot both reach the token endpoint.
    remember(used, state, now + maxAge!, now)
    const opened = await this.#unseal<SealedTransaction>(name, sealed)
    if (opened.expiresAt <= now) {
      throw new OidcHybridError('TRANSACTION_EXPIRED', 'the login took too long; start a new one', {
        details: { maxAge },
      })
    }
    return opened.payload
  }

  /** Expires transaction cookies beyond the cap (oldest first) and any that no longer open. */
  async #pruneTransactions(cookies: Cookies): Promise<string[]> {
    const prefix = this.#txName('')
    const now = this.#config.now()
    const live: Array<[createdAt: number, name: string]> = []
    const expired: string[] = []
    for (const [name, value] of cookies) {
      if (!name.startsWith(prefix)) continue
      try {
        const opened = await this.#unseal<Transaction>(name, value)
        if (opened.expiresAt > now) {
          live.push([opened.payload.createdAt, name])
          continue
        }
      } catch {
        // A cookie that does not open (old secret, tampered) is expired too.
      }
      expired.push(name)
    }
    live.sort((a, b) => a[0] - b[0])
    const excess = live.length - this.#config.transaction.maxCount + 1
    for (const [, name] of live.slice(0, Math.max(0, excess))) expired.push(name)
    return expired.map((name) => expireCookie(name, this.#tx))
  }

  // ---- session cookie: sealed, chunked above ~4 KB, rolling and absolute lifetimes

  /** The session cookie's attributes. */
  #sessionCookie(maxAge?: number): CookieAttributes {
    const { path, sameSite, domain } = this.#config.session
    return cookie(path, sameSite, maxAge, domain)
  }

  #sessionExpiry(session: Session, now: number): number {
    const { absoluteDuration, rolling, rollingDuration } = this.#config.session
    const absolute = session.createdAt + absoluteDuration
    return rolling ? Math.min(absolute, now + rollingDuration) : absolute
  }

  /**
   * Seals `session` into the cookie, or with a store writes it under `id` (a new random id when
   * none is given: a new login) and seals only the id. An update of an existing id is written
   * only while the store still has it, so a refresh or a rolling expiry that was under way when
   * the session was deleted (logout, back-channel logout) does not bring it back.
   */
  async #writeSession(session: Session, cookies: Cookies, id?: string): Promise<string[]> {
    const now = this.#config.now()
    const expiresAt = this.#sessionExpiry(session, now)
    const { name, store } = this.#config.session
    const { crypto } = this.#config
    const payload: SealedSession = store
      ? { id: await store.write(session, id, expiresAt, crypto) }
      : packSession(session, crypto)
    const sealed = await this.#seal(name, payload, expiresAt)
    return writeChunkedCookie(name, sealed, this.#sessionCookie(expiresAt - now), cookies)
  }

  async #readSession(
    cookies: Cookies,
  ): Promise<{ session?: Session; id?: string; setCookies: string[] }> {
    const { name, absoluteDuration, rolling, store } = this.#config.session
    const sealed = readChunkedCookie(name, cookies)
    if (sealed === undefined) return { setCookies: [] }
    const opened = await this.#openSession(sealed)
    const now = this.#config.now()
    const id = opened?.payload.id
    let session = opened && unpackSession(opened.payload, this.#config.crypto)
    // With a store, only an unexpired cookie's id is looked up; a cookie holding a whole
    // session (sealed before the store was configured) is no session.
    if (store) {
      session = typeof id === 'string' && opened!.expiresAt > now ? await store.read(id) : undefined
    }
    if (
      !opened ||
      !session ||
      opened.expiresAt <= now ||
      session.createdAt + absoluteDuration <= now
    ) {
      return { setCookies: clearChunkedCookie(name, this.#sessionCookie(), cookies) }
    }
    // Reseal when the secret rotated, or roll the expiry forward at most once a minute.
    const roll = rolling && this.#sessionExpiry(session, now) - opened.expiresAt >= 60
    return {
      session,
      id,
      setCookies: opened.stale || roll ? await this.#writeSession(session, cookies, id) : [],
    }
  }

  /** The session cookie's payload; `undefined` when it does not open. */
  async #openSession(sealed: string): Promise<UnsealResult<SealedSession> | undefined> {
    try {
      return await this.#unseal<SealedSession>(this.#config.session.name, sealed)
    } catch (error) {
      if (!isOidcHybridError(error)) throw error
      this.#config.log({ level: 'warn', event: 'session_cookie_rejected', code: error.code })
    }
  }

  /**
   * With a store: the id of the live stored session the request's cookie points to, if any (an
   * expired copy of a rolled cookie names no session: it must not delete the live one).
   */
  async #storedId(cookies: Cookies): Promise<string | undefined> {
    return this.#config.session.store && (await this.#readSession(cookies)).id
  }

  /** With a store: deletes the stored sessions `ids` names (each once). */
  async #forget(...ids: Array<string | undefined>): Promise<void> {
    await this.#config.session.store?.forget(ids)
  }
}

/** Set-Cookie attributes of our cookies: always Secure and HttpOnly. */
function cookie(
  path: string,
  sameSite: CookieAttributes['sameSite'],
  maxAge?: number,
  domain?: string,
): CookieAttributes {
  return { path, domain, secure: true, httpOnly: true, sameSite, maxAge }
}
