/**
 * Each adapter as a small app for tokens for other APIs (`apiTokens()`): the adapter's login,
 * callback and logout, plus these, which need a session and answer JSON (or the adapter's JSON
 * error):
 *
 * - `/state`: the session's own access token as stored, never refreshed: `{ token, scope }`
 * - `/refresh`: a forced refresh of the session's own token: `{ token, scope }`
 * - `/api-token?audience=X` or `?resource=X` (and `&scope=...`): `getAccessToken` for that API:
 *   `{ token, scope, expired }`
 * - `/call-api[?audience=X | ?resource=X]`: the second API's `/api` called through the adapter's
 *   `fetch`, with the token for that API, or without a query the session's own token:
 *   `{ status, body }` of the API's answer
 *
 * and the second API's `/api` at {@link RunningApp.apiURL}, protected by the adapter's own bearer
 * check (Koa's `requireBearer`, the fetch adapter's `requireBearer`, NestJS's `BearerAuthGuard` in
 * an API app of its own), answering `{ sub, aud, scopes }` of the verified token.
 */
import 'reflect-metadata'
import type { Server } from 'node:http'
import Router from '@koa/router'
import { Controller, Get, Inject, Module, Query, type Type, UseGuards } from '@nestjs/common'
import type { AccessTokenOptions, HybridAuthConfig, VerifiedBearer } from '@oidc-hybrid/core'
import { createAuth, requireBearer as fetchRequireBearer } from '@oidc-hybrid/fetch'
import { auth, requireBearer, requiresAuth } from '@oidc-hybrid/koa'
import {
  Bearer,
  BearerAuthGuard,
  BearerAuthModule,
  Oidc,
  type OidcContext,
  RequiredScopes,
} from '@oidc-hybrid/nestjs'
import { serveFetch } from '@oidc-hybrid/test-kit'
import Koa from 'koa'
import { type ApiOptions, closeServer, type RunningApp, serverFor } from './apps.js'
import { API_URL, startNest } from './nest.js'

export interface ApiTokenAppOptions {
  /** The server to serve the app on (registered at the provider before the app starts). */
  server: Server
  /** The second API: its bearer check and the scopes it requires. */
  api: ApiOptions
}

export interface ApiTokenApp {
  name: string
  start(
    config: (baseURL: string) => HybridAuthConfig,
    options: ApiTokenAppOptions,
  ): Promise<RunningApp & { apiURL: string }>
}

/** `audience`, `resource` and `scope` of a query, as `getAccessToken` takes them. */
function apiTokenOptions(query: URLSearchParams): AccessTokenOptions | undefined {
  const options: AccessTokenOptions = {}
  for (const name of ['audience', 'resource', 'scope'] as const) {
    const value = query.get(name)
    if (value !== null) options[name] = value
  }
  return Object.keys(options).length > 0 ? options : undefined
}

/** The API's answer, its JSON body parsed (or the text, or `null` when empty). */
async function answerOf(response: Response): Promise<{ status: number; body: unknown }> {
  const text = await response.text()
  let body: unknown = text === '' ? null : text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: response.status, body }
}

/** What the second API answers for a verified token. */
function verifiedAnswer({ claims, scopes }: VerifiedBearer) {
  return { sub: claims.sub, aud: claims.aud, scopes }
}

export const koaApiTokens: ApiTokenApp = {
  name: 'koa',
  async start(config, { server: given, api }) {
    const { server, url } = await serverFor({ server: given })
    const app = new Koa()
    app.use(auth(config(url)))
    const router = new Router()
    const query = (ctx: Koa.Context) => new URLSearchParams(ctx.querystring)
    router.get('/state', requiresAuth(), (ctx) => {
      const token = ctx.oidc.accessToken!
      ctx.body = { token: token.access_token, scope: token.scope }
    })
    router.get('/refresh', requiresAuth(), async (ctx) => {
      const token = await ctx.oidc.getAccessToken({ refresh: 'force' })
      ctx.body = { token: token.access_token, scope: token.scope }
    })
    router.get('/api-token', requiresAuth(), async (ctx) => {
      const token = await ctx.oidc.getAccessToken(apiTokenOptions(query(ctx)))
      ctx.body = { token: token.access_token, scope: token.scope, expired: token.isExpired() }
    })
    router.get('/call-api', requiresAuth(), async (ctx) => {
      ctx.body = await answerOf(
        await ctx.oidc.fetch(`${url}/api`, undefined, apiTokenOptions(query(ctx))),
      )
    })
    router.get('/api', requireBearer(api.bearer, { scopes: api.scopes }), (ctx) => {
      ctx.body = verifiedAnswer(ctx.state.auth)
    })
    app.use(router.routes())
    server.on('request', app.callback())
    return { url, apiURL: url, close: () => closeServer(server) }
  },
}

export const fetchApiTokens: ApiTokenApp = {
  name: 'fetch',
  async start(config, { server: given, api }) {
    const { server, url } = await serverFor({ server: given })
    const authentication = createAuth(config(url))
    const bearer = fetchRequireBearer(api.bearer, { scopes: api.scopes })
    serveFetch(
      server,
      authentication.wrap(async (request, oidc) => {
        const { pathname: path, searchParams } = new URL(request.url)
        if (path === '/api') {
          const verified = await bearer(request)
          if (verified instanceof Response) return verified
          return Response.json(verifiedAnswer(verified))
        }
        const denied = await oidc.requireAuth()
        if (denied) return denied
        if (path === '/state') {
          const token = oidc.accessToken!
          return Response.json({ token: token.access_token, scope: token.scope })
        }
        if (path === '/refresh') {
          const token = await oidc.getAccessToken({ refresh: 'force' })
          return Response.json({ token: token.access_token, scope: token.scope })
        }
        if (path === '/api-token') {
          const token = await oidc.getAccessToken(apiTokenOptions(searchParams))
          return Response.json({
            token: token.access_token,
            scope: token.scope,
            expired: token.isExpired(),
          })
        }
        if (path === '/call-api') {
          return Response.json(
            await answerOf(
              await oidc.fetch(`${url}/api`, undefined, apiTokenOptions(searchParams)),
            ),
          )
        }
        return new Response('not found', { status: 404 })
      }),
    )
    return { url, apiURL: url, close: () => closeServer(server) }
  },
}

// ---- NestJS ---------------------------------------------------------------------------------

/** Where `/call-api` sends its requests (the API app's origin). */
/** The `getAccessToken` options of Nest's parsed query. */
function nestOptions(query: Record<string, string | undefined>): AccessTokenOptions | undefined {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string') search.set(name, value)
  }
  return apiTokenOptions(search)
}

@Controller()
class ApiTokensController {
  constructor(@Inject(API_URL) private readonly apiURL: string) {}

  @Get('state')
  state(@Oidc() oidc: OidcContext) {
    const token = oidc.accessToken!
    return { token: token.access_token, scope: token.scope }
  }

  @Get('refresh')
  async refresh(@Oidc() oidc: OidcContext) {
    const token = await oidc.getAccessToken({ refresh: 'force' })
    return { token: token.access_token, scope: token.scope }
  }

  @Get('api-token')
  async apiToken(@Oidc() oidc: OidcContext, @Query() query: Record<string, string>) {
    const token = await oidc.getAccessToken(nestOptions(query))
    return { token: token.access_token, scope: token.scope, expired: token.isExpired() }
  }

  @Get('call-api')
  async callApi(@Oidc() oidc: OidcContext, @Query() query: Record<string, string>) {
    return answerOf(await oidc.fetch(`${this.apiURL}/api`, undefined, nestOptions(query)))
  }
}

/** The second API: `/api` behind BearerAuthGuard, requiring `scopes`. */
function apiModule({ bearer, scopes }: ApiOptions): Type {
  @Controller('api')
  @UseGuards(BearerAuthGuard)
  @RequiredScopes(...scopes)
  class ApiController {
    @Get()
    api(@Bearer() verified: VerifiedBearer) {
      return verifiedAnswer(verified)
    }
  }

  @Module({ imports: [BearerAuthModule.forRoot(bearer)], controllers: [ApiController] })
  class SecondApiModule {}
  return SecondApiModule
}

/** `module` as a Nest application on `platform`, answering on `server` (as nest.ts does). */
function nest(platform: 'express' | 'fastify'): ApiTokenApp {
  return {
    name: `nest-${platform}`,
    async start(config, { server, api }) {
      const app = await startNest(platform, config, {
        server,
        controllers: [ApiTokensController],
        api: apiModule(api),
      })
      return { ...app, apiURL: app.apiURL! }
    },
  }
}

export const API_TOKEN_APPS: readonly ApiTokenApp[] = [
  koaApiTokens,
  fetchApiTokens,
  nest('express'),
  nest('fastify'),
]
