import { describe, expect, it } from 'vitest'
import { buildLogoutUrl, type LogoutOptions } from '../../src/protocol/logout.js'
import { type Effect, transition } from '../../src/protocol/machine.js'
import type { ProtocolContext, ProviderMetadata, Session } from '../../src/protocol/types.js'

const client = { client_id: 'my-client' }

const auth0: ProviderMetadata = {
  issuer: 'https://tenant.auth0.com/',
  authorization_endpoint: 'https://tenant.auth0.com/authorize',
  token_endpoint: 'https://tenant.auth0.com/oauth/token',
  jwks_uri: 'https://tenant.auth0.com/.well-known/jwks.json',
}

const oidc: ProviderMetadata = {
  issuer: 'https://idp.example.com',
  authorization_endpoint: 'https://idp.example.com/authorize',
  token_endpoint: 'https://idp.example.com/token',
  jwks_uri: 'https://idp.example.com/jwks',
  end_session_endpoint: 'https://idp.example.com/logout',
}

const full = {
  idTokenHint: 'eyJ.eyJ.sig',
  postLogoutRedirectUri: 'https://app.example.com/bye',
  state: 'af0ifjsldkj',
}

function params(url: URL | undefined) {
  return Object.fromEntries(url?.searchParams ?? [])
}

describe('buildLogoutUrl', () => {
  it('RP-Initiated Logout: sends id_token_hint, client_id, post_logout_redirect_uri, state', () => {
    const url = buildLogoutUrl(oidc, client, full)
    expect(url?.origin + (url?.pathname ?? '')).toBe('https://idp.example.com/logout')
    expect(params(url)).toEqual({
      id_token_hint: 'eyJ.eyJ.sig',
      client_id: 'my-client',
      post_logout_redirect_uri: 'https://app.example.com/bye',
      state: 'af0ifjsldkj',
    })
  })

  it('RP-Initiated Logout: leaves out what was not given', () => {
    expect(params(buildLogoutUrl(oidc, client, {}))).toEqual({ client_id: 'my-client' })
  })

  it("RP-Initiated Logout: keeps the endpoint's own query", () => {
    const provider = { ...oidc, end_session_endpoint: 'https://idp.example.com/logout?p=B2C_1' }
    expect(params(buildLogoutUrl(provider, client, {}))).toEqual({
      p: 'B2C_1',
      client_id: 'my-client',
    })
  })

  it('prefers end_session_endpoint on an Auth0 issuer that lists one', () => {
    const provider = { ...auth0, end_session_endpoint: 'https://tenant.auth0.com/oidc/logout' }
    expect(buildLogoutUrl(provider, client, full)?.pathname).toBe('/oidc/logout')
  })

  it('Auth0: uses /v2/logout with client_id and returnTo when there is no end_session_endpoint', () => {
    const url = buildLogoutUrl(auth0, client, full)
    expect(url?.href.split('?')[0]).toBe('https://tenant.auth0.com/v2/logout')
    expect(params(url)).toEqual({
      client_id: 'my-client',
      returnTo: 'https://app.example.com/bye',
    })
  })

  it('Auth0: builds the same URL from an issuer without trailing slash', () => {
    const url = buildLogoutUrl({ ...auth0, issuer: 'https://tenant.auth0.com' }, client, full)
    expect(url?.href.split('?')[0]).toBe('https://tenant.auth0.com/v2/logout')
  })

  it('Auth0: recognises regional tenants', () => {
    const provider = { ...auth0, issuer: 'https://tenant.eu.auth0.com/' }
    expect(buildLogoutUrl(provider, client, full)?.href.split('?')[0]).toBe(
      'https://tenant.eu.auth0.com/v2/logout',
    )
  })

  it('returns undefined (local logout only) for another provider without end_session_endpoint', () => {
    const { end_session_endpoint: _, ...provider } = oidc
    expect(buildLogoutUrl(provider, client, full)).toBeUndefined()
  })

  it('does not take a host that merely ends with auth0.com for Auth0', () => {
    const provider = { ...auth0, issuer: 'https://notauth0.com/' }
    expect(buildLogoutUrl(provider, client, full)).toBeUndefined()
  })

  it("mode 'oidc' without end_session_endpoint is a configuration error", () => {
    expect(() => buildLogoutUrl(auth0, client, { ...full, mode: 'oidc' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it("mode 'oidc' uses end_session_endpoint", () => {
    expect(buildLogoutUrl(oidc, client, { ...full, mode: 'oidc' })?.pathname).toBe('/logout')
  })

  it("mode 'auth0' uses /v2/logout on a custom domain, even with an end_session_endpoint", () => {
    const provider = {
      ...oidc,
      issuer: 'https://login.example.com/',
      end_session_endpoint: 'https://login.example.com/oidc/logout',
    }
    const url = buildLogoutUrl(provider, client, { ...full, mode: 'auth0' })
    expect(url?.href).toBe(
      'https://login.example.com/v2/logout?client_id=my-client&returnTo=https%3A%2F%2Fapp.example.com%2Fbye',
    )
  })

  it('adds extra parameters', () => {
    const url = buildLogoutUrl(auth0, client, { ...full, extra: { federated: '' } })
    expect(url?.searchParams.has('federated')).toBe(true)
  })

  it.each(['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'returnTo'])(
    'refuses an extra %s that would replace ours',
    (name) => {
      expect(() => buildLogoutUrl(oidc, client, { ...full, extra: { [name]: 'x' } })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      )
    },
  )

  it('rejects a post-logout redirect URI that is not absolute', () => {
    expect(() => buildLogoutUrl(oidc, client, { ...full, postLogoutRedirectUri: '/bye' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('refuses an Auth0 logout for an issuer that is not a URL', () => {
    expect(() =>
      buildLogoutUrl({ ...auth0, issuer: 'tenant.auth0.com' }, client, { mode: 'auth0' }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })
})

describe('LogoutRequested with state (issue 18)', () => {
  const returnTo = 'https://app.example.com/bye'
  const session = { idToken: 'eyJ.eyJ.sig' } as Session
  const logoutWith = (provider: ProviderMetadata, logout: LogoutOptions) =>
    transition(
      { provider, client } as unknown as ProtocolContext,
      { kind: 'Authenticated', session },
      { type: 'LogoutRequested', returnTo, logout },
    )
  const redirectOf = (effects: Effect[]) =>
    new URL((effects.find((e) => e.type === 'Redirect') as { url: string }).url)

  it('RP-Initiated Logout: the state is sent; nothing else is kept (it carries its own check)', async () => {
    const { state, effects } = await logoutWith(oidc, {
      postLogoutRedirectUri: returnTo,
      state: 'sealed-state',
    })
    expect(state).toEqual({ kind: 'LoggedOut' })
    expect(redirectOf(effects).searchParams.get('state')).toBe('sealed-state')
    expect(effects.map((e) => e.type)).toEqual(['ClearSession', 'Redirect'])
  })

  it("Auth0's /v2/logout has no state: none sent", async () => {
    for (const [provider, mode] of [
      [auth0, 'auto'],
      [oidc, 'auth0'],
    ] as const) {
      const { effects } = await logoutWith(provider, {
        postLogoutRedirectUri: returnTo,
        state: 'sealed-state',
        mode,
      })
      expect(redirectOf(effects).pathname).toBe('/v2/logout')
      expect(redirectOf(effects).searchParams.has('state')).toBe(false)
    }
  })
})
