/**
 * @oidc-hybrid/fetch — the OpenID Connect Hybrid Flow for fetch runtimes: Cloudflare Workers,
 * Deno, Bun and Node. Web `Request` in, Web `Response` out; a translator between them and the core
 * engine, with no protocol logic and only Web APIs (no `node:*`, no `Buffer`).
 *
 * Create the engine once per isolate (at module scope, or lazily on the first request when the
 * configuration comes from a Worker's `env`): discovery and the JWKS are cached in it.
 *
 * @example
 * ```ts
 * import { createAuth } from '@oidc-hybrid/fetch'
 *
 * const auth = createAuth({
 *   issuerBaseURL: 'https://tenant.auth0.com',
 *   baseURL: 'https://app.example.com',
 *   clientID: 'abc',
 *   clientSecret: 'client-secret',
 *   secret: 'at-least-32-characters-of-random-secret',
 * })
 *
 * export default {
 *   fetch: auth.wrap(async (request, oidc) => {
 *     const denied = await oidc.requireAuth()
 *     if (denied) return denied
 *     return Response.json({ hello: oidc.user?.name })
 *   }),
 * }
 * ```
 */
import type {
  AccessTokenView,
  BearerVerifier,
  BearerVerifierConfig,
  HybridAuth,
  HybridAuthConfig,
  RequireBearerOptions,
  StepUp,
  VerifiedBearer,
} from '@oidc-hybrid/core'
// Every value from the adapter kit's entry (one module graph: the smallest Worker bundle).
import {
  type AuthRequest,
  type AuthResponse,
  createBearerVerifier,
  createHybridAuth,
  isOidcHybridError,
  type LoginOptions,
  OidcHybridError,
  type OidcSessionView,
  type RequestSession,
  renderError,
  SessionContext,
  wantsHtml,
} from '@oidc-hybrid/core/adapter'
import { readFormBody } from './body.js'

export type {
  AccessTokenView,
  AuthEvent,
  AuthEventType,
  BearerOptions,
  BearerRequest,
  BearerVerifierConfig,
  DpopMode,
  DpopNonceOptions,
  DpopReplayCheck,
  EventsOptions,
  HybridAuthConfig,
  IdTokenClaims,
  LoginOptions,
  RequireBearerOptions,
  Session,
  SessionStore,
  UserinfoClaims,
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
export { MAX_FORM_BYTES } from './body.js'

/** @deprecated Use `AccessTokenView`, the name in every adapter. */
export type AccessToken = AccessTokenView

/**
 * One request's authentication state and actions (`OidcContext`, the name in every adapter).
 * Cookies it has to update (session rolled, refreshed or cleared) are sent by
 * {@link OidcContext.respond}: pass your response through it.
 */
export interface OidcContext extends OidcSessionView {
  /** A response that starts a login (redirect to the provider), e.g. from a protected page. */
  login(options?: LoginOptions): Promise<Response>
  /** A response that logs out. */
  logout(options?: { returnTo?: string }): Promise<Response>
  /**
   * `undefined` when logged in; otherwise the answer to send: browsers (HTML, GET) are sent to the
   * login and come back to this URL, other clients get 401 JSON.
   */
  requireAuth(): Promise<Response | undefined>
  /** The error as a response: its status from the core's table, HTML for browsers, else JSON. */
  error(error: unknown): Response
  /**
   * Adds the Set-Cookie lines this request produced (rolling session, refresh, cleared cookie) to
   * `response` and returns it (a copy when its headers are immutable). Call it last.
   */
  respond(response: Response): Response
}

/** @deprecated Use `OidcContext`, the name in every adapter. */
export type AuthContext = OidcContext

/** Checks an API request's bearer token: the verified claims, or the RFC 6750 answer to send. */
export type BearerGuard = (request: Request) => Promise<VerifiedBearer | Response>

/**
 * The login side of an app. Bearer checks for API routes are {@link requireBearer}, separate so
 * that a worker without API routes does not bundle them; pass `{ engine: auth.engine, audience }`
 * to share this engine's discovery and JWKS cache.
 */
export interface FetchAuth {
  /** The core engine (config, provider cache, load, refreshSession, ...). */
  readonly engine: HybridAuth
  /**
   * Answers the login (GET), callback (form_post) and logout (GET) routes, and the return from
   * RP-initiated logout (its `state` checked); `undefined` otherwise.
   */
  handle(request: Request): Promise<Response | undefined>
  /** Loads the session of `request` (see {@link OidcContext}). */
  context(request: Request): Promise<OidcContext>
  /**
   * A fetch handler: answers the auth routes, gives every other request to `handler` with its
   * {@link OidcContext}, renders library errors it throws, and sends the cookies it produced.
   */
  wrap<Args extends unknown[]>(
    handler: (request: Request, oidc: OidcContext, ...args: Args) => Response | Promise<Response>,
  ): (request: Request, ...args: Args) => Promise<Response>
}

export interface FetchAuthConfig extends HybridAuthConfig {
  /** Use an engine you created (shares caches between apps); otherwise one is created. */
  engine?: HybridAuth
}

function toAuthRequest(request: Request, body?: string): AuthRequest {
  return { method: request.method, url: request.url, headers: request.headers, body }
}

/**
 * `error` as a response for `request`: the status from the core's table (or `status`, an engine
 * answer's own), an escaped HTML page when the client accepts HTML, JSON otherwise. Unknown
 * errors are a bare 500.
 */
export function errorResponse(
  error: unknown,
  request?: Request,
  headers: Headers = new Headers(),
  status?: number,
): Response {
  const rendered = renderError(error, request?.headers.get('accept'), status)
  const { body, contentType } = rendered
  headers.set('content-type', contentType)
  headers.set('cache-control', 'no-store')
  return new Response(body, { status: rendered.status, headers })
}

function toResponse({ error, body, status, headers }: AuthResponse, request: Request): Response {
  return error
    ? errorResponse(error, request, headers, status)
    : new Response(body, { status, headers })
}

/** The response for one of the library's errors; anything else is rethrown. */
function rendered(error: unknown, request: Request): Response {
  if (!isOidcHybridError(error)) throw error
  return errorResponse(error, request)
}

class FetchAuthContext extends SessionContext implements OidcContext {
  readonly #request: Request
  readonly #engine: HybridAuth

  constructor(request: Request, engine: HybridAuth, loaded: RequestSession) {
    super(loaded)
    this.#request = request
    this.#engine = engine
  }

  async login(options?: LoginOptions): Promise<Response> {
    return toResponse(
      await this.#engine.login(toAuthRequest(this.#request), options),
      this.#request,
    )
  }

  async logout(options?: { returnTo?: string }): Promise<Response> {
    return toResponse(
      await this.#engine.logout(toAuthRequest(this.#request), options),
      this.#request,
    )
  }

  async requireAuth(): Promise<Response | undefined> {
    if (this.isAuthenticated()) return
    const { method, headers, url } = this.#request
    if (method === 'GET' && wantsHtml(headers.get('accept'))) {
      const { pathname, search } = new URL(url)
      return this.login({ returnTo: pathname + search })
    }
    return this.error(new OidcHybridError('SESSION_MISSING', 'log in first'))
  }

  error(error: unknown): Response {
    return errorResponse(error, this.#request)
  }

  respond(response: Response): Response {
    for (const line of this.loaded.takeSetCookies()) {
      try {
        response.headers.append('set-cookie', line)
      } catch {
        // Responses from fetch() or Response.redirect() have immutable headers: copy once.
        response = new Response(response.body, response)
        response.headers.append('set-cookie', line)
      }
    }
    return response
  }
}

/**
 * A bearer check for API routes (RFC 9068 JWT access tokens, RFC 6750 answers), which also takes
 * DPoP-bound tokens with their proofs (RFC 9449; `dpop: 'allow'` by default, `'require'`,
 * `'off'`): pass a verifier (from `createBearerVerifier`) or its configuration — with
 * `issuerBaseURL` for an API-only worker, or with `engine: auth.engine` to share a login engine's
 * discovery and JWKS cache. Create it once per isolate so the JWKS stays cached. DPoP proofs name
 * `request.url`; behind a proxy that rewrites it, set the verifier's `origin`. With `dpopNonce`,
 * copy `bearer.headers` (a fresh `DPoP-Nonce`) to your response.
 *
 * @example
 * ```ts
 * const guard = requireBearer({ issuerBaseURL: 'https://tenant.auth0.com', audience: 'https://api.example.com' }, { scopes: ['read:messages'] })
 * const bearer = await guard(request)
 * if (bearer instanceof Response) return bearer // 400 / 401 / 403 with WWW-Authenticate, 503 in an outage
 * return Response.json({ sub: bearer.claims.sub }, { headers: bearer.headers })
 * ```
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
 * @see [RFC 9449 7](https://www.rfc-editor.org/rfc/rfc9449#section-7)
 */
export function requireBearer(
  verifier: BearerVerifier | BearerVerifierConfig,
  options: RequireBearerOptions = {},
): BearerGuard {
  const bearer = createBearerVerifier(verifier)
  return async (request) => {
    try {
      return await bearer.verifyRequest(request, options)
    } catch (error) {
      // Throws a misconfiguration again: the developer's to see, not a 401 for the client.
      const { body, status, headers } = bearer.failure(error, options)
      return new Response(body, { status, headers })
    }
  }
}

/**
 * Requires a logged-in user whose session meets `requirement` (`stepUp({ acr, maxAge })`, or
 * what `stepUpChallenge(apiResponse)` read from an API's RFC 9470 challenge): `undefined` when
 * it does; otherwise the answer to send: a browser (GET, HTML) is sent to log in again with
 * `acr_values` / `max_age` and comes back to this URL, other clients get 401 JSON
 * (`SESSION_MISSING`, `STEP_UP_REQUIRED` with what is needed). A provider that does not meet it
 * ends that login with `ACR_NOT_SATISFIED` / `AUTH_TIME_INVALID`, never a loop. A function of
 * its own, so a Worker that never requires one does not bundle step-up.
 *
 * @see [OIDC Core 3.1.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#AuthRequest)
 * @see [OIDC Core 5.5.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#acrSemantics)
 * @see [RFC 9470](https://www.rfc-editor.org/rfc/rfc9470)
 * @example
 * ```ts
 * const mfa = stepUp({ acr: ['urn:example:mfa'], maxAge: 300 })
 * export default {
 *   fetch: auth.wrap(async (request, oidc) => {
 *     const denied = await requireStepUp(auth, mfa, request, oidc)
 *     if (denied) return denied
 *     const api = await oidc.fetch('https://api.example.com/transfers', { method: 'POST' })
 *     const needed = stepUpChallenge(api) // the API wants more: that login, in one line
 *     if (needed) return (await requireStepUp(auth, needed, request, oidc))!
 *     return api
 *   }),
 * }
 * ```
 */
export async function requireStepUp(
  auth: Pick<FetchAuth, 'engine'>,
  requirement: StepUp,
  request: Request,
  oidc: Pick<OidcContext, 'session'>,
): Promise<Response | undefined> {
  const answer = await requirement.answer(auth.engine, toAuthRequest(request), oidc.session)
  return answer && toResponse(answer, request)
}

/**
 * Creates the fetch adapter: login, form_post callback and logout routes, the session of any
 * request, access tokens refreshed when expired, userinfo and API calls. Bearer checks for API
 * routes are {@link requireBearer}. The configuration is validated now (throws
 * `ConfigurationError`).
 *
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 * @see [OAuth 2.0 Form Post Response Mode](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html)
 */
export function createAuth(config: FetchAuthConfig): FetchAuth {
  const engine = config.engine ?? createHybridAuth(config)

  async function handle(request: Request): Promise<Response | undefined> {
    const { method } = request
    const { pathname, search } = new URL(request.url)
    const route = engine.routeOf(method, pathname, search)
    if (!route) return
    try {
      const body = engine.readsForm(route, method) ? await readFormBody(request) : undefined
      // `undefined`: not the engine's after all (the logout return's state is for another path).
      const answer = await engine[route](toAuthRequest(request, body))
      return answer && toResponse(answer, request)
    } catch (error) {
      return rendered(error, request)
    }
  }

  async function context(request: Request): Promise<OidcContext> {
    return new FetchAuthContext(request, engine, await engine.load(toAuthRequest(request)))
  }

  return {
    engine,
    handle,
    context,
    wrap:
      (handler) =>
      async (request, ...args) => {
        const answered = await handle(request)
        if (answered) return answered
        let oidc: OidcContext
        try {
          oidc = await context(request)
        } catch (error) {
          // e.g. SESSION_STORE_FAILED: its status (503), not a crash.
          return rendered(error, request)
        }
        let response: Response
        try {
          response = await handler(request, oidc, ...args)
        } catch (error) {
          response = rendered(error, request)
        }
        return oidc.respond(response)
      },
  }
}
