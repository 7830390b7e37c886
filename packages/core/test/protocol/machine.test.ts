// The transition table, h11 style: events in, state and effects out, as data. No sockets, no
// mocks: a real ProtocolContext, ID tokens signed with jose, token responses written by hand.
import { createHash } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { ConfigurationError, OidcHybridError } from '../../src/errors.js'
import type { AuthorizationRandom } from '../../src/protocol/authorize.js'
import {
  type Effect,
  type Event,
  type State,
  type Transition,
  transition,
  transitions,
} from '../../src/protocol/machine.js'
import type {
  HttpResponseData,
  ProtocolContext,
  ProviderMetadata,
  Session,
  Transaction,
} from '../../src/protocol/types.js'
import { generateTestKey, halfHash, jwksOf, signWith, type TestKeyPair } from '../support/jwt.js'
import {
  CLIENT_ID,
  idTokenClaims as claimsOf,
  httpResponse,
  ISSUER,
  NOW,
  protocolContext,
  providerMetadata,
  REDIRECT_URI,
} from '../support/protocol.js'

const PROVIDER: ProviderMetadata = {
  ...providerMetadata(),
  end_session_endpoint: `${ISSUER}oidc/logout`,
  response_types_supported: ['code id_token', 'code token', 'code id_token token'],
  response_modes_supported: ['form_post'],
  id_token_signing_alg_values_supported: ['ES256'],
  code_challenge_methods_supported: ['S256'],
}

const RANDOM: AuthorizationRandom = {
  state: 's'.repeat(43),
  nonce: 'n'.repeat(43),
  codeVerifier: 'v'.repeat(43),
}

let key: TestKeyPair
let rotated: TestKeyPair

beforeAll(async () => {
  key = await generateTestKey('ES256', 'key-1')
  rotated = await generateTestKey('ES256', 'key-2')
})

function context(overrides: Partial<ProtocolContext> = {}): ProtocolContext {
  return protocolContext(key, { provider: PROVIDER, ...overrides })
}

const idTokenClaims = (extra: Record<string, unknown> = {}) =>
  claimsOf({ nonce: RANDOM.nonce, auth_time: NOW - 5, ...extra })

const tokenResponse = (body: Record<string, unknown>, status = 200) => httpResponse(status, body)

async function loginStarted(returnTo?: string): Promise<Extract<State, { kind: 'LoginStarted' }>> {
  const { state } = await transition(
    context(),
    { kind: 'Idle' },
    { type: 'LoginRequested', options: { returnTo }, random: RANDOM },
  )
  if (state.kind !== 'LoginStarted') throw new Error(`expected LoginStarted, got ${state.kind}`)
  return state
}

async function callbackParams(
  transaction: Transaction,
  options: { signer?: TestKeyPair; claims?: Record<string, unknown> } = {},
): Promise<Record<string, string>> {
  const code = 'authorization-code-1'
  const idToken = await signWith(
    options.signer ?? key,
    idTokenClaims({ c_hash: halfHash('ES256', code), ...options.claims }),
  )
  return { code, state: transaction.state, iss: ISSUER, id_token: idToken }
}

async function callbackVerified(
  returnTo?: string,
): Promise<Extract<State, { kind: 'CallbackVerified' }>> {
  const started = await loginStarted(returnTo)
  const params = await callbackParams(started.transaction)
  const { state } = await transition(context(), started, { type: 'CallbackReceived', params })
  if (state.kind !== 'CallbackVerified') throw new Error(`expected CallbackVerified: ${state.kind}`)
  return state
}

async function tokenEndpointResponse(
  options: {
    signer?: TestKeyPair
    claims?: Record<string, unknown>
    refreshToken?: string
    tokenType?: string
  } = {},
): Promise<HttpResponseData> {
  const accessToken = 'access-token-1'
  const idToken = await signWith(
    options.signer ?? key,
    idTokenClaims({ at_hash: halfHash('ES256', accessToken), ...options.claims }),
  )
  return tokenResponse({
    access_token: accessToken,
    token_type: options.tokenType ?? 'Bearer',
    expires_in: 3600,
    id_token: idToken,
    scope: 'openid profile email offline_access',
    ...(options.refreshToken === undefined ? {} : { refresh_token: options.refreshToken }),
  })
}

async function authenticated(refreshToken?: string): Promise<Session> {
  const verified = await callbackVerified()
  const { state } = await transition(context(), verified, {
    type: 'TokenResponseReceived',
    response: await tokenEndpointResponse({ refreshToken }),
  })
  if (state.kind !== 'Authenticated') throw new Error(`expected Authenticated, got ${state.kind}`)
  return state.session
}

function failedWith(result: Transition): OidcHybridError {
  if (result.state.kind !== 'Failed') {
    throw new Error(`expected Failed, got ${result.state.kind}`)
  }
  return result.state.error
}

function httpEffect(effects: Effect[]): Extract<Effect, { type: 'Http' }> {
  const effect = effects.find((e) => e.type === 'Http')
  if (effect?.type !== 'Http') throw new Error('no Http effect')
  return effect
}

const LEGAL = [
  ['Idle', 'LoginRequested'],
  ['Idle', 'LogoutRequested'],
  ['LoginStarted', 'CallbackReceived'],
  ['CallbackVerified', 'TokenResponseReceived'],
  ['Authenticated', 'RefreshRequested'],
  ['Authenticated', 'LogoutRequested'],
  ['Refreshing', 'TokenResponseReceived'],
  ['AwaitingKeys', 'KeysReceived'],
] as const

describe('the transition table', () => {
  it('lists exactly the legal (state, event) pairs', () => {
    const pairs = transitions().map(({ state, event }) => `${state} + ${event}`)
    expect(pairs.sort()).toEqual(LEGAL.map(([state, event]) => `${state} + ${event}`).sort())
  })

  describe('pairs outside the table', () => {
    const transaction = {} as Transaction
    const session = {} as Session
    const sampleStates: State[] = [
      { kind: 'Idle' },
      { kind: 'LoginStarted', transaction },
      { kind: 'CallbackVerified', transaction, callback: {} as never },
      { kind: 'Authenticated', session },
      { kind: 'Refreshing', session },
      {
        kind: 'AwaitingKeys',
        prior: { kind: 'LoginStarted', transaction },
        event: { type: 'CallbackReceived', params: {} },
      },
      { kind: 'LoggedOut' },
      { kind: 'Failed', error: new OidcHybridError('STATE_MISMATCH', 'earlier failure') },
    ]
    const sampleEvents: Event[] = [
      { type: 'LoginRequested', options: {}, random: RANDOM },
      { type: 'CallbackReceived', params: {} },
      { type: 'KeysReceived', jwks: { keys: [] } },
      { type: 'TokenResponseReceived', response: tokenResponse({}) },
      { type: 'RefreshRequested' },
      { type: 'LogoutRequested', returnTo: '/', logout: {} },
    ]
    const legal = new Set(LEGAL.map(([state, event]) => `${state} + ${event}`))
    const illegal = sampleStates.flatMap((state) =>
      sampleEvents
        .filter((event) => !legal.has(`${state.kind} + ${event.type}`))
        .map((event) => [`${state.kind} + ${event.type}`, state, event] as const),
    )

    it('covers every other combination of the 8 states and 6 events', () => {
      expect(illegal).toHaveLength(8 * 6 - LEGAL.length)
    })

    it.each(illegal)('%s is ILLEGAL_TRANSITION', async (_name, state, event) => {
      await expect(transition(context(), state, event)).rejects.toMatchObject({
        code: 'ILLEGAL_TRANSITION',
        details: { state: state.kind, event: event.type },
      })
    })

    it('Failed is final: every event after it is ILLEGAL_TRANSITION', async () => {
      const failed: State = {
        kind: 'Failed',
        error: new OidcHybridError('NONCE_MISMATCH', 'earlier failure'),
      }
      for (const event of sampleEvents) {
        await expect(transition(context(), failed, event)).rejects.toMatchObject({
          code: 'ILLEGAL_TRANSITION',
        })
      }
    })
  })
})

describe('Idle + LoginRequested', () => {
  it('stores the transaction, then redirects to the authorization endpoint', async () => {
    const result = await transition(
      context(),
      { kind: 'Idle' },
      { type: 'LoginRequested', options: { returnTo: '/profile' }, random: RANDOM },
    )
    expect(result.state.kind).toBe('LoginStarted')
    const transaction = (result.state as Extract<State, { kind: 'LoginStarted' }>).transaction
    expect(transaction).toMatchObject({
      state: RANDOM.state,
      nonce: RANDOM.nonce,
      codeVerifier: RANDOM.codeVerifier,
      responseType: 'code id_token',
      responseMode: 'form_post',
      redirectUri: REDIRECT_URI,
      issuer: ISSUER,
      returnTo: '/profile',
      createdAt: NOW,
    })
    expect(result.effects.map((e) => e.type)).toEqual(['SetTransaction', 'Redirect'])
    expect(result.effects[0]).toEqual({ type: 'SetTransaction', transaction })
    const redirect = result.effects[1] as Extract<Effect, { type: 'Redirect' }>
    const url = new URL(redirect.url)
    expect(`${url.origin}${url.pathname}`).toBe(PROVIDER.authorization_endpoint)
    expect(url.searchParams.get('state')).toBe(RANDOM.state)
    expect(url.searchParams.get('nonce')).toBe(RANDOM.nonce)
    expect(url.searchParams.get('code_challenge')).toBe(
      createHash('sha256').update(RANDOM.codeVerifier).digest('base64url'),
    )
  })

  it('a configuration error is thrown, not turned into Failed', async () => {
    const p = transition(
      context(),
      { kind: 'Idle' },
      { type: 'LoginRequested', options: { responseType: 'id_token' as never }, random: RANDOM },
    )
    await expect(p).rejects.toBeInstanceOf(ConfigurationError)
  })
})

describe('LoginStarted + CallbackReceived', () => {
  it('a verified callback clears the transaction and exchanges the code', async () => {
    const started = await loginStarted()
    const params = await callbackParams(started.transaction)
    const result = await transition(context(), started, { type: 'CallbackReceived', params })
    expect(result.state).toMatchObject({
      kind: 'CallbackVerified',
      transaction: started.transaction,
      callback: { code: params.code, state: RANDOM.state, idToken: params.id_token },
      frontChannelClaims: { sub: 'user-1', nonce: RANDOM.nonce },
    })
    expect(result.effects.map((e) => e.type)).toEqual(['ClearTransaction', 'Http'])
    expect(result.effects[0]).toEqual({ type: 'ClearTransaction', state: RANDOM.state })
    const http = httpEffect(result.effects)
    expect(http.purpose).toBe('authorization_code')
    expect(http.request.method).toBe('POST')
    expect(http.request.url).toBe(PROVIDER.token_endpoint)
    const body = new URLSearchParams(http.request.body)
    expect(body.get('grant_type')).toBe('authorization_code')
    expect(body.get('code')).toBe(params.code)
    expect(body.get('code_verifier')).toBe(RANDOM.codeVerifier)
    expect(body.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(http.request.headers.authorization).toMatch(/^Basic /)
  })

  it('code token: no front-channel ID token, so no front-channel claims', async () => {
    const { state: started } = await transition(
      context(),
      { kind: 'Idle' },
      { type: 'LoginRequested', options: { responseType: 'code token' }, random: RANDOM },
    )
    const params = {
      code: 'authorization-code-1',
      state: RANDOM.state,
      iss: ISSUER,
      access_token: 'front-channel-access-token',
      token_type: 'Bearer',
    }
    const result = await transition(context(), started, { type: 'CallbackReceived', params })
    expect(result.state.kind).toBe('CallbackVerified')
    expect(result.state).toHaveProperty('frontChannelClaims', undefined)
    expect(result.effects.map((e) => e.type)).toEqual(['ClearTransaction', 'Http'])
  })

  describe('silent login (prompt=none)', () => {
    const silentStart = async (prompt = 'none') =>
      (
        await transition(
          context(),
          { kind: 'Idle' },
          {
            type: 'LoginRequested',
            options: { prompt, returnTo: '/account' },
            random: RANDOM,
          },
        )
      ).state as Extract<State, { kind: 'LoginStarted' }>
    const refused = (error: string, state = RANDOM.state) => ({ error, state, iss: ISSUER })

    for (const error of [
      'login_required',
      'interaction_required',
      'consent_required',
      'account_selection_required',
    ]) {
      it(`${error} is an outcome: back to returnTo, not logged in, the transaction cleared`, async () => {
        const started = await silentStart()
        expect(started.transaction.prompt).toBe('none')
        const result = await transition(context(), started, {
          type: 'CallbackReceived',
          params: refused(error),
        })
        expect(result.state).toEqual({ kind: 'Idle' })
        expect(result.effects).toEqual([
          { type: 'ClearTransaction', state: RANDOM.state },
          { type: 'Redirect', url: '/account' },
        ])
      })
    }

    it('any other error, or a login that was not silent, is a failure as before', async () => {
      const silent = await silentStart()
      const denied = await transition(context(), silent, {
        type: 'CallbackReceived',
        params: refused('access_denied'),
      })
      expect(denied.state).toMatchObject({ kind: 'Failed', error: { code: 'AUTHORIZATION_ERROR' } })
      const loud = await silentStart('login')
      const required = await transition(context(), loud, {
        type: 'CallbackReceived',
        params: refused('login_required'),
      })
      expect(required.state).toMatchObject({
        kind: 'Failed',
        error: { code: 'AUTHORIZATION_ERROR' },
      })
    })

    it('the error is believed only after state and iss are checked', async () => {
      const started = await silentStart()
      const forged = await transition(context(), started, {
        type: 'CallbackReceived',
        params: refused('login_required', 'another-state-than-ours-0123456789abcdef0123'),
      })
      expect(forged.state).toMatchObject({ kind: 'Failed', error: { code: 'STATE_MISMATCH' } })
      const mixUp = await transition(context(), started, {
        type: 'CallbackReceived',
        params: { ...refused('login_required'), iss: 'https://attacker.example/' },
      })
      expect(mixUp.state).toMatchObject({ kind: 'Failed', error: { code: 'ISSUER_MISMATCH' } })
    })
  })

  it('code (the plain code flow): state and iss, nothing signed; the token endpoint carries the rest', async () => {
    const codeFlow = context({
      provider: { ...PROVIDER, response_types_supported: ['code', 'code id_token'] },
    })
    const { state: started } = await transition(
      codeFlow,
      { kind: 'Idle' },
      { type: 'LoginRequested', options: { responseType: 'code' }, random: RANDOM },
    )
    const params = { code: 'authorization-code-1', state: RANDOM.state, iss: ISSUER }
    const result = await transition(codeFlow, started, { type: 'CallbackReceived', params })
    expect(result.state.kind).toBe('CallbackVerified')
    expect(result.state).toHaveProperty('frontChannelClaims', undefined)
    expect(result.effects.map((e) => e.type)).toEqual(['ClearTransaction', 'Http'])
    // A mix-up: another issuer's response is refused before its code goes anywhere.
    const mixUp = await transition(codeFlow, started, {
      type: 'CallbackReceived',
      params: { ...params, iss: 'https://attacker.example/' },
    })
    expect(mixUp.state).toMatchObject({ kind: 'Failed', error: { code: 'ISSUER_MISMATCH' } })
  })

  it('a failed check ends in Failed, clears the transaction and sends no request', async () => {
    const started = await loginStarted()
    const params = await callbackParams(started.transaction, { claims: { nonce: 'x'.repeat(43) } })
    const result = await transition(context(), started, { type: 'CallbackReceived', params })
    expect(failedWith(result).code).toBe('NONCE_MISMATCH')
    expect(result.effects).toEqual([{ type: 'ClearTransaction', state: RANDOM.state }])
  })

  it('an error response from the provider ends in Failed too', async () => {
    const started = await loginStarted()
    const params = { state: RANDOM.state, iss: ISSUER, error: 'access_denied' }
    const result = await transition(context(), started, { type: 'CallbackReceived', params })
    expect(failedWith(result).code).toBe('AUTHORIZATION_ERROR')
    expect(result.effects).toEqual([{ type: 'ClearTransaction', state: RANDOM.state }])
  })

  it('a token endpoint that is not a URL is a configuration error, not Failed', async () => {
    const started = await loginStarted()
    const params = await callbackParams(started.transaction)
    const broken = context({ provider: { ...PROVIDER, token_endpoint: 'not a url' } })
    await expect(
      transition(broken, started, { type: 'CallbackReceived', params }),
    ).rejects.toBeInstanceOf(ConfigurationError)
  })

  it('a custom client authentication is left to the sender: the Http effect asks for it', async () => {
    const started = await loginStarted()
    const params = await callbackParams(started.transaction)
    const custom = context({ clientAuth: { method: 'custom' } })
    const { effects } = await transition(custom, started, { type: 'CallbackReceived', params })
    const http = effects.find((effect) => effect.type === 'Http')
    expect(http?.type === 'Http' && http.request.applyClientAuth).toBe(true)
    expect(
      new URLSearchParams(http?.type === 'Http' ? http.request.body : '').has('client_id'),
    ).toBe(false)
  })

  it('a ConfigurationError raised inside a verification step is rethrown', async () => {
    // A plugged-in CryptoProvider may report local misuse (e.g. an algorithm it was built
    // without); that is the operator's to fix, not a Failed login.
    class WithoutEcdsa extends WebCryptoProvider {
      override verifySignature(): Promise<boolean | undefined> {
        return Promise.reject(new ConfigurationError('this crypto provider has no ECDSA'))
      }
    }
    const started = await loginStarted()
    const params = await callbackParams(started.transaction)
    await expect(
      transition(context({ crypto: new WithoutEcdsa() }), started, {
        type: 'CallbackReceived',
        params,
      }),
    ).rejects.toBeInstanceOf(ConfigurationError)
  })

  it('an error that is not one of ours is rethrown, not hidden in Failed', async () => {
    class Broken extends WebCryptoProvider {
      override verifySignature(): Promise<boolean | undefined> {
        return Promise.reject(new RangeError('bug in the crypto provider'))
      }
    }
    const started = await loginStarted()
    const params = await callbackParams(started.transaction)
    await expect(
      transition(context({ crypto: new Broken() }), started, { type: 'CallbackReceived', params }),
    ).rejects.toBeInstanceOf(RangeError)
  })
})

describe('unknown keys: AwaitingKeys', () => {
  it('an unknown kid asks for keys and keeps the step to resume', async () => {
    const started = await loginStarted()
    const params = await callbackParams(started.transaction, { signer: rotated })
    const event: Event = { type: 'CallbackReceived', params }
    const result = await transition(context(), started, event)
    expect(result.state).toEqual({ kind: 'AwaitingKeys', prior: started, event, kid: 'key-2' })
    // The transaction stays until the step has really finished.
    expect(result.effects).toEqual([{ type: 'NeedKeys', jwksUri: PROVIDER.jwks_uri, kid: 'key-2' }])
  })

  it('KeysReceived resumes the step with the new keys', async () => {
    const started = await loginStarted()
    const params = await callbackParams(started.transaction, { signer: rotated })
    const waiting = await transition(context(), started, { type: 'CallbackReceived', params })
    const result = await transition(context(), waiting.state, {
      type: 'KeysReceived',
      jwks: jwksOf(key.publicJwk, rotated.publicJwk),
    })
    expect(result.state.kind).toBe('CallbackVerified')
    expect(result.effects.map((e) => e.type)).toEqual(['ClearTransaction', 'Http'])
  })

  it('a second miss after fresh keys fails with ID_TOKEN_KEY_NOT_FOUND', async () => {
    const started = await loginStarted()
    const params = await callbackParams(started.transaction, { signer: rotated })
    const waiting = await transition(context(), started, { type: 'CallbackReceived', params })
    const result = await transition(context(), waiting.state, {
      type: 'KeysReceived',
      jwks: jwksOf(key.publicJwk),
    })
    expect(failedWith(result).code).toBe('ID_TOKEN_KEY_NOT_FOUND')
    expect(result.effects).toEqual([{ type: 'ClearTransaction', state: RANDOM.state }])
  })

  it('the token-endpoint ID token may also need keys, and resumes to Authenticated', async () => {
    const verified = await callbackVerified()
    const event: Event = {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse({ signer: rotated }),
    }
    const waiting = await transition(context(), verified, event)
    expect(waiting.state).toEqual({ kind: 'AwaitingKeys', prior: verified, event, kid: 'key-2' })
    expect(waiting.effects).toEqual([
      { type: 'NeedKeys', jwksUri: PROVIDER.jwks_uri, kid: 'key-2' },
    ])
    const resumed = await transition(context(), waiting.state, {
      type: 'KeysReceived',
      jwks: jwksOf(rotated.publicJwk),
    })
    expect(resumed.state.kind).toBe('Authenticated')
  })

  it('a refreshed ID token may need keys, and resumes to Authenticated', async () => {
    const session = await authenticated('refresh-1')
    const refreshing: State = { kind: 'Refreshing', session }
    const event: Event = {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse({ signer: rotated }),
    }
    const waiting = await transition(context(), refreshing, event)
    expect(waiting.state).toEqual({ kind: 'AwaitingKeys', prior: refreshing, event, kid: 'key-2' })
    const resumed = await transition(context(), waiting.state, {
      type: 'KeysReceived',
      jwks: jwksOf(rotated.publicJwk),
    })
    expect(resumed.state.kind).toBe('Authenticated')
    expect(resumed.effects.map((e) => e.type)).toEqual(['SetSession'])
  })
})

describe('CallbackVerified + TokenResponseReceived', () => {
  it('creates the session and returns to returnTo', async () => {
    const verified = await callbackVerified('/profile?tab=1')
    const result = await transition(context(), verified, {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse({ refreshToken: 'refresh-1' }),
    })
    expect(result.state.kind).toBe('Authenticated')
    const session = (result.state as Extract<State, { kind: 'Authenticated' }>).session
    expect(session).toMatchObject({
      issuer: ISSUER,
      sub: 'user-1',
      accessToken: 'access-token-1',
      refreshToken: 'refresh-1',
      expiresAt: NOW + 3600,
      createdAt: NOW,
    })
    expect(result.effects).toEqual([
      { type: 'SetSession', session },
      { type: 'Redirect', url: '/profile?tab=1' },
    ])
  })

  it("returns to '/' without a returnTo", async () => {
    const verified = await callbackVerified()
    const result = await transition(context(), verified, {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse(),
    })
    expect(result.effects[1]).toEqual({ type: 'Redirect', url: '/' })
  })

  it('a refused token response ends in Failed without effects', async () => {
    const verified = await callbackVerified()
    const result = await transition(context(), verified, {
      type: 'TokenResponseReceived',
      response: tokenResponse({ error: 'invalid_grant' }, 400),
    })
    expect(failedWith(result).code).toBe('TOKEN_ENDPOINT_ERROR')
    expect(result.effects).toEqual([])
  })

  it('OIDC Core 3.3.3.6: another sub at the token endpoint ends in Failed', async () => {
    const verified = await callbackVerified()
    const result = await transition(context(), verified, {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse({ claims: { sub: 'user-2' } }),
    })
    expect(failedWith(result).code).toBe('ID_TOKEN_SUBJECT_CHANGED')
    expect(result.effects).toEqual([])
  })
})

describe('Authenticated + RefreshRequested, Refreshing + TokenResponseReceived', () => {
  it('without a refresh token: Failed with REFRESH_TOKEN_MISSING, nothing sent', async () => {
    const session = await authenticated()
    const result = await transition(
      context(),
      { kind: 'Authenticated', session },
      { type: 'RefreshRequested' },
    )
    expect(failedWith(result).code).toBe('REFRESH_TOKEN_MISSING')
    expect(result.effects).toEqual([])
  })

  it('with a refresh token: Refreshing and one refresh_token request', async () => {
    const session = await authenticated('refresh-1')
    const result = await transition(
      context(),
      { kind: 'Authenticated', session },
      { type: 'RefreshRequested', scope: 'openid read' },
    )
    expect(result.state).toEqual({ kind: 'Refreshing', session, scope: 'openid read' })
    expect(result.effects).toHaveLength(1)
    const http = httpEffect(result.effects)
    expect(http.purpose).toBe('refresh_token')
    const body = new URLSearchParams(http.request.body)
    expect(body.get('grant_type')).toBe('refresh_token')
    expect(body.get('refresh_token')).toBe('refresh-1')
    expect(body.get('scope')).toBe('openid read')
  })

  it('a custom client authentication on refresh is left to the sender too', async () => {
    const session = await authenticated('refresh-1')
    const custom = context({ clientAuth: { method: 'custom' } })
    const { effects } = await transition(
      custom,
      { kind: 'Authenticated', session },
      { type: 'RefreshRequested' },
    )
    expect(effects).toMatchObject([
      { type: 'Http', purpose: 'refresh_token', request: { applyClientAuth: true } },
    ])
  })

  it('a valid refresh response updates the session (no redirect)', async () => {
    const session = await authenticated('refresh-1')
    const later = context({ now: NOW + 100 })
    const result = await transition(
      later,
      { kind: 'Refreshing', session, scope: 'openid' },
      {
        type: 'TokenResponseReceived',
        response: tokenResponse({
          access_token: 'access-token-2',
          token_type: 'Bearer',
          expires_in: 60,
          refresh_token: 'refresh-2',
        }),
      },
    )
    expect(result.state.kind).toBe('Authenticated')
    const refreshed = (result.state as Extract<State, { kind: 'Authenticated' }>).session
    expect(refreshed).toMatchObject({
      accessToken: 'access-token-2',
      refreshToken: 'refresh-2',
      expiresAt: NOW + 160,
      scope: 'openid',
      updatedAt: NOW + 100,
      createdAt: NOW,
    })
    expect(result.effects).toEqual([{ type: 'SetSession', session: refreshed }])
  })

  it('a refused refresh response ends in Failed without effects', async () => {
    const session = await authenticated('refresh-1')
    const result = await transition(
      context(),
      { kind: 'Refreshing', session },
      {
        type: 'TokenResponseReceived',
        response: await tokenEndpointResponse({ claims: { sub: 'user-2' } }),
      },
    )
    expect(failedWith(result).code).toBe('ID_TOKEN_SUBJECT_CHANGED')
    expect(result.effects).toEqual([])
  })
})

describe('DPoP (RFC 9449): the key from the login to the refresh', () => {
  const KEY: JsonWebKey = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' }

  async function dpopVerified() {
    const { state: started } = await transition(
      context(),
      { kind: 'Idle' },
      { type: 'LoginRequested', options: { dpop: KEY }, random: RANDOM },
    )
    if (started.kind !== 'LoginStarted') throw new Error(started.kind)
    const callback = await transition(context(), started, {
      type: 'CallbackReceived',
      params: await callbackParams(started.transaction),
    })
    return { started, callback }
  }

  it('transaction -> code request -> session (DPoP) -> refresh request', async () => {
    const { started, callback } = await dpopVerified()
    expect(started.transaction.dpop).toEqual(KEY)
    // RFC 9449 5: the code exchange proves possession of the key.
    expect(httpEffect(callback.effects).request.dpop).toEqual(KEY)
    const { state } = await transition(context(), callback.state, {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse({ refreshToken: 'refresh-1', tokenType: 'DPoP' }),
    })
    if (state.kind !== 'Authenticated') throw new Error(state.kind)
    expect(state.session).toMatchObject({ tokenType: 'DPoP', dpop: KEY })
    const refresh = await transition(context(), state, { type: 'RefreshRequested' })
    expect(httpEffect(refresh.effects).request.dpop).toEqual(KEY)
    const refreshed = await transition(context({ now: NOW + 10 }), refresh.state, {
      type: 'TokenResponseReceived',
      response: tokenResponse({ access_token: 'access-token-2', token_type: 'dpop' }),
    })
    if (refreshed.state.kind !== 'Authenticated') throw new Error(refreshed.state.kind)
    expect(refreshed.state.session).toMatchObject({
      accessToken: 'access-token-2',
      tokenType: 'DPoP',
      dpop: KEY,
    })
  })

  it('a Bearer answer to a DPoP code exchange or refresh is TOKEN_RESPONSE_INVALID', async () => {
    const { callback } = await dpopVerified()
    const bearer = await transition(context(), callback.state, {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse(),
    })
    expect(failedWith(bearer).code).toBe('TOKEN_RESPONSE_INVALID')
    const session: Session = { ...(await authenticated('refresh-1')), dpop: KEY, tokenType: 'DPoP' }
    const refused = await transition(
      context(),
      { kind: 'Refreshing', session },
      {
        type: 'TokenResponseReceived',
        response: tokenResponse({ access_token: 'access-token-2', token_type: 'Bearer' }),
      },
    )
    expect(failedWith(refused).code).toBe('TOKEN_RESPONSE_INVALID')
  })

  it('a DPoP session whose key was lost (a store that dropped it) stays DPoP: a Bearer answer is refused', async () => {
    const session: Session = { ...(await authenticated('refresh-1')), tokenType: 'DPoP' }
    expect(session.dpop).toBeUndefined()
    const refused = await transition(
      context(),
      { kind: 'Refreshing', session },
      {
        type: 'TokenResponseReceived',
        response: tokenResponse({ access_token: 'access-token-2', token_type: 'Bearer' }),
      },
    )
    expect(failedWith(refused).code).toBe('TOKEN_RESPONSE_INVALID')
  })

  it('without a key: no dpop on the requests, Bearer sessions, and a DPoP answer is refused', async () => {
    const started = await loginStarted()
    expect(started.transaction.dpop).toBeUndefined()
    const callback = await transition(context(), started, {
      type: 'CallbackReceived',
      params: await callbackParams(started.transaction),
    })
    expect(httpEffect(callback.effects).request.dpop).toBeUndefined()
    const session = await authenticated('refresh-1')
    expect(session.tokenType).toBe('Bearer')
    expect(session.dpop).toBeUndefined()
    const refresh = await transition(
      context(),
      { kind: 'Authenticated', session },
      {
        type: 'RefreshRequested',
      },
    )
    expect(httpEffect(refresh.effects).request.dpop).toBeUndefined()
    const dpopAnswer = await transition(context(), callback.state, {
      type: 'TokenResponseReceived',
      response: await tokenEndpointResponse({ tokenType: 'DPoP' }),
    })
    expect(failedWith(dpopAnswer).code).toBe('TOKEN_RESPONSE_INVALID')
  })
})

describe('LogoutRequested', () => {
  it('from Idle: clears any session and goes to returnTo', async () => {
    const result = await transition(
      context(),
      { kind: 'Idle' },
      { type: 'LogoutRequested', returnTo: 'https://app.example.test/bye', logout: {} },
    )
    expect(result).toEqual({
      state: { kind: 'LoggedOut' },
      effects: [
        { type: 'ClearSession' },
        { type: 'Redirect', url: 'https://app.example.test/bye' },
      ],
    })
  })

  it('from Authenticated: RP-initiated logout with id_token_hint', async () => {
    const session = await authenticated()
    const returnTo = 'https://app.example.test/bye'
    const result = await transition(
      context(),
      { kind: 'Authenticated', session },
      { type: 'LogoutRequested', returnTo, logout: { postLogoutRedirectUri: returnTo } },
    )
    expect(result.state).toEqual({ kind: 'LoggedOut' })
    expect(result.effects[0]).toEqual({ type: 'ClearSession' })
    const redirect = result.effects[1] as Extract<Effect, { type: 'Redirect' }>
    const url = new URL(redirect.url)
    expect(`${url.origin}${url.pathname}`).toBe(PROVIDER.end_session_endpoint)
    expect(url.searchParams.get('id_token_hint')).toBe(session.idToken)
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID)
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe(returnTo)
  })

  it('a provider logout that cannot be built still ends the local session', async () => {
    const session = await authenticated()
    const { end_session_endpoint: _, ...withoutEndSession } = PROVIDER
    const result = await transition(
      context({ provider: withoutEndSession }),
      { kind: 'Authenticated', session },
      { type: 'LogoutRequested', returnTo: 'https://app.example.test/', logout: { mode: 'oidc' } },
    )
    expect(failedWith(result).code).toBe('CONFIG_INVALID')
    expect(result.effects).toEqual([{ type: 'ClearSession' }])
  })

  it('from Authenticated without a provider logout endpoint: local logout to returnTo', async () => {
    const session = await authenticated()
    const { end_session_endpoint: _, ...withoutEndSession } = PROVIDER
    const result = await transition(
      context({ provider: withoutEndSession }),
      { kind: 'Authenticated', session },
      { type: 'LogoutRequested', returnTo: 'https://app.example.test/', logout: { mode: 'auto' } },
    )
    expect(result.effects).toEqual([
      { type: 'ClearSession' },
      { type: 'Redirect', url: 'https://app.example.test/' },
    ])
  })
})

describe('transition checks what its caller passes; the engine step trusts what it generated', () => {
  const bad = { ...RANDOM, state: 'short' }
  it('transition refuses a login with weak randomness or a client without client_id', async () => {
    await expect(
      transition(context(), { kind: 'Idle' }, { type: 'LoginRequested', options: {}, random: bad }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: /AuthorizationRandom.state/ })
    await expect(
      transition(
        context({ client: { ...context().client, client_id: '' } }),
        { kind: 'Idle' },
        { type: 'LoginRequested', options: {}, random: RANDOM },
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: /client_id/ })
  })

  it('transition checks a login that comes back through AwaitingKeys too', async () => {
    await expect(
      transition(
        context(),
        {
          kind: 'AwaitingKeys',
          prior: { kind: 'Idle' },
          event: { type: 'LoginRequested', options: {}, random: bad },
        } as never,
        { type: 'KeysReceived', jwks: { keys: [] } },
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: /AuthorizationRandom.state/ })
  })
})
