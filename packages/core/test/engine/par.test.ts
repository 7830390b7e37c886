// Pushed authorization requests (RFC 9126) and signed request objects (RFC 9101) as extensions of
// the engine, against the provider fixture: what is pushed and how it is authenticated, what the
// browser gets, the refusals (no transaction is created), and the combination of the two.
import { exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import { pushedAuthorization, signedRequests } from '../../src/engine/par.js'
import { privateKeyJwt } from '../../src/engine/private-key-jwt.js'
import { baseConfig, setup, TX_COOKIE } from '../support/harness.js'

async function signingKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'rp-1' }
  return { jwk, publicKey }
}

describe('pushedAuthorization', () => {
  it('pushes every parameter, authenticated, and sends the browser with client_id and request_uri only', async () => {
    const t = await setup({ extensions: [pushedAuthorization()] })
    t.provider.par = 'on'
    const { start, callback } = await t.login(undefined, '/login?returnTo=%2Fprofile')
    const location = new URL(start.headers.get('location')!)
    expect(`${location.origin}${location.pathname}`).toBe(`${t.provider.issuer}authorize`)
    expect([...location.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(location.searchParams.get('client_id')).toBe(t.provider.clientId)
    const push = t.provider.calls.find((call) => call.path === '/oauth/par')!
    // Every authorization parameter went to the endpoint, with the client authentication.
    for (const name of [
      'response_type',
      'response_mode',
      'redirect_uri',
      'scope',
      'state',
      'nonce',
      'code_challenge',
      'code_challenge_method',
      'audience',
    ]) {
      expect(push.body.get(name), name).toBeTruthy()
    }
    expect(push.headers.get('authorization')).toMatch(/^Basic /)
    // The transaction was sealed for that request: the login completes.
    expect(callback.error).toBeUndefined()
    expect(callback.headers.get('location')).toBe('https://app.example.test/profile')
    expect((await t.session())?.sub).toBe('user-1')
  })

  it("when: 'required' pushes only for a provider that requires it", async () => {
    const t = await setup({ extensions: [pushedAuthorization({ when: 'required' })] })
    t.provider.par = 'on'
    const plain = new URL((await t.startLogin()).headers.get('location')!)
    expect(plain.searchParams.get('request_uri')).toBeNull()
    expect(plain.searchParams.get('state')).toBeTruthy()
    t.provider.par = 'required'
    // The fixture's discovery is cached by the engine: a new engine sees the new document.
    const engine = createHybridAuth({
      ...baseConfig(t),
      extensions: [pushedAuthorization({ when: 'required' })],
    })
    const { start, callback } = await (async () => {
      const start = await t.using(engine).startLogin()
      const params = await t.provider.authorize(start.headers.get('location')!)
      return { start, callback: await t.using(engine).postCallback(params) }
    })()
    expect(new URL(start.headers.get('location')!).searchParams.get('request_uri')).toMatch(
      /^urn:ietf:params:oauth:request_uri:/,
    )
    expect(callback.error).toBeUndefined()
  })

  it('a refused push answers PAR_ERROR with the provider error, and creates no transaction', async () => {
    const t = await setup({ extensions: [pushedAuthorization()] })
    t.provider.par = 'on'
    t.provider.parOverride = () =>
      Response.json(
        { error: 'invalid_request', error_description: 'redirect_uri not registered' },
        { status: 400 },
      )
    const answer = await t.startLogin()
    expect(answer.status).toBe(502)
    expect(answer.error).toMatchObject({
      code: 'PAR_ERROR',
      status: 400,
      error: 'invalid_request',
      errorDescription: 'redirect_uri not registered',
    })
    expect(answer.error!.message).toMatch(/pushed authorization request: invalid_request/)
    expect(answer.headers.get('location')).toBeNull()
    expect(answer.headers.getSetCookie()).toEqual([])
    expect(t.jar.names(TX_COOKIE)).toEqual([])
  })

  it.each([
    ['a 200 instead of 201', () => Response.json({ request_uri: 'urn:x', expires_in: 60 })],
    ['no request_uri', () => Response.json({ expires_in: 60 }, { status: 201 })],
    ['expires_in 0', () => Response.json({ request_uri: 'urn:x', expires_in: 0 }, { status: 201 })],
    [
      'not JSON',
      () => new Response('<html>', { status: 201, headers: { 'content-type': 'text/html' } }),
    ],
    ['a 500 without an OAuth error', () => new Response('oops', { status: 500 })],
  ])('%s is PAR_RESPONSE_INVALID, no transaction', async (_name, answer) => {
    const t = await setup({ extensions: [pushedAuthorization()] })
    t.provider.par = 'on'
    t.provider.parOverride = answer
    const refused = await t.startLogin()
    expect(refused.error?.code).toBe('PAR_RESPONSE_INVALID')
    expect(refused.status).toBe(502)
    expect(refused.headers.getSetCookie()).toEqual([])
  })

  it('a provider without the endpoint is CONFIG_INVALID, no transaction', async () => {
    const t = await setup({ extensions: [pushedAuthorization()] })
    const refused = await t.startLogin()
    expect(refused.error?.code).toBe('CONFIG_INVALID')
    expect(refused.error?.message).toMatch(/pushed_authorization_request_endpoint/)
    expect(refused.headers.getSetCookie()).toEqual([])
  })

  it('twice in extensions is refused at setup', async () => {
    const t = await setup()
    expect(() =>
      createHybridAuth({
        ...baseConfig(t),
        extensions: [pushedAuthorization(), pushedAuthorization({ when: 'required' })],
      }),
    ).toThrow(/pushedAuthorization\(\) is there twice/)
  })

  it('a request_uri parameter is never pushed (RFC 9126 2.1), no transaction', async () => {
    const t = await setup({
      extensions: [pushedAuthorization()],
      authorizationParams: { request_uri: 'urn:attacker' },
    })
    t.provider.par = 'on'
    const refused = await t.startLogin()
    expect(refused.error?.code).toBe('CONFIG_INVALID')
    expect(refused.headers.getSetCookie()).toEqual([])
    expect(t.provider.count('/oauth/par')).toBe(0)
  })

  it('a bad `when` is refused at setup', () => {
    expect(() => pushedAuthorization({ when: 'sometimes' as never })).toThrow(/`when`/)
  })

  it('private_key_jwt: the push carries a fresh client assertion for the issuer', async () => {
    const { jwk, publicKey } = await signingKey()
    const t = await setup({
      clientSecret: undefined,
      clientAuth: privateKeyJwt({ key: jwk }),
      extensions: [pushedAuthorization()],
    })
    t.provider.par = 'on'
    // The fixture authenticates secrets only: the push is refused, after it was sent.
    await t.startLogin()
    const push = t.provider.calls.find((call) => call.path === '/oauth/par')!
    expect(push.body.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
    const { payload } = await jwtVerify(push.body.get('client_assertion')!, publicKey, {
      issuer: t.provider.clientId,
      audience: t.provider.issuer,
    })
    expect(payload.sub).toBe(t.provider.clientId)
    expect(push.body.get('state')).toBeTruthy()
  })

  it('leaves the logout redirect alone', async () => {
    const t = await setup({ extensions: [pushedAuthorization()] })
    t.provider.par = 'on'
    await t.login()
    const logout = await t.auth.handle(t.request('GET', '/logout'))
    expect(logout?.headers.get('location')).toMatch(/\/oidc\/logout\?/)
    expect(t.provider.calls.filter((call) => call.path === '/oauth/par')).toHaveLength(1)
  })
})

describe('signedRequests', () => {
  it('sends the parameters as a signed request object, repeating response_type and scope', async () => {
    const { jwk, publicKey } = await signingKey()
    const t = await setup({
      extensions: [signedRequests({ key: jwk })],
      authorizationParams: { scope: 'openid profile offline_access', max_age: 300 },
    })
    const { start, callback } = await t.login()
    const location = new URL(start.headers.get('location')!)
    expect([...location.searchParams.keys()].sort()).toEqual([
      'client_id',
      'request',
      'response_type',
      'scope',
    ])
    const { payload, protectedHeader } = await jwtVerify(
      location.searchParams.get('request')!,
      publicKey,
      {
        issuer: t.provider.clientId,
        audience: t.provider.issuer,
        typ: 'oauth-authz-req+jwt',
        currentDate: new Date(t.clock.now * 1000),
      },
    )
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: 'rp-1' })
    expect(payload).toMatchObject({
      client_id: t.provider.clientId,
      response_type: 'code id_token',
      response_mode: 'form_post',
      redirect_uri: 'https://app.example.test/callback',
      scope: 'openid profile offline_access',
      code_challenge_method: 'S256',
      max_age: 300,
    })
    expect(payload.state).toBeTypeOf('string')
    expect(payload.nonce).toBeTypeOf('string')
    expect(payload.jti).toBeTypeOf('string')
    expect(payload.exp! - payload.iat!).toBe(60)
    expect(location.searchParams.get('scope')).toBe(payload.scope)
    expect(location.searchParams.get('response_type')).toBe(payload.response_type)
    expect(callback.error).toBeUndefined()
  })

  it('with pushedAuthorization after it, the signed object is what is pushed', async () => {
    const { jwk, publicKey } = await signingKey()
    const t = await setup({ extensions: [signedRequests({ key: jwk }), pushedAuthorization()] })
    t.provider.par = 'on'
    const { start, callback } = await t.login()
    const location = new URL(start.headers.get('location')!)
    expect([...location.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const push = t.provider.calls.find((call) => call.path === '/oauth/par')!
    expect([...push.body.keys()].sort()).toEqual(['client_id', 'request', 'response_type', 'scope'])
    await jwtVerify(push.body.get('request')!, publicKey, {
      typ: 'oauth-authz-req+jwt',
      currentDate: new Date(t.clock.now * 1000),
    })
    expect(callback.error).toBeUndefined()
  })

  it('after pushedAuthorization it is refused at setup, also with another extension between', async () => {
    const { jwk } = await signingKey()
    const t = await setup()
    const between = { engine() {} }
    for (const extensions of [
      [pushedAuthorization(), signedRequests({ key: jwk })],
      [pushedAuthorization(), between, signedRequests({ key: jwk })],
    ]) {
      expect(() => createHybridAuth({ ...baseConfig(t), extensions })).toThrow(
        /put signedRequests\(\) before pushedAuthorization\(\)/,
      )
    }
  })

  it('a key that cannot sign is refused at setup, named signedRequests', async () => {
    const { jwk } = await signingKey()
    const { d: _d, ...publicOnly } = jwk
    expect(() => signedRequests({ key: publicOnly })).toThrow(/^signedRequests: .*private part/)
    expect(() =>
      signedRequests({ key: '-----BEGIN PRIVATE KEY-----\nxx\n-----END PRIVATE KEY-----' }),
    ).toThrow(/signedRequests: .*alg|signedRequests: .*base64/)
    // A usable key still imports.
    await importJWK(jwk, 'ES256')
  })
})
