import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevProvider, defaultClients, start } from '../src/index.js'
import {
  basicAuth,
  DEMO_SECRET,
  type Discovery,
  decodeJwt,
  discover,
  halfHash,
  login,
  redeemCode,
  tokenRequest,
  verifyJwt,
} from './helpers.js'

const REDIRECT_URI = 'http://localhost:3000/callback'

describe('hybrid flow with response_mode=form_post', () => {
  let op: DevProvider
  let discovery: Discovery
  let clientKey: CryptoKey

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    clientKey = privateKey
    const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', kid: 'demo-app-jwt-key' }
    op = await start({ clients: defaultClients({ privateKeyJwtJwks: { keys: [jwk] } }) })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('code id_token: posts code and an ID token whose c_hash matches the code', async () => {
    const { action, response, nonce, state, verifier } = await login(discovery, {
      response_type: 'code id_token',
    })
    expect(action).toBe(REDIRECT_URI)
    expect(response.get('state')).toBe(state)
    expect(response.has('access_token')).toBe(false)
    const code = response.get('code')!
    const claims = await verifyJwt(discovery, response.get('id_token')!, 'demo-app')
    expect(claims).toMatchObject({ iss: op.issuer, sub: 'auth0|demo-user', nonce })
    expect(claims.c_hash).toBe(halfHash(code))
    const tokens = await redeemCode(discovery, code, verifier)
    expect(tokens.status).toBe(200)
    expect(decodeJwt(tokens.json.id_token!).sub).toBe('auth0|demo-user')
  })

  it('code token: posts code, an access token and the RFC 9207 iss parameter', async () => {
    const { response, verifier } = await login(discovery, { response_type: 'code token' })
    expect(response.has('id_token')).toBe(false)
    expect(response.get('iss')).toBe(op.issuer)
    expect(response.get('token_type')).toBe('Bearer')
    expect(response.get('access_token')).toBeTruthy()
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.status).toBe(200)
  })

  it('code id_token token: the ID token carries c_hash and at_hash', async () => {
    const { response, verifier } = await login(discovery, {
      response_type: 'code id_token token',
    })
    const claims = await verifyJwt(discovery, response.get('id_token')!, 'demo-app')
    expect(claims.c_hash).toBe(halfHash(response.get('code')!))
    expect(claims.at_hash).toBe(halfHash(response.get('access_token')!))
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.status).toBe(200)
  })

  it('code: the authorization code flow works too', async () => {
    const { response, verifier } = await login(discovery, { response_type: 'code' })
    expect([...response.keys()].sort()).toEqual(['code', 'iss', 'state'])
    expect((await redeemCode(discovery, response.get('code')!, verifier)).status).toBe(200)
  })

  it('rejects a code_verifier that does not match the code_challenge', async () => {
    const { response } = await login(discovery)
    const tokens = await redeemCode(discovery, response.get('code')!, 'x'.repeat(43))
    expect(tokens.json.error).toBe('invalid_grant')
  })

  it('client_secret_basic: rejects a wrong secret', async () => {
    const { response, verifier } = await login(discovery)
    const tokens = await tokenRequest(
      discovery,
      {
        grant_type: 'authorization_code',
        code: response.get('code')!,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      },
      basicAuth('demo-app', `${DEMO_SECRET}-wrong`),
    )
    expect(tokens.status).toBe(401)
    expect(tokens.json.error).toBe('invalid_client')
  })

  it('client_secret_post: demo-app-post redeems its code with the secret in the body', async () => {
    const { response, verifier } = await login(discovery, { client_id: 'demo-app-post' })
    const tokens = await tokenRequest(discovery, {
      grant_type: 'authorization_code',
      code: response.get('code')!,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: 'demo-app-post',
      client_secret: op.clients.find((c) => c.client_id === 'demo-app-post')!.client_secret!,
    })
    expect(tokens.status).toBe(200)
    expect(decodeJwt(tokens.json.id_token!).aud).toBe('demo-app-post')
  })

  it('private_key_jwt: demo-app-jwt redeems its code with a signed client assertion', async () => {
    const { response, verifier } = await login(discovery, { client_id: 'demo-app-jwt' })
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'demo-app-jwt-key' })
      .setIssuer('demo-app-jwt')
      .setSubject('demo-app-jwt')
      .setAudience(op.issuer)
      .setJti(randomBytes(16).toString('base64url'))
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(clientKey)
    const tokens = await tokenRequest(discovery, {
      grant_type: 'authorization_code',
      code: response.get('code')!,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: 'demo-app-jwt',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    })
    expect(tokens.status).toBe(200)
    expect(decodeJwt(tokens.json.id_token!).aud).toBe('demo-app-jwt')
  })

  it('leaves demo-app-jwt out when no keys are given', () => {
    expect(defaultClients().map((client) => client.client_id)).toEqual([
      'demo-app',
      'demo-app-post',
    ])
  })
})
