/**
 * Starts the whole demo: the local provider (127.0.0.1), the API and the web app (localhost),
 * both Nest apps on Express or on Fastify. Provider and app are on different sites, so the
 * form_post callback is really cross-site.
 */
import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { ConsoleLogger, type DynamicModule, type INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { start } from '@oidc-hybrid/dev-provider'
import { checkProvider, HybridAuthService } from '@oidc-hybrid/nestjs'
import { ApiModule } from './api.module.js'
import { AppModule, type SessionMode } from './app.module.js'

export type Platform = 'express' | 'fastify'

export interface DemoOptions {
  platform?: Platform
  webPort?: number
  apiPort?: number
  providerPort?: number
  responseType?: string
  /** `server`: sessions in a MemorySessionStore, with back-channel logout. */
  sessions?: SessionMode
}

export interface Demo {
  platform: Platform
  webURL: string
  apiURL: string
  issuer: string
  responseType: string
  sessions: SessionMode
  user: { email: string; password: string }
  close(): Promise<void>
}

export const AUDIENCE = 'https://api.example.com'
const CLIENT_ID = 'demo-app'
const CLIENT_SECRET = 'demo-app-secret-0123456789abcdef0123456789'

/** A port that is taken, said with the variable that moves it (instead of a raw EADDRINUSE). */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly variable: string,
  ) {
    super(`port ${port} is already in use: stop what holds it, or set ${variable} to another port`)
    this.name = 'PortInUseError'
  }
}

function portError(error: unknown, port: number, variable: string): unknown {
  // The dev provider wraps the listen error; its cause carries the code.
  const { code, cause } = (error ?? {}) as { code?: string; cause?: { code?: string } }
  return code === 'EADDRINUSE' || cause?.code === 'EADDRINUSE'
    ? new PortInUseError(port, variable)
    : error
}

/**
 * Plain `NestFactory.create` on the chosen platform, listening on 127.0.0.1; `beforeListen`
 * runs on the initialized app (closed again if it or the listen fails).
 */
async function serve(
  module: DynamicModule,
  platform: Platform,
  port: number,
  variable: string,
  beforeListen?: (app: INestApplication) => Promise<void>,
): Promise<INestApplication> {
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter()
  // Startup errors reject here, unlogged, for main.ts to say what to fix (instead of Nest printing
  // a stack and exiting); once listening, Nest logs warnings and errors as usual.
  const app = await NestFactory.create(module, adapter, { logger: false, abortOnError: false })
  try {
    await beforeListen?.(app)
    await app.listen(port, '127.0.0.1').catch((error: unknown) => {
      throw portError(error, port, variable)
    })
  } catch (error) {
    await app.close()
    throw error
  }
  app.useLogger(new ConsoleLogger({ logLevels: ['warn', 'error'] }))
  return app
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const platform = options.platform ?? 'express'
  const responseType = options.responseType ?? 'code id_token'
  const sessions = options.sessions ?? 'cookie'
  const webPort = options.webPort ?? 3000
  const apiPort = options.apiPort ?? 3001
  const providerPort = options.providerPort ?? 4000
  const webURL = `http://localhost:${webPort}`
  const apiURL = `http://localhost:${apiPort}`
  const provider = await start({
    port: providerPort,
    host: '127.0.0.1',
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${webURL}/callback`],
        post_logout_redirect_uris: [`${webURL}/`],
        ...(sessions === 'server'
          ? {
              backchannel_logout_uri: `${webURL}/backchannel-logout`,
              backchannel_logout_session_required: true,
            }
          : {}),
        response_types: ['code id_token', 'code token', 'code id_token token', 'code'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      },
    ],
    apis: [
      {
        identifier: AUDIENCE,
        scopes: ['read:messages', 'write:messages'],
        allowOfflineAccess: true,
      },
    ],
  }).catch((error: unknown) => {
    throw portError(error, providerPort, 'PROVIDER_PORT')
  })
  const apps: INestApplication[] = []
  const close = async () => {
    await Promise.all(apps.map((app) => app.close()))
    await provider.close()
  }
  try {
    apps.push(
      await serve(
        ApiModule.forRoot({ issuerBaseURL: provider.issuer, audience: AUDIENCE }),
        platform,
        apiPort,
        'API_PORT',
      ),
    )
    apps.push(
      await serve(
        AppModule.forRoot({
          issuerBaseURL: provider.issuer,
          baseURL: webURL,
          clientID: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          secret: randomBytes(32).toString('hex'),
          apiURL,
          audience: AUDIENCE,
          platform,
          responseType,
          sessions,
        }),
        platform,
        webPort,
        'WEB_PORT',
        // The configuration checked against the provider before anyone logs in: a response type
        // it does not list, or a client authentication it does not support, stops the demo with
        // advice (CONFIG_INVALID).
        (app) => checkProvider(app.get(HybridAuthService).engine),
      ),
    )
  } catch (error) {
    await close()
    throw error
  }
  return {
    platform,
    webURL,
    apiURL,
    issuer: provider.issuer,
    responseType,
    sessions,
    user: { email: 'demo@example.com', password: 'demo-password' },
    close,
  }
}
