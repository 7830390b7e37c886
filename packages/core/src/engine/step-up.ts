/**
 * Step-up authentication: a route (or an API) that needs a stronger or a more recent login than
 * the session has. Opt-in code: an adapter only calls the requirement it is given, so an app that
 * never requires one does not bundle this file.
 *
 * - A route's requirement (`stepUp({ acr, maxAge })`) is checked against the session's ID token
 *   claims (`acr`, `auth_time`); a session that does not meet it is sent to log in again with it.
 * - That login sends `acr_values` (the hint every provider reads, OIDC Core 3.1.2.1), `max_age`,
 *   and, for `acr`, the `claims` parameter with an essential `acr` (OIDC Core 5.5.1.1): the
 *   callback then refuses an ID token with another `acr` (`ACR_NOT_SATISFIED`) instead of sending
 *   the browser round again, and `max_age` makes `auth_time` required and checked
 *   (`AUTH_TIME_INVALID`). A login never loops.
 * - The API side: `requireBearer` checks the access token's `acr` and `auth_time` the same way
 *   and answers the RFC 9470 challenge, and {@link stepUpChallenge} turns that challenge, from an
 *   API the app called, into the login that meets it.
 */

import { ConfigurationError, OidcHybridError } from '../errors.js'
import type { Session } from '../protocol/types.js'
import { parseChallenges } from './challenges.js'
import { wantsHtml } from './render.js'
import { statusForError } from './status.js'
import type { AuthRequest, AuthResponse, ExtensibleEngine, LoginOptions } from './types.js'

/** What a route or an API requires of the user's authentication. */
export interface StepUpOptions {
  /**
   * Authentication context class references, most preferred first: the session's (or the access
   * token's) `acr` must be one of them. Sent as `acr_values` and as an essential `acr`.
   */
  acr?: string[]
  /**
   * Seconds since the user last authenticated (`auth_time`), at most; within the clock
   * tolerance, as the callback checks it. Sent as `max_age`.
   */
  maxAge?: number
}

/** The claims a requirement reads: the ID token's (a session) or the access token's (an API). */
type AuthenticationClaims = Readonly<Record<string, unknown>>

/**
 * A requirement on the user's authentication, made by {@link stepUp} or read from an API's
 * challenge by {@link stepUpChallenge}; give it to an adapter's `requireAuth` (Koa, Express,
 * Hono; the fetch adapter's `requireStepUp`) or NestJS's `@RequireStepUp()`.
 */
export class StepUp {
  readonly acr: readonly string[] | undefined
  readonly maxAge: number | undefined
  /** From an API's challenge: a session that meets it already is not sent to log in again. */
  readonly fromChallenge: boolean

  constructor(options: StepUpOptions, fromChallenge = false) {
    const { acr, maxAge } = options ?? {}
    if (
      acr !== undefined &&
      (!Array.isArray(acr) || !acr.length || !acr.every((v) => typeof v === 'string' && v))
    ) {
      throw new ConfigurationError('`acr` must be a list of acr values')
    }
    if (maxAge !== undefined && !(Number.isSafeInteger(maxAge) && maxAge >= 0)) {
      throw new ConfigurationError('`maxAge` must be whole seconds >= 0')
    }
    if (acr === undefined && maxAge === undefined) {
      throw new ConfigurationError('stepUp needs `acr`, `maxAge` or both')
    }
    this.acr = acr && [...acr]
    this.maxAge = maxAge
    this.fromChallenge = fromChallenge
  }

  /**
   * Whether `claims` meet the requirement: `acr` one of the required values, `auth_time` present
   * and no older than `maxAge` seconds (`auth_time + maxAge >= now - clockTolerance`, the rule of
   * the callback, so that a fresh login always meets it).
   *
   * @see [OIDC Core 3.1.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#AuthRequest) (`max_age`, `acr_values`)
   */
  isMetBy(claims: AuthenticationClaims | undefined, now: number, clockTolerance: number): boolean {
    if (!claims) return false
    const { acr, auth_time: authTime } = claims
    if (this.acr && !this.acr.includes(acr as string)) return false
    return (
      this.maxAge === undefined ||
      (typeof authTime === 'number' && authTime + this.maxAge >= now - clockTolerance)
    )
  }

  /** `STEP_UP_REQUIRED` (401), its `details` saying what is needed (`acr_values`, `max_age`). */
  error(): OidcHybridError {
    const needed = this.#parameters()
    return new OidcHybridError(
      'STEP_UP_REQUIRED',
      `log in again: this needs ${Object.entries(needed)
        .map(([name, value]) => `${name} ${value}`)
        .join(', ')}`,
      { details: needed },
    )
  }

  /**
   * Throws {@link error} unless `claims` (an access token's, or an ID token's) meet the
   * requirement.
   *
   * @see [RFC 9470 3](https://www.rfc-editor.org/rfc/rfc9470#section-3)
   */
  check(claims: AuthenticationClaims, now: number, clockTolerance: number): void {
    if (!this.isMetBy(claims, now, clockTolerance)) throw this.error()
  }

  /**
   * The login that meets the requirement: `acr_values`, an essential `acr` in `claims` (added to
   * a configured `claims` parameter, `configuredClaims`), and `max_age` (the smaller of this and
   * a configured one), coming back to `returnTo`.
   *
   * @see [OIDC Core 5.5.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#acrSemantics)
   */
  loginOptions(
    returnTo?: string,
    configured: { claims?: string; maxAge?: number } = {},
  ): LoginOptions {
    const { acr, maxAge } = this
    const params: Record<string, string | number> = {}
    if (acr) {
      let claims: Record<string, Record<string, unknown>> = {}
      try {
        const parsed = JSON.parse(configured.claims ?? '{}')
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) claims = parsed
      } catch {
        // Not JSON: the login would refuse it; ours replaces it.
      }
      const idToken = claims.id_token
      claims.id_token = {
        ...(idToken && typeof idToken === 'object' ? idToken : {}),
        acr: { essential: true, values: [...acr] },
      }
      params.acr_values = acr.join(' ')
      params.claims = JSON.stringify(claims)
    }
    if (maxAge !== undefined) params.max_age = Math.min(maxAge, configured.maxAge ?? maxAge)
    return { ...(returnTo === undefined ? {} : { returnTo }), authorizationParams: params }
  }

  /**
   * What `engine` answers a request whose `session` must meet the requirement: `undefined` when
   * it does; a browser navigation (GET asking for HTML) is sent to log in with it and to come
   * back to the URL it asked for; anything else gets 401 `SESSION_MISSING` (no session) or
   * `STEP_UP_REQUIRED`, never a redirect it could not follow. A requirement from an API's
   * challenge that the session meets already is `STEP_UP_REQUIRED` too: another login would
   * give the same tokens.
   */
  async answer(
    engine: Pick<ExtensibleEngine, 'config' | 'login'>,
    request: AuthRequest,
    session: Session | undefined,
  ): Promise<AuthResponse | undefined> {
    const { now, clockTolerance, authorization } = engine.config
    const met = this.isMetBy(session?.claims, now(), clockTolerance)
    if (met && !this.fromChallenge) return undefined
    if (!met && request.method === 'GET' && wantsHtml(request.headers.get('accept'))) {
      const { pathname, search } = new URL(request.url)
      return engine.login(
        request,
        this.loginOptions(pathname + search, {
          claims: authorization.extra?.claims,
          maxAge: authorization.maxAge,
        }),
      )
    }
    const error = session ? this.error() : new OidcHybridError('SESSION_MISSING', 'log in first')
    return {
      status: statusForError(error.code),
      headers: new Headers({ 'cache-control': 'no-store' }),
      error,
    }
  }

  /** The requirement as RFC 9470 challenge parameters. */
  #parameters(): { acr_values?: string; max_age?: number } {
    const { acr, maxAge } = this
    return {
      ...(acr && { acr_values: acr.join(' ') }),
      ...(maxAge !== undefined && { max_age: maxAge }),
    }
  }
}

/**
 * A requirement on the user's authentication for a route: the session's `acr` must be one of
 * `acr`, its `auth_time` no older than `maxAge` seconds. Give it to the adapter's route check;
 * a session that does not meet it is sent to log in again with it (browsers) or answered 401
 * `STEP_UP_REQUIRED`, and that login is refused (`ACR_NOT_SATISFIED`, `AUTH_TIME_INVALID`) rather
 * than repeated when the provider does not meet it.
 *
 * @see [OIDC Core 3.1.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#AuthRequest) (`max_age`, `acr_values`)
 * @see [OIDC Core 5.5.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#acrSemantics) (an essential `acr`)
 * @see [RFC 9470](https://www.rfc-editor.org/rfc/rfc9470) (the API side)
 * @example
 * ```ts
 * import { requireAuth, stepUp } from '@oidc-hybrid/koa' // or any adapter
 * router.get('/transfer', requireAuth(stepUp({ acr: ['urn:example:mfa'], maxAge: 300 })), transfer)
 * ```
 */
export function stepUp(options: StepUpOptions): StepUp {
  return new StepUp(options)
}

/**
 * The requirement an API's RFC 9470 challenge states (`WWW-Authenticate: Bearer
 * error="insufficient_user_authentication", acr_values="...", max_age=...`), from its response or
 * the header's value; `undefined` for any other answer. Give it to the adapter's `requireAuth`:
 * a browser is sent to log in with it (unless the session meets it already: then
 * `STEP_UP_REQUIRED`, never a loop).
 *
 * @see [RFC 9470 3, 4](https://www.rfc-editor.org/rfc/rfc9470#section-3)
 * @example
 * ```ts
 * const answer = await oidc.fetch('https://api.example.com/transfers', { method: 'POST' })
 * const needed = stepUpChallenge(answer)
 * if (needed) return oidc.requireAuth(needed) // fetch adapter: the login, or the 401
 * ```
 */
export function stepUpChallenge(answer: Response | string | null): StepUp | undefined {
  const header =
    typeof answer === 'string' || answer === null
      ? answer
      : answer.status === 401
        ? answer.headers.get('www-authenticate')
        : null
  for (const { scheme, params } of parseChallenges(header ?? '')) {
    if (scheme !== 'bearer' && scheme !== 'dpop') continue
    if (params.error !== 'insufficient_user_authentication') continue
    const acr = params.acr_values?.split(' ').filter(Boolean)
    const maxAge = /^\d{1,9}$/.test(params.max_age ?? '') ? Number(params.max_age) : undefined
    // Neither (or values that cannot be read): a fresh login, `max_age=0`.
    return new StepUp(acr?.length ? { acr, maxAge } : { maxAge: maxAge ?? 0 }, true)
  }
}
