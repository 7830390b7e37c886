/**
 * Starts the whole demo: the local provider (127.0.0.1), the API and the web app (localhost),
 * both Nest apps on Express or on Fastify. Provider and app are on different sites, so the
 * form_post callback is really cross-site.
 */
import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import type { DynamicModule, INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { start } from '@oidc-hybrid/dev-provider'
import { ApiModule } from './api.module.js'
import { AppModule } from './app.module.js'

export type Platform = 'express' | 'fastify'

export interface DemoOptions {
  platform?: Platform
  webPort?: number
  apiPort?: number
  providerPort?: number
  responseType?: string
}

export interface Demo {
  platform: Platform
  webURL: string
  apiURL: string
  issuer: string
  user: { email: string; password: string }
  close(): Promise<void>
}

export const AUDIENCE = 'https://api.example.com'
const CLIENT_ID = 'demo-app'
const CLIENT_SECRET = 'demo-app-secret-0123456789abcdef0123456789'

/** Plain `NestFactory.create` on the chosen platform, listening on 127.0.0.1. */
async function serve(
  module: DynamicModule,
  platform: Platform,
  port: number,
): Promise<INestApplication> {
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter()
  const app = await NestFactory.create(module, adapter, { logger: ['error', 'warn'] })
  await app.listen(port, '127.0.0.1')
  return app
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const platform = options.platform ?? 'express'
  const webPort = options.webPort ?? 3000
  const apiPort = options.apiPort ?? 3001
  const webURL = `http://localhost:${webPort}`
  const apiURL = `http://localhost:${apiPort}`
  const provider = await start({
    port: options.providerPort ?? 4000,
    host: '127.0.0.1',
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${webURL}/callback`],
        post_logout_redirect_uris: [`${webURL}/`],
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
          responseType: options.responseType,
        }),
        platform,
        webPort,
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
    user: { email: 'demo@example.com', password: 'demo-password' },
    close,
  }
}
