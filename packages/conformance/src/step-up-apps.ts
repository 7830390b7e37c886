/**
 * Each adapter as a small app for step-up (`stepUp()`, RFC 9470): the adapter's login, callback
 * and logout, plus these, which answer JSON (or the adapter's JSON error):
 *
 * - `/me`: any session: `{ sub, acr, auth_time }`
 * - `/mfa`: a session whose `acr` is {@link MFA}: `{ sub, acr }`
 * - `/recent`: a session that logged in at most {@link MAX_AGE} seconds ago: `{ auth_time }`
 * - `/call-api`: `/api` called through the adapter's `fetch` with the session's access token:
 *   `{ status, challenge }` (the API's status and `WWW-Authenticate`); with `?login` (not NestJS),
 *   an RFC 9470 challenge of the API is turned into the login that meets it (`stepUpChallenge`)
 *
 * and `/api` at {@link RunningApp.apiURL}, the adapter's own bearer check with `acrValues: [MFA]`
 * (NestJS: `BearerAuthModule` configured so, in an API app of its own), answering `{ sub, acr }`.
 */
import 'reflect-metadata'
import type { Server } from 'node:http'
import Router from '@koa/router'
import { Controller, Get, Inject, Module, type Type, UseGuards } from '@nestjs/common'
import type { BearerVerifierConfig, HybridAuthConfig, VerifiedBearer } from '@oidc-hybrid/core'
import * as expressAdapter from '@oidc-hybrid/express'
import * as fetchAdapter from '@oidc-hybrid/fetch'
import * as honoAdapter from '@oidc-hybrid/hono'
import * as koaAdapter from '@oidc-hybrid/koa'
import {
  Bearer,
  BearerAuthGuard,
  BearerAuthModule,
  Oidc,
  type OidcContext,
  RequireStepUp,
} from '@oidc-hybrid/nestjs'
import { serveFetch } from '@oidc-hybrid/test-kit'
import createExpressApp from 'express'
import { Hono } from 'hono'
import Koa from 'koa'
import { closeServer, type RunningApp, serverFor } from './apps.js'
import { API_URL, startNest } from './nest.js'

/** The strong authentication context class `/mfa` and `/api` require. */
export const MFA = 'urn:example:mfa'
/** The one a password alone gives. */
export const PWD = 'urn:example:pwd'
/** Seconds `/recent` accepts since the login. */
export const MAX_AGE = 300

export interface StepUpApp {
  name: string
  /** Whether `/call-api?login` turns the API's challenge into a login. */
  challengeLogin: boolean
  start(
    config: (baseURL: string) => HybridAuthConfig,
    options: { server: Server; bearer: BearerVerifierConfig },
  ): Promise<RunningApp & { apiURL: string }>
}

/** What `/call-api` answers: the API's status and challenge. */
function apiAnswer(response: Response) {
  return { status: response.status, challenge: response.headers.get('www-authenticate') }
}

function me(user: Record<string, unknown> | undefined) {
  return { sub: user?.sub, acr: user?.acr, auth_time: user?.auth_time }
}

const verified = ({ claims }: VerifiedBearer) => ({ sub: claims.sub, acr: claims.acr })

const koa: StepUpApp = {
  name: 'koa',
  challengeLogin: true,
  async start(config, { server: given, bearer }) {
    const { auth, requireAuth, requireBearer, stepUp, stepUpChallenge } = koaAdapter
    const { server, url } = await serverFor({ server: given })
    const app = new Koa()
    app.use(auth(config(url)))
    const router = new Router()
    router.get('/me', requireAuth(), (ctx) => {
      ctx.body = me(ctx.oidc.user)
    })
    router.get('/mfa', requireAuth(stepUp({ acr: [MFA] })), (ctx) => {
      ctx.body = { sub: ctx.oidc.user?.sub, acr: ctx.oidc.user?.acr }
    })
    router.get('/recent', requireAuth(stepUp({ maxAge: MAX_AGE })), (ctx) => {
      ctx.body = { auth_time: ctx.oidc.user?.auth_time }
    })
    router.get('/call-api', requireAuth(), async (ctx) => {
      const response = await ctx.oidc.fetch(`${url}/api`)
      const needed = ctx.query.login === undefined ? undefined : stepUpChallenge(response)
      if (needed && !(await ctx.oidc.requireAuth(needed))) return
      ctx.body = apiAnswer(response)
    })
    router.get('/api', requireBearer(bearer, { acrValues: [MFA] }), (ctx) => {
      ctx.body = verified(ctx.state.auth)
    })
    app.use(router.routes())
    server.on('request', app.callback())
    return { url, apiURL: url, close: () => closeServer(server) }
  },
}

const fetchApp: StepUpApp = {
  name: 'fetch',
  challengeLogin: true,
  async start(config, { server: given, bearer }) {
    const { createAuth, requireBearer, requireStepUp, stepUp, stepUpChallenge } = fetchAdapter
    const { server, url } = await serverFor({ server: given })
    const auth = createAuth(config(url))
    const api = requireBearer(bearer, { acrValues: [MFA] })
    const mfa = stepUp({ acr: [MFA] })
    const recent = stepUp({ maxAge: MAX_AGE })
    serveFetch(
      server,
      auth.wrap(async (request, oidc) => {
        const { pathname: path, searchParams } = new URL(request.url)
        if (path === '/api') {
          const token = await api(request)
          return token instanceof Response ? token : Response.json(verified(token))
        }
        if (path === '/mfa' || path === '/recent') {
          const denied = await requireStepUp(auth, path === '/mfa' ? mfa : recent, request, oidc)
          if (denied) return denied
          const { sub, acr, auth_time } = me(oidc.user)
          return Response.json(path === '/mfa' ? { sub, acr } : { auth_time })
        }
        const denied = await oidc.requireAuth()
        if (denied) return denied
        if (path === '/me') return Response.json(me(oidc.user))
        if (path === '/call-api') {
          const response = await oidc.fetch(`${url}/api`)
          const needed = searchParams.has('login') ? stepUpChallenge(response) : undefined
          if (needed) return (await requireStepUp(auth, needed, request, oidc))!
          return Response.json(apiAnswer(response))
        }
        return new Response('not found', { status: 404 })
      }),
    )
    return { url, apiURL: url, close: () => closeServer(server) }
  },
}

const express: StepUpApp = {
  name: 'express',
  challengeLogin: true,
  async start(config, { server: given, bearer }) {
    const { auth, authErrorHandler, requireAuth, requireBearer, stepUp, stepUpChallenge } =
      expressAdapter
    const { server, url } = await serverFor({ server: given })
    const app = createExpressApp()
    app.use(auth(config(url)))
    app.get('/me', requireAuth(), (req, res) => {
      res.json(me(req.oidc.user))
    })
    app.get('/mfa', requireAuth(stepUp({ acr: [MFA] })), (req, res) => {
      res.json({ sub: req.oidc.user?.sub, acr: req.oidc.user?.acr })
    })
    app.get('/recent', requireAuth(stepUp({ maxAge: MAX_AGE })), (req, res) => {
      res.json({ auth_time: req.oidc.user?.auth_time })
    })
    app.get('/call-api', requireAuth(), async (req, res) => {
      const response = await req.oidc.fetch(`${url}/api`)
      const needed = req.query.login === undefined ? undefined : stepUpChallenge(response)
      if (needed && !(await req.oidc.requireAuth(needed))) return
      res.json(apiAnswer(response))
    })
    app.get('/api', requireBearer(bearer, { acrValues: [MFA] }), (req, res) => {
      res.json(verified(req.auth!))
    })
    app.use(authErrorHandler())
    server.on('request', app)
    return { url, apiURL: url, close: () => closeServer(server) }
  },
}

const hono: StepUpApp = {
  name: 'hono',
  challengeLogin: true,
  async start(config, { server: given, bearer }) {
    const { auth, requireAuth, requireBearer, stepUp, stepUpChallenge } = honoAdapter
    const { server, url } = await serverFor({ server: given })
    const app = new Hono()
    app.get('/api', requireBearer(bearer, { acrValues: [MFA] }), (c) =>
      c.json(verified(c.var.auth)),
    )
    const pages = new Hono()
      .use(auth(config(url)))
      .get('/me', requireAuth(), (c) => c.json(me(c.var.oidc.user)))
      .get('/mfa', requireAuth(stepUp({ acr: [MFA] })), (c) =>
        c.json({ sub: c.var.oidc.user?.sub, acr: c.var.oidc.user?.acr }),
      )
      .get('/recent', requireAuth(stepUp({ maxAge: MAX_AGE })), (c) =>
        c.json({ auth_time: c.var.oidc.user?.auth_time }),
      )
      .get('/call-api', requireAuth(), async (c, next) => {
        const response = await c.var.oidc.fetch(`${url}/api`)
        const needed = c.req.query('login') === undefined ? undefined : stepUpChallenge(response)
        if (needed) return requireAuth(needed)(c, next)
        return c.json(apiAnswer(response))
      })
    app.route('/', pages)
    serveFetch(server, async (request) => app.fetch(request))
    return { url, apiURL: url, close: () => closeServer(server) }
  },
}

// ---- NestJS ---------------------------------------------------------------------------------

@Controller()
class StepUpController {
  constructor(@Inject(API_URL) private readonly apiURL: string) {}

  @Get('me')
  me(@Oidc() oidc: OidcContext) {
    return me(oidc.user)
  }

  @Get('mfa')
  @RequireStepUp({ acr: [MFA] })
  mfa(@Oidc() oidc: OidcContext) {
    return { sub: oidc.user?.sub, acr: oidc.user?.acr }
  }

  @Get('recent')
  @RequireStepUp({ maxAge: MAX_AGE })
  recent(@Oidc() oidc: OidcContext) {
    return { auth_time: oidc.user?.auth_time }
  }

  @Get('call-api')
  async callApi(@Oidc() oidc: OidcContext) {
    return apiAnswer(await oidc.fetch(`${this.apiURL}/api`))
  }
}

/** The API: `/api` behind BearerAuthGuard, whose verifier requires the acr. */
function apiModule(bearer: BearerVerifierConfig): Type {
  @Controller('api')
  @UseGuards(BearerAuthGuard)
  class ApiController {
    @Get()
    api(@Bearer() token: VerifiedBearer) {
      return verified(token)
    }
  }

  @Module({
    imports: [BearerAuthModule.forRoot({ ...bearer, acrValues: [MFA] })],
    controllers: [ApiController],
  })
  class StepUpApiModule {}
  return StepUpApiModule
}

function nest(platform: 'express' | 'fastify'): StepUpApp {
  return {
    name: `nest-${platform}`,
    challengeLogin: false,
    async start(config, { server, bearer }) {
      const app = await startNest(platform, config, {
        server,
        controllers: [StepUpController],
        api: apiModule(bearer),
      })
      return { ...app, apiURL: app.apiURL! }
    },
  }
}

export const STEP_UP_APPS: readonly StepUpApp[] = [
  koa,
  fetchApp,
  express,
  hono,
  nest('express'),
  nest('fastify'),
]
