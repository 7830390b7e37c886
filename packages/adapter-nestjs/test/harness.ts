/**
 * A Nest web app using HybridAuthModule (global HybridAuthGuard), a Nest API using
 * BearerAuthModule, and the real dev provider (oidc-provider), all on 127.0.0.1, on Express or
 * Fastify. The "browser" is fetch with a cookie jar; the provider's login form is completed by
 * the dev provider's completeLogin helper.
 *
 * The apps are created with plain `NestFactory.create(Module, new ExpressAdapter() |
 * new FastifyAdapter())`; only the listening differs: each platform's request handler is attached
 * to a server that already listens on port 0, because the configuration (baseURL, the client's
 * redirect_uri) needs the port before the module exists.
 */
import 'reflect-metadata'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  Controller,
  type DynamicModule,
  Get,
  type INestApplication,
  Inject,
  Module,
  Post,
  Query,
  Res,
  type Type,
  UseGuards,
} from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type {
  BackchannelLogoutHandler,
  IdTokenClaims,
  Session,
  VerifiedBearer,
} from '@oidc-hybrid/core'
import { completeLogin, type DevProvider, start } from '@oidc-hybrid/dev-provider'
import {
  AccessToken,
  AuthSession,
  Bearer,
  BearerAuthGuard,
  BearerAuthModule,
  backchannelLogout,
  HybridAuthGuard,
  HybridAuthModule,
  type HybridAuthModuleOptions,
  Oidc,
  type OidcContext,
  Public,
  RequiredClaims,
  RequiredScopes,
  type SessionStore,
  serverSessions,
  User,
} from '../src/index.js'

export const AUDIENCE = 'https://api.example.com'
export const SECRET = 'nestjs-adapter-test-cookie-secret-0123456789abcdef'
export const CLIENT_ID = 'nest-app'
export const CLIENT_SECRET = 'nest-test-client-secret-0123456789abcdef0123'
export const SESSION = '__Host-appSession'
export const TRANSACTION = '__Host-oidc_tx_'
/** Seconds the provider's access tokens for the API live. */
export const ACCESS_TOKEN_TTL = 300

export type Platform = 'express' | 'fastify'
export const PLATFORMS: Platform[] = ['express', 'fastify']

export interface AppOptions {
  platform: Platform
  /** Nest's `bodyParser` option (default true). */
  bodyParser?: boolean
  /** Nest's `rawBody` option (default false). */
  rawBody?: boolean
  /** Express `trust proxy` / Fastify `trustProxy`. */
  trustProxy?: boolean
  /** Runs before `app.init()` (e.g. `setGlobalPrefix`). */
  setup?: (app: INestApplication) => void
}

export interface Listener {
  server: Server
  url: string
}

/** A server on 127.0.0.1:0; the app is reached as http://localhost:<port> (a secure context). */
export async function listen(): Promise<Listener> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://localhost:${(server.address() as AddressInfo).port}` }
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** `NestFactory.create` on the platform, its request handler attached to `server`. */
export async function createApp(
  module: Type | DynamicModule,
  server: Server,
  options: AppOptions,
): Promise<INestApplication> {
  const adapter =
    options.platform === 'express'
      ? new ExpressAdapter()
      : new FastifyAdapter({ trustProxy: options.trustProxy ?? false })
  const app = await NestFactory.create(module, adapter, {
    logger: false,
    // Setup errors reject instead of exiting the process.
    abortOnError: false,
    bodyParser: options.bodyParser ?? true,
    rawBody: options.rawBody ?? false,
  })
  if (options.platform === 'express' && options.trustProxy) {
    ;(app as NestExpressApplication).set('trust proxy', true)
  }
  options.setup?.(app)
  await app.init()
  const instance = app.getHttpAdapter().getInstance()
  if (options.platform === 'fastify') {
    await instance.ready()
    server.on('request', instance.routing)
  } else {
    server.on('request', instance)
  }
  return app
}

/** The provider with one confidential client for `appURL`, and the API with short-lived tokens. */
export async function startProvider(
  appURL: string,
  options: { backchannelLogout?: boolean } = {},
): Promise<DevProvider> {
  return start({
    port: 0,
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${appURL}/callback`],
        post_logout_redirect_uris: [`${appURL}/`],
        ...(options.backchannelLogout
          ? {
              backchannel_logout_uri: `${appURL}/backchannel-logout`,
              backchannel_logout_session_required: true,
            }
          : {}),
        response_types: ['code id_token', 'code token', 'code id_token token'],
        grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      },
    ],
    apis: [
      {
        identifier: AUDIENCE,
        scopes: ['read:messages', 'write:messages'],
        allowOfflineAccess: true,
        accessTokenTTL: ACCESS_TOKEN_TTL,
      },
    ],
  })
}

/** The web app's clock: the engine's `now`, shifted by `skew` seconds (to expire tokens). */
export interface Clock {
  skew: number
}

export function authConfig(
  provider: DevProvider,
  appURL: string,
  clock: Clock,
  responseType = 'code id_token',
): HybridAuthModuleOptions {
  return {
    issuerBaseURL: provider.issuer,
    baseURL: appURL,
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    secret: SECRET,
    authorizationParams: {
      response_type: responseType,
      scope: 'openid profile email offline_access read:messages',
      audience: AUDIENCE,
    },
    now: () => Math.floor(Date.now() / 1000) + clock.skew,
  }
}

const API_URL = Symbol('API_URL')

/** Express's response and Fastify's reply, as far as the test uses them (not our deps). */
interface ExpressResponse {
  cookie(name: string, value: string, options: { path: string }): unknown
}
interface FastifyReply {
  raw: object
  header(name: string, value: string): unknown
}

@Controller()
class WebController {
  constructor(@Inject(API_URL) private readonly apiURL: string) {}

  @Public()
  @Get()
  home(@User() user: IdTokenClaims | undefined) {
    return { authenticated: user !== undefined, sub: user?.sub }
  }

  @Get('me')
  me(@User() claims: IdTokenClaims, @User('email') email: string, @AuthSession() session: Session) {
    return { claims, email, scope: session.scope, hasRefreshToken: !!session.refreshToken }
  }

  @Get('token')
  token(@AccessToken() token: string) {
    return { token }
  }

  @Get('call-api')
  async callApi(@Oidc() oidc: OidcContext) {
    const response = await oidc.fetch(`${this.apiURL}/api/messages`)
    return { status: response.status, body: await response.json() }
  }

  @Get('refresh')
  async refresh(@Oidc() oidc: OidcContext, @Query('scope') scope?: string) {
    const token = await oidc.getAccessToken({ refresh: 'force', scope })
    return { token: token.access_token, scope: token.scope, expires_in: token.expires_in }
  }

  /** The app sets a cookie of its own through the platform, then the session is refreshed. */
  @Get('cookie-and-refresh')
  async cookieAndRefresh(
    @Oidc() oidc: OidcContext,
    @Res({ passthrough: true }) response: ExpressResponse | FastifyReply,
  ) {
    if ('raw' in response) response.header('set-cookie', 'app=1; Path=/')
    else response.cookie('app', '1', { path: '/' })
    await oidc.getAccessToken({ refresh: 'force' })
    return { ok: true }
  }

  @Get('userinfo')
  userinfo(@Oidc() oidc: OidcContext) {
    return oidc.fetchUserInfo()
  }

  /** Public, so a library error from the handler itself reaches the exception filter. */
  @Public()
  @Get('public-userinfo')
  publicUserinfo(@Oidc() oidc: OidcContext) {
    return oidc.fetchUserInfo()
  }
}

/** The web app: the given HybridAuthModule, the guard for every route, WebController. */
export function webModule(auth: DynamicModule, apiURL = 'http://127.0.0.1:9'): Type {
  @Module({
    imports: [auth],
    controllers: [WebController],
    providers: [
      { provide: APP_GUARD, useExisting: HybridAuthGuard },
      { provide: API_URL, useValue: apiURL },
    ],
  })
  class WebModule {}
  return WebModule
}

@Controller('api')
@UseGuards(BearerAuthGuard)
@RequiredScopes('read:messages')
class ApiController {
  @Get('messages')
  messages(@Bearer() bearer: VerifiedBearer) {
    return { sub: bearer.claims.sub, scopes: bearer.scopes }
  }

  @Post('messages')
  @RequiredScopes('write:messages')
  write(@Bearer('sub') sub: string) {
    return { sub }
  }

  @Get('custom-claim')
  @RequiredClaims({ 'http://foo/bar': 'value' })
  customClaim(@Bearer('http://foo/bar') value: string) {
    return { value }
  }

  @Get('globex')
  @RequiredClaims((claims) => claims.org_id === 'org_globex')
  globex() {
    return { ok: true }
  }

  @Public()
  @Get('health')
  health() {
    return { ok: true }
  }
}

function apiModule(issuer: string): Type {
  @Module({
    imports: [BearerAuthModule.forRoot({ issuerBaseURL: issuer, audience: AUDIENCE })],
    controllers: [ApiController],
  })
  class ApiModule {}
  return ApiModule
}

/** A cookie jar: enough of RFC 6265 for one host. */
export class Jar {
  readonly cookies = new Map<string, string>()
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const at = pair!.indexOf('=')
      const name = pair!.slice(0, at).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))
      if (expired) this.cookies.delete(name)
      else this.cookies.set(name, pair!.slice(at + 1).trim())
    }
  }
  header(): string {
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ')
  }
  has(prefix: string): boolean {
    return [...this.cookies.keys()].some((name) => name.startsWith(prefix))
  }
}

/** A browser of one app: fetch with a cookie jar, redirects not followed. */
export class Browser {
  readonly jar = new Jar()
  constructor(readonly appURL: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(`${this.appURL}${path}`, {
      redirect: 'manual',
      headers: { cookie: this.jar.header(), ...headers },
    })
    this.jar.store(response)
    return response
  }

  async post(
    url: string,
    body: URLSearchParams | string,
    headers: Record<string, string> = {},
    method = 'POST',
  ): Promise<Response> {
    const response = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        cookie: this.jar.header(),
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: body.toString(),
    })
    this.jar.store(response)
    return response
  }

  /** GET /login → the provider's authorization URL (transaction cookie stored). */
  async startLogin(path = '/login'): Promise<string> {
    const response = await this.get(path)
    if (response.status !== 302) {
      throw new Error(`login answered ${response.status}: ${await response.text()}`)
    }
    return response.headers.get('location')!
  }

  /** Logs in at the provider; returns the form_post target and fields, not yet posted. */
  authorize(authorizationUrl: string): Promise<{ action: string; params: URLSearchParams }> {
    return completeLogin(authorizationUrl)
  }

  /** The whole login; returns the callback response. */
  async login(): Promise<Response> {
    const { action, params } = await this.authorize(await this.startLogin())
    return this.post(action, params)
  }
}

export interface HarnessOptions extends Omit<AppOptions, 'platform'> {
  responseType?: string
  /** Keep sessions on the server (`session.store`). */
  sessionStore?: SessionStore
  /**
   * Register a `backchannel_logout_uri` at the provider and answer it (needs `sessionStore`);
   * a handler object replaces `backchannelLogout()`.
   */
  backchannelLogout?: boolean | BackchannelLogoutHandler
}

export interface Harness {
  platform: Platform
  provider: DevProvider
  appURL: string
  apiURL: string
  clock: Clock
  /** Token endpoint grants the provider answered (success or error). */
  grants(): number
  browser(): Browser
  close(): Promise<void>
}

/** Provider, API app and web app on one platform. */
export async function createHarness(
  platform: Platform,
  options: HarnessOptions = {},
): Promise<Harness> {
  const web = await listen()
  const api = await listen()
  const provider = await startProvider(web.url, {
    backchannelLogout: !!options.backchannelLogout,
  })
  let grants = 0
  provider.provider.on('grant.success', () => grants++)
  provider.provider.on('grant.error', () => grants++)
  const clock: Clock = { skew: 0 }
  const apps: INestApplication[] = []
  try {
    apps.push(await createApp(apiModule(provider.issuer), api.server, { platform }))
    const auth = HybridAuthModule.forRoot({
      ...authConfig(provider, web.url, clock, options.responseType),
      session: { store: options.sessionStore && serverSessions(options.sessionStore) },
      backchannelLogout:
        options.backchannelLogout === true
          ? backchannelLogout()
          : options.backchannelLogout || undefined,
    })
    apps.push(await createApp(webModule(auth, api.url), web.server, { platform, ...options }))
  } catch (error) {
    await Promise.all([closeServer(web.server), closeServer(api.server)])
    await provider.close()
    throw error
  }
  return {
    platform,
    provider,
    appURL: web.url,
    apiURL: api.url,
    clock,
    grants: () => grants,
    browser: () => new Browser(web.url),
    close: async () => {
      await Promise.all(apps.map((app) => app.close()))
      await Promise.all([closeServer(web.server), closeServer(api.server)])
      await provider.close()
    },
  }
}
