/**
 * Events and tracing, opt-in: `extensions: [events({ onEvent, tracer })]` in the engine's
 * configuration, and the same value in a bearer verifier's. A separate module that wraps the
 * engine's routes, refresh and `send` (see `Extension`), so an app without it does not bundle it.
 *
 * No event or span carries a token, a cookie, an authorization code or a client secret: only the
 * step, its outcome (the error `code`, the HTTP status), its duration, and who (`sub`, `sid`).
 */
import { type ErrorCode, isOidcHybridError } from '../errors.js'
import { decode, fromUtf8 } from '../lib/base64url.js'
import type { HttpRequest, HttpResponseData, Session } from '../protocol/types.js'
import type { BearerExtension, BearerVerifier, VerifiedBearer } from './bearer-verifier.js'
import type { AuthResponse, Extension, LogEntry } from './types.js'

/** What happened; `*.failed` and `bearer.refused` are the failures. */
export type AuthEventType =
  | 'login.started'
  | 'login.failed'
  | 'callback.succeeded'
  | 'callback.failed'
  | 'refresh.succeeded'
  | 'refresh.failed'
  | 'logout.succeeded'
  | 'logout.failed'
  | 'backchannel_logout.succeeded'
  | 'backchannel_logout.failed'
  | 'bearer.accepted'
  | 'bearer.refused'

/** One event: structured, and free of tokens, cookies, codes and secrets. */
export interface AuthEvent {
  type: AuthEventType
  /** Milliseconds the step took, on the monotonic clock (`performance.now()`). */
  durationMs: number
  /**
   * A failure's error code (`STATE_MISMATCH`, `TOKEN_ENDPOINT_ERROR`, `BEARER_TOKEN_EXPIRED`, ...);
   * absent for an unexpected error, which is thrown on to the framework as before.
   */
  code?: ErrorCode
  /** The HTTP status answered: the routes' and the bearer checks'. */
  status?: number
  /**
   * The user: on `callback.succeeded`, `refresh.*` and `backchannel_logout.succeeded` (the logout
   * token's), and `bearer.accepted` (the access token's subject).
   */
  sub?: string
  /** The provider's session id (`sid` claim), when its tokens carry one. */
  sid?: string
  /** Bearer checks: the scheme of the accepted token, or of a refused DPoP request. */
  scheme?: 'Bearer' | 'DPoP'
}

/** Attribute values a span takes. */
type SpanAttributes = Record<string, string | number>

/**
 * What `events()` uses of an OpenTelemetry span; a `Span` from `@opentelemetry/api` is one.
 */
export interface EventsSpan {
  setAttributes(attributes: SpanAttributes): unknown
  /** `code` 2 is `SpanStatusCode.ERROR`. */
  setStatus(status: { code: number; message?: string }): unknown
  end(): void
}

/**
 * What `events()` uses of an OpenTelemetry tracer; `trace.getTracer(name)` from
 * `@opentelemetry/api` (an optional peer dependency) is one. Typed here rather than imported, so
 * nothing of OpenTelemetry is bundled or needed when no tracer is given.
 */
export interface EventsTracer {
  startActiveSpan<F extends (span: EventsSpan) => unknown>(
    name: string,
    options: { kind?: number; attributes?: SpanAttributes },
    fn: F,
  ): ReturnType<F>
}

export interface EventsOptions {
  /**
   * Called once per event, after the step. Not awaited; whatever it throws (or its promise
   * rejects with) is logged through the engine's `logger` (`event_hook_failed`) and the login,
   * refresh or check goes on.
   */
  onEvent?: (event: AuthEvent) => void | Promise<void>
  /**
   * An OpenTelemetry tracer: each step is then a span (`oidc.login`, `oidc.callback`,
   * `oidc.refresh`, `oidc.logout`, `oidc.backchannel_logout`, `oidc.bearer`, and
   * `oidc.provider_request` for each call to the provider's endpoints), with the event's fields
   * as `oidc.*` attributes and an error status on failures.
   */
  tracer?: EventsTracer
}

/** `events()`: an engine extension and a bearer verifier extension in one value. */
export interface EventsExtension extends Extension, BearerExtension {}

/** The event less its duration: what each step's outcome says. */
type Outcome = Omit<AuthEvent, 'durationMs'>

/** Who a step was for. */
type User = Pick<AuthEvent, 'sub' | 'sid'>

/** OpenTelemetry's `SpanKind.INTERNAL`, `SERVER`, `CLIENT` and `SpanStatusCode.ERROR`. */
const INTERNAL = 0
const SERVER = 1
const CLIENT = 2
const ERROR = 2

/** What a bearer check's failure answer depends on (the route's scopes and DPoP mode). */
type FailureOptions = Parameters<BearerVerifier['failure']>[1]

const FAILURES: ReadonlySet<AuthEventType> = new Set([
  'login.failed',
  'callback.failed',
  'refresh.failed',
  'logout.failed',
  'backchannel_logout.failed',
  'bearer.refused',
])

/**
 * Events and, with a tracer, OpenTelemetry spans for logins, callbacks, refreshes, logouts,
 * back-channel logouts and bearer checks: pass the value in `extensions` of the engine (each
 * adapter's configuration) and of the bearer verifier (`requireBearer`'s configuration). Each
 * event has its duration and, on a failure, the error `code`; none carries a token, cookie or
 * code. `logout.*` events name no user (the session is not read twice for them).
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api'
 * import { events } from '@oidc-hybrid/core' // or from the adapter
 *
 * const observed = events({
 *   onEvent: (event) => console.log(JSON.stringify(event)),
 *   tracer: trace.getTracer('my-app'), // optional
 * })
 * createHybridAuth({ ...options, extensions: [observed] })
 * createBearerVerifier({ engine, audience: 'https://api.example.com', extensions: [observed] })
 * ```
 */
export function events(options: EventsOptions = {}): EventsExtension {
  const { onEvent, tracer } = options
  // The engine's logger, once the value joined one (a bearer verifier alone has none).
  let log: ((entry: LogEntry) => void) | undefined
  const hookFailed = (error: unknown) =>
    log?.({
      level: 'warn',
      event: 'event_hook_failed',
      message: error instanceof Error ? error.message : String(error),
    })

  function report(event: AuthEvent): void {
    try {
      onEvent?.(event)?.catch(hookFailed)
    } catch (error) {
      hookFailed(error)
    }
  }

  /**
   * Runs `step` timed, in a span named `name` with a tracer, then reports what `outcome` makes of
   * its value or error. The step's value or error is passed on untouched.
   */
  function observe<T>(
    name: string,
    kind: number,
    step: () => Promise<T>,
    outcome: (value: T | undefined, error: unknown) => Outcome,
  ): Promise<T> {
    const run = async (span?: EventsSpan): Promise<T> => {
      const start = performance.now()
      let value: T | undefined
      let error: unknown
      try {
        value = await step()
        return value
      } catch (thrown) {
        error = thrown
        throw thrown
      } finally {
        const durationMs = performance.now() - start
        try {
          const event: AuthEvent = { ...outcome(value, error), durationMs }
          if (span) {
            span.setAttributes(attributesOf(event))
            if (FAILURES.has(event.type)) span.setStatus({ code: ERROR, message: event.code })
          }
          report(event)
        } catch (failure) {
          hookFailed(failure)
        }
        try {
          span?.end()
        } catch (failure) {
          hookFailed(failure)
        }
      }
    }
    return inSpan(name, { kind }, run)
  }

  /**
   * `run` in a span of the tracer (none without one). A tracer that fails before it runs `run`
   * costs the span, logged, never the step: `run` then runs without one.
   */
  function inSpan<T>(
    name: string,
    options: { kind: number; attributes?: SpanAttributes },
    run: (span?: EventsSpan) => Promise<T>,
  ): Promise<T> {
    if (!tracer) return run()
    let ran = false
    try {
      return tracer.startActiveSpan(name, options, (span) => {
        ran = true
        return run(span)
      })
    } catch (failure) {
      if (ran) throw failure
      hookFailed(failure)
      return run()
    }
  }

  /** A route's outcome: an answer with `error`, or a thrown error, is its failure. */
  const answered =
    (succeeded: AuthEventType, failed: AuthEventType, who?: () => User | undefined) =>
    (answer: AuthResponse | undefined, thrown: unknown): Outcome => {
      const error = answer ? answer.error : thrown
      if (error) {
        return { type: failed, ...codeOf(error), ...(answer && { status: answer.status }) }
      }
      return { type: succeeded, status: answer!.status, ...who?.() }
    }

  return {
    engine(engine) {
      log = engine.config.log
      const { login, callback, logout, backchannelLogout, refreshSession, send } = engine
      // Callbacks in flight, by their authorization code: the user its token endpoint answer
      // names. The first callback with a code owns its entry (a replay of it does not).
      const users = new Map<string, { user?: User }>()

      engine.login = (request, loginOptions) =>
        observe(
          'oidc.login',
          INTERNAL,
          () => login.call(engine, request, loginOptions),
          answered('login.started', 'login.failed'),
        )

      engine.callback = (request) => {
        // form_post: the body; response_mode=query: the URL's query.
        const code = paramOf(request.body ?? new URL(request.url).search, 'code')
        const exchange: { user?: User } = {}
        const owner = code !== undefined && !users.has(code)
        if (owner) users.set(code, exchange)
        return observe(
          'oidc.callback',
          INTERNAL,
          () => callback.call(engine, request),
          answered('callback.succeeded', 'callback.failed', () => exchange.user),
        ).finally(() => owner && users.delete(code))
      }

      engine.logout = (request, logoutOptions) =>
        observe(
          'oidc.logout',
          INTERNAL,
          () => logout.call(engine, request, logoutOptions),
          answered('logout.succeeded', 'logout.failed'),
        )

      engine.backchannelLogout = (request) =>
        observe(
          'oidc.backchannel_logout',
          SERVER,
          () => backchannelLogout.call(engine, request),
          // Verified when it succeeded: the user and session the provider logged out.
          answered('backchannel_logout.succeeded', 'backchannel_logout.failed', () =>
            userOf(() => paramOf(request.body, 'logout_token')),
          ),
        )

      engine.refreshSession = (session, scope, force, extra) =>
        observe(
          'oidc.refresh',
          INTERNAL,
          () => refreshSession.call(engine, session, scope, force, extra),
          (refreshed: Session | undefined, error) => ({
            type: refreshed ? 'refresh.succeeded' : 'refresh.failed',
            ...(!refreshed && codeOf(error)),
            sub: session.sub,
            ...sidOf(session.claims.sid),
          }),
        )

      engine.send = async (request: HttpRequest): Promise<HttpResponseData> => {
        const sent = () => send.call(engine, request)
        const response = await inSpan(
          'oidc.provider_request',
          { kind: CLIENT, attributes: providerRequest(request) },
          (span) => (span ? traceRequest(span, sent, hookFailed) : sent()),
        )
        // A code exchange of a callback in flight: its ID token names the user (it is verified
        // before the callback succeeds, and only then is the user reported).
        const exchange = users.size ? users.get(paramOf(request.body, 'code') ?? '') : undefined
        if (exchange) exchange.user = userOf(() => JSON.parse(response.body).id_token)
        return response
      }
    },

    bearer(verifier) {
      const { verify, verifyRequest } = verifier
      const checked =
        (options: FailureOptions) =>
        (verified: VerifiedBearer | undefined, error: unknown): Outcome =>
          verified
            ? {
                type: 'bearer.accepted',
                sub: verified.claims.sub,
                scheme: verified.jkt ? 'DPoP' : 'Bearer',
              }
            : {
                type: 'bearer.refused',
                ...codeOf(error),
                status: statusOf(verifier, error, options),
                ...(isOidcHybridError(error) &&
                  error.details.scheme === 'DPoP' && { scheme: 'DPoP' as const }),
              }
      verifier.verify = (authorization, options) =>
        observe(
          'oidc.bearer',
          INTERNAL,
          () => verify.call(verifier, authorization, options),
          checked(options),
        )
      verifier.verifyRequest = (request, options) =>
        observe(
          'oidc.bearer',
          INTERNAL,
          () => verifyRequest.call(verifier, request, options),
          checked(options),
        )
    },
  }
}

/** A span's attributes: the event's fields, `oidc.`-prefixed (`oidc.code`, `oidc.sub`, ...). */
function attributesOf(event: AuthEvent): SpanAttributes {
  const attributes: SpanAttributes = {}
  for (const [name, value] of Object.entries(event)) {
    if (value !== undefined && name !== 'durationMs') attributes[`oidc.${name}`] = value
  }
  if (event.code) attributes['error.type'] = event.code
  return attributes
}

/** A provider request's span attributes: method and URL (without its query), no body. */
function providerRequest({ method, url }: HttpRequest): SpanAttributes {
  const { origin, pathname, hostname } = new URL(url)
  return {
    'http.request.method': method,
    'url.full': origin + pathname,
    'server.address': hostname,
  }
}

/** A provider request in `span`: its status, an error status from 400 on or when it failed. */
async function traceRequest(
  span: EventsSpan,
  sent: () => Promise<HttpResponseData>,
  spanFailed: (error: unknown) => void,
): Promise<HttpResponseData> {
  let status: number | undefined
  let error: unknown
  try {
    const response = await sent()
    status = response.status
    return response
  } catch (thrown) {
    error = thrown
    throw thrown
  } finally {
    try {
      if (status !== undefined) span.setAttributes({ 'http.response.status_code': status })
      if (status === undefined || status >= 400) {
        span.setStatus({
          code: ERROR,
          message: status === undefined ? codeOf(error).code : `${status}`,
        })
      }
    } catch (failure) {
      spanFailed(failure)
    }
    try {
      span.end()
    } catch (failure) {
      spanFailed(failure)
    }
  }
}

/** A library error's `code`, as an event field (none for anything else). */
function codeOf(error: unknown): { code?: ErrorCode } {
  return isOidcHybridError(error) ? { code: error.code } : {}
}

/** The bearer answer's status for `error` (a misconfiguration, thrown again by `failure`: 500). */
function statusOf(verifier: BearerVerifier, error: unknown, options: FailureOptions): number {
  try {
    return verifier.failure(error, options).status
  } catch {
    return 500
  }
}

/** A form body's parameter (the callback's `code` with form_post, a logout token). */
function paramOf(body: string | null | undefined, name: string): string | undefined {
  return new URLSearchParams(body ?? '').get(name) ?? undefined
}

/**
 * `sub` and `sid` of the payload of the JWT `jwt()` returns, read without verifying (the engine
 * verifies before the event reports it); `undefined` when there is none.
 */
function userOf(jwt: () => unknown): User | undefined {
  try {
    const { sub, sid } = JSON.parse(fromUtf8(decode((jwt() as string).split('.')[1]!))!) as {
      sub?: unknown
      sid?: unknown
    }
    return { ...(typeof sub === 'string' && { sub }), ...sidOf(sid) }
  } catch {
    return undefined
  }
}

function sidOf(sid: unknown): { sid?: string } {
  return typeof sid === 'string' ? { sid } : {}
}
