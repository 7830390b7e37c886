/**
 * The web app: HybridAuthModule (configured asynchronously, as with a ConfigService), its guard
 * for every route, and the pages.
 */
import { type DynamicModule, Module } from '@nestjs/common'
import { APP_GUARD } from '@nestjs/core'
import {
  backchannelLogout,
  HybridAuthGuard,
  HybridAuthModule,
  MemorySessionStore,
  serverSessions,
} from '@oidc-hybrid/nestjs'
import { AppController, WEB_SETTINGS, type WebSettings } from './app.controller.js'

/** Where sessions live: in the sealed cookie, or on the server (the cookie holds only an id). */
export type SessionMode = 'cookie' | 'server'

export interface AppSettings {
  issuerBaseURL: string
  baseURL: string
  clientID: string
  clientSecret: string
  /** Seals the cookies: at least 32 random characters (`openssl rand -hex 32`). */
  secret: string
  audience: string
  apiURL: string
  platform: 'express' | 'fastify'
  responseType?: string
  sessions?: SessionMode
}

const SESSION_MODES: Record<SessionMode, string> = {
  cookie: 'in a sealed cookie (AES-256-GCM): the browser keeps the tokens, encrypted',
  server:
    'on the server (a MemorySessionStore; the cookie holds only a sealed id), with back-channel logout',
}

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest's dynamic module idiom (`AppModule.forRoot()`)
export class AppModule {
  static forRoot(settings: AppSettings): DynamicModule {
    const responseType = settings.responseType ?? 'code id_token'
    const sessions = settings.sessions ?? 'cookie'
    const web: WebSettings = {
      apiURL: settings.apiURL,
      issuerBaseURL: settings.issuerBaseURL,
      responseType,
      sessionMode: SESSION_MODES[sessions],
      platform: settings.platform,
    }
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
              response_type: responseType,
              scope: 'openid profile email offline_access read:messages write:messages',
              audience: settings.audience,
            },
            // With sessions on the server, the provider's Logout Token (POST
            // /backchannel-logout) ends the session here too.
            ...(sessions === 'server'
              ? {
                  session: { store: serverSessions(new MemorySessionStore()) },
                  backchannelLogout: backchannelLogout(),
                }
              : {}),
          }),
        }),
      ],
      controllers: [AppController],
      providers: [
        { provide: WEB_SETTINGS, useValue: web },
        // Every route needs a login unless it is marked @Public().
        { provide: APP_GUARD, useExisting: HybridAuthGuard },
      ],
    }
  }
}
