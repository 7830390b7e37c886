// One app under load, in its own process so the load generator does not share its core:
//   node --import tsx src/server.ts <kind> <port> <issuer>
// kinds: koa-bare, koa-ours-web, koa-ours-node, express-bare, express-eoc, nest-bare,
// nest-ours-node.
// Every app answers GET /profile with a short text; the authenticated ones answer 401 (Nest's
// guard: a 302 to the login) without a session, so a load run that lost its session shows up as
// non-2xx responses.
import 'reflect-metadata'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Controller, Get, Module } from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { type IdTokenClaims, WebCryptoProvider } from '@oidc-hybrid/core'
import { auth as koaAuth } from '@oidc-hybrid/koa'
import { HybridAuthGuard, HybridAuthModule, User } from '@oidc-hybrid/nestjs'
import express from 'express'
import { auth as eocAuth } from 'express-openid-connect'
import Koa from 'koa'
import { NodeCryptoProvider } from './crypto-node.js'
import { API, APP_CLIENT_SECRET, COOKIE_SECRET } from './fixtures.js'

const SCOPE = 'openid profile email offline_access read:messages'

const [kind = '', portText = '', issuer = ''] = process.argv.slice(2)
const port = Number(portText)
const baseURL = `http://localhost:${port}`

function koaApp(crypto?: WebCryptoProvider | InstanceType<typeof NodeCryptoProvider>) {
  const app = new Koa()
  if (crypto) {
    app.use(
      koaAuth({
        issuerBaseURL: issuer,
        baseURL,
        clientID: 'bench-koa',
        clientSecret: APP_CLIENT_SECRET,
        secret: COOKIE_SECRET,
        authorizationParams: { response_type: 'code id_token', scope: SCOPE, audience: API },
        crypto,
      }),
    )
    app.use((ctx) => {
      if (!ctx.oidc.isAuthenticated()) {
        ctx.status = 401
        return
      }
      ctx.body = `hello ${ctx.oidc.user?.sub}`
    })
  } else {
    app.use((ctx) => {
      ctx.body = 'hello anonymous'
    })
  }
  return app.callback()
}

function expressApp(withAuth: boolean) {
  const app = express()
  app.disable('x-powered-by')
  if (withAuth) {
    app.use(
      eocAuth({
        issuerBaseURL: issuer,
        baseURL,
        clientID: 'bench-express',
        clientSecret: APP_CLIENT_SECRET,
        secret: COOKIE_SECRET,
        authRequired: false,
        authorizationParams: {
          response_type: 'code id_token',
          response_mode: 'form_post',
          scope: SCOPE,
          audience: API,
        },
      }),
    )
  }
  app.get('/profile', (req, res) => {
    if (!withAuth) {
      res.send('hello anonymous')
      return
    }
    if (!req.oidc.isAuthenticated()) {
      res.sendStatus(401)
      return
    }
    res.send(`hello ${req.oidc.user?.sub}`)
  })
  return app
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/**
 * A Nest app on platform-express with one controller, `GET /profile`. With `withAuth`:
 * HybridAuthModule (NodeCryptoProvider, the Nest adapter's default, passed explicitly so the row
 * keeps measuring it) and HybridAuthGuard for every route, as the adapter's README sets it up.
 *
 * The decorators are applied as calls, as TypeScript compiles them: the bench has no tsconfig
 * enabling `experimentalDecorators` for tsx, and Nest's decorators are the legacy kind.
 */
async function nestApp(withAuth: boolean): Promise<Handler> {
  class ProfileController {
    profile(user?: IdTokenClaims): string {
      return user ? `hello ${user.sub}` : 'hello anonymous'
    }
  }
  const profile = Object.getOwnPropertyDescriptor(ProfileController.prototype, 'profile')
  const parameters: MethodDecorator[] = withAuth
    ? [(target, key) => User()(target, key, 0)] // @User() user
    : []
  Reflect.decorate([Get('profile'), ...parameters], ProfileController.prototype, 'profile', profile)
  Reflect.decorate([Controller()], ProfileController)

  class AppModule {}
  Reflect.decorate(
    [
      Module({
        imports: withAuth
          ? [
              HybridAuthModule.forRoot({
                issuerBaseURL: issuer,
                baseURL,
                clientID: 'bench-nest',
                clientSecret: APP_CLIENT_SECRET,
                secret: COOKIE_SECRET,
                authorizationParams: {
                  response_type: 'code id_token',
                  scope: SCOPE,
                  audience: API,
                },
                crypto: new NodeCryptoProvider(),
              }),
            ]
          : [],
        controllers: [ProfileController],
        providers: withAuth ? [{ provide: APP_GUARD, useExisting: HybridAuthGuard }] : [],
      }),
    ],
    AppModule,
  )

  const app = await NestFactory.create<NestExpressApplication>(AppModule, new ExpressAdapter(), {
    logger: false,
  })
  app.disable('x-powered-by')
  await app.init()
  return app.getHttpAdapter().getInstance() as Handler
}

const handlers: Record<string, () => Handler | Promise<Handler>> = {
  'koa-bare': () => koaApp(),
  'koa-ours-web': () => koaApp(new WebCryptoProvider()),
  'koa-ours-node': () => koaApp(new NodeCryptoProvider()),
  'express-bare': () => expressApp(false),
  'express-eoc': () => expressApp(true),
  'nest-bare': () => nestApp(false),
  'nest-ours-node': () => nestApp(true),
}

const handler = handlers[kind]
if (handler === undefined || !Number.isInteger(port) || port <= 0) {
  console.error(`usage: server.ts <${Object.keys(handlers).join('|')}> <port> <issuer>`)
  process.exit(2)
}
const app = await handler()
// The process's CPU time, read by the load runner before and after each run: CPU per request
// that does not depend on whether the load generator kept the server saturated.
const server = createServer((req, res) => {
  if (req.url === '/__cpu') {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(process.cpuUsage()))
    return
  }
  app(req, res)
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: kind, port })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
