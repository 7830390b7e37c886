/**
 * What the DPoP cases (test/dpop.spec.ts) run against: an issuer that serves discovery and a JWKS
 * over HTTP and mints RFC 9068 access tokens, bound to a DPoP key (`cnf.jkt`) or not, signed with
 * jose; DPoP clients' keys and proofs (jose); and each adapter's bearer-protected API on a server
 * of its own. Nothing here uses the library's code to make what the library checks.
 *
 * Every API serves `GET` and `POST /api/orders`, protected by the adapter's bearer check (Koa,
 * fetch, Express and Hono `requireBearer`, NestJS `BearerAuthGuard` on Express and Fastify) with
 * the scope `read`, answering `{ sub, jkt, scopes }` of the verified token.
 *
 * The dev provider (oidc-provider) can issue DPoP-bound tokens itself; the tokens here come from
 * this issuer so that each case controls `cnf.jkt` exactly.
 */
import 'reflect-metadata'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  request,
  type Server,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import Router from '@koa/router'
import { Controller, Get, HttpCode, Module, Post, type Type, UseGuards } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { BearerVerifierConfig, VerifiedBearer } from '@oidc-hybrid/core'
import { requireBearer as expressRequireBearer } from '@oidc-hybrid/express'
import { requireBearer as fetchRequireBearer } from '@oidc-hybrid/fetch'
import { requireBearer as honoRequireBearer } from '@oidc-hybrid/hono'
import { requireBearer as koaRequireBearer } from '@oidc-hybrid/koa'
import { Bearer, BearerAuthGuard, BearerAuthModule, RequiredScopes } from '@oidc-hybrid/nestjs'
import { closeServer, listen, nodeHandler } from '@oidc-hybrid/test-kit'
import createExpressApp, {
  type Request as ExpressRequest,
  type Response as ExpressResponse,
} from 'express'
import { Hono } from 'hono'
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose'
import Koa, { type Context } from 'koa'

/** The path every API under test protects. */
export const API_PATH = '/api/orders'
/** The audience (API identifier) of the tokens. */
export const AUDIENCE = 'https://orders.example.com'
/** The scope the API requires. */
export const SCOPE = 'read'

/** A listening 127.0.0.1 server and its URL. */
async function serve(handler: RequestListener): Promise<{
  server: Server
  url: string
}> {
  const server = createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** An issuer of RFC 9068 access tokens: discovery and JWKS over HTTP, tokens signed by jose. */
export class TokenIssuer {
  private constructor(
    readonly issuer: string,
    private readonly server: Server,
    private readonly key: CryptoKey,
  ) {}

  static async start(): Promise<TokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'issuer-key', alg: 'RS256', use: 'sig' }
    let issuer = ''
    const { server, url } = await serve((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url === '/.well-known/openid-configuration') {
        res.end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}authorize`,
            token_endpoint: `${issuer}token`,
            jwks_uri: `${issuer}jwks`,
          }),
        )
      } else if (req.url === '/jwks') {
        res.end(JSON.stringify({ keys: [jwk] }))
      } else {
        res.statusCode = 404
        res.end('{}')
      }
    })
    issuer = `${url}/`
    return new TokenIssuer(issuer, server, privateKey)
  }

  /** An access token for {@link AUDIENCE} with {@link SCOPE}, bound to `jkt` when given. */
  token(jkt?: string, claims: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    return new SignJWT({
      scope: SCOPE,
      client_id: 'dpop-client',
      ...(jkt && { cnf: { jkt } }),
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'issuer-key', typ: 'at+jwt' })
      .setIssuer(this.issuer)
      .setSubject('user-1')
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setJti(randomUUID())
      .sign(this.key)
  }

  close(): Promise<void> {
    return closeServer(this.server)
  }
}

/** A DPoP client's key: the private key, the public JWK it sends, and its thumbprint. */
export interface ClientKey {
  alg: 'ES256' | 'ES384' | 'EdDSA'
  privateKey: CryptoKey
  jwk: JWK
  jkt: string
}

export async function clientKey(alg: ClientKey['alg'] = 'ES256'): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) }
}

export interface ProofOptions {
  method: string
  url: string
  accessToken: string
  /** Sign with this key instead, keeping `key`'s jwk in the header. */
  signer?: ClientKey
  /** Header members to change; `undefined` removes one. */
  header?: Record<string, unknown>
  /** Claims to change; `undefined` removes one. */
  claims?: Record<string, unknown>
}

/** A DPoP proof (RFC 9449 4.2) by `key` for one request, signed by jose. */
export async function proof(key: ClientKey, options: ProofOptions): Promise<string> {
  const ath = Buffer.from(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(options.accessToken)),
  ).toString('base64url')
  const claims = JSON.parse(
    JSON.stringify({
      htm: options.method,
      htu: options.url,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      ath,
      ...options.claims,
    }),
  )
  const header = JSON.parse(
    JSON.stringify({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...options.header }),
  )
  return new SignJWT(claims).setProtectedHeader(header).sign((options.signer ?? key).privateKey)
}

export interface Answer {
  status: number
  headers: IncomingMessage['headers']
  body: Record<string, unknown>
}

/**
 * A request with node:http, so that a header can be sent twice (`string[]`: one line each) and
 * `Host` and `X-Forwarded-*` set freely.
 */
export function send(
  url: string,
  method: string,
  headers: Record<string, string | string[]>,
): Promise<Answer> {
  const { port, pathname, search } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: pathname + search, method, headers },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => {
          let body: Record<string, unknown>
          try {
            body = JSON.parse(text)
          } catch {
            body = { text }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

export interface RunningApi {
  /** The origin the API listens on (`http://127.0.0.1:<port>`). */
  url: string
  close(): Promise<void>
}

export interface ApiStartOptions {
  /** Trust `X-Forwarded-Proto` / `-Host` as the framework does behind a proxy. */
  trustProxy?: boolean
}

/** One adapter's bearer-protected API (see the module comment). */
export interface ApiUnderTest {
  name: string
  /** Whether the framework has a notion of a trusted proxy (fetch has only `request.url`). */
  proxyAware: boolean
  start(bearer: BearerVerifierConfig, options?: ApiStartOptions): Promise<RunningApi>
}

const answerOf = (verified: VerifiedBearer) => ({
  sub: verified.claims.sub,
  jkt: verified.jkt ?? null,
  scopes: verified.scopes,
})

const koaApi: ApiUnderTest = {
  name: 'koa',
  proxyAware: true,
  async start(bearer, options) {
    const app = new Koa()
    app.proxy = options?.trustProxy === true
    const router = new Router()
    const guard = koaRequireBearer(bearer, { scopes: [SCOPE] })
    const answer = (ctx: Context) => {
      ctx.body = answerOf(ctx.state.auth)
    }
    router.get(API_PATH, guard, answer)
    router.post(API_PATH, guard, answer)
    app.use(router.routes())
    const { server, url } = await serve(app.callback())
    return { url, close: () => closeServer(server) }
  },
}

/** A fetch handler served by node:http. */
const serveFetch = (handler: (request: Request) => Promise<Response>) => serve(nodeHandler(handler))

const fetchApi: ApiUnderTest = {
  name: 'fetch',
  proxyAware: false,
  async start(bearer) {
    const guard = fetchRequireBearer(bearer, { scopes: [SCOPE] })
    const { server, url } = await serveFetch(async (request) => {
      if (new URL(request.url).pathname !== API_PATH) return new Response(null, { status: 404 })
      const verified = await guard(request)
      if (verified instanceof Response) return verified
      return Response.json(answerOf(verified), { headers: verified.headers })
    })
    return { url, close: () => closeServer(server) }
  },
}

const expressApi: ApiUnderTest = {
  name: 'express',
  proxyAware: true,
  async start(bearer, options) {
    const app = createExpressApp()
    if (options?.trustProxy) app.set('trust proxy', true)
    const guard = expressRequireBearer(bearer, { scopes: [SCOPE] })
    const answer = (req: ExpressRequest, res: ExpressResponse) => {
      res.json(answerOf(req.auth!))
    }
    app.get(API_PATH, guard, answer)
    app.post(API_PATH, guard, answer)
    const { server, url } = await serve(app)
    return { url, close: () => closeServer(server) }
  },
}

const honoApi: ApiUnderTest = {
  name: 'hono',
  proxyAware: false,
  async start(bearer) {
    const guard = honoRequireBearer(bearer, { scopes: [SCOPE] })
    const app = new Hono()
    app.get(API_PATH, guard, (c) => c.json(answerOf(c.var.auth)))
    app.post(API_PATH, guard, (c) => c.json(answerOf(c.var.auth)))
    const { server, url } = await serveFetch(async (request) => app.fetch(request))
    return { url, close: () => closeServer(server) }
  },
}

/** The API module: {@link API_PATH} behind BearerAuthGuard, requiring {@link SCOPE}. */
function nestApiModule(bearer: BearerVerifierConfig): Type {
  @Controller(API_PATH.slice(1))
  @UseGuards(BearerAuthGuard)
  @RequiredScopes(SCOPE)
  class OrdersController {
    @Get()
    list(@Bearer() verified: VerifiedBearer) {
      return answerOf(verified)
    }

    @Post()
    @HttpCode(200)
    create(@Bearer() verified: VerifiedBearer) {
      return answerOf(verified)
    }
  }

  @Module({ imports: [BearerAuthModule.forRoot(bearer)], controllers: [OrdersController] })
  class OrdersApiModule {}
  return OrdersApiModule
}

function nestApi(platform: 'express' | 'fastify'): ApiUnderTest {
  return {
    name: `nest-${platform}`,
    proxyAware: true,
    async start(bearer, options) {
      const trustProxy = options?.trustProxy === true
      const app = await NestFactory.create(
        nestApiModule(bearer),
        platform === 'express' ? new ExpressAdapter() : new FastifyAdapter({ trustProxy }),
        { logger: false, abortOnError: false },
      )
      if (platform === 'express' && trustProxy) {
        ;(app as NestExpressApplication).set('trust proxy', true)
      }
      await app.init()
      const instance = app.getHttpAdapter().getInstance()
      const { server, url } = await listen()
      if (platform === 'fastify') {
        await instance.ready()
        server.on('request', instance.routing)
      } else {
        server.on('request', instance)
      }
      return {
        url: url.replace('localhost', '127.0.0.1'),
        close: async () => {
          await closeServer(server)
          await app.close()
        },
      }
    },
  }
}

/** Every adapter's API, in the order the cases run. */
export const APIS: readonly ApiUnderTest[] = [
  koaApi,
  fetchApi,
  expressApi,
  honoApi,
  nestApi('express'),
  nestApi('fastify'),
]
