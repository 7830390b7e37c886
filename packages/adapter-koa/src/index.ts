/**
 * @oidc-hybrid/koa — the OpenID Connect Hybrid Flow for Koa. A translator between Koa's context
 * and the core engine: no protocol logic lives here.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { auth, requireAuth } from '@oidc-hybrid/koa'
 *
 * const app = new Koa()
 * app.use(auth({
 *   issuerBaseURL: 'https://tenant.auth0.com',
 *   baseURL: 'https://app.example.com',
 *   clientID: 'abc',
 *   clientSecret: process.env.CLIENT_SECRET,
 *   secret: process.env.COOKIE_SECRET!,
 *   authorizationParams: { scope: 'openid profile offline_access', audience: 'https://api.example.com' },
 * }))
 * app.use(requireAuth())
 * app.use((ctx) => { ctx.body = `hello ${ctx.oidc.user?.name}` })
 * ```
 */
import {
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
import type { Context, Middleware, Next } from 'koa'
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

/** @deprecated Use `AccessTokenView`, the name in every adapter. */
export type AccessToken = AccessTokenView

/**
 * `ctx.oidc`: the request's authentication state and actions. `OidcContext` is its name in every
 * adapter.
 */
export interface OidcContext extends OidcSessionView {
  /** Starts a login from any handler. */
  login(options?: LoginOptions): Promise<void>
  /** Logs out from any handler. */
  logout(options?: { returnTo?: string }): Promise<void>
  /**
   * `true` when logged in (and, with a `stepUp(...)` requirement, when the session meets it);
   * otherwise the answer is set on `ctx` and `false`: browsers (HTML, GET) are sent to the login
   * (with `acr_values` / `max_age` for a requirement) and come back to this URL, other clients get
   * 401 JSON (`SESSION_MISSING`, `STEP_UP_REQUIRED`).
   */
  requireAuth(requirement?: StepUp): Promise<boolean>
}

/** @deprecated Use `OidcContext`, the name in every adapter. */
export type KoaOidc = OidcContext

declare module 'koa' {
  interface DefaultContext {
    oidc: OidcContext
  }
}

export interface KoaAuthConfig extends HybridAuthConfig {
  /** Use an engine you created (shares caches between apps); otherwise one is created. */
  engine?: HybridAuth
}

/** The Koa request as the engine reads it; honours `app.proxy` through ctx.protocol/ctx.host. */
function toAuthRequest(ctx: Context, body?: string): AuthRequest {
  return {
    method: ctx.method,
    url: `${ctx.protocol}://${ctx.host}${ctx.originalUrl}`,
    headers: { get: (name) => ctx.get(name) || null },
    body,
  }
}

function sendError(ctx: Context, error: unknown, status?: number): void {
  const rendered = renderError(error, ctx.get('accept'), status)
  // An error answer is about this request only: never cached (as the other adapters answer).
  ctx.set('cache-control', 'no-store')
  ctx.status = rendered.status
  ctx.type = rendered.contentType
  ctx.body = rendered.body
}

function applyResponse(ctx: Context, response: AuthResponse): void {
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') ctx.set(name, value)
  }
  for (const line of response.headers.getSetCookie()) ctx.append('Set-Cookie', line)
  if (response.error) {
    sendError(ctx, response.error, response.status)
    return
  }
  ctx.status = response.status
  ctx.body = response.body ?? ''
}

/** Behind a TLS-terminating proxy, Koa sees https only with `app.proxy = true`. */
const PROXY_ADVICE = 'behind a TLS-terminating proxy set `app.proxy = true`'

class KoaOidcContext extends SessionContext implements OidcContext {
  readonly #ctx: Context
  readonly #engine: HybridAuth

  constructor(ctx: Context, engine: HybridAuth, loaded: RequestSession) {
    super(loaded)
    this.#ctx = ctx
    this.#engine = engine
  }

  async login(options?: LoginOptions): Promise<void> {
    applyResponse(this.#ctx, await this.#engine.login(toAuthRequest(this.#ctx), options))
  }

  async logout(options?: { returnTo?: string }): Promise<void> {
    applyResponse(this.#ctx, await this.#engine.logout(toAuthRequest(this.#ctx), options))
  }

  async requireAuth(requirement?: StepUp): Promise<boolean> {
    const request = toAuthRequest(this.#ctx)
    const answer = requirement
      ? await requirement.answer(this.#engine, request, this.session)
      : !this.isAuthenticated() && (await loginOrDeny(this.#engine, request))
    if (answer) applyResponse(this.#ctx, answer)
    return !answer
  }

  /** Set-Cookie lines produced while handling the request (rolling, refresh). */
  flush(): void {
    for (const line of this.loaded.takeSetCookies()) this.#ctx.append('Set-Cookie', line)
  }
}

/**
 * Mounts the login (GET), callback (form_post) and logout (GET) routes, loads the session into
 * `ctx.oidc` (and the user's claims into `ctx.state.user`) for every other request, and turns
 * library errors into proper statuses with a readable page (browsers) or JSON. The middleware
 * carries its `engine`; `await checkProvider(middleware.engine)` checks the configuration against
 * the provider at startup.
 *
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 */
export function auth(config: KoaAuthConfig): Middleware & { readonly engine: HybridAuth } {
  // node:crypto is ~2-4x faster than WebCrypto on Node for the same sealed format (bench/).
  const engine = config.engine ?? createHybridAuth({ crypto: new NodeCryptoProvider(), ...config })
  // The engine rides along, e.g. for `await checkProvider(middleware.engine)` at startup.
  return Object.assign(oidcHybridAuth, { engine })
  async function oidcHybridAuth(ctx: Context, next: Next): Promise<void> {
    const route = engine.routeOf(ctx.method, ctx.path, ctx.querystring)
    if (route !== undefined) {
      const problem = plainHttpProblem(ctx.secure, ctx.hostname, PROXY_ADVICE)
      if (problem) return sendError(ctx, problem)
      try {
        const body = engine.readsForm(route, ctx.method) ? await readFormBody(ctx) : undefined
        const response = await engine.handle(toAuthRequest(ctx, body))
        if (response) return applyResponse(ctx, response)
      } catch (error) {
        if (!isOidcHybridError(error)) throw error
        return sendError(ctx, error)
      }
    }
    let loaded: RequestSession
    try {
      loaded = await engine.load(toAuthRequest(ctx))
    } catch (error) {
      // e.g. SESSION_STORE_FAILED: its status (503), not Koa's 500.
      if (!isOidcHybridError(error)) throw error
      return sendError(ctx, error)
    }
    const oidc = new KoaOidcContext(ctx, engine, loaded)
    ctx.oidc = oidc
    ctx.state.user = loaded.user
    try {
      await next()
    } catch (error) {
      if (!isOidcHybridError(error)) throw error
      sendError(ctx, error)
    } finally {
      oidc.flush()
    }
  }
}

/**
 * Requires a logged-in user: browsers (HTML, GET) are sent to the login route and come back to
 * the page they asked for; other requests get 401 JSON. (`requireAuth` in every adapter.)
 *
 * With a requirement, `stepUp({ acr, maxAge })`, the session must also meet it (its `acr` one of
 * those, its `auth_time` recent enough): a session that does not is sent to log in again with
 * `acr_values` and `max_age` (browsers) or answered 401 `STEP_UP_REQUIRED`; a provider that does
 * not meet it ends that login with `ACR_NOT_SATISFIED` / `AUTH_TIME_INVALID`, never a loop.
 *
 * @see [OIDC Core 3.1.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#AuthRequest)
 * @see [OIDC Core 5.5.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#acrSemantics)
 * @example
 * ```ts
 * router.post('/transfers', requireAuth(stepUp({ acr: ['urn:example:mfa'], maxAge: 300 })), transfer)
 * ```
 */
export function requireAuth(requirement?: StepUp): Middleware {
  return async function oidcHybridRequireAuth(ctx: Context, next: Next): Promise<void> {
    if (ctx.oidc === undefined) {
      throw new TypeError('requireAuth() needs the auth() middleware to run first')
    }
    if (await ctx.oidc.requireAuth(requirement)) return next()
  }
}

/**
 * @deprecated Use {@link requireAuth}, the name in every adapter (express-openid-connect's
 * `requiresAuth` keeps working).
 */
export const requiresAuth = requireAuth

/**
 * Protects an API route with a bearer access token (RFC 9068 JWT, RFC 6750), or a DPoP-bound one
 * with its proof (RFC 9449; `dpop: 'allow'` by default, `'require'`, `'off'`): on success the
 * claims are in `ctx.state.auth`; on failure the answer is 400/401/403 with `WWW-Authenticate`,
 * or 503 with `Retry-After` when the provider's discovery or keys cannot be had.
 * Pass a verifier (from `createBearerVerifier`) or its configuration. DPoP proofs name the URL
 * Koa sees (`ctx.protocol`, `ctx.host`): behind a TLS-terminating proxy set `app.proxy = true`,
 * or the verifier's `origin`.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 9449 7](https://www.rfc-editor.org/rfc/rfc9449#section-7)
 */
export function requireBearer(
  verifier: BearerVerifier | BearerVerifierConfig,
  options: RequireBearerOptions = {},
): Middleware {
  const bearer = createBearerVerifier(verifier)
  return async function oidcHybridRequireBearer(ctx: Context, next: Next): Promise<void> {
    let verified: VerifiedBearer
    try {
      verified = await bearer.verifyRequest(toAuthRequest(ctx), options)
    } catch (error) {
      // Throws a misconfiguration again: the developer's to see, not a 401 for the client.
      const failure = bearer.failure(error, options)
      ctx.status = failure.status
      ctx.set(failure.headers)
      ctx.body = failure.body
      return
    }
    // A fresh DPoP-Nonce, when one is due.
    if (verified.headers) ctx.set(verified.headers)
    ctx.state.auth = verified
    await next()
  }
}
