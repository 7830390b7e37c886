// Configuration is validated once, at setup: every misuse is a ConfigurationError that says what
// to change, and everything left out gets a documented default.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPair } from 'jose'
import { type ClientAuth, PrivateKeyJwt } from 'oauth4webapi'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import {
  assertFormPost,
  type HybridAuthConfig,
  type ResolvedConfig,
  resolveConfig,
  toAuthorizationOptions,
} from '../../src/engine/config.js'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import { ConfigurationError } from '../../src/errors.js'
import { buildRefreshTokenGrantRequest } from '../../src/protocol/grant.js'
import { MINIMAL_CONFIG, SECRET } from '../support/harness.js'

const BASE: HybridAuthConfig = {
  ...MINIMAL_CONFIG,
  clientID: 'client-1',
  clientSecret: 'client-secret',
}

function resolve(overrides: Record<string, unknown>): ResolvedConfig {
  return resolveConfig({ ...BASE, ...overrides } as HybridAuthConfig)
}

function refused(overrides: Record<string, unknown>, message: RegExp): void {
  let error: unknown
  try {
    resolve(overrides)
  } catch (caught) {
    error = caught
  }
  expect(error).toBeInstanceOf(ConfigurationError)
  expect((error as ConfigurationError).code).toBe('CONFIG_INVALID')
  expect((error as Error).message).toMatch(message)
}

/** What the resolved client authentication puts on a token request (refresh grant). */
async function applied(config: ResolvedConfig) {
  const request = await buildRefreshTokenGrantRequest(
    {
      provider: {
        issuer: 'https://op.example.test/',
        token_endpoint: 'https://op.example.test/oauth/token',
      } as Parameters<typeof buildRefreshTokenGrantRequest>[0]['provider'],
      client: { client_id: config.clientID } as Parameters<
        typeof buildRefreshTokenGrantRequest
      >[0]['client'],
      clientAuth: config.clientAuth,
    },
    'refresh-token',
  )
  return { body: new URLSearchParams(request.body), headers: new Headers(request.headers) }
}

describe('resolveConfig: refused configurations', () => {
  it('no configuration object', () => {
    expect(() => resolveConfig(null as unknown as HybridAuthConfig)).toThrow(ConfigurationError)
    expect(() => resolveConfig('config' as unknown as HybridAuthConfig)).toThrow(
      /configuration object/,
    )
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a string', 42],
    ['not a URL', 'op.example.test'],
    ['another scheme', 'ftp://op.example.test'],
  ])('issuerBaseURL %s', (_name, issuerBaseURL) => {
    refused({ issuerBaseURL }, /`issuerBaseURL` must be an absolute http\(s\) URL/)
  })

  it.each([
    ['missing', undefined, /`baseURL` must be an https URL/],
    ['not a URL', '/app', /`baseURL` must be an https URL/],
    ['another scheme', 'javascript:alert(1)', /`baseURL` must be an https URL/],
    [
      'plain http off loopback',
      'http://app.example.test',
      /`baseURL` must be an https URL \(http on localhost\)/,
    ],
    [
      'plain http on a host ending in localhost',
      'http://evil-localhost',
      /`baseURL` must be an https URL \(http on localhost\)/,
    ],
    [
      'plain http on localhost.example.test',
      'http://localhost.example.test',
      /`baseURL` must be an https URL \(http on localhost\)/,
    ],
    [
      'plain http on 128.0.0.1',
      'http://128.0.0.1',
      /`baseURL` must be an https URL \(http on localhost\)/,
    ],
    [
      'plain http on 127.0.0.1.nip.io',
      'http://127.0.0.1.nip.io',
      /`baseURL` must be an https URL \(http on localhost\)/,
    ],
    // The callback URL (redirect_uri) is built on it: no fragment (RFC 6749 3.1.2), no query.
    ['with a fragment', 'https://app.example.test/#x', /without \? or #/],
    ['with a query', 'https://app.example.test/app?x=1', /without \? or #/],
    // URL parsing drops an empty query or fragment: the text itself is checked.
    ['ending in #', 'https://app.example.test/#', /without \? or #/],
    ['ending in ?', 'https://app.example.test/?', /without \? or #/],
  ])('baseURL %s', (_name, baseURL, message) => {
    refused({ baseURL }, message)
  })

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a string', 7],
  ])('clientID %s', (_name, clientID) => {
    refused({ clientID }, /`clientID` is required/)
  })

  it.each([
    ['missing', undefined],
    ['too short', 'x'.repeat(31)],
    ['an empty list', []],
    ['a list with a short one', [SECRET, 'short']],
    ['not a string', 1234],
  ])('secret %s', (_name, secret) => {
    refused({ secret }, /`secret` needs 32\+ characters/)
  })

  it.each(['login', 'callback', 'logout', 'postLogoutRedirect'])('routes.%s', (name) => {
    for (const path of ['relative', '//evil.example', '/a?b', '/a#b', '/a b', 42]) {
      refused({ routes: { [name]: path } }, new RegExp(`routes.${name}`))
    }
  })

  it('two routes on one path (one of them would be unreachable)', () => {
    refused({ routes: { logout: '/callback' } }, /distinct/)
    refused({ routes: { login: '/auth', logout: '/auth' } }, /distinct/)
  })

  it('response_mode other than form_post', () => {
    refused({ authorizationParams: { response_mode: 'fragment' } }, /form_post/)
  })

  it('a response_type that is neither hybrid nor code', () => {
    refused(
      { authorizationParams: { response_type: 'id_token token' } },
      /not a response type for this library/,
    )
  })

  it.each([
    ['session.rollingDuration', { session: { rollingDuration: -1 } }],
    ['session.absoluteDuration', { session: { absoluteDuration: Number.NaN } }],
    ['transaction.maxAge', { transaction: { maxAge: Number.POSITIVE_INFINITY } }],
    ['clockTolerance', { clockTolerance: 1.5 }],
    ['refreshLeeway', { refreshLeeway: -30 }],
    ['httpTimeout', { httpTimeout: Number.NaN }],
    ['jwksCooldown', { jwksCooldown: -1 }],
    ['cacheMaxAge', { cacheMaxAge: Number.NEGATIVE_INFINITY }],
  ])('%s not a non-negative whole number', (name, overrides) => {
    refused(overrides, new RegExp(`\`${name}\` must be a whole number >= 0`))
  })

  it.each([0, -1, 2.5, Number.NaN])('transaction.maxCount %s', (maxCount) => {
    refused({ transaction: { maxCount } }, /`transaction.maxCount` must be a whole number >= 1/)
  })

  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    '%s without clientSecret',
    (clientAuthMethod) => {
      refused(
        { clientAuthMethod, clientSecret: undefined },
        new RegExp(`\`clientSecret\` is required for ${clientAuthMethod}`),
      )
    },
  )

  it('private_key_jwt without clientAuth', () => {
    refused(
      { clientAuthMethod: 'private_key_jwt' },
      /private_key_jwt: use `clientAuth: privateKeyJwt\(\{ key \}\)`/,
    )
  })

  it('a clientAuth that is not a function', () => {
    refused({ clientAuth: 'private_key_jwt' }, /`clientAuth` must be a function/)
  })

  it('an unknown clientAuthMethod', () => {
    refused({ clientAuthMethod: 'tls_client_auth' }, /unknown `clientAuthMethod` "tls_client_auth"/)
  })
})

describe('resolveConfig: accepted configurations', () => {
  it.each([
    'http://localhost:3000',
    'http://127.0.0.1:3000',
    'http://127.0.0.2:3000',
    'http://[::1]:3000',
    'http://app.localhost',
    'http://a.b.localhost',
  ])('plain http on loopback: %s', (baseURL) => {
    expect(resolve({ baseURL }).baseURL.href).toBe(new URL(baseURL).href)
  })

  it('defaults', () => {
    const config = resolve({})
    expect(config).toMatchObject({
      issuerBaseURL: 'https://op.example.test',
      clientID: 'client-1',
      secrets: [SECRET],
      routes: {
        login: '/login',
        callback: '/callback',
        logout: '/logout',
        postLogoutRedirect: '/',
      },
      redirectUri: 'https://app.example.test/callback',
      session: {
        name: '__Host-appSession',
        rolling: true,
        rollingDuration: 86_400,
        absoluteDuration: 604_800,
        path: '/',
        sameSite: 'Lax',
      },
      transaction: { name: '__Host-oidc_tx', maxAge: 600, maxCount: 5 },
      idpLogout: true,
      logoutMode: 'auto',
      clockTolerance: 60,
      refreshLeeway: 30,
      allowSymmetricIdTokens: false,
      httpTimeout: 5000,
      jwksCooldown: 30,
      cacheMaxAge: 600,
    })
    expect(config.session.domain).toBeUndefined()
    expect(config.idTokenSigningAlgs).toBeUndefined()
    expect(config.crypto).toBeInstanceOf(WebCryptoProvider)
    expect(config.authorization).toEqual(toAuthorizationOptions({}))
  })

  describe('on a fake system clock', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('the default clock is whole seconds of the system time', () => {
      vi.useFakeTimers({ now: 1_700_000_000_999 })
      const config = resolve({})
      expect(config.now()).toBe(1_700_000_000)
      // It reads the system time on each call, not once at setup.
      vi.setSystemTime(1_700_000_042_000)
      expect(config.now()).toBe(1_700_000_042)
    })
  })

  it('the default logger accepts entries and writes nothing', () => {
    const spies = [
      ...(['log', 'info', 'warn', 'error', 'debug'] as const).map((name) =>
        vi.spyOn(console, name).mockImplementation(() => {}),
      ),
      vi.spyOn(process.stdout, 'write').mockImplementation(() => true),
      vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
    ]
    try {
      const log = resolve({}).log
      for (const level of ['debug', 'info', 'warn', 'error'] as const) {
        expect(log({ level, event: 'test' })).toBeUndefined()
      }
      for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })

  it('the default fetch is the global fetch', async () => {
    const server = createServer((_req, res) => res.end('from the network'))
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    try {
      const { port } = server.address() as AddressInfo
      const response = await resolve({}).fetch(`http://127.0.0.1:${port}/`)
      expect(await response.text()).toBe('from the network')
    } finally {
      await new Promise((done) => server.close(done))
    }
  })

  it('given values are kept', () => {
    const fetch: typeof globalThis.fetch = () => Promise.resolve(new Response())
    const crypto = new WebCryptoProvider()
    const now = () => 42
    const logger = () => {}
    const config = resolve({
      secret: [SECRET, `${SECRET}-old`],
      routes: {
        login: '/auth/in',
        callback: '/auth/cb',
        logout: '/auth/out',
        postLogoutRedirect: '/bye',
      },
      session: {
        name: 'sid',
        rolling: false,
        rollingDuration: 0,
        absoluteDuration: 10,
        cookie: { domain: 'example.test', path: '/app', sameSite: 'Strict' },
      },
      transaction: { name: 'tx', maxAge: 120, maxCount: 2 },
      idpLogout: false,
      logoutMode: 'auth0',
      clockTolerance: 0,
      refreshLeeway: 5,
      idTokenSigningAlgs: ['ES256'],
      allowSymmetricIdTokens: true,
      fetch,
      httpTimeout: 100,
      jwksCooldown: 1,
      cacheMaxAge: 2,
      crypto,
      now,
      logger,
    })
    expect(config).toMatchObject({
      secrets: [SECRET, `${SECRET}-old`],
      routes: {
        login: '/auth/in',
        callback: '/auth/cb',
        logout: '/auth/out',
        postLogoutRedirect: '/bye',
      },
      redirectUri: 'https://app.example.test/auth/cb',
      session: {
        name: 'sid',
        rolling: false,
        rollingDuration: 0,
        absoluteDuration: 10,
        domain: 'example.test',
        path: '/app',
        sameSite: 'Strict',
      },
      transaction: { name: 'tx', maxAge: 120, maxCount: 2 },
      idpLogout: false,
      logoutMode: 'auth0',
      clockTolerance: 0,
      refreshLeeway: 5,
      idTokenSigningAlgs: ['ES256'],
      allowSymmetricIdTokens: true,
      httpTimeout: 100,
      jwksCooldown: 1,
      cacheMaxAge: 2,
    })
    expect(config.fetch).toBe(fetch)
    expect(config.crypto).toBe(crypto)
    expect(config.now).toBe(now)
    expect(config.log).toBe(logger)
  })

  it('RFC 6265bis __Host- prefix only where the cookie may carry it', () => {
    expect(resolve({ session: { cookie: { sameSite: 'None' } } }).session.name).toBe(
      '__Host-appSession',
    )
    expect(resolve({ session: { cookie: { path: '/' } } }).session.name).toBe('__Host-appSession')
    // __Host- cookies must have Path=/ and no Domain.
    expect(resolve({ session: { cookie: { domain: 'example.test' } } }).session.name).toBe(
      'appSession',
    )
    expect(resolve({ session: { cookie: { path: '/app' } } }).session.name).toBe('appSession')
  })

  it('the callback URL is built on baseURL, with or without a trailing slash', () => {
    expect(resolve({ baseURL: 'https://app.example.test/base/' }).redirectUri).toBe(
      'https://app.example.test/base/callback',
    )
    expect(resolve({ baseURL: 'https://app.example.test/base' }).redirectUri).toBe(
      'https://app.example.test/base/callback',
    )
  })
})

describe('client authentication', () => {
  it('a client secret defaults to client_secret_basic', async () => {
    const { body, headers } = await applied(resolve({}))
    expect(headers.get('authorization')).toMatch(/^Basic /)
    expect(body.has('client_secret')).toBe(false)
  })

  it('client_secret_post puts the secret in the body', async () => {
    const { body, headers } = await applied(resolve({ clientAuthMethod: 'client_secret_post' }))
    expect(body.get('client_id')).toBe('client-1')
    expect(body.get('client_secret')).toBe('client-secret')
    expect(headers.has('authorization')).toBe(false)
  })

  it('resolves to data: the secret and the method, no oauth4webapi function', () => {
    expect(resolve({}).clientAuth).toEqual({
      method: 'client_secret_basic',
      secret: 'client-secret',
    })
    expect(resolve({ clientAuthMethod: 'client_secret_post' }).clientAuth).toEqual({
      method: 'client_secret_post',
      secret: 'client-secret',
    })
    expect(resolve({ clientSecret: undefined }).clientAuth).toEqual({ method: 'none' })
  })

  it('a clientAuth function is custom, whatever clientAuthMethod says, and the engine keeps it', () => {
    const apply: ClientAuth = () => {}
    for (const clientAuthMethod of [undefined, 'private_key_jwt', 'client_secret_post', 'none']) {
      const resolved = resolve({ clientAuth: apply, clientAuthMethod })
      // The protocol sees data only; the function is applied when the request is sent.
      expect(resolved.clientAuth).toEqual({ method: 'custom' })
      expect(resolved.applyClientAuth).toBe(apply)
    }
  })

  it('private_key_jwt: the protocol leaves PrivateKeyJwt(key) to the engine, which signs at send', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const apply = PrivateKeyJwt(privateKey)
    const config = resolve({
      clientSecret: undefined,
      clientAuthMethod: 'private_key_jwt',
      clientAuth: apply,
    })
    expect(config.applyClientAuth).toBe(apply)
    const { body, headers } = await applied(config)
    // No clock or randomness in the protocol: the assertion is made when the request is sent
    // (test/engine/hybrid-auth.test.ts verifies the one the provider receives).
    expect(body.has('client_assertion')).toBe(false)
    expect(headers.has('authorization')).toBe(false)
  })

  it('neither secret nor clientAuth: none (public client)', async () => {
    const { body, headers } = await applied(resolve({ clientSecret: undefined }))
    expect(body.get('client_id')).toBe('client-1')
    expect(body.has('client_secret')).toBe(false)
    expect(body.has('client_assertion')).toBe(false)
    expect(headers.has('authorization')).toBe(false)
  })

  it('an explicit none wins over a configured secret', async () => {
    const { body, headers } = await applied(resolve({ clientAuthMethod: 'none' }))
    expect(body.has('client_secret')).toBe(false)
    expect(headers.has('authorization')).toBe(false)
  })
})

describe('toAuthorizationOptions', () => {
  it('maps the snake_case parameters to options', () => {
    expect(
      toAuthorizationOptions({
        response_type: 'id_token code',
        response_mode: 'form_post',
        scope: 'openid offline_access',
        audience: 'https://api.example.test',
        organization: 'org_123',
        invitation: 'inv-1',
        max_age: 300,
        prompt: 'login',
        login_hint: 'user@example.test',
        acr_values: 'urn:mfa',
        ui_locales: 'fr',
      }),
    ).toEqual({
      responseType: 'code id_token',
      responseMode: 'form_post',
      scope: 'openid offline_access',
      audience: 'https://api.example.test',
      organization: 'org_123',
      invitation: 'inv-1',
      maxAge: 300,
      prompt: 'login',
      loginHint: 'user@example.test',
      acrValues: 'urn:mfa',
      uiLocales: 'fr',
      extra: {},
    })
  })

  it('other parameters go to extra as strings; undefined ones are dropped', () => {
    expect(
      toAuthorizationOptions({ connection: 'github', screen_hint: undefined, max_tries: 3 }).extra,
    ).toEqual({ connection: 'github', max_tries: '3' })
  })

  it('unset parameters are left out, so an override never erases a configured value', () => {
    expect(toAuthorizationOptions()).toEqual({ extra: {} })
    const configured = toAuthorizationOptions({ scope: 'openid offline_access', audience: 'api' })
    const override = toAuthorizationOptions({ prompt: 'login', audience: undefined })
    expect(Object.keys(override).sort()).toEqual(['extra', 'prompt'])
    expect({ ...configured, ...override }).toMatchObject({
      scope: 'openid offline_access',
      audience: 'api',
      prompt: 'login',
    })
  })

  it('a non-hybrid response_type is a ConfigurationError', () => {
    expect(() => toAuthorizationOptions({ response_type: 'token' })).toThrow(ConfigurationError)
  })
})

describe('assertFormPost', () => {
  it('accepts form_post and an unset response mode', () => {
    expect(assertFormPost({ responseMode: 'form_post' })).toBeUndefined()
    expect(assertFormPost({})).toBeUndefined()
    // ...and a configuration that names form_post keeps it for every login.
    const config = resolve({ authorizationParams: { response_mode: 'form_post' } })
    expect(config.authorization.responseMode).toBe('form_post')
    expect(resolve({}).authorization.responseMode).toBeUndefined()
  })

  it('MRT 5: refuses fragment, which never reaches the server', () => {
    expect(() => assertFormPost({ responseMode: 'fragment' })).toThrow(ConfigurationError)
  })
})

describe('createHybridAuth: the same checks', () => {
  it.each([
    [{ transaction: { maxAge: 0.5 } }, /whole number/],
    [{ transaction: { maxCount: Number.NaN } }, /maxCount/],
    [{ session: { rollingDuration: 10.5 } }, /whole number/],
  ])('%o is refused', (overrides, message) => {
    expect(() => createHybridAuth({ ...BASE, ...overrides })).toThrow(message)
    refused(overrides, message)
  })

  it('cookie names are __Host- prefixed by default and plain with a domain', () => {
    expect(resolve({}).session.name).toBe('__Host-appSession')
    expect(resolve({}).transaction.name).toBe('__Host-oidc_tx')
    expect(resolve({ session: { cookie: { domain: 'example.test' } } }).session.name).toBe(
      'appSession',
    )
  })
})
