// Problems said before the user types a password (issue 12 item 5, issue 18 item 4): a provider
// that is down names the cause and what to check; a configuration the provider's discovery
// document does not support is refused at first use, before any login redirect, and logged once;
// `ignoreDiscoveryFor` overrules a provider that supports more than it lists.
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { send } from '../src/engine/http.js'
import {
  checkProvider,
  createHybridAuth,
  type HybridAuthConfig,
  type LogEntry,
} from '../src/index.js'
import { APP, SECRET, setup } from './support/harness.js'

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A fetch that fails as undici does: "fetch failed", the system or TLS error in `cause`. */
const undiciFailure = (code: string, message: string) => () =>
  Promise.reject(
    new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) }),
  )

const sendVia = (fetch: typeof globalThis.fetch) =>
  send(
    { url: 'https://op.example.test/.well-known/openid-configuration', method: 'GET', headers: {} },
    { fetch, timeout: 1000, maxBodyBytes: 1000 },
  ).catch((error: unknown) => error)

describe('a provider that does not answer: the cause and what to check', () => {
  it('nothing listening: connection refused, is the provider running at host:port?', async () => {
    const port = await closedPort()
    const auth = createHybridAuth({
      issuerBaseURL: `http://127.0.0.1:${port}`,
      baseURL: APP,
      clientID: 'app',
      clientSecret: 'client-secret',
      secret: SECRET,
    })
    const response = await auth.login({
      method: 'GET',
      url: `${APP}/login`,
      headers: new Headers(),
    })
    expect(response.status).toBe(502)
    expect(response.error).toMatchObject({
      code: 'HTTP_REQUEST_FAILED',
      message: `GET http://127.0.0.1:${port}/.well-known/openid-configuration failed: fetch failed: connect ECONNREFUSED 127.0.0.1:${port} (ECONNREFUSED); check issuerBaseURL, that the provider is up and its certificate trusted`,
      details: { causeCode: 'ECONNREFUSED' },
    })
  })

  it.each([
    ['ENOTFOUND', 'getaddrinfo ENOTFOUND op.example.test'],
    ['EAI_AGAIN', 'getaddrinfo EAI_AGAIN op.example.test'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
    ['CERT_HAS_EXPIRED', 'certificate has expired'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'],
    ['ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:443'],
  ])('undici cause %s: %s', async (code, message) => {
    const error = await sendVia(undiciFailure(code, message))
    expect(error).toMatchObject({ code: 'HTTP_REQUEST_FAILED', details: { causeCode: code } })
    expect((error as Error).message).toContain(
      `GET https://op.example.test/.well-known/openid-configuration failed: fetch failed: ${message} (${code}); check issuerBaseURL, that the provider is up and its certificate trusted`,
    )
  })

  it('another runtime (workerd, Deno, Bun): its plain message, no cause code', async () => {
    const error = await sendVia(() => Promise.reject(new TypeError('Network connection lost.')))
    expect(error).toMatchObject({
      code: 'HTTP_REQUEST_FAILED',
      message:
        'GET https://op.example.test/.well-known/openid-configuration failed: Network connection lost.',
    })
    expect((error as { details: { causeCode?: string } }).details.causeCode).toBeUndefined()
  })
})

/** A harness whose provider's discovery document is `change`d, and the log entries. */
async function withDiscovery(
  change: (document: Record<string, unknown>) => void,
  overrides: Partial<HybridAuthConfig> = {},
) {
  const logs: LogEntry[] = []
  const t = await setup({ ...overrides, logger: (entry) => logs.push(entry) })
  const metadata = t.provider.metadata.bind(t.provider)
  t.provider.metadata = () => {
    const document = metadata()
    change(document)
    return document
  }
  return { ...t, logs }
}

const ADVICE = (field: string) => `, or ignoreDiscoveryFor: ['${field}']`

describe('client authentication the provider does not list: refused before the redirect', () => {
  const PUBLIC = { clientSecret: undefined }
  const noNone = (document: Record<string, unknown>) => {
    document.token_endpoint_auth_methods_supported = ['client_secret_basic', 'private_key_jwt']
  }

  it("no clientSecret: 'none', not listed: CONFIG_INVALID that says to set clientSecret", async () => {
    const t = await withDiscovery(noNone, PUBLIC)
    const response = await t.startLogin()
    expect(response.status).toBe(500)
    expect(response.headers.get('location')).toBeNull()
    expect(response.error).toMatchObject({
      name: 'ConfigurationError',
      code: 'CONFIG_INVALID',
      message:
        'provider token_endpoint_auth_methods_supported lacks none: set clientSecret' +
        ADVICE('token_endpoint_auth_methods_supported'),
      details: {
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
      },
    })
    // No transaction was started: the user never reaches the provider's login page.
    expect(t.jar.header()).not.toContain('oidc_tx')
  })

  it('every login is refused before its redirect; logout is never refused for it', async () => {
    const t = await withDiscovery(noNone, PUBLIC)
    for (let i = 0; i < 2; i++) {
      const response = await t.startLogin()
      expect(response.status).toBe(500)
      expect(response.headers.get('location')).toBeNull()
    }
    // Each refusal is logged with its code and advice.
    expect(t.logs.filter((entry) => entry.code === 'CONFIG_INVALID')).toHaveLength(2)
    expect((await t.auth.logout(t.request('GET', '/logout'))).status).toBe(302)
  })

  it('omitted: client_secret_basic only (Discovery 1.0 3), so client_secret_post is refused', async () => {
    const omit = (document: Record<string, unknown>) => {
      delete document.token_endpoint_auth_methods_supported
    }
    const post = await withDiscovery(omit, { clientAuthMethod: 'client_secret_post' })
    expect((await post.startLogin()).error?.message).toBe(
      'provider token_endpoint_auth_methods_supported lacks client_secret_post: set clientAuthMethod' +
        ADVICE('token_endpoint_auth_methods_supported'),
    )
    const basic = await withDiscovery(omit)
    expect((await basic.startLogin()).status).toBe(302)
  })

  it('a clientAuth function: unchecked, unless clientAuthMethod names its method', async () => {
    const custom = { clientSecret: undefined, clientAuth: () => {} }
    // The provider lists client_secret_basic and client_secret_post only.
    const unnamed = await withDiscovery(() => {}, custom)
    expect((await unnamed.startLogin()).status).toBe(302)
    const named = await withDiscovery(() => {}, {
      ...custom,
      clientAuthMethod: 'private_key_jwt',
    })
    expect((await named.startLogin()).error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('lacks private_key_jwt'),
    })
  })

  it("ignoreDiscoveryFor: ['token_endpoint_auth_methods_supported'] lets it through", async () => {
    const t = await withDiscovery(noNone, {
      ...PUBLIC,
      ignoreDiscoveryFor: ['token_endpoint_auth_methods_supported'],
    })
    expect((await t.startLogin()).status).toBe(302)
  })
})

describe('a response type or mode the provider does not list (issue 18 item 4)', () => {
  const noCodeToken = (document: Record<string, unknown>) => {
    document.response_types_supported = ['code', 'id_token code', 'code id_token token']
  }
  const CODE_TOKEN = { authorizationParams: { response_type: 'code token' } }

  it('the configured one: refused at first use, with the advice', async () => {
    const t = await withDiscovery(noCodeToken, CODE_TOKEN)
    const response = await t.startLogin()
    expect(response.status).toBe(500)
    expect(response.headers.get('location')).toBeNull()
    expect(response.error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: `provider response_types_supported lacks code token: enable it there${ADVICE('response_types_supported')}`,
      details: { response_types_supported: ['code', 'id_token code', 'code id_token token'] },
    })
    // The words of a listed type may come in any order.
    const listed = await withDiscovery(noCodeToken)
    expect((await listed.startLogin()).status).toBe(302)
  })

  it("ignoreDiscoveryFor: ['response_types_supported']: the login completes", async () => {
    const t = await withDiscovery(noCodeToken, {
      ...CODE_TOKEN,
      ignoreDiscoveryFor: ['response_types_supported'],
    })
    const { start, callback } = await t.login()
    expect(new URL(start.headers.get('location')!).searchParams.get('response_type')).toBe(
      'code token',
    )
    expect(callback.error).toBeUndefined()
    expect(callback.status).toBe(302)
  })

  it('a per-login override is checked at that login, and overruled the same way', async () => {
    const override = { authorizationParams: { response_type: 'code token' } }
    const t = await withDiscovery(noCodeToken)
    expect((await t.startLogin()).status).toBe(302)
    const refused = await t.auth.login(t.request('GET', '/login'), override)
    expect(refused.error?.message).toBe(
      `provider response_types_supported lacks code token: enable it there${ADVICE('response_types_supported')}`,
    )
    const trusted = await withDiscovery(noCodeToken, {
      ignoreDiscoveryFor: ['response_types_supported'],
    })
    expect((await trusted.auth.login(trusted.request('GET', '/login'), override)).status).toBe(302)
  })

  it("form_post not in response_modes_supported: refused, or ignoreDiscoveryFor: ['response_modes_supported']", async () => {
    const noFormPost = (document: Record<string, unknown>) => {
      document.response_modes_supported = ['query', 'fragment']
    }
    const t = await withDiscovery(noFormPost)
    expect((await t.startLogin()).error?.message).toBe(
      `provider response_modes_supported lacks form_post: enable it there${ADVICE('response_modes_supported')}`,
    )
    const trusted = await withDiscovery(noFormPost, {
      ignoreDiscoveryFor: ['response_modes_supported'],
    })
    expect((await trusted.startLogin()).status).toBe(302)
  })

  it('ignoreDiscoveryFor names discovery lists only', () => {
    for (const ignoreDiscoveryFor of [['response_types'], 'response_types_supported', [1]]) {
      expect(() =>
        createHybridAuth({
          issuerBaseURL: 'https://op.example.test',
          baseURL: APP,
          clientID: 'app',
          clientSecret: 'client-secret',
          secret: SECRET,
          ignoreDiscoveryFor: ignoreDiscoveryFor as never,
        }),
      ).toThrow(/`ignoreDiscoveryFor` must be a list of discovery list names/)
    }
  })
})

describe('checkProvider(engine): the same check at startup, before any login', () => {
  const noNone = (document: Record<string, unknown>) => {
    document.token_endpoint_auth_methods_supported = ['client_secret_basic']
  }

  it('rejects with the advice a login would answer, having made no login', async () => {
    const t = await withDiscovery(noNone, { clientSecret: undefined })
    await expect(checkProvider(t.auth)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('lacks none: set clientSecret'),
    })
    expect(t.provider.count('/.well-known/openid-configuration')).toBe(1)
    expect(t.jar.header()).toBe('')
  })

  it('resolves for a configuration the provider supports, and honours ignoreDiscoveryFor', async () => {
    await expect(checkProvider((await withDiscovery(() => {})).auth)).resolves.toBeUndefined()
    const overruled = await withDiscovery(noNone, {
      clientSecret: undefined,
      ignoreDiscoveryFor: ['token_endpoint_auth_methods_supported'],
    })
    await expect(checkProvider(overruled.auth)).resolves.toBeUndefined()
  })

  it('checks the configured response type, in any word order', async () => {
    const t = await withDiscovery(
      (document) => {
        document.response_types_supported = ['code id_token']
      },
      { authorizationParams: { response_type: 'token code' } },
    )
    await expect(checkProvider(t.auth)).rejects.toThrow(/response_types_supported lacks code token/)
  })
})
