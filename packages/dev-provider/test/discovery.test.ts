import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevProvider, start } from '../src/index.js'
import { type Discovery, decodeProtectedHeader, discover, login, verifyJwt } from './helpers.js'

describe('discovery and keys', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start()
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('listens on 127.0.0.1 and uses an issuer with a trailing slash, like Auth0', () => {
    expect(op.url).toBe(`http://127.0.0.1:${op.port}`)
    expect(op.issuer).toBe(`http://127.0.0.1:${op.port}/`)
  })

  it('serves discovery under the issuer, repeating the issuer exactly', () => {
    expect(discovery.issuer).toBe(op.issuer)
  })

  it('advertises the hybrid response types and form_post', () => {
    expect(discovery.response_types_supported).toEqual(
      expect.arrayContaining(['code id_token', 'code token', 'code id_token token', 'code']),
    )
    expect(discovery.response_modes_supported).toContain('form_post')
  })

  it('advertises S256 PKCE, RFC 9207 iss, RP-initiated and back-channel logout', () => {
    expect(discovery.code_challenge_methods_supported).toEqual(['S256'])
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true)
    expect(discovery.end_session_endpoint).toBe(`${op.issuer}oidc/logout`)
    // Back-Channel Logout 1.0 2.1: what an RP reads before registering a backchannel_logout_uri.
    expect(discovery).toMatchObject({
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    })
  })

  it('publishes one RS256 public signing key and no private parts', async () => {
    const jwks = (await (await fetch(discovery.jwks_uri)).json()) as {
      keys: Record<string, unknown>[]
    }
    expect(jwks.keys).toHaveLength(1)
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' })
    expect(jwks.keys[0]).not.toHaveProperty('d')
  })

  it('requires PKCE from confidential clients too', async () => {
    const { response } = await login(discovery, { code_challenge: '', code_challenge_method: '' })
    expect(response.get('error')).toBe('invalid_request')
    expect(response.get('error_description')).toMatch(/PKCE/)
  })
})

describe('signingAlg ES256', () => {
  it('signs ID tokens with a P-256 key', async () => {
    const op = await start({ signingAlg: 'ES256' })
    try {
      const discovery = await discover(op.issuer)
      expect(discovery.id_token_signing_alg_values_supported).toContain('ES256')
      const { response } = await login(discovery)
      const idToken = response.get('id_token')!
      expect(decodeProtectedHeader(idToken).alg).toBe('ES256')
      await expect(verifyJwt(discovery, idToken, 'demo-app')).resolves.toMatchObject({
        sub: 'auth0|demo-user',
      })
    } finally {
      await op.close()
    }
  })
})

describe('pushed and signed authorization requests', () => {
  it('PAR is offered by default, not required, and request objects are off', async () => {
    const op = await start()
    try {
      const discovery = await discover(op.issuer)
      expect(discovery.pushed_authorization_request_endpoint).toBe(`${op.issuer}oauth/par`)
      expect(discovery.require_pushed_authorization_requests).not.toBe(true)
      expect(discovery.request_parameter_supported).not.toBe(true)
    } finally {
      await op.close()
    }
  })

  it("'required' is advertised and enforced: a plain authorization request is refused", async () => {
    const op = await start({ pushedAuthorizationRequests: 'required', requestObjects: 'required' })
    try {
      const discovery = await discover(op.issuer)
      expect(discovery.require_pushed_authorization_requests).toBe(true)
      expect(discovery.require_signed_request_object).toBe(true)
      expect(discovery.request_parameter_supported).toBe(true)
      const url = new URL('authorize', op.issuer)
      url.search = new URLSearchParams({
        client_id: op.clients[0]!.client_id,
        response_type: 'code id_token',
        scope: 'openid',
        redirect_uri: op.clients[0]!.redirect_uris[0]!,
        nonce: 'n',
      }).toString()
      const answer = await fetch(url, { redirect: 'manual' })
      // Refused to the client (an error response), never a login page.
      const body =
        answer.status === 200 ? await answer.text() : (answer.headers.get('location') ?? '')
      expect(body).toMatch(/invalid_request/)
    } finally {
      await op.close()
    }
  })

  it('refuses unknown values', async () => {
    await expect(start({ pushedAuthorizationRequests: 'always' as never })).rejects.toThrow(
      /pushedAuthorizationRequests/,
    )
    await expect(start({ requestObjects: true as never })).rejects.toThrow(/requestObjects/)
  })
})
