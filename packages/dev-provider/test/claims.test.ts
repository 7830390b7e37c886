import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevProvider, defaultUsers, start } from '../src/index.js'
import { type Discovery, decodeJwt, discover, login, redeemCode } from './helpers.js'

const API = 'https://api.example.com'

describe('claims', () => {
  describe('defaults', () => {
    let op: DevProvider
    let discovery: Discovery

    beforeAll(async () => {
      op = await start()
      discovery = await discover(op.issuer)
    })
    afterAll(() => op.close())

    it('adds the seed rule: http://fiz/baz to ID tokens, http://foo/bar to access tokens', async () => {
      const { response, verifier } = await login(discovery, {
        audience: API,
        scope: 'openid read:messages',
      })
      const frontChannel = decodeJwt(response.get('id_token')!)
      expect(frontChannel['http://fiz/baz']).toBe('some other value')
      expect(frontChannel).not.toHaveProperty('http://foo/bar')
      const tokens = await redeemCode(discovery, response.get('code')!, verifier)
      expect(decodeJwt(tokens.json.id_token!)['http://fiz/baz']).toBe('some other value')
      const accessToken = decodeJwt(tokens.json.access_token!)
      expect(accessToken['http://foo/bar']).toBe('value')
      expect(accessToken).not.toHaveProperty('http://fiz/baz')
    })

    it('puts profile and email claims into the ID token, as Auth0 does', async () => {
      const { response } = await login(discovery, { scope: 'openid profile email' })
      expect(decodeJwt(response.get('id_token')!)).toMatchObject({
        sub: 'auth0|demo-user',
        name: 'Demo User',
        nickname: 'demo',
        email: 'demo@example.com',
        email_verified: true,
      })
    })

    it('puts only the claims of the requested scopes into the ID token', async () => {
      const { response } = await login(discovery, { scope: 'openid' })
      const claims = decodeJwt(response.get('id_token')!)
      expect(claims).not.toHaveProperty('email')
      expect(claims).not.toHaveProperty('name')
    })
  })

  it('calls the customClaims hook with the user, client, token type and scope', async () => {
    const op = await start({
      users: [
        ...defaultUsers(),
        { sub: 'auth0|alice', email: 'alice@example.com', password: 'alice-password' },
      ],
      customClaims: ({ user, client, token, scope }) =>
        token === 'id_token'
          ? { 'https://example.com/roles': user.sub === 'auth0|alice' ? ['admin'] : [] }
          : { 'https://example.com/seen': `${client.client_id} ${scope}` },
    })
    try {
      const discovery = await discover(op.issuer)
      const { response, verifier } = await login(
        discovery,
        { audience: API, scope: 'openid read:messages' },
        { credentials: { email: 'alice@example.com', password: 'alice-password' } },
      )
      expect(decodeJwt(response.get('id_token')!)['https://example.com/roles']).toEqual(['admin'])
      const tokens = await redeemCode(discovery, response.get('code')!, verifier)
      expect(decodeJwt(tokens.json.access_token!)['https://example.com/seen']).toBe(
        'demo-app read:messages',
      )
    } finally {
      await op.close()
    }
  })

  it('never lets the hook override registered claims', async () => {
    const op = await start({ customClaims: () => ({ sub: 'forged', iss: 'https://evil.example' }) })
    try {
      const discovery = await discover(op.issuer)
      const { response, verifier } = await login(discovery, { audience: API, scope: 'openid' })
      expect(decodeJwt(response.get('id_token')!)).toMatchObject({
        sub: 'auth0|demo-user',
        iss: op.issuer,
      })
      const tokens = await redeemCode(discovery, response.get('code')!, verifier)
      expect(decodeJwt(tokens.json.access_token!)).toMatchObject({
        sub: 'auth0|demo-user',
        iss: op.issuer,
      })
    } finally {
      await op.close()
    }
  })
})

describe("codeIdTokenClaims: 'minimal'", () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ codeIdTokenClaims: 'minimal' })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('the code exchange ID token has only the protocol claims; the front-channel one keeps them', async () => {
    const { response, verifier } = await login(discovery, {
      scope: 'openid profile email',
      max_age: '600',
    })
    const frontChannel = decodeJwt(response.get('id_token')!)
    expect(frontChannel).toMatchObject({
      name: 'Demo User',
      email: 'demo@example.com',
      'http://fiz/baz': 'some other value',
    })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(tokens.status).toBe(200)
    const claims = decodeJwt(tokens.json.id_token!)
    expect(claims).toMatchObject({
      iss: frontChannel.iss,
      sub: frontChannel.sub,
      aud: frontChannel.aud,
      auth_time: frontChannel.auth_time,
      nonce: frontChannel.nonce,
    })
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'auth_time',
      'exp',
      'iat',
      'iss',
      'nonce',
      'sub',
    ])
    // userinfo answers the profile claims.
    const info = await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.json.access_token}` },
    })
    expect(await info.json()).toMatchObject({ name: 'Demo User', email: 'demo@example.com' })
  })
})

describe('a large groups claim', () => {
  it('puts 150 groups from the customClaims hook into every ID token', async () => {
    const groups = Array.from({ length: 150 }, (_, i) => `group-${String(i).padStart(3, '0')}`)
    const op = await start({
      customClaims: ({ token }) => (token === 'id_token' ? { groups } : {}),
    })
    try {
      const discovery = await discover(op.issuer)
      const { response, verifier } = await login(discovery, { scope: 'openid' })
      expect(decodeJwt(response.get('id_token')!).groups).toEqual(groups)
      const tokens = await redeemCode(discovery, response.get('code')!, verifier)
      expect(decodeJwt(tokens.json.id_token!).groups).toEqual(groups)
    } finally {
      await op.close()
    }
  })
})
