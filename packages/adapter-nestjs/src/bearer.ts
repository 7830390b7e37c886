/**
 * The API side: `BearerAuthModule` provides a bearer verifier (RFC 9068 JWT access tokens, keys
 * from the issuer's JWKS, and DPoP-bound tokens with their proofs, RFC 9449), `BearerAuthGuard` checks each request with the route's
 * `@RequiredScopes()` and `@RequiredClaims()`, and failures answer as RFC 6750 3 says.
 */
import {
  type CanActivate,
  type CustomDecorator,
  createParamDecorator,
  type ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  Module,
  SetMetadata,
} from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import {
  type AccessTokenClaims,
  type BearerFailure,
  type BearerVerifier,
  ConfigurationError,
  createBearerVerifier,
  type VerifiedBearer,
} from '@oidc-hybrid/core'
import { requestState } from './context.js'
import { isPublic } from './guard.js'
import { type PlatformRequest, type PlatformResponse, setHeader, toAuthRequest } from './http.js'
import {
  BEARER_AUTH_OPTIONS,
  BEARER_VERIFIER,
  BearerAuthConfigurableModule,
  type BearerAuthModuleOptions,
} from './options.js'

/** Metadata key of {@link RequiredScopes}. */
export const REQUIRED_SCOPES = 'oidc-hybrid:required-scopes'
/** Metadata key of {@link RequiredClaims}. */
export const REQUIRED_CLAIMS = 'oidc-hybrid:required-claims'

/**
 * A claim check: each named claim must equal the value (or, for a list claim, contain it), or a
 * predicate over all claims must hold.
 */
export type ClaimRequirement =
  | Readonly<Record<string, string | number | boolean>>
  | ((claims: AccessTokenClaims) => boolean)

/**
 * Scopes the access token must all grant (added to the module's `scopes`); on a controller and
 * a route they add up. With `permissionsClaim: true`, Auth0 RBAC `permissions` count as scopes.
 *
 * @see [RFC 6750 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 */
export const RequiredScopes = (...scopes: string[]): CustomDecorator<string> =>
  SetMetadata(REQUIRED_SCOPES, scopes)

/**
 * A claim check the access token must pass, after its signature, issuer, audience, times and
 * scopes were verified; on a controller and a route every check must pass. A failure is
 * 403 `insufficient_scope`.
 *
 * @example
 * ```ts
 * @RequiredClaims({ org_id: 'org_acme' })
 * @RequiredClaims((claims) => claims.sub.startsWith('auth0|'))
 * ```
 * @see [RFC 6750 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 */
export const RequiredClaims = (requirement: ClaimRequirement): CustomDecorator<string> =>
  SetMetadata(REQUIRED_CLAIMS, requirement)

function satisfies(requirement: ClaimRequirement, claims: AccessTokenClaims): boolean {
  if (typeof requirement === 'function') return requirement(claims) === true
  return Object.entries(requirement).every(([name, expected]) => {
    const actual = claims[name]
    return Array.isArray(actual) ? actual.includes(expected) : actual === expected
  })
}

function claimNames(requirement: ClaimRequirement): string[] {
  return typeof requirement === 'function' ? [] : Object.keys(requirement)
}

/**
 * A failed bearer check, as RFC 6750 3 says: 400 `invalid_request`, 401 (bare challenge when no
 * Bearer token was sent, `invalid_token` otherwise) or 403 `insufficient_scope`, with a JSON body;
 * 503 with `Retry-After` when the provider's discovery or keys cannot be had.
 * `BearerAuthGuard` writes the headers (`WWW-Authenticate`, `Cache-Control`, `Retry-After`...)
 * onto the response before throwing it, so any exception filter that keeps headers answers
 * correctly.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 */
export class BearerAuthException extends HttpException {
  readonly wwwAuthenticate: string

  constructor(failure: BearerFailure) {
    super(failure.json, failure.status)
    this.wwwAuthenticate = failure.wwwAuthenticate
  }
}

// Only the path and query of a request without a usable Host are read; DPoP proofs then fail.
const NO_HOST = new URL('http://localhost')

/**
 * Requires a valid bearer access token for the audience `BearerAuthModule` was given, with the
 * route's required scopes and claims, or a DPoP-bound one with its proof (RFC 9449; the module's
 * `dpop`: `'allow'` by default, `'require'`, `'off'`). On success the result is in `@Bearer()`.
 * DPoP proofs name the URL the platform sees: behind a TLS-terminating proxy make it trust the
 * proxy (Express: `app.set('trust proxy', 1)`; Fastify: `new FastifyAdapter({ trustProxy: true })`)
 * or set the module's `origin`.
 *
 * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
 * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
 * @see [RFC 9449 7](https://www.rfc-editor.org/rfc/rfc9449#section-7)
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  readonly #verifier: BearerVerifier
  readonly #reflector: Reflector

  constructor(
    @Inject(BEARER_VERIFIER) verifier: BearerVerifier,
    @Inject(Reflector) reflector: Reflector,
  ) {
    this.#verifier = verifier
    this.#reflector = reflector
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (isPublic(this.#reflector, context)) return true
    if (context.getType() !== 'http') {
      throw new ConfigurationError(
        'BearerAuthGuard checks HTTP requests only; apply it to HTTP controllers only',
      )
    }
    // The controller's requirements first, then the route's: they add up.
    const targets = [context.getClass(), context.getHandler()]
    const scopes = [
      ...new Set(
        this.#reflector
          .getAll<Array<string[] | undefined>>(REQUIRED_SCOPES, targets)
          .flatMap((list) => list ?? []),
      ),
    ]
    const requirements = this.#reflector
      .getAll<Array<ClaimRequirement | undefined>>(REQUIRED_CLAIMS, targets)
      .filter((requirement) => requirement !== undefined)
    const http = context.switchToHttp()
    const request = http.getRequest<PlatformRequest>()
    const response = http.getResponse<PlatformResponse>()
    try {
      // The claims are checked by the verifier, so a refusal is a `bearer.refused` event too.
      const verified = await this.#verifier.verifyRequest(toAuthRequest(request, NO_HOST), {
        scopes,
        claims: (claims) => {
          const unmet = requirements.find((requirement) => !satisfies(requirement, claims))
          return unmet === undefined || claimNames(unmet)
        },
      })
      // A fresh DPoP-Nonce, when one is due.
      for (const [name, value] of Object.entries(verified.headers ?? {})) {
        setHeader(response, name, value)
      }
      requestState(request).bearer = verified
      return true
    } catch (error) {
      // Throws a misconfiguration again: the developer's to see, not a 401 for the client.
      const failure = this.#verifier.failure(error, { scopes })
      for (const [name, value] of Object.entries(failure.headers)) {
        setHeader(response, name, value)
      }
      throw new BearerAuthException(failure)
    }
  }
}

/**
 * The verified access token of the request (`{ claims, scopes }`), or one claim:
 * `@Bearer('sub') sub: string`. Set by `BearerAuthGuard`.
 *
 * @see [RFC 9068 2.2](https://www.rfc-editor.org/rfc/rfc9068#section-2.2)
 */
export const Bearer = createParamDecorator(
  (claim: string | undefined, context: ExecutionContext): unknown => {
    const verified: VerifiedBearer | undefined = requestState(
      context.switchToHttp().getRequest<PlatformRequest>(),
    ).bearer
    if (verified === undefined) {
      throw new ConfigurationError(
        '@Bearer() reads what BearerAuthGuard verified: add @UseGuards(BearerAuthGuard) to this route',
      )
    }
    return claim === undefined ? verified : verified.claims[claim]
  },
)

/**
 * Bearer protection for an API: `BearerAuthModule.forRoot({ issuerBaseURL, audience })` or
 * `forRootAsync(...)`, then `@UseGuards(BearerAuthGuard)` (or `APP_GUARD`).
 *
 * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
 */
@Module({
  providers: [
    {
      provide: BEARER_VERIFIER,
      useFactory: (options: BearerAuthModuleOptions) => createBearerVerifier(options),
      inject: [BEARER_AUTH_OPTIONS],
    },
    BearerAuthGuard,
  ],
  exports: [BEARER_VERIFIER, BearerAuthGuard],
})
export class BearerAuthModule extends BearerAuthConfigurableModule {}
