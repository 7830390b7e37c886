/**
 * The web app: HybridAuthModule (configured asynchronously, as with a ConfigService), its guard
 * for every route, and the pages.
 */
import { type DynamicModule, Module } from '@nestjs/common'
import { APP_GUARD } from '@nestjs/core'
import { HybridAuthGuard, HybridAuthModule } from '@oidc-hybrid/nestjs'
import { AppController, WEB_SETTINGS, type WebSettings } from './app.controller.js'

export interface AppSettings extends WebSettings {
  issuerBaseURL: string
  baseURL: string
  clientID: string
  clientSecret: string
  /** Seals the cookies: at least 32 random characters (`openssl rand -hex 32`). */
  secret: string
  audience: string
  responseType?: string
}

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic module idiom (`AppModule.forRoot()`)
export class AppModule {
  static forRoot(settings: AppSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HybridAuthModule.forRootAsync({
          // A real app injects its ConfigService here: `inject: [ConfigService]`.
          useFactory: () => ({
            issuerBaseURL: settings.issuerBaseURL,
            baseURL: settings.baseURL,
            clientID: settings.clientID,
            clientSecret: settings.clientSecret,
            secret: settings.secret,
            authorizationParams: {
              response_type: settings.responseType ?? 'code id_token',
              scope: 'openid profile email offline_access read:messages write:messages',
              audience: settings.audience,
            },
          }),
        }),
      ],
      controllers: [AppController],
      providers: [
        { provide: WEB_SETTINGS, useValue: { apiURL: settings.apiURL } },
        // Every route needs a login unless it is marked @Public().
        { provide: APP_GUARD, useExisting: HybridAuthGuard },
      ],
    }
  }
}
