import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import {
  type AuthorizationOptions,
  type AuthorizationRandom,
  buildAuthorizationRequest,
  normalizeResponseType,
} from '../../src/protocol/authorize.js'
import type { ClientMetadata, ProviderMetadata } from '../../src/protocol/types.js'

const crypto = new WebCryptoProvider()
const NOW = 1_700_000_000

const provider: ProviderMetadata = {
  issuer: 'https://tenant.example.auth0.com/',
  authorization_endpoint: 'https://tenant.example.auth0.com/authorize',
  token_endpoint: 'https://tenant.example.auth0.com/oauth/token',
  jwks_uri: 'https://tenant.example.auth0.com/.well-known/jwks.json',
  response_types_supported: [
    'code',
    'token',
    'id_token',
    'code token',
    'code id_token',
    'token id_token',
    'code token id_token',
  ],
  response_modes_supported: ['query', 'fragment', 'form_post'],
  code_challenge_methods_supported: ['S256', 'plain'],
}

const client: ClientMetadata = {
  client_id: 'client-123',
  redirect_uri: 'https://app.example.com/callback',
}

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'

const random: AuthorizationRandom = {
  state: 'c3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3Rh',
  nonce: 'bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9u',
  codeVerifier: VERIFIER,
}

function build(
  options: AuthorizationOptions = {},
  overrides: {
    provider?: Partial<ProviderMetadata>
    client?: Partial<ClientMetadata>
    random?: Partial<AuthorizationRandom>
  } = {},
) {
  return buildAuthorizationRequest(
    { ...provider, ...overrides.provider },
    { ...client, ...overrides.client },
    options,
    { ...random, ...overrides.random },
    NOW,
    crypto,
  )
}

async function paramsOf(options: AuthorizationOptions = {}) {
  return (await build(options)).url.searchParams
}

describe('normalizeResponseType', () => {
  it.each([
    ['code id_token', 'code id_token'],
    ['id_token code', 'code id_token'],
    ['code token', 'code token'],
    ['token code', 'code token'],
    ['code id_token token', 'code id_token token'],
    ['token id_token code', 'code id_token token'],
    ['id_token  code', 'code id_token'],
    ['code', 'code'],
  ])('accepts %j as %j (MRT 3: an unordered set)', (input, expected) => {
    expect(normalizeResponseType(input)).toBe(expected)
  })

  it.each(['token', 'id_token', 'id_token token', 'none', '', 'code code id_token', 'constructor'])(
    'refuses %j',
    (input) => {
      expect(() => normalizeResponseType(input)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
    },
  )

  it('refuses a value that is not a string', () => {
    expect(() => normalizeResponseType(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })
})

describe('buildAuthorizationRequest', () => {
  it('computes the PKCE S256 challenge of the RFC 7636 Appendix B verifier', async () => {
    const params = await paramsOf()
    expect(params.get('code_challenge')).toBe(CHALLENGE)
    expect(params.get('code_challenge_method')).toBe('S256')
  })

  it('sends the defaults: code id_token, form_post, openid profile email', async () => {
    const { url } = await build()
    expect(url.origin + url.pathname).toBe('https://tenant.example.auth0.com/authorize')
    expect([...url.searchParams]).toEqual([
      ['response_type', 'code id_token'],
      ['response_mode', 'form_post'],
      ['client_id', 'client-123'],
      ['redirect_uri', 'https://app.example.com/callback'],
      ['scope', 'openid profile email'],
      ['state', random.state],
      ['nonce', random.nonce],
      ['code_challenge', CHALLENGE],
      ['code_challenge_method', 'S256'],
    ])
  })

  it('sends the normalised response_type', async () => {
    const params = await paramsOf({
      responseType: 'id_token token code' as AuthorizationOptions['responseType'],
    })
    expect(params.get('response_type')).toBe('code id_token token')
  })

  it('sends response_mode explicitly, also when it is fragment', async () => {
    expect((await paramsOf({ responseMode: 'fragment' })).get('response_mode')).toBe('fragment')
  })

  it('rp-nonce-unless-code-flow: sends a nonce for code token too', async () => {
    expect((await paramsOf({ responseType: 'code token' })).get('nonce')).toBe(random.nonce)
  })

  it('keeps the query parameters of the authorization endpoint', async () => {
    const { url } = await build(
      {},
      { provider: { authorization_endpoint: 'https://idp.example.com/auth?tenant=acme' } },
    )
    expect(url.searchParams.get('tenant')).toBe('acme')
    expect(url.searchParams.get('client_id')).toBe('client-123')
  })

  it('adds openid to a scope that lacks it', async () => {
    expect((await paramsOf({ scope: 'profile offline_access' })).get('scope')).toBe(
      'openid profile offline_access',
    )
  })

  it('removes repeated scope values', async () => {
    expect((await paramsOf({ scope: 'openid  email openid email' })).get('scope')).toBe(
      'openid email',
    )
  })

  it.each([
    ['audience', { audience: 'https://api.example.com' }, 'https://api.example.com'],
    ['organization', { organization: 'org_abc' }, 'org_abc'],
    ['invitation', { invitation: 'inv_123' }, 'inv_123'],
    ['max_age', { maxAge: 0 }, '0'],
    ['prompt', { prompt: 'login' }, 'login'],
    ['login_hint', { loginHint: 'ada@example.com' }, 'ada@example.com'],
    [
      'acr_values',
      { acrValues: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor' },
      'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
    ],
    ['ui_locales', { uiLocales: 'fr-CA en' }, 'fr-CA en'],
  ] as [string, AuthorizationOptions, string][])(
    'sends %s when given',
    async (name, options, value) => {
      const params = await paramsOf(options)
      expect(params.get(name)).toBe(value)
      expect((await paramsOf()).has(name)).toBe(false)
    },
  )

  it('does not send an optional parameter given as an empty string (RFC 6749 3.1)', async () => {
    expect((await paramsOf({ prompt: '' })).has('prompt')).toBe(false)
  })

  it('sends extra parameters after the others', async () => {
    const { url } = await build({
      audience: 'https://api.example.com',
      extra: { connection: 'github', screen_hint: 'signup' },
    })
    expect([...url.searchParams.keys()].slice(-3)).toEqual([
      'audience',
      'connection',
      'screen_hint',
    ])
    expect(url.searchParams.get('connection')).toBe('github')
  })

  it('records the transaction', async () => {
    const { transaction } = await build({
      responseType: 'code id_token token',
      scope: 'profile',
      audience: 'https://api.example.com',
      organization: 'org_abc',
      maxAge: 600,
      returnTo: '/orders',
    })
    expect(transaction).toEqual({
      state: random.state,
      nonce: random.nonce,
      codeVerifier: VERIFIER,
      responseType: 'code id_token token',
      responseMode: 'form_post',
      redirectUri: 'https://app.example.com/callback',
      issuer: 'https://tenant.example.auth0.com/',
      scope: 'openid profile',
      maxAge: 600,
      audience: 'https://api.example.com',
      organization: 'org_abc',
      returnTo: '/orders',
      createdAt: NOW,
    })
  })

  it('RFC 9449 10: keeps the DPoP private key in the transaction, never in the URL', async () => {
    const key: JsonWebKey = {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      d: 'jpsQnnGQmL-YBIffH1136cLAwWG7a6rJnnbFYJ1Xb2k',
    }
    const { url, transaction } = await build({ dpop: key, extra: { dpop_jkt: 'thumbprint' } })
    expect(transaction.dpop).toEqual(key)
    expect(url.searchParams.get('dpop_jkt')).toBe('thumbprint')
    for (const member of [key.d, key.x, key.y]) expect(url.href).not.toContain(member)
    expect([...url.searchParams.keys()]).not.toContain('dpop')
    // Without one, the transaction has none.
    expect((await build()).transaction.dpop).toBeUndefined()
  })

  it('leaves unset options out of the transaction, so it stays small JSON', async () => {
    const { transaction } = await build()
    // What the cookie holds: JSON leaves undefined values out.
    expect(Object.keys(JSON.parse(JSON.stringify(transaction))).sort()).toEqual(
      [
        'codeVerifier',
        'createdAt',
        'issuer',
        'nonce',
        'redirectUri',
        'responseMode',
        'responseType',
        'scope',
        'state',
      ].sort(),
    )
  })

  it('accepts provider metadata that lists the response type in another word order', async () => {
    const { url, transaction } = await build(
      {},
      { provider: { response_types_supported: ['id_token code'] } },
    )
    expect(url.searchParams.get('response_type')).toBe('code id_token')
    expect(transaction.responseType).toBe('code id_token')
  })

  it('needs no support lists when the provider does not publish them', async () => {
    const { url } = await build(
      {},
      {
        provider: {
          response_types_supported: undefined,
          response_modes_supported: undefined,
          code_challenge_methods_supported: undefined,
        },
      },
    )
    // The request is the usual one: hybrid, form_post, PKCE S256.
    expect(`${url.origin}${url.pathname}`).toBe(provider.authorization_endpoint)
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code id_token',
      response_mode: 'form_post',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    })
  })

  describe('configuration errors', () => {
    const invalid = { code: 'CONFIG_INVALID', name: 'ConfigurationError' }

    it('refuses a response type without code (implicit) or unknown', async () => {
      for (const responseType of ['id_token', 'id_token token', 'token', 'code code', 'none']) {
        await expect(
          build({ responseType: responseType as AuthorizationOptions['responseType'] }),
        ).rejects.toMatchObject(invalid)
      }
    })

    it('takes the plain code flow (code), with PKCE and form_post like the hybrid ones', async () => {
      const { url, transaction } = await build({ responseType: 'code' })
      expect(url.searchParams.get('response_type')).toBe('code')
      expect(url.searchParams.get('response_mode')).toBe('form_post')
      expect(url.searchParams.get('code_challenge_method')).toBe('S256')
      expect(transaction.responseType).toBe('code')
    })

    it('refuses response_mode query for every hybrid type (MRT 5), allows it for code', async () => {
      for (const responseType of ['code id_token', 'code token', 'code id_token token'] as const) {
        await expect(build({ responseType, responseMode: 'query' })).rejects.toMatchObject(invalid)
      }
      const { url, transaction } = await build({ responseType: 'code', responseMode: 'query' })
      expect(url.searchParams.get('response_mode')).toBe('query')
      expect(transaction.responseMode).toBe('query')
    })

    it('refuses a response type the provider does not list', async () => {
      await expect(
        build({}, { provider: { response_types_supported: ['code', 'code token'] } }),
      ).rejects.toMatchObject({
        ...invalid,
        message: expect.stringContaining('response_types_supported'),
      })
    })

    it('refuses a response mode the provider does not list', async () => {
      await expect(
        build({}, { provider: { response_modes_supported: ['query', 'fragment'] } }),
      ).rejects.toMatchObject({
        ...invalid,
        message: expect.stringContaining('response_modes_supported'),
      })
    })

    it('refuses a provider without S256 PKCE', async () => {
      await expect(
        build({}, { provider: { code_challenge_methods_supported: ['plain'] } }),
      ).rejects.toMatchObject({ ...invalid, message: expect.stringContaining('S256') })
    })

    it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])(
      'refuses maxAge %s',
      async (maxAge) => {
        await expect(build({ maxAge })).rejects.toMatchObject(invalid)
      },
    )

    it('refuses a scope value with characters RFC 6749 3.3 forbids', async () => {
      await expect(build({ scope: 'openid "profile"' })).rejects.toMatchObject(invalid)
    })

    it.each([
      ['state', 'AuthorizationRandom'],
      ['nonce', 'AuthorizationRandom'],
      ['code_challenge', 'codeVerifier'],
      ['code_challenge_method', 'S256'],
      ['client_id', 'client_id'],
      ['redirect_uri', 'redirect_uri'],
      ['response_type', 'responseType'],
      ['response_mode', 'responseMode'],
      ['scope', 'scope option'],
      ['max_age', 'maxAge'],
      ['organization', 'organization option'],
      ['audience', 'audience option'],
      ['login_hint', 'loginHint'],
    ])('refuses %s in extra and names what to use instead', async (name, instead) => {
      await expect(build({ extra: { [name]: 'x' } })).rejects.toMatchObject({
        ...invalid,
        message: expect.stringContaining(instead),
      })
    })

    it('refuses a scope that is not a string', async () => {
      await expect(build({ scope: ['openid'] as unknown as string })).rejects.toMatchObject(invalid)
    })

    it('refuses extra that is not an object', async () => {
      await expect(
        build({ extra: 'connection=github' as unknown as Record<string, string> }),
      ).rejects.toMatchObject(invalid)
    })

    it('refuses random values that are not an object', async () => {
      await expect(
        buildAuthorizationRequest(
          provider,
          client,
          {},
          null as unknown as AuthorizationRandom,
          NOW,
          crypto,
        ),
      ).rejects.toMatchObject({ ...invalid, message: expect.stringContaining('state') })
    })

    it('refuses an extra parameter whose value is not a string', async () => {
      await expect(build({ extra: { connection: 1 as unknown as string } })).rejects.toMatchObject(
        invalid,
      )
    })

    it('refuses an extra parameter with an empty name', async () => {
      await expect(build({ extra: { '': 'x' } })).rejects.toMatchObject(invalid)
    })

    it('refuses an option that is not a string', async () => {
      await expect(build({ prompt: 1 as unknown as string })).rejects.toMatchObject(invalid)
    })

    it.each([
      ['state', { state: 'c2hvcnQ' }],
      ['state', { state: `${'a'.repeat(42)}=` }],
      ['state', { state: 'a'.repeat(513) }],
      ['nonce', { nonce: 'bm9uY2U' }],
      ['nonce', { nonce: `${'a'.repeat(43)}.` }],
      ['codeVerifier', { codeVerifier: VERIFIER.slice(0, 42) }],
      ['codeVerifier', { codeVerifier: 'a'.repeat(129) }],
      ['codeVerifier', { codeVerifier: `${VERIFIER}+` }],
    ] as [string, Partial<AuthorizationRandom>][])(
      'refuses a weak or malformed %s',
      async (name, bad) => {
        await expect(build({}, { random: bad })).rejects.toMatchObject({
          ...invalid,
          message: expect.stringContaining(name),
        })
      },
    )

    it('accepts every RFC 7636 verifier character', async () => {
      const codeVerifier = `${'a'.repeat(40)}-._~`
      const { url, transaction } = await build({}, { random: { codeVerifier } })
      // Kept as given, and its S256 challenge sent (computed here with node:crypto).
      expect(transaction.codeVerifier).toBe(codeVerifier)
      expect(url.searchParams.get('code_challenge')).toBe(
        createHash('sha256').update(codeVerifier).digest('base64url'),
      )
    })

    it('refuses an empty client_id', async () => {
      await expect(build({}, { client: { client_id: '' } })).rejects.toMatchObject(invalid)
    })

    it.each(['/callback', 'https://app.example.com/callback#x'])(
      'refuses redirect_uri %j (RFC 6749 3.1.2: absolute, no fragment)',
      async (redirectUri) => {
        await expect(build({}, { client: { redirect_uri: redirectUri } })).rejects.toMatchObject(
          invalid,
        )
      },
    )

    it('refuses an authorization_endpoint that is not an absolute URL', async () => {
      await expect(
        build({}, { provider: { authorization_endpoint: '/authorize' } }),
      ).rejects.toMatchObject(invalid)
    })
  })
})

describe('buildAuthorizationRequest: a required acr (OIDC Core 5.5.1.1)', () => {
  const essential = (acr: Record<string, unknown>) =>
    JSON.stringify({ id_token: { acr }, userinfo: { email: null } })

  it('keeps the values of an essential acr in the transaction, and sends claims as given', async () => {
    const claims = essential({ essential: true, values: ['urn:mfa', 'urn:hwk'] })
    const { url, transaction } = await build({ acrValues: 'urn:mfa', extra: { claims } })
    expect(transaction.acr).toEqual(['urn:mfa', 'urn:hwk'])
    expect(url.searchParams.get('claims')).toBe(claims)
    expect(url.searchParams.get('acr_values')).toBe('urn:mfa')
  })

  it('keeps the value of an essential acr', async () => {
    const { transaction } = await build({
      extra: { claims: essential({ essential: true, value: 'urn:mfa' }) },
    })
    expect(transaction.acr).toBe('urn:mfa')
  })

  it.each([
    ['acr_values alone (a voluntary hint)', { acrValues: 'urn:mfa' }],
    ['a voluntary acr in claims', { extra: { claims: essential({ values: ['urn:mfa'] }) } }],
    ['claims that are not JSON', { extra: { claims: '{id_token' } }],
    ['claims without id_token', { extra: { claims: '{"userinfo":{"acr":{"essential":true}}}' } }],
  ] as const)('requires no acr for %s', async (_, options) => {
    const { transaction } = await build(options as AuthorizationOptions)
    expect(transaction.acr).toBeUndefined()
    expect(Object.keys(JSON.parse(JSON.stringify(transaction)))).not.toContain('acr')
  })
})
