/**
 * @oidc-hybrid/express — the OpenID Connect Hybrid Flow for Express 4 and 5. A translator between
 * Express's request and response and the core engine: no protocol logic lives here. The names
 * are express-openid-connect's where they apply (`auth`, `requiresAuth`, `req.oidc`).
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { auth, requireAuth } from '@oidc-hybrid/express'
 *
 * const app = express()
 * app.use(auth({
 *   issuerBaseURL: 'https://tenant.auth0.com',
 *   baseURL: 'https://app.example.com',
 *   clientID: 'abc',
 *   clientSecret: process.env.CLIENT_SECRET,
 *   secret: process.env.COOKIE_SECRET!,
 *   authorizationParams: { scope: 'openid profile offline_access', audience: 'https://api.example.com' },
 * }))
 * app.get('/', requireAuth(), (req, res) => { res.send(`hello ${req.oidc.user?.name}`) })
 * ```
 */
import {
  type AccessTokenOptions,
  type AccessTokenView,
  type AuthRequest,
  type AuthResponse,
  type BearerVerifier,
  type BearerVerifierConfig,
  createBearerVerifier,
  createHybridAuth,
  type HybridAuth,
  type HybridAuthConfig,
  isOidcHybridError,
  type LoginOptions,
  type RequestSession,
  type RequireBearerOptions,
  type StepUp,
  type UserinfoClaims,
  type VerifiedBearer,
} from '@oidc-hybrid/core'
import {
  loginOrDeny,
  type OidcSessionView,
  plainHttpProblem,
  renderError,
  SessionContext,
} from '@oidc-hybrid/core/adapter'
import { NodeCryptoProvider } from '@oidc-hybrid/crypto-node'
import type {
  ErrorRequestHandler,
  Request as ExpressRequest,
  Response as ExpressResponse,
  RequestHandler,
} from 'express'
import { readFormBody } from './body.js'

export type {
  AccessTokenView,
  AuthEvent,
  AuthEventType,
  BearerVerifierConfig,
  DpopMode,
  DpopNonceOptions,
  DpopReplayCheck,
  EventsOptions,
  HybridAuthConfig,
  RequireBearerOptions,
  SessionStore,
  VerifiedBearer,
} from '@oidc-hybrid/core'
export {
  apiTokens,
  backchannelLogout,
  checkProvider,
  claimsFilter,
  type DpopOptions,
  dpop,
  events,
  MemorySessionStore,
  privateKeyJwt,
  pushedAuthorization,
  StepUp,
  type StepUpOptions,
  serverSessions,
  signedRequests,
  stepUp,
  stepUpChallenge,
} from '@oidc-hybrid/core'

/**
 * `req.oidc`: the request's authentication state and actions. `OidcContext` is its name in every
 * adapter.
 */
export interface OidcContext extends OidcSessionView {
  /** Starts a login from any handler (express-openid-connect: `res.oidc.login`). */
  login(options?: LoginOptions): Promise<void>
  /** Logs out from any handler (express-openid-connect: `res.oidc.logout`). */
  logout(options?: { returnTo?: string }): Promise<void>
  /**
   * `true` when logged in (and, with a `stepUp(...)` requirement, when the session meets it);
   * otherwise the answer is sent and `false`: browsers (HTML, GET) are sent to the login (with
   * `acr_values` / `max_age` for a requirement) and come back to this URL, other clients get 401
   * JSON (`SESSION_MISSING`, `STEP_UP_REQUIRED`).
   */
  requireAuth(requirement?: StepUp): Promise<boolean>
}

declare global {
  namespace Express {
    interface Request {
      /** The authentication state and actions, set by `auth()`. */
      oidc: OidcContext
      /** The verified access token, set by `requireBearer()`. */
      auth?: VerifiedBearer
    }
  }
}

export interface ExpressAuthConfig extends HybridAuthConfig {
  /** Use an engine you created (shares caches between apps); otherwise one is created. */
  engine?: HybridAuth
}

/** Behind a TLS-terminating proxy, Express sees https only when it trusts the proxy. */
const PROXY_ADVICE = "behind a TLS-terminating proxy set `app.set('trust proxy', 1)`"

/**
 * The Express request as the engine reads it: the protocol as Express decided it (`trust
 * proxy`), the Host header, and the URL as received (`originalUrl`: a mounted app's `url` is cut).
 */
function toAuthRequest(req: ExpressRequest, engine: HybridAuth, body?: string): AuthRequest {
  const url = `${req.protocol}://${req.get('host')}${req.originalUrl}`
  return {
    method: req.method,
    // A missing or unusable Host: the engine reads only the path and query, so baseURL's origin.
    url: URL.canParse(url) ? url : `${engine.config.baseURL.origin}${req.originalUrl}`,
    headers: { get: (name) => req.get(name) ?? null },
    body,
  }
}

/** Appends Set-Cookie lines, keeping the ones already set (each cookie is its own header). */
function appendSetCookies(res: ExpressResponse, lines: string[]): void {
  if (lines.length > 0 && !res.headersSent) res.append('set-cookie', lines)
}

/** Sends status and body with Node's own calls: no ETag, no content sniffing by `res.send`. */
function send(res: ExpressResponse, status: number, body: string, contentType?: string): void {
  if (contentType !== undefined) res.setHeader('content-type', contentType)
  res.statusCode = status
  res.end(body)
}

function sendError(
  req: ExpressRequest,
  res: ExpressResponse,
  error: unknown,
  status?: number,
): void {
  const rendered = renderError(error, req.get('accept'), status)
  // An error answer is about this request only: never cached (as the other adapters answer).
  res.setHeader('cache-control', 'no-store')
  send(res, rendered.status, rendered.body, rendered.contentType)
}

function applyResponse(req: ExpressRequest, res: ExpressResponse, response: AuthResponse): void {
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value)
  }
  appendSetCookies(res, response.headers.getSetCookie())
  if (response.error) sendError(req, res, response.error, response.status)
  else send(res, response.status, response.body ?? '')
}

/**
 * `req.oidc`. Express handlers send their answer whenever they like, so every Set-Cookie line
 * (rolling session, refresh) is written as soon as it exists, not after the handler.
 */
class ExpressOidcContext extends SessionContext implements OidcContext {
  readonly #req: ExpressRequest
  readonly #res: ExpressResponse
  readonly #engine: HybridAuth

  constructor(
    req: ExpressRequest,
    res: ExpressResponse,
    engine: HybridAuth,
    loaded: RequestSession,
  ) {
    super(loaded)
    this.#req = req
    this.#res = res
    this.#engine = engine
  }

  override get accessToken(): AccessTokenView | undefined {
    const session = this.loaded.session
    return session && this.loaded.viewOf(session, (run) => this.#track(run))
  }

  override getAccessToken(options?: AccessTokenOptions): Promise<AccessTokenView> {
    return this.#track(async () =>
      this.loaded.viewOf(await this.loaded.getAccessToken(options), (run) => this.#track(run)),
    )
  }

  override fetchUserInfo(): Promise<UserinfoClaims> {
    return this.#track(() => super.fetchUserInfo())
  }

  override fetch(
    input: string | URL | Request,
    init?: RequestInit,
    options?: AccessTokenOptions,
  ): Promise<Response> {
    return this.#track(() => super.fetch(input, init, options))
  }

  async login(options?: LoginOptions): Promise<void> {
    const request = toAuthRequest(this.#req, this.#engine)
    applyResponse(this.#req, this.#res, await this.#engine.login(request, options))
  }

  async logout(options?: { returnTo?: string }): Promise<void> {
    const request = toAuthRequest(this.#req, this.#engine)
    applyResponse(this.#req, this.#res, await this.#engine.logout(request, options))
  }

  async requireAuth(requirement?: StepUp): Promise<boolean> {
    const request = toAuthRequest(this.#req, this.#engine)
    const answer = requirement
      ? await requirement.answer(this.#engine, request, this.session)
      : !this.isAuthenticated() && (await loginOrDeny(this.#engine, request))
    if (answer) applyResponse(this.#req, this.#res, answer)
    return !answer
  }

  /** Writes the Set-Cookie lines produced so far onto the response. */
  flush(): void {
    appendSetCookies(this.#res, this.loaded.takeSetCookies())
  }

  async #track<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } finally {
      this.flush()
    }
  }
}

/**
 * Answers the login (GET), callback (form_post), logout (GET), back-channel logout (POST, when
 * configured) and logout-return routes, and loads the session into `req.oidc` for every other
 * request. Unlike express-openid-connect's `auth()`, it does not require a login everywhere
 * (their `authRequired: true`): add `requireAuth()` where one is needed. Library errors are
 * answered with their status, a readable page (browsers) or JSON, and `Cache-Control: no-store`.
 * The middleware carries its `engine`: `await checkProvider(middleware.engine)` checks the
 * configuration against the provider at startup.
 *
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 */
export function auth(config: ExpressAuthConfig): RequestHandler & { readonly engine: HybridAuth } {
  // node:crypto is ~2-4x faster than WebCrypto on Node for the same sealed format (bench/).
  const engine = config.engine ?? createHybridAuth({ crypto: new NodeCryptoProvider(), ...config })

  /** Answers the request (`false`) or readies `req.oidc` for the next handler (`true`). */
  async function answer(req: ExpressRequest, res: ExpressResponse): Promise<boolean> {
    const target = req.originalUrl
    const query = target.indexOf('?')
    const path = query === -1 ? target : target.slice(0, query)
    const route = engine.routeOf(req.method, path, query === -1 ? '' : target.slice(query + 1))
    if (route !== undefined) {
      const problem = plainHttpProblem(req.secure, req.hostname ?? '', PROXY_ADVICE)
      if (problem) {
        sendError(req, res, problem)
        return false
      }
      try {
        const body = engine.readsForm(route, req.method) ? await readFormBody(req) : undefined
        const response = await engine.handle(toAuthRequest(req, engine, body))
        if (response) {
          applyResponse(req, res, response)
          return false
        }
      } catch (error) {
        if (!isOidcHybridError(error)) throw error
        sendError(req, res, error)
        return false
      }
    }
    let loaded: RequestSession
    try {
      loaded = await engine.load(toAuthRequest(req, engine))
    } catch (error) {
      // e.g. SESSION_STORE_FAILED: its status (503), not Express's 500.
      if (!isOidcHybridError(error)) throw error
      sendError(req, res, error)
      return false
    }
    const oidc = new ExpressOidcContext(req, res, engine, loaded)
    req.oidc = oidc
    oidc.flush()
    return true
  }

  // Not an async function: Express 4 ignores a returned promise, so failures go to next(error).
  const oidcHybridAuth: RequestHandler = (req, res, next) => {
    answer(req, res).then((proceed) => proceed && next(), next)
  }
  // The engine rides along, e.g. for `await checkProvider(middleware.engine)` at startup.
  return Object.assign(oidcHybridAuth, { engine })
}

/**
 * Requires a logged-in user: browsers (HTML, GET) are sent to the login route and come back to
 * the page they asked for; other requests get 401 JSON. `requiresAuth` is the same function,
 * under express-openid-connect's name.
 *
 * With a requirement, `stepUp({ acr, maxAge })`, the session must also meet it (its `acr` one of
 * those, its `auth_time` recent enough): a session that does not is sent to log in again with
 * `acr_values` and `max_age` (browsers) or answered 401 `STEP_UP_REQUIRED`; a provider that does
 * not meet it ends that login with `ACR_NOT_SATISFIED` / `AUTH_TIME_INVALID`, never a loop.
 *
 * @see [OIDC Core 5.5.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#acrSemantics)
 * @example
 * ```ts
 * app.post('/transfers', requireAuth(stepUp({ acr: ['urn:example:mfa'], maxAge: 300 })), transfer)
 * ```
 */
export function requireAuth(requirement?: StepUp): RequestHandler {
  return function oidcHybridRequireAuth(req, _res, next) {
    if (req.oidc === undefined) {
      return next(new TypeError('requireAuth() needs the auth() middleware to run first'))
    }
    req.oidc.requireAuth(requirement).then((authenticated) => authenticated && next(), next)
  }
}

/** express-openid-connect's name for {@link requireAuth}: the same function. */
export const requiresAuth = requireAuth

/**
 * An error handler for this library's errors thrown in your handlers (`req.oidc.getAccessToken()`
 * when a refresh fails, `fetchUserInfo()` ...): their status (502 for an unreachable provider,
 * 401 for a session that cannot be refreshed), a page or JSON as for the login routes, and
 * `Cache-Control: no-store`. Other errors go on to your handlers. Mount it after your routes;
 * on Express 4, pass an async handler's rejection to `next` yourself.
 */
export function authErrorHandler(): ErrorRequestHandler {
  return function oidcHybridErrors(error, req, res, next) {
    if (!isOidcHybridError(error) || res.headersSent) return next(error)
    sendError(req, res, error)
  }
}

/**
 * Protects an API route with a bearer access token (RFC 9068 JWT, RFC 6750), or a DPoP-bound one
 * with its proof (RFC 9449; `dpop: 'allow'` by default, `'require'`, `'off'`): on success the
 * verified token is `req.auth` (`{ claims, scopes, jkt? }`); on failure the answer is
 * 400/401/403 with `WWW-Authenticate`, or 503 with `Retry-After` when the provider's discovery or
 * keys cannot be had. Pass a verifier (from `createBearerVerifier`) or its configuration;
 * `options.scopes` add to the verifier's. DPoP proofs name the URL Express sees (`req.protocol`
 * with `trust proxy`, the Host header): behind a proxy that rewrites it, set the verifier's
 * `origin`.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 9449 7](https://www.rfc-editor.org/rfc/rfc9449#section-7)
 */
export function requireBearer(
  verifier: BearerVerifier | BearerVerifierConfig,
  options: RequireBearerOptions = {},
): RequestHandler {
  const bearer = createBearerVerifier(verifier)
  return function oidcHybridRequireBearer(req, res, next) {
    const request = {
      method: req.method,
      url: `${req.protocol}://${req.get('host')}${req.originalUrl}`,
      headers: { get: (name: string) => req.get(name) ?? null },
    }
    bearer.verifyRequest(request, options).then(
      (verified) => {
        // A fresh DPoP-Nonce, when one is due.
        for (const [name, value] of Object.entries(verified.headers ?? {}))
          res.setHeader(name, value)
        req.auth = verified
        next()
      },
      (error: unknown) => {
        try {
          // Throws a misconfiguration again: the developer's to see, not a 401 for the client.
          const failure = bearer.failure(error, options)
          for (const [name, value] of Object.entries(failure.headers)) res.setHeader(name, value)
          send(res, failure.status, failure.body)
        } catch (misconfiguration) {
          next(misconfiguration)
        }
      },
    )
  }
}
