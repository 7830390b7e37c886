import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CookieJar, type DevProvider, defaultUsers, start } from '../src/index.js'
import {
  basicAuth,
  DEMO_SECRET,
  type Discovery,
  decodeJwt,
  discover,
  login,
  redeemCode,
  tokenRequest,
} from './helpers.js'

describe('organizations', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({
      organizations: [
        { id: 'org_acme', name: 'acme' },
        { id: 'org_globex', name: 'globex' },
        { id: 'org_initech', name: 'Initech' },
      ],
      users: [{ ...defaultUsers()[0]!, organizations: ['org_acme', 'org_initech'] }],
    })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  it('puts org_id and org_name into the ID tokens and org_id into the access token', async () => {
    const { response, verifier } = await login(discovery, {
      organization: 'org_acme',
      audience: 'https://api.example.com',
      scope: 'openid offline_access read:messages',
    })
    expect(decodeJwt(response.get('id_token')!)).toMatchObject({
      org_id: 'org_acme',
      org_name: 'acme',
    })
    const tokens = await redeemCode(discovery, response.get('code')!, verifier)
    expect(decodeJwt(tokens.json.id_token!)).toMatchObject({ org_id: 'org_acme', org_name: 'acme' })
    expect(decodeJwt(tokens.json.access_token!).org_id).toBe('org_acme')

    const refreshed = await tokenRequest(
      discovery,
      { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token! },
      basicAuth('demo-app', DEMO_SECRET),
    )
    expect(decodeJwt(refreshed.json.id_token!).org_id).toBe('org_acme')
  })

  it('accepts an organization name in any case and puts it lower-cased in org_name', async () => {
    const { response } = await login(discovery, { organization: 'INITECH' })
    expect(decodeJwt(response.get('id_token')!)).toMatchObject({
      org_id: 'org_initech',
      org_name: 'initech',
    })
  })

  it('has no organization claims when none was requested', async () => {
    const { response } = await login(discovery)
    const claims = decodeJwt(response.get('id_token')!)
    expect(claims).not.toHaveProperty('org_id')
    expect(claims).not.toHaveProperty('org_name')
  })

  it('answers an unknown organization with access_denied', async () => {
    const { response, state } = await login(discovery, { organization: 'org_nope' })
    expect(response.get('error')).toBe('access_denied')
    expect(response.get('state')).toBe(state)
  })

  it('answers an organization the user is not a member of with access_denied', async () => {
    const { response } = await login(discovery, { organization: 'org_globex' })
    expect(response.get('error')).toBe('access_denied')
    expect(response.get('error_description')).toMatch(/not a member/)
    expect(response.has('code')).toBe(false)
  })

  it('checks membership for an existing session too', async () => {
    const cookieJar = new CookieJar()
    await login(discovery, { organization: 'org_acme' }, { cookieJar })
    const { response } = await login(discovery, { organization: 'org_globex' }, { cookieJar })
    expect(response.get('error')).toBe('access_denied')
  })

  it('keeps organizations apart within one session', async () => {
    const cookieJar = new CookieJar()
    await login(discovery, { organization: 'org_acme' }, { cookieJar })
    const { response } = await login(discovery, { organization: 'org_initech' }, { cookieJar })
    expect(decodeJwt(response.get('id_token')!).org_id).toBe('org_initech')
    const plain = await login(discovery, {}, { cookieJar })
    expect(decodeJwt(plain.response.get('id_token')!)).not.toHaveProperty('org_id')
  })
})
