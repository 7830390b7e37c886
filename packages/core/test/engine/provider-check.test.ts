// Problems said before the user types a password (issue 18 item 4): a configuration the
// provider's discovery document does not support is refused at first use, before any login
// redirect, and logged once; `checkProvider(engine)` makes the same check at startup;
// `ignoreDiscoveryFor` overrules a provider that supports more than it lists. (A provider that
// does not answer at all: engine/http.test.ts.)
import { describe, expect, it } from 'vitest'
import type { HybridAuthConfig, LogEntry } from '../../src/engine/config.js'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import { checkProvider } from '../../src/engine/provider-check.js'
import { MINIMAL_CONFIG, setup, TX_COOKIE } from '../support/harness.js'

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
    const response = await t.startLogin()
    expect(response.status).toBe(302)
    // Through to the provider's login page, with a transaction started for the callback.
    const location = new URL(response.headers.get('location')!)
    expect(`${location.origin}${location.pathname}`).toBe('https://op.example.test/authorize')
    expect(location.searchParams.get('client_id')).toBe(t.provider.clientId)
    expect(t.jar.names(TX_COOKIE)).toHaveLength(1)
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
        createHybridAuth({ ...MINIMAL_CONFIG, ignoreDiscoveryFor: ignoreDiscoveryFor as never }),
      ).toThrow(/`ignoreDiscoveryFor` must be a list of discovery field names/)
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
    // Resolving means checked: the discovery document was fetched (once), no login was made.
    const supported = await withDiscovery(() => {})
    await expect(checkProvider(supported.auth)).resolves.toBeUndefined()
    expect(supported.provider.calls.map((c) => c.path)).toEqual([
      '/.well-known/openid-configuration',
    ])
    const overruled = await withDiscovery(noNone, {
      clientSecret: undefined,
      ignoreDiscoveryFor: ['token_endpoint_auth_methods_supported'],
    })
    await expect(checkProvider(overruled.auth)).resolves.toBeUndefined()
    expect(overruled.provider.count('/.well-known/openid-configuration')).toBe(1)
    // Without the overrule the same provider is refused: the overrule is what let it through.
    const strict = await withDiscovery(noNone, { clientSecret: undefined })
    await expect(checkProvider(strict.auth)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
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
