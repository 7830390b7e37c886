/**
 * `HybridAuthModule`: the engine, the login/callback/logout routes, the session guard and (unless
 * turned off) the exception filter, configured with `forRoot` or `forRootAsync`.
 */
import { Inject, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common'
import { HttpAdapterHost } from '@nestjs/core'
import { HybridAuthGuard } from './guard.js'
import { HYBRID_AUTH_OPTIONS, HybridAuthConfigurableModule } from './options.js'
import { HybridAuthService } from './service.js'

/**
 * Logs users in with the OpenID Connect Hybrid Flow (form_post).
 *
 * The routes are mounted on the platform itself (Express or Fastify), ahead of the controllers,
 * at exactly the configured paths (`/login`, `/callback`, `/logout` by default): the callback's
 * URL must be the `redirect_uri` the engine sends, so a global prefix or URI versioning must not
 * move them. On Fastify this runs in the `onRequest` hook, before any body parser.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [HybridAuthModule.forRoot({ issuerBaseURL, baseURL, clientID, clientSecret, secret })],
 *   providers: [{ provide: APP_GUARD, useExisting: HybridAuthGuard }],
 * })
 * export class AppModule {}
 * ```
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 */
@Module({
  providers: [HybridAuthService, HybridAuthGuard],
  exports: [HybridAuthService, HybridAuthGuard, HYBRID_AUTH_OPTIONS],
})
export class HybridAuthModule extends HybridAuthConfigurableModule implements NestModule {
  readonly #auth: HybridAuthService
  readonly #adapterHost: HttpAdapterHost

  constructor(
    @Inject(HybridAuthService) auth: HybridAuthService,
    @Inject(HttpAdapterHost) adapterHost: HttpAdapterHost,
  ) {
    super()
    this.#auth = auth
    this.#adapterHost = adapterHost
  }

  /**
   * Nest calls this while it sets up middleware, after the body parsers and before the
   * controllers' routes; `use()` there puts the auth routes on the platform itself, unprefixed.
   */
  configure(_consumer: MiddlewareConsumer): void {
    // A standalone application context has no HTTP server and no routes to serve.
    this.#adapterHost.httpAdapter?.use(this.#auth.middleware())
  }
}
