/**
 * @oidc-hybrid/nestjs — the OpenID Connect Hybrid Flow for NestJS on Express and Fastify: a
 * module, a session guard, parameter decorators and bearer protection for APIs. A translator
 * between Nest and the core engine: no protocol logic lives here.
 *
 * @example
 * ```ts
 * import { Controller, Get, Module } from '@nestjs/common'
 * import { APP_GUARD } from '@nestjs/core'
 * import { HybridAuthGuard, HybridAuthModule, Public, User } from '@oidc-hybrid/nestjs'
 *
 * @Controller()
 * class ProfileController {
 *   @Get('profile') profile(@User() user: IdTokenClaims) { return user }
 *   @Public() @Get() home() { return 'hello' }
 * }
 *
 * @Module({
 *   imports: [HybridAuthModule.forRoot({
 *     issuerBaseURL: 'https://tenant.auth0.com',
 *     baseURL: 'https://app.example.com',
 *     clientID: 'abc',
 *     clientSecret: process.env.CLIENT_SECRET,
 *     secret: process.env.COOKIE_SECRET!,
 *   })],
 *   controllers: [ProfileController],
 *   providers: [{ provide: APP_GUARD, useExisting: HybridAuthGuard }],
 * })
 * export class AppModule {}
 * ```
 */
export type {
  AccessTokenClaims,
  AccessTokenOptions,
  AccessTokenView,
  AuthEvent,
  AuthEventType,
  DpopMode,
  DpopNonceOptions,
  DpopReplayCheck,
  EventsOptions,
  HybridAuthConfig,
  IdTokenClaims,
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
export {
  Bearer,
  BearerAuthException,
  BearerAuthGuard,
  BearerAuthModule,
  type ClaimRequirement,
  REQUIRED_CLAIMS,
  REQUIRED_SCOPES,
  RequiredClaims,
  RequiredScopes,
} from './bearer.js'
export { MAX_FORM_BYTES } from './body.js'
export type { OidcContext, SessionAccessToken } from './context.js'
export { AccessToken, AuthSession, Oidc, oidcContextOf, User } from './decorators.js'
export { HybridAuthExceptionFilter, LoginRedirectException } from './filter.js'
export {
  HybridAuthGuard,
  PUBLIC_ROUTE,
  Public,
  RequireStepUp,
  STEP_UP_ROUTE,
} from './guard.js'
export type { FastifyReplyLike, NodeResponse, PlatformRequest, PlatformResponse } from './http.js'
export { HybridAuthModule } from './module.js'
export {
  BEARER_AUTH_OPTIONS,
  BEARER_VERIFIER,
  type BearerAuthModuleAsyncOptions,
  type BearerAuthModuleOptions,
  type BearerAuthModuleRootOptions,
  HYBRID_AUTH_OPTIONS,
  type HybridAuthModuleAsyncOptions,
  type HybridAuthModuleExtras,
  type HybridAuthModuleOptions,
  type HybridAuthModuleRootOptions,
} from './options.js'
export { HybridAuthService, type RouteMiddleware } from './service.js'
