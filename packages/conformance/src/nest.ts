/** The NestJS adapter on Express and on Fastify, as apps under test (routes: see apps.ts). */
import 'reflect-metadata'
import type { Server } from 'node:http'
import {
  Controller,
  Get,
  type INestApplication,
  Inject,
  Module,
  Query,
  type Type,
  UseGuards,
} from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { HybridAuthConfig, VerifiedBearer } from '@oidc-hybrid/core'
import {
  Bearer,
  BearerAuthGuard,
  BearerAuthModule,
  HybridAuthGuard,
  HybridAuthModule,
  Oidc,
  type OidcContext,
  RequiredScopes,
} from '@oidc-hybrid/nestjs'
import {
  type ApiOptions,
  type AppUnderTest,
  closeServer,
  type RunningApp,
  type StartOptions,
  serverFor,
  stateOf,
} from './apps.js'

/** Where `/call-api` sends the session's access token: the API app's URL (see {@link startNest}). */
export const API_URL = Symbol('CONFORMANCE_API_URL')

@Controller()
class ConformanceController {
  @Get('me')
  me(@Oidc() oidc: OidcContext) {
    return { sub: oidc.user?.sub }
  }

  @Get('state')
  state(@Oidc() oidc: OidcContext) {
    return stateOf(oidc)
  }

  @Get('token')
  async token(@Oidc() oidc: OidcContext) {
    const token = await oidc.getAccessToken()
    return { token: token.access_token, expired: token.isExpired() }
  }

  @Get('userinfo')
  userinfo(@Oidc() oidc: OidcContext) {
    return oidc.fetchUserInfo()
  }

  @Get('refresh')
  async refresh(@Oidc() oidc: OidcContext, @Query('scope') scope?: string) {
    const token = await oidc.getAccessToken({ refresh: 'force', scope })
    return { token: token.access_token, scope: token.scope }
  }
}

@Controller()
class CallApiController {
  constructor(@Inject(API_URL) private readonly apiURL: string) {}

  @Get('call-api')
  async callApi(@Oidc() oidc: OidcContext) {
    const response = await oidc.fetch(`${this.apiURL}/api`)
    return { status: response.status, body: await response.json() }
  }
}

/** The API: `/api` behind BearerAuthGuard, requiring `scopes`. */
function apiModule({ bearer, scopes }: ApiOptions): Type {
  @Controller('api')
  @UseGuards(BearerAuthGuard)
  @RequiredScopes(...scopes)
  class ApiController {
    @Get()
    api(@Bearer() verified: VerifiedBearer) {
      return { sub: verified.claims.sub, scopes: verified.scopes }
    }
  }

  @Module({ imports: [BearerAuthModule.forRoot(bearer)], controllers: [ApiController] })
  class ConformanceApiModule {}
  return ConformanceApiModule
}

/** `module` as a Nest application on `platform`, answering on `server`. */
async function serve(
  platform: 'express' | 'fastify',
  module: Type,
  server: Server,
): Promise<INestApplication> {
  const app = await NestFactory.create(
    module,
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
    { logger: false, abortOnError: false },
  )
  await app.init()
  const instance = app.getHttpAdapter().getInstance()
  if (platform === 'fastify') {
    await instance.ready()
    server.on('request', instance.routing)
  } else {
    server.on('request', instance)
  }
  return app
}

/**
 * A Nest app under test on `platform`: `controllers` behind `HybridAuthModule.forRoot(config(url))`
 * and `HybridAuthGuard` as the global guard, on `server` (or a free port), and with `api` the
 * module of an API app of its own on another free port, whose URL the controllers get as
 * {@link API_URL}. Both apps and servers close together, also when the start fails.
 */
export async function startNest(
  platform: 'express' | 'fastify',
  config: (baseURL: string) => HybridAuthConfig,
  options: { server?: Server; controllers: Type[]; api?: Type },
): Promise<RunningApp> {
  const { server, url } = await serverFor({ server: options.server })
  const apps: INestApplication[] = []
  const servers = [server]
  const close = async () => {
    await Promise.all(servers.map(closeServer))
    await Promise.all(apps.map((app) => app.close()))
  }
  try {
    let apiURL: string | undefined
    if (options.api) {
      const api = await serverFor()
      servers.push(api.server)
      apps.push(await serve(platform, options.api, api.server))
      apiURL = api.url
    }
    @Module({
      imports: [HybridAuthModule.forRoot(config(url))],
      controllers: options.controllers,
      providers: [
        { provide: APP_GUARD, useExisting: HybridAuthGuard },
        ...(apiURL ? [{ provide: API_URL, useValue: apiURL }] : []),
      ],
    })
    class AppUnderTestModule {}
    apps.push(await serve(platform, AppUnderTestModule, server))
    return { url, apiURL, close }
  } catch (error) {
    await close()
    throw error
  }
}

function nest(platform: 'express' | 'fastify'): AppUnderTest {
  return {
    name: `nest-${platform}`,
    start: (config: (baseURL: string) => HybridAuthConfig, options?: StartOptions) =>
      startNest(platform, config, {
        server: options?.server,
        controllers: options?.api
          ? [ConformanceController, CallApiController]
          : [ConformanceController],
        api: options?.api && apiModule(options.api),
      }),
  }
}

export const nestExpress = nest('express')
export const nestFastify = nest('fastify')
