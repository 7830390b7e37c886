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
  type StartOptions,
  serverFor,
} from './apps.js'

/** Where `/call-api` sends the session's access token. */
const API_URL = Symbol('CONFORMANCE_API_URL')

@Controller()
class ConformanceController {
  @Get('me')
  me(@Oidc() oidc: OidcContext) {
    return { sub: oidc.user?.sub }
  }

  @Get('state')
  state(@Oidc() oidc: OidcContext) {
    const token = oidc.accessToken!
    return { claims: oidc.user, token: token.access_token, scope: token.scope }
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

function nest(platform: 'express' | 'fastify'): AppUnderTest {
  return {
    name: `nest-${platform}`,
    async start(config: (baseURL: string) => HybridAuthConfig, options?: StartOptions) {
      const { server, url } = await serverFor(options)
      const apps: INestApplication[] = []
      const servers = [server]
      const close = async () => {
        await Promise.all(servers.map(closeServer))
        await Promise.all(apps.map((app) => app.close()))
      }
      try {
        let apiURL: string | undefined
        if (options?.api) {
          const api = await serverFor()
          servers.push(api.server)
          apps.push(await serve(platform, apiModule(options.api), api.server))
          apiURL = api.url
        }
        @Module({
          imports: [HybridAuthModule.forRoot(config(url))],
          controllers: apiURL
            ? [ConformanceController, CallApiController]
            : [ConformanceController],
          providers: [
            { provide: APP_GUARD, useExisting: HybridAuthGuard },
            ...(apiURL ? [{ provide: API_URL, useValue: apiURL }] : []),
          ],
        })
        class ConformanceModule {}
        apps.push(await serve(platform, ConformanceModule, server))
        return { url, apiURL, close }
      } catch (error) {
        await close()
        throw error
      }
    },
  }
}

export const nestExpress = nest('express')
export const nestFastify = nest('fastify')
