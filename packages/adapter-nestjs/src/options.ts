/**
 * The module definitions, built with Nest's ConfigurableModuleBuilder: `forRoot(options)` and
 * `forRootAsync({ imports, inject, useFactory | useClass | useExisting })`, plus `isGlobal`.
 */
import { ConfigurableModuleBuilder, type DynamicModule, type Provider } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import type { BearerVerifierConfig, HybridAuth, HybridAuthConfig } from '@oidc-hybrid/core'
import { HybridAuthExceptionFilter } from './filter.js'

/** `HybridAuthModule` options: the core configuration, or an engine you created. */
export interface HybridAuthModuleOptions extends HybridAuthConfig {
  /** Use an engine you created (shares its caches); otherwise one is created from the rest. */
  engine?: HybridAuth
}

export interface HybridAuthModuleExtras {
  /** Make the module's providers (service, guard) visible to every module. Default false. */
  isGlobal: boolean
  /** Register {@link HybridAuthExceptionFilter} globally. Default true. */
  exceptionFilter: boolean
}

function withFilter(definition: DynamicModule, extras: HybridAuthModuleExtras): DynamicModule {
  const filter: Provider = { provide: APP_FILTER, useClass: HybridAuthExceptionFilter }
  return {
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), ...(extras.exceptionFilter ? [filter] : [])],
  }
}

export const {
  ConfigurableModuleClass: HybridAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: HYBRID_AUTH_OPTIONS,
  OPTIONS_TYPE: HYBRID_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: HYBRID_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HybridAuthModuleOptions>({
  optionsInjectionToken: Symbol.for('@oidc-hybrid/nestjs.options'),
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createHybridAuthOptions')
  .setExtras<HybridAuthModuleExtras>({ isGlobal: false, exceptionFilter: true }, withFilter)
  .build()

/** `HybridAuthModule.forRoot()` options: the configuration plus `isGlobal`, `exceptionFilter`. */
export type HybridAuthModuleRootOptions = typeof HYBRID_AUTH_OPTIONS_TYPE
/** `HybridAuthModule.forRootAsync()` options. */
export type HybridAuthModuleAsyncOptions = typeof HYBRID_AUTH_ASYNC_OPTIONS_TYPE

/** `BearerAuthModule` options: where tokens come from and whom they are for. */
export type BearerAuthModuleOptions = BearerVerifierConfig

export const {
  ConfigurableModuleClass: BearerAuthConfigurableModule,
  MODULE_OPTIONS_TOKEN: BEARER_AUTH_OPTIONS,
  OPTIONS_TYPE: BEARER_AUTH_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: BEARER_AUTH_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<BearerAuthModuleOptions>({
  optionsInjectionToken: Symbol.for('@oidc-hybrid/nestjs.bearer-options'),
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createBearerAuthOptions')
  .setExtras({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build()

/** `BearerAuthModule.forRoot()` options: the verifier configuration plus `isGlobal`. */
export type BearerAuthModuleRootOptions = typeof BEARER_AUTH_OPTIONS_TYPE
/** `BearerAuthModule.forRootAsync()` options. */
export type BearerAuthModuleAsyncOptions = typeof BEARER_AUTH_ASYNC_OPTIONS_TYPE

/** The bearer verifier `BearerAuthModule` provides (inject it to verify tokens yourself). */
export const BEARER_VERIFIER = Symbol.for('@oidc-hybrid/nestjs.bearer-verifier')
