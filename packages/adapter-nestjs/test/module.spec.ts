/**
 * The module's configuration surface on both platforms: forRoot / forRootAsync (useFactory,
 * useClass, useExisting), isGlobal, the exception filter switch, configured and unprefixed
 * routes, body parsers on or off, plain http and trusted proxies, and setup errors.
 */
import {
  Controller,
  type DynamicModule,
  Get,
  type INestApplication,
  Inject,
  Injectable,
  Module,
  type Type,
} from '@nestjs/common'
import type { IdTokenClaims } from '@oidc-hybrid/core'
import { rawGet, type TestProvider } from '@oidc-hybrid/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AccessToken,
  HybridAuthModule,
  type HybridAuthModuleOptions,
  HybridAuthService,
  User,
} from '../src/index.js'
import {
  type AppOptions,
  authConfig,
  CLIENT_ID,
  closeServer,
  createApp,
  createHarness,
  listen,
  PLATFORMS,
  type Platform,
  SESSION,
  startProvider,
  webModule,
} from './harness.js'

interface Booted {
  url: string
  close(): Promise<void>
}

/** Boots `build(appURL)` on a fresh server. */
async function boot(
  platform: Platform,
  build: (appURL: string) => Type | DynamicModule,
  options: Omit<AppOptions, 'platform'> = {},
): Promise<Booted> {
  const { server, url } = await listen()
  let app: INestApplication
  try {
    app = await createApp(build(url), server, { platform, ...options })
  } catch (error) {
    await closeServer(server)
    throw error
  }
  return {
    url,
    close: async () => {
      await app.close()
      await closeServer(server)
    },
  }
}

/** GET /login must redirect to the provider's authorization endpoint with our redirect_uri. */
async function expectLoginStarts(appURL: string, issuer: string, callbackPath = '/callback') {
  const response = await fetch(`${appURL}${callbackPath.replace(/callback$/, 'login')}`, {
    redirect: 'manual',
  })
  expect(response.status).toBe(302)
  const location = new URL(response.headers.get('location')!)
  expect(location.href.startsWith(`${issuer}authorize?`)).toBe(true)
  expect(location.searchParams.get('client_id')).toBe(CLIENT_ID)
  expect(location.searchParams.get('redirect_uri')).toBe(`${appURL}${callbackPath}`)
  expect(location.searchParams.get('response_mode')).toBe('form_post')
}

const OPTIONS = Symbol('OPTIONS')

@Injectable()
class OptionsFactory {
  constructor(@Inject(OPTIONS) private readonly options: HybridAuthModuleOptions) {}
  createHybridAuthOptions(): HybridAuthModuleOptions {
    return this.options
  }
}

/** A module of the application's own that holds the configuration. */
function configModule(options: HybridAuthModuleOptions): DynamicModule {
  @Module({})
  class ConfigModule {}
  return {
    module: ConfigModule,
    providers: [{ provide: OPTIONS, useValue: options }, OptionsFactory],
    exports: [OPTIONS, OptionsFactory],
  }
}

@Controller('feature')
class FeatureController {
  constructor(@Inject(HybridAuthService) private readonly auth: HybridAuthService) {}
  @Get()
  feature() {
    return { callback: this.auth.engine.config.routes.callback }
  }
}

/** Decorators on routes HybridAuthGuard does not cover: the session is loaded on demand. */
@Controller('unguarded')
class UnguardedController {
  @Get('user')
  user(@User() user: IdTokenClaims | undefined) {
    return { authenticated: user !== undefined }
  }
  @Get('token')
  token(@AccessToken() token: string) {
    return { token }
  }
}

/** A feature module that injects HybridAuthService without importing HybridAuthModule. */
@Module({ controllers: [FeatureController] })
class FeatureModule {}

describe.each(PLATFORMS)('%s', (platform) => {
  let provider: TestProvider
  const clock = { skew: 0 }
  beforeAll(async () => {
    provider = await startProvider('http://localhost:9')
  })
  afterAll(() => provider?.close())
  const config = (appURL: string) => authConfig(provider, appURL, clock)

  describe('forRootAsync', () => {
    it('useFactory with imports and inject', async () => {
      const app = await boot(platform, (url) =>
        webModule(
          HybridAuthModule.forRootAsync({
            imports: [configModule(config(url))],
            inject: [OPTIONS],
            useFactory: async (options: HybridAuthModuleOptions) => options,
          }),
        ),
      )
      try {
        await expectLoginStarts(app.url, provider.issuer)
      } finally {
        await app.close()
      }
    })

    it('useClass', async () => {
      const app = await boot(platform, (url) =>
        webModule(
          HybridAuthModule.forRootAsync({
            imports: [configModule(config(url))],
            useClass: OptionsFactory,
          }),
        ),
      )
      try {
        await expectLoginStarts(app.url, provider.issuer)
      } finally {
        await app.close()
      }
    })

    it('useExisting', async () => {
      const app = await boot(platform, (url) =>
        webModule(
          HybridAuthModule.forRootAsync({
            imports: [configModule(config(url))],
            useExisting: OptionsFactory,
          }),
        ),
      )
      try {
        await expectLoginStarts(app.url, provider.issuer)
      } finally {
        await app.close()
      }
    })
  })

  it('isGlobal: other modules inject HybridAuthService without importing the module', async () => {
    const build = (isGlobal: boolean) => (url: string) => {
      @Module({ imports: [HybridAuthModule.forRoot({ ...config(url), isGlobal }), FeatureModule] })
      class AppModule {}
      return AppModule
    }
    const app = await boot(platform, build(true))
    try {
      const feature = await fetch(`${app.url}/feature`)
      expect(await feature.json()).toEqual({ callback: '/callback' })
    } finally {
      await app.close()
    }
    await expect(boot(platform, build(false))).rejects.toThrow(/HybridAuthService/)
  })

  it('the decorators load the session on routes without HybridAuthGuard', async () => {
    const app = await boot(platform, (url) => {
      @Module({
        imports: [HybridAuthModule.forRoot(config(url))],
        controllers: [UnguardedController],
      })
      class AppModule {}
      return AppModule
    })
    try {
      const user = await fetch(`${app.url}/unguarded/user`)
      expect(user.status).toBe(200)
      expect(await user.json()).toEqual({ authenticated: false })
      const token = await fetch(`${app.url}/unguarded/token`, {
        headers: { accept: 'application/json' },
      })
      expect(token.status).toBe(401)
      expect(await token.json()).toMatchObject({ error: 'SESSION_MISSING' })
    } finally {
      await app.close()
    }
  })

  it('routes are served at the configured paths, whatever the global prefix', async () => {
    const app = await boot(
      platform,
      (url) =>
        webModule(
          HybridAuthModule.forRoot({
            ...config(url),
            routes: { login: '/auth/login', callback: '/auth/callback', logout: '/auth/logout' },
          }),
        ),
      { setup: (nest) => nest.setGlobalPrefix('api') },
    )
    try {
      await expectLoginStarts(app.url, provider.issuer, '/auth/callback')
      expect((await fetch(`${app.url}/login`, { redirect: 'manual' })).status).toBe(404)
      // The controllers are under the prefix; the guard protects them.
      const me = await fetch(`${app.url}/api/me`, { headers: { accept: 'application/json' } })
      expect(me.status).toBe(401)
      const home = await fetch(`${app.url}/api`, { headers: { accept: 'application/json' } })
      expect(await home.json()).toEqual({ authenticated: false })
    } finally {
      await app.close()
    }
  })

  it('exceptionFilter: false leaves errors to the app; the login redirect still works', async () => {
    const app = await boot(platform, (url) =>
      webModule(HybridAuthModule.forRoot({ ...config(url), exceptionFilter: false })),
    )
    try {
      const browser = await fetch(`${app.url}/me`, {
        redirect: 'manual',
        headers: { accept: 'text/html' },
      })
      expect(browser.status).toBe(302)
      expect(browser.headers.get('location')!.startsWith(`${provider.issuer}authorize?`)).toBe(true)
      expect(browser.headers.getSetCookie().length).toBe(1)
      // Nest's own filter does not know the library's errors: a generic 500.
      const api = await fetch(`${app.url}/me`, { headers: { accept: 'application/json' } })
      expect(api.status).toBe(500)
    } finally {
      await app.close()
    }
  })

  it('a configuration mistake stops the application from starting', async () => {
    await expect(
      boot(platform, (url) =>
        webModule(HybridAuthModule.forRoot({ ...config(url), secret: 'too short' })),
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('plain http on a public host is refused with advice; a trusted proxy is honoured', async () => {
    const plain = await boot(platform, (url) => webModule(HybridAuthModule.forRoot(config(url))))
    try {
      const refused = await rawGet(plain.url, '/login', {
        host: 'app.example.com',
        accept: 'application/json',
        'x-forwarded-proto': 'https',
      })
      expect(refused.status).toBe(500)
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'CONFIG_INVALID' })
      expect(JSON.parse(refused.body).message).toContain('trustProxy')
    } finally {
      await plain.close()
    }
    const proxied = await boot(
      platform,
      (url) => webModule(HybridAuthModule.forRoot(config(url))),
      {
        trustProxy: true,
      },
    )
    try {
      const allowed = await rawGet(proxied.url, '/login', {
        host: 'app.example.com',
        'x-forwarded-proto': 'https',
      })
      expect(allowed.status).toBe(302)
      expect(String(allowed.headers.location).startsWith(`${provider.issuer}authorize?`)).toBe(true)
    } finally {
      await proxied.close()
    }
  })
})

describe.each(PLATFORMS)('%s: the callback body is read whatever parsed it', (platform) => {
  // Only Nest's Express parser (qs, extended) turns `extra[x]=1` into a nested object; the raw
  // text (Fastify's unread stream, rawBody, no parser) keeps it as the parameter it is.
  const variants: Array<{ name: string; options: Omit<AppOptions, 'platform'>; raw: boolean }> = [
    { name: 'the default parsers', options: {}, raw: platform === 'fastify' },
    { name: 'rawBody: true', options: { rawBody: true }, raw: true },
    { name: 'bodyParser: false', options: { bodyParser: false }, raw: true },
  ]
  for (const { name, options, raw } of variants) {
    it(`with ${name}: a login completes and a duplicated parameter is still seen`, async () => {
      const h = await createHarness(platform, options)
      try {
        const browser = h.browser()
        const { action, params } = await browser.authorize(await browser.startLogin())
        const duplicated = new URLSearchParams(params)
        duplicated.append('state', params.get('state')!)
        const refused = await browser.post(action, duplicated, { accept: 'application/json' })
        expect((await refused.json()).error).toBe('CALLBACK_PARAMETER_DUPLICATED')

        params.append('extra[x]', '1')
        const callback = await browser.post(action, params, { accept: 'application/json' })
        if (raw) {
          expect(callback.status).toBe(302)
        } else {
          expect(callback.status).toBe(415)
          expect(await callback.json()).toMatchObject({
            error: 'CALLBACK_CONTENT_TYPE_INVALID',
            message: expect.stringContaining('rawBody: true'),
          })
          expect((await browser.login()).status).toBe(302)
        }
        expect(browser.jar.has(SESSION)).toBe(true)
        expect(h.grants()).toBe(1)
      } finally {
        await h.close()
      }
    })
  }
})
