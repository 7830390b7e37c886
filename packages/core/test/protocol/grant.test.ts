import { describe, expect, it } from 'vitest'
import {
  buildAuthorizationCodeGrantRequest,
  buildRefreshTokenGrantRequest,
  type GrantContext,
} from '../../src/protocol/grant.js'
import type {
  ClientAuthentication,
  HttpRequest,
  Transaction,
  VerifiedCallback,
} from '../../src/protocol/types.js'

const provider = {
  issuer: 'https://tenant.auth0.com/',
  authorization_endpoint: 'https://tenant.auth0.com/authorize',
  token_endpoint: 'https://tenant.auth0.com/oauth/token',
  jwks_uri: 'https://tenant.auth0.com/.well-known/jwks.json',
}

const client = {
  client_id: 'my client:1',
  // Deliberately not the transaction's: the code grant must repeat what the login sent.
  redirect_uri: 'https://app.example.com/configured',
}

const transaction: Transaction = {
  state: 'state-value',
  nonce: 'nonce-value',
  codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  responseType: 'code id_token',
  responseMode: 'form_post',
  redirectUri: 'https://app.example.com/callback?tenant=a b',
  issuer: provider.issuer,
  scope: 'openid profile',
  createdAt: 1_700_000_000,
}

const callback = { state: 'state-value', code: 'SplxlOBeZQQYbYS6WxSbIA' } as VerifiedCallback

function context(clientAuth: ClientAuthentication = { method: 'none' }): GrantContext {
  return { provider, client, clientAuth }
}

function form(request: HttpRequest) {
  return Object.fromEntries(new URLSearchParams(request.body))
}

const basic = (secret: string) => ({ method: 'client_secret_basic', secret }) as const

/** The headers and the grant's own body of every authorization_code request in this file. */
const FORM_HEADERS = {
  'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
  accept: 'application/json',
}
const CODE_GRANT = {
  grant_type: 'authorization_code',
  code: 'SplxlOBeZQQYbYS6WxSbIA',
  redirect_uri: 'https://app.example.com/callback?tenant=a b',
  code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
}

describe('buildAuthorizationCodeGrantRequest', () => {
  it('POSTs grant_type, code, redirect_uri exactly as sent, and code_verifier', async () => {
    const request = await buildAuthorizationCodeGrantRequest(context(), callback, transaction)
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://tenant.auth0.com/oauth/token')
    // client authentication `none`: only the client_id, in the body (RFC 6749 2.3, OIDC Core 9).
    expect(request.headers).toEqual(FORM_HEADERS)
    expect(form(request)).toEqual({ ...CODE_GRANT, client_id: 'my client:1' })
  })

  it('rp-token_endpoint-client_secret_basic: authenticates in the Authorization header', async () => {
    const request = await buildAuthorizationCodeGrantRequest(
      context(basic('s3cr:et')),
      callback,
      transaction,
    )
    // RFC 6749 2.3.1: form-urlencode each part, then Base64.
    expect(request.headers.authorization).toBe(`Basic ${btoa('my+client%3A1:s3cr%3Aet')}`)
    const body = form(request)
    expect(body.client_secret).toBeUndefined()
    expect(body.client_id).toBeUndefined()
  })

  it.each([
    ['a=b&c', 'p@ss wörd:%+=', 'a%3Db%26c:p%40ss+w%C3%B6rd%3A%25%2B%3D'],
    ['client', '', 'client:'],
  ])(
    'client_secret_basic form-urlencodes id %j and secret %j before Base64 (RFC 6749 2.3.1)',
    async (id, secret, encoded) => {
      const request = await buildAuthorizationCodeGrantRequest(
        { provider, client: { ...client, client_id: id }, clientAuth: basic(secret) },
        callback,
        transaction,
      )
      const credentials = atob(request.headers.authorization!.replace(/^Basic /, ''))
      expect(credentials).toBe(encoded)
      const [decodedId, decodedSecret, ...rest] = credentials
        .split(':')
        .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
      expect([decodedId, decodedSecret, rest]).toEqual([id, secret, []])
    },
  )

  it('client_secret_post: authenticates in the body', async () => {
    const request = await buildAuthorizationCodeGrantRequest(
      context({ method: 'client_secret_post', secret: 's3cret' }),
      callback,
      transaction,
    )
    expect(request.headers.authorization).toBeUndefined()
    expect(form(request)).toMatchObject({ client_id: 'my client:1', client_secret: 's3cret' })
  })

  it('custom: leaves the authentication to the sender (applyClientAuth), and stays deterministic', async () => {
    const build = () =>
      buildAuthorizationCodeGrantRequest(context({ method: 'custom' }), callback, transaction)
    const request = await build()
    expect(request.applyClientAuth).toBe(true)
    expect(request.headers).toEqual(FORM_HEADERS)
    // Nothing signed or random here: the engine applies `clientAuth` when it sends.
    expect(form(request)).toEqual(CODE_GRANT)
    expect(await build()).toEqual(request)
  })

  it('the other methods are applied here: no request asks the sender to apply one', async () => {
    for (const clientAuth of [basic('s'), { method: 'none' as const }]) {
      const request = await buildRefreshTokenGrantRequest(context(clientAuth), 'rt-1')
      expect(request.applyClientAuth).toBeUndefined()
    }
  })

  it('rejects a token_endpoint that is not a URL', async () => {
    await expect(
      buildAuthorizationCodeGrantRequest(
        { ...context(), provider: { ...provider, token_endpoint: '/oauth/token' } },
        callback,
        transaction,
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })
})

describe('buildRefreshTokenGrantRequest', () => {
  it('POSTs grant_type and refresh_token, and no scope when none is asked', async () => {
    const request = await buildRefreshTokenGrantRequest(context(basic('s')), 'rt-1')
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://tenant.auth0.com/oauth/token')
    expect(request.headers).toEqual({
      'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
      accept: 'application/json',
      authorization: `Basic ${btoa('my+client%3A1:s')}`,
    })
    expect(form(request)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' })
  })

  it('sends a narrower scope (OIDC Core 12.1)', async () => {
    const request = await buildRefreshTokenGrantRequest(context(), 'rt-1', { scope: 'openid' })
    expect(form(request)).toMatchObject({ scope: 'openid' })
  })

  it('rejects an empty scope', async () => {
    await expect(
      buildRefreshTokenGrantRequest(context(), 'rt-1', { scope: ' ' }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('sends extra parameters', async () => {
    const request = await buildRefreshTokenGrantRequest(context(), 'rt-1', {
      extra: { audience: 'https://api.example.com' },
    })
    expect(form(request)).toMatchObject({ audience: 'https://api.example.com' })
  })

  it.each([
    'grant_type',
    'code',
    'refresh_token',
    'redirect_uri',
    'code_verifier',
    'client_id',
    'client_secret',
    'client_assertion',
    'client_assertion_type',
  ])(
    'refuses an extra %s that would replace the grant or the client authentication',
    async (name) => {
      await expect(
        buildRefreshTokenGrantRequest(context(), 'rt-1', { extra: { [name]: 'x' } }),
      ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    },
  )

  it('rejects an empty refresh token', async () => {
    await expect(buildRefreshTokenGrantRequest(context(), '')).rejects.toMatchObject({
      code: 'REFRESH_TOKEN_MISSING',
    })
  })
})
