/**
 * A Nest web app using HybridAuthModule (global HybridAuthGuard), a Nest API using
 * BearerAuthModule, and the real dev provider (oidc-provider), all on 127.0.0.1, on Express or
 * Fastify. The "browser" is the test kit's (fetch with a cookie jar, the provider's login form
 * completed by the dev provider's completeLogin helper).
 *
 * The apps are created with plain `NestFactory.create(Module, new ExpressAdapter() |
 * new FastifyAdapter())`; only the listening differs: each platform's request handler is attached
 * to a server that already listens on port 0, because the configuration (baseURL, the client's
 * redirect_uri) needs the port before the module exists.
 */
import 'reflect-metadata'
import type { Server } from 'node:http'
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
import type { JwkSet } from '@oidc-hybrid/dev-provider'
import {
  type Browser,
  closeServer,
  createBrowser,
  listen,
  startTestProvider,
  type TestProvider,
} from '@oidc-hybrid/test-kit'
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
  privateKeyJwt,
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

export { type Listener, SESSION, TRANSACTION } from '@oidc-hybrid/test-kit'
// listen(): a server on 127.0.0.1:0, reached as http://localhost:<port> (a secure context).
export { type Browser, closeServer, listen }

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
export function startProvider(
  appURL: string,
  options: { backchannelLogout?: boolean; jwks?: JwkSet } = {},
): Promise<TestProvider> {
  return startTestProvider({
    client: {
      clientId: CLIENT_ID,
      ...(options.jwks
        ? { authMethod: 'private_key_jwt' as const, jwks: options.jwks }
        : { clientSecret: CLIENT_SECRET }),
      appURLs: [appURL],
      backchannelLogout: options.backchannelLogout,
    },
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
  provider: { issuer: string },
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

export interface HarnessOptions extends Omit<AppOptions, 'platform'> {
  responseType?: string
  /** Keep sessions on the server (`session.store`). */
  sessionStore?: SessionStore
  /**
   * Register a `backchannel_logout_uri` at the provider and answer it (needs `sessionStore`);
   * a handler object replaces `backchannelLogout()`.
   */
  backchannelLogout?: boolean | BackchannelLogoutHandler
  /** Authenticate with private_key_jwt: `privateKeyJwt` with the key as a PKCS#8 PEM. */
  privateKeyJwt?: boolean
}

export interface Harness {
  platform: Platform
  provider: TestProvider
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
  const keys = options.privateKeyJwt ? await pemKeyPair() : undefined
  const provider = await startProvider(web.url, {
    backchannelLogout: !!options.backchannelLogout,
    jwks: keys?.jwks,
  })
  const clock: Clock = { skew: 0 }
  const apps: INestApplication[] = []
  try {
    apps.push(await createApp(apiModule(provider.issuer), api.server, { platform }))
    const auth = HybridAuthModule.forRoot({
      ...authConfig(provider, web.url, clock, options.responseType),
      session: { store: options.sessionStore && serverSessions(options.sessionStore) },
      ...(keys
        ? {
            clientSecret: undefined,
            clientAuth: privateKeyJwt({ key: keys.pem, kid: 'k1', alg: 'ES256' }),
          }
        : {}),
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
    grants: provider.grants,
    browser: () => createBrowser(web.url),
    close: async () => {
      await Promise.all(apps.map((app) => app.close()))
      await Promise.all([closeServer(web.server), closeServer(api.server)])
      await provider.close()
    },
  }
}

/** An ES256 key pair: the private key as a PKCS#8 PEM (as configuration holds it), the public JWKS. */
async function pemKeyPair(): Promise<{ pem: string; jwks: JwkSet }> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey))
  const pem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`
  const publicJwk = await crypto.subtle.exportKey('jwk', keys.publicKey)
  return { pem, jwks: { keys: [{ ...publicJwk, kid: 'k1', use: 'sig', alg: 'ES256' }] } as JwkSet }
}
