/** The NestJS adapter on Express and on Fastify, as apps under test. */
import 'reflect-metadata'
import { createServer } from 'node:http'
import { Controller, Get, Module } from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { HybridAuthConfig } from '@oidc-hybrid/core'
import { HybridAuthGuard, HybridAuthModule, Oidc, type OidcContext } from '@oidc-hybrid/nestjs'
import { type AppUnderTest, closeServer, listen } from './apps.js'

@Controller()
class ConformanceController {
  @Get('me')
  me(@Oidc() oidc: OidcContext) {
    return { sub: oidc.user?.sub }
  }

  @Get('userinfo')
  userinfo(@Oidc() oidc: OidcContext) {
    return oidc.fetchUserInfo()
  }

  @Get('refresh')
  async refresh(@Oidc() oidc: OidcContext) {
    const token = await oidc.getAccessToken({ refresh: 'force' })
    return { scope: token.scope }
  }
}

function nest(platform: 'express' | 'fastify'): AppUnderTest {
  return {
    name: `nest-${platform}`,
    async start(config: (baseURL: string) => HybridAuthConfig) {
      const server = createServer()
      const url = await listen(server)
      @Module({
        imports: [HybridAuthModule.forRoot(config(url))],
        controllers: [ConformanceController],
        providers: [{ provide: APP_GUARD, useExisting: HybridAuthGuard }],
      })
      class ConformanceModule {}
      const app = await NestFactory.create(
        ConformanceModule,
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
      return {
        url,
        close: async () => {
          await closeServer(server)
          await app.close()
        },
      }
    },
  }
}

export const nestExpress = nest('express')
export const nestFastify = nest('fastify')
