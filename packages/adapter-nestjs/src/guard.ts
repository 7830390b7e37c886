/**
 * The session guard: lets logged-in users through, sends browsers to the login and back, and
 * answers everything else 401. Usable on a controller or route, or for the whole app as
 * `APP_GUARD`, with `@Public()` to opt a route out.
 */
import {
  type CanActivate,
  type CustomDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import { ConfigurationError, type StepUp, type StepUpOptions, stepUp } from '@oidc-hybrid/core'
import { loginOrDeny } from '@oidc-hybrid/core/adapter'
import { LoginRedirectException } from './filter.js'
import { applyHeaders, type PlatformRequest, type PlatformResponse, toAuthRequest } from './http.js'
import { HybridAuthService } from './service.js'

/** Metadata key of {@link Public}. */
export const PUBLIC_ROUTE = 'oidc-hybrid:public'

/**
 * Marks a route or controller as open to everyone: `HybridAuthGuard` (and `BearerAuthGuard`)
 * let it through. The session is still loaded, so `@User()` is the user when there is one.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 */
export const Public = (): CustomDecorator<string> => SetMetadata(PUBLIC_ROUTE, true)

/** Metadata key of {@link RequireStepUp}. */
export const STEP_UP_ROUTE = 'oidc-hybrid:step-up'

/**
 * Requires more of the user's authentication on a route or controller (the route's wins):
 * `HybridAuthGuard` lets through only a session whose `acr` is one of `acr` and whose
 * `auth_time` is within `maxAge` seconds. A browser navigation whose session does not meet it is
 * sent to log in again with `acr_values` and `max_age` (and an essential `acr`) and comes back
 * to the URL; other requests get 401 `STEP_UP_REQUIRED`. A provider that does not meet it ends
 * that login with `ACR_NOT_SATISFIED` / `AUTH_TIME_INVALID`, never a loop. Takes the options or a
 * requirement (`stepUp(...)`, `stepUpChallenge(response)`).
 *
 * @see [OIDC Core 3.1.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#AuthRequest)
 * @see [OIDC Core 5.5.1.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#acrSemantics)
 * @example
 * ```ts
 * @Post('transfers')
 * @RequireStepUp({ acr: ['urn:example:mfa'], maxAge: 300 })
 * transfer(@User() user: IdTokenClaims) {}
 * ```
 */
export const RequireStepUp = (requirement: StepUp | StepUpOptions): CustomDecorator<string> =>
  SetMetadata(
    STEP_UP_ROUTE,
    // Duck-typed: a requirement from another copy of the core is one too.
    'answer' in requirement ? requirement : stepUp(requirement),
  )

/** True when the handler or its class is marked {@link Public}. */
export function isPublic(reflector: Reflector, context: ExecutionContext): boolean {
  return (
    reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]) === true
  )
}

/**
 * Requires a logged-in user. A browser navigation (GET asking for HTML) is redirected to the
 * login and comes back to the URL it asked for; other requests get 401 (`SESSION_MISSING`).
 * Session cookies rolled while loading are written onto the response.
 *
 * @see [OIDC Core 3.3.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthRequest)
 */
@Injectable()
export class HybridAuthGuard implements CanActivate {
  readonly #auth: HybridAuthService
  readonly #reflector: Reflector

  constructor(
    @Inject(HybridAuthService) auth: HybridAuthService,
    @Inject(Reflector) reflector: Reflector,
  ) {
    this.#auth = auth
    this.#reflector = reflector
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const open = isPublic(this.#reflector, context)
    if (context.getType() !== 'http') {
      if (open) return true
      // Failing closed: a global guard must not wave through what it cannot check.
      throw new ConfigurationError(
        'HybridAuthGuard checks HTTP requests only; mark this handler @Public() or apply the guard to HTTP controllers only',
      )
    }
    const http = context.switchToHttp()
    const request = http.getRequest<PlatformRequest>()
    const response = http.getResponse<PlatformResponse>()
    const oidc = await this.#auth.context(request, response)
    if (open) return true
    const requirement = this.#reflector.getAllAndOverride<StepUp | undefined>(STEP_UP_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ])
    if (!requirement && oidc.isAuthenticated()) return true
    // The decision every adapter shares: browsers to the login and back, others 401.
    const engine = this.#auth.engine
    const authRequest = toAuthRequest(request, engine.config.baseURL)
    const answer = requirement
      ? await requirement.answer(engine, authRequest, oidc.session)
      : await loginOrDeny(engine, authRequest)
    if (!answer) return true
    if (answer.error) throw answer.error
    applyHeaders(response, answer)
    throw new LoginRedirectException(answer.headers.get('location') ?? '')
  }
}
