import { jwtVerify } from 'jose'
import {
  type ClientAuth,
  ClientSecretBasic,
  ClientSecretPost,
  None,
  PrivateKeyJwt,
} from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import {
  buildAuthorizationCodeGrantRequest,
  buildRefreshTokenGrantRequest,
  type GrantContext,
} from '../src/protocol/grant.js'
import type { Transaction, VerifiedCallback } from '../src/protocol/types.js'

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

function context(clientAuth: ClientAuth = None()): GrantContext {
  return { provider, client, clientAuth }
}

async function form(request: Request) {
  return Object.fromEntries(new URLSearchParams(await request.text()))
}

describe('buildAuthorizationCodeGrantRequest', () => {
  it('POSTs grant_type, code, redirect_uri exactly as sent, and code_verifier', async () => {
    const request = await buildAuthorizationCodeGrantRequest(context(), callback, transaction)
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://tenant.auth0.com/oauth/token')
    expect(request.headers.get('content-type')).toBe(
      'application/x-www-form-urlencoded;charset=UTF-8',
    )
    expect(request.headers.get('accept')).toBe('application/json')
    expect(await form(request)).toEqual({
      grant_type: 'authorization_code',
      code: 'SplxlOBeZQQYbYS6WxSbIA',
      redirect_uri: 'https://app.example.com/callback?tenant=a b',
      code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
      client_id: 'my client:1',
    })
  })

  it('rp-token_endpoint-client_secret_basic: authenticates in the Authorization header', async () => {
    const request = await buildAuthorizationCodeGrantRequest(
      context(ClientSecretBasic('s3cr:et')),
      callback,
      transaction,
    )
    // RFC 6749 2.3.1: form-urlencode each part, then Base64.
    expect(request.headers.get('authorization')).toBe(`Basic ${btoa('my+client%3A1:s3cr%3Aet')}`)
    const body = await form(request)
    expect(body.client_secret).toBeUndefined()
    expect(body.client_id).toBeUndefined()
  })

  it('client_secret_post: authenticates in the body', async () => {
    const request = await buildAuthorizationCodeGrantRequest(
      context(ClientSecretPost('s3cret')),
      callback,
      transaction,
    )
    expect(request.headers.get('authorization')).toBeNull()
    expect(await form(request)).toMatchObject({ client_id: 'my client:1', client_secret: 's3cret' })
  })

  it('private_key_jwt: signs an assertion for the issuer (iss = sub = client_id)', async () => {
    const { privateKey, publicKey } = (await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair
    const request = await buildAuthorizationCodeGrantRequest(
      context(PrivateKeyJwt(privateKey)),
      callback,
      transaction,
    )
    const body = await form(request)
    expect(body.client_assertion_type).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
    const { payload, protectedHeader } = await jwtVerify(body.client_assertion!, publicKey, {
      issuer: 'my client:1',
      subject: 'my client:1',
      audience: provider.issuer,
      algorithms: ['ES256'],
    })
    expect(protectedHeader.alg).toBe('ES256')
    expect(typeof payload.jti).toBe('string')
    expect(body.client_secret).toBeUndefined()
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

  it('turns a client authentication that throws into a configuration error', async () => {
    const failure = new TypeError('unusable key')
    const broken: ClientAuth = () => {
      throw failure
    }
    await expect(
      buildAuthorizationCodeGrantRequest(context(broken), callback, transaction),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', cause: failure })
  })
})

describe('buildRefreshTokenGrantRequest', () => {
  it('POSTs grant_type and refresh_token, and no scope when none is asked', async () => {
    const request = await buildRefreshTokenGrantRequest(context(ClientSecretBasic('s')), 'rt-1')
    expect(request.method).toBe('POST')
    expect(request.url).toBe('https://tenant.auth0.com/oauth/token')
    expect(request.headers.get('content-type')).toBe(
      'application/x-www-form-urlencoded;charset=UTF-8',
    )
    expect(request.headers.get('accept')).toBe('application/json')
    expect(request.headers.get('authorization')).toMatch(/^Basic /)
    expect(await form(request)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' })
  })

  it('sends a narrower scope (OIDC Core 12.1)', async () => {
    const request = await buildRefreshTokenGrantRequest(context(), 'rt-1', { scope: 'openid' })
    expect(await form(request)).toMatchObject({ scope: 'openid' })
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
    expect(await form(request)).toMatchObject({ audience: 'https://api.example.com' })
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
