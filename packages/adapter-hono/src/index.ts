/**
 * @oidc-hybrid/hono — the OpenID Connect Hybrid Flow as Hono middleware, on the fetch adapter's
 * engine: `auth()` answers the library's routes and puts the request's `OidcContext` in
 * `c.var.oidc`, `requireAuth()` guards pages, `requireBearer()` guards API routes. Everything
 * protocol is in `@oidc-hybrid/core`; the Request/Response translation is `@oidc-hybrid/fetch`'s;
 * this package only fits them to Hono's middleware and context.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { auth, requireAuth } from '@oidc-hybrid/hono'
 *
 * type AppEnv = { Bindings: { ISSUER_BASE_URL: string; CLIENT_ID: string; CLIENT_SECRET: string; COOKIE_SECRET: string } }
 *
 * const app = new Hono<AppEnv>()
 * app.use(auth<AppEnv>((c) => ({
 *   issuerBaseURL: c.env.ISSUER_BASE_URL,
 *   baseURL: 'https://app.example.com',
 *   clientID: c.env.CLIENT_ID,
 *   clientSecret: c.env.CLIENT_SECRET,
 *   secret: c.env.COOKIE_SECRET,
 * })))
 * app.get('/profile', requireAuth(), (c) => c.json(c.var.oidc.user))
 * export default app
 * ```
 */
import type {
  BearerVerifier,
  BearerVerifierConfig,
  HybridAuth,
  RequireBearerOptions,
  VerifiedBearer,
} from '@oidc-hybrid/core'
import { isOidcHybridError } from '@oidc-hybrid/core/adapter'
import {
  createAuth,
  errorResponse,
  type FetchAuth,
  type FetchAuthConfig,
  requireBearer as fetchRequireBearer,
  type OidcContext,
  requireStepUp,
  type StepUp,
} from '@oidc-hybrid/fetch'
import type { Context, Env, MiddlewareHandler } from 'hono'
import type { BlankEnv } from 'hono/types'

export type {
  AccessTokenView,
  AuthEvent,
  AuthEventType,
  BearerOptions,
  BearerVerifierConfig,
  EventsOptions,
  FetchAuthConfig as HonoAuthConfig,
  HybridAuthConfig,
  IdTokenClaims,
  LoginOptions,
  OidcContext,
  RequireBearerOptions,
  Session,
  SessionStore,
  UserinfoClaims,
  VerifiedBearer,
} from '@oidc-hybrid/fetch'
export {
  apiTokens,
  backchannelLogout,
  checkProvider,
  claimsFilter,
  type DpopOptions,
  dpop,
  events,
  MAX_FORM_BYTES,
  MemorySessionStore,
  privateKeyJwt,
  pushedAuthorization,
  StepUp,
  type StepUpOptions,
  serverSessions,
  signedRequests,
  stepUp,
  stepUpChallenge,
} from '@oidc-hybrid/fetch'

/** The engine each request context came from, for a step-up requirement's login. */
const engines = new WeakMap<OidcContext, FetchAuth>()

/** What `auth()` sets: `c.var.oidc`, the request's session and actions. */
export type OidcVariables = { oidc: OidcContext }
/** What `requireBearer()` sets: `c.var.auth`, the verified access token. */
export type BearerVariables = { auth: VerifiedBearer }

/** The configuration, or a function of the request's context that reads it from `c.env`. */
export type AuthConfig<E extends Env = BlankEnv> =
  | FetchAuthConfig
  | ((c: Context<E>) => FetchAuthConfig)

export interface AuthMiddleware<E extends Env = BlankEnv>
  extends MiddlewareHandler<E & { Variables: OidcVariables }> {
  /**
   * The engine that serves `c` (the same one the middleware uses, created on first use): share it
   * with `requireBearer({ engine, audience })`, or pass it to `checkProvider`. Without `c` only
   * for a configuration object.
   */
  engine<E2 extends E>(c?: Context<E2>): HybridAuth
}

/** How many configurations keep their engine at once (a function may serve several tenants). */
const KEPT_CONFIGURATIONS = 16

/**
 * JSON.stringify's replacer for a configuration's key: its strings, numbers and booleans, in
 * plain objects and arrays — every value a Worker's env bindings give. Functions and class
 * instances (fetch, a session store, a client key inside `privateKeyJwt`) carry no key; `engine`
 * is one by identity (see {@link perConfiguration}).
 */
function plainValues(key: string, value: unknown): unknown {
  if (key === 'engine') return undefined
  if (key === '' || value === null || typeof value !== 'object') return value
  const prototype = Object.getPrototypeOf(value)
  const plain = Array.isArray(value) || prototype === Object.prototype || prototype === null
  return plain ? value : undefined
}

/**
 * One `T` per distinct configuration, so that a function that reads `c.env` on every request
 * still gets one engine (and one discovery and JWKS cache) per isolate, and a changed binding
 * gets a new one rather than a stale one.
 */
function perConfiguration<C extends { engine?: object }, T>(
  create: (config: C) => T,
): (config: C) => T {
  const byEngine = new WeakMap<object, Map<string, T>>()
  const noEngine = {}
  return (config) => {
    const owner = config.engine ?? noEngine
    const kept = byEngine.get(owner) ?? new Map<string, T>()
    byEngine.set(owner, kept)
    const key = JSON.stringify(config, plainValues)
    let value = kept.get(key)
    if (value === undefined) {
      value = create(config)
      if (kept.size === KEPT_CONFIGURATIONS) kept.delete(kept.keys().next().value!)
      kept.set(key, value)
    }
    return value
  }
}

/**
 * Sends `response` as it is: Hono's `c.res` setter would otherwise merge the previous response's
 * headers into it, its Set-Cookie lines replacing the new ones.
 */
function replaceResponse(c: Context, response: Response): void {
  c.res = undefined
  c.res = response
}

/**
 * The middleware for every request: answers the login (GET), form_post callback, logout (GET),
 * back-channel logout and logout-return routes through the fetch adapter's `handle`; for every
 * other request loads the session into `c.var.oidc`, then adds the Set-Cookie lines the request
 * produced (rolled session, refreshed tokens) to whatever response the handlers give. Library
 * errors a handler throws are answered with their own status (HTML for browsers, JSON otherwise)
 * instead of Hono's 500. Mount it before anything that reads the request body.
 *
 * `config` is an object (the engine is created now, so a bad configuration throws at startup) or
 * `(c) => config` for configuration in a Worker's `env`: it runs on every request, and its
 * strings, numbers and booleans key the engine, so the isolate keeps one engine (and one
 * discovery and JWKS cache) per distinct configuration (16 at most) — objects in it such as a
 * session store or `privateKeyJwt(...)` come from the first request with those values.
 *
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 * @see [OAuth 2.0 Form Post Response Mode](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html)
 */
export function auth<E extends Env = BlankEnv>(config: AuthConfig<E>): AuthMiddleware<E> {
  const fixed = typeof config === 'function' ? undefined : createAuth(config)
  const cached = perConfiguration(createAuth)
  // Any context whose env extends E: Hono's Context is invariant in its Variables.
  const authFor = (c?: object): FetchAuth => {
    if (fixed) return fixed
    if (!c) throw new TypeError('engine(c): pass the context when the configuration is a function')
    return cached((config as (c: object) => FetchAuthConfig)(c))
  }
  const middleware: MiddlewareHandler<E & { Variables: OidcVariables }> = async (c, next) => {
    const { handle, context } = authFor(c)
    const request = c.req.raw
    const answered = await handle(request)
    if (answered) return answered
    let oidc: OidcContext
    try {
      oidc = await context(request)
    } catch (error) {
      // e.g. SESSION_STORE_FAILED: its status (503), not a crash.
      if (!isOidcHybridError(error)) throw error
      return errorResponse(error, request)
    }
    c.set('oidc', oidc)
    engines.set(oidc, authFor(c))
    await next()
    // Hono has already given a thrown error to app.onError (500 by default): a library error's
    // answer is its own status instead.
    if (isOidcHybridError(c.error)) replaceResponse(c, oidc.error(c.error))
    const response = oidc.respond(c.res)
    // respond() copies a response whose headers are immutable (fetch(), Response.redirect()).
    if (response !== c.res) replaceResponse(c, response)
  }
  const engine = <E2 extends E>(c?: Context<E2>) => authFor(c).engine
  return Object.assign(middleware, { engine })
}

/**
 * Requires a logged-in user (after {@link auth}): browsers (GET, `Accept: text/html`) are sent to
 * the login and come back to the page they asked for; other requests get 401 JSON.
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
export function requireAuth(requirement?: StepUp): MiddlewareHandler<{ Variables: OidcVariables }> {
  return async (c, next) => {
    const oidc = c.get('oidc')
    if (oidc === undefined) throw new TypeError('requireAuth() needs the auth() middleware first')
    const denied = requirement
      ? await requireStepUp(engines.get(oidc)!, requirement, c.req.raw, oidc)
      : await oidc.requireAuth()
    if (denied) return denied
    await next()
  }
}

/**
 * Protects API routes with a bearer access token (RFC 9068 JWT, RFC 6750 answers; DPoP-bound
 * tokens with their proofs, RFC 9449), through the fetch adapter's `requireBearer`: on success the
 * verified token is `c.var.auth`; on failure the answer is 400/401/403 with `WWW-Authenticate`, or
 * 503 with `Retry-After` when the provider's discovery or keys cannot be had.
 *
 * Pass a verifier (the core's `createBearerVerifier`), its configuration (`issuerBaseURL` and
 * `audience` for an API-only app, or `engine` and `audience` to share a login engine's caches:
 * `engine: login.engine(c)`), or `(c) => configuration` to read it from `c.env` (kept per
 * distinct configuration, as {@link auth} keeps engines).
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
 * @see [RFC 9449 7](https://www.rfc-editor.org/rfc/rfc9449#section-7)
 */
export function requireBearer<E extends Env = BlankEnv>(
  verifier: BearerVerifier | BearerVerifierConfig | ((c: Context<E>) => BearerVerifierConfig),
  options: RequireBearerOptions = {},
): MiddlewareHandler<E & { Variables: BearerVariables }> {
  const fixed = typeof verifier === 'function' ? undefined : fetchRequireBearer(verifier, options)
  const cached = perConfiguration((config: BearerVerifierConfig) =>
    fetchRequireBearer(config, options),
  )
  return async (c, next) => {
    const guard =
      fixed ??
      cached((verifier as (c: Context<E>) => BearerVerifierConfig)(c as unknown as Context<E>))
    const bearer = await guard(c.req.raw)
    if (bearer instanceof Response) return bearer
    c.set('auth', bearer)
    await next()
    // Headers the verifier gives the answer, e.g. a fresh DPoP-Nonce when one is due (RFC 9449
    // 9), read as optional: a verifier without DPoP gives none. (c.header copies a finalized
    // response first.)
    const { headers } = bearer as { headers?: Record<string, string> }
    for (const [name, value] of Object.entries(headers ?? {})) c.header(name, value)
  }
}
