import { describe, expect, it } from 'vitest'
import { AuthorizationResponseError } from '../../src/errors.js'
import {
  type CallbackParameters,
  type CallbackRequest,
  callbackBodyTooLarge,
  MAX_CALLBACK_BODY_BYTES,
  parseCallbackRequest,
  stateOf,
  validateCallbackParameters,
} from '../../src/protocol/callback.js'
import type { HybridResponseType, ProviderMetadata, Transaction } from '../../src/protocol/types.js'
import { providerMetadata, RESPONSE_PARAMETERS } from '../support/protocol.js'

const ISSUER = 'https://tenant.example.auth0.com/'
const STATE = 'c3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3Rh'
const FORM = 'application/x-www-form-urlencoded'
const CALLBACK = 'https://app.example.com/callback'

const provider = providerMetadata(ISSUER)
const issProvider: ProviderMetadata = {
  ...provider,
  authorization_response_iss_parameter_supported: true,
}

function transaction(responseType: HybridResponseType = 'code id_token'): Transaction {
  return {
    state: STATE,
    nonce: 'bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9u',
    codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
    responseType,
    responseMode: 'form_post',
    redirectUri: CALLBACK,
    issuer: ISSUER,
    scope: 'openid profile email',
    createdAt: 1_700_000_000,
  }
}

function post(body: string, overrides: Partial<CallbackRequest> = {}): CallbackRequest {
  return { method: 'POST', url: CALLBACK, contentType: FORM, body, ...overrides }
}

function get(query: string): CallbackRequest {
  return { method: 'GET', url: `${CALLBACK}?${query}`, contentType: null, body: null }
}

const GOOD_BODY = `code=SplxlOBeZQQYbYS6WxSbIA&id_token=eyJ.eyJ.sig&state=${STATE}`

describe('parseCallbackRequest', () => {
  it('rp-response_type-code+id_token (form_post): reads the parameters from the body', () => {
    expect(parseCallbackRequest(post(GOOD_BODY))).toEqual({
      code: 'SplxlOBeZQQYbYS6WxSbIA',
      id_token: 'eyJ.eyJ.sig',
      state: STATE,
    })
  })

  it('decodes application/x-www-form-urlencoded values', () => {
    expect(parseCallbackRequest(post('error_description=access+denied%21&state=a'))).toEqual({
      error_description: 'access denied!',
      state: 'a',
    })
  })

  it('accepts the media type in any case and with parameters', () => {
    const request = post(GOOD_BODY, {
      contentType: 'Application/X-WWW-Form-URLEncoded; charset=UTF-8',
    })
    expect(parseCallbackRequest(request).code).toBe('SplxlOBeZQQYbYS6WxSbIA')
  })

  it.each([['application/json'], ['text/plain'], ['multipart/form-data; boundary=x'], [null]])(
    'refuses a form_post with content type %j (FP 2)',
    (contentType) => {
      expect(() => parseCallbackRequest(post(GOOD_BODY, { contentType }))).toThrow(
        expect.objectContaining({ code: 'CALLBACK_CONTENT_TYPE_INVALID' }),
      )
    },
  )

  it('refuses a body over MAX_CALLBACK_BODY_BYTES, counted in UTF-8 bytes', () => {
    // 40 000 characters, 80 000 bytes.
    const body = `${GOOD_BODY}&x=${'é'.repeat(40_000)}`
    expect(body.length).toBeLessThan(MAX_CALLBACK_BODY_BYTES)
    expect(() => parseCallbackRequest(post(body))).toThrow(
      expect.objectContaining({ code: 'BODY_TOO_LARGE' }),
    )
  })

  it('accepts a body of exactly MAX_CALLBACK_BODY_BYTES', () => {
    const body = `${GOOD_BODY}&x=`.padEnd(MAX_CALLBACK_BODY_BYTES, 'a')
    expect(parseCallbackRequest(post(body)).code).toBe('SplxlOBeZQQYbYS6WxSbIA')
  })

  it.each(RESPONSE_PARAMETERS)(
    'refuses a form_post whose URL query also carries %s (MRT 5)',
    (name) => {
      const request = post(GOOD_BODY, { url: `${CALLBACK}?${name}=injected` })
      expect(() => parseCallbackRequest(request)).toThrow(
        expect.objectContaining({ code: 'CALLBACK_PARAMETERS_IN_QUERY' }),
      )
    },
  )

  it('ignores unrelated query parameters on a form_post', () => {
    const request = post(GOOD_BODY, { url: `${CALLBACK}?tenant=acme&tenant=beta` })
    expect(parseCallbackRequest(request)).not.toHaveProperty('tenant')
  })

  it('reads the query only up to the fragment, and no query from a fragment', () => {
    expect(() => parseCallbackRequest(post(GOOD_BODY, { url: `${CALLBACK}?code=x#y` }))).toThrow(
      expect.objectContaining({ code: 'CALLBACK_PARAMETERS_IN_QUERY' }),
    )
    expect(parseCallbackRequest(post(GOOD_BODY, { url: `${CALLBACK}#?code=x` })).state).toBe(STATE)
  })

  it('accepts a lower-case method name', () => {
    expect(parseCallbackRequest(post(GOOD_BODY, { method: 'post' })).state).toBe(STATE)
  })

  it('accepts an origin-relative URL', () => {
    const request = post(GOOD_BODY, { url: '/callback?code=x' })
    expect(() => parseCallbackRequest(request)).toThrow(
      expect.objectContaining({ code: 'CALLBACK_PARAMETERS_IN_QUERY' }),
    )
    expect(parseCallbackRequest(post(GOOD_BODY, { url: '/callback' })).state).toBe(STATE)
  })

  it.each(['id_token', 'access_token', 'token_type', 'expires_in'])(
    'refuses %s in a GET query, with or without a code (MRT 5)',
    (name) => {
      expect(() => parseCallbackRequest(get(`code=c&${name}=x&state=${STATE}`))).toThrow(
        expect.objectContaining({ code: 'CALLBACK_PARAMETERS_IN_QUERY' }),
      )
    },
  )

  it('returns an error reported in a GET query (unsupported_response_type)', () => {
    const query = `error=unsupported_response_type&error_description=nope&error_uri=https%3A%2F%2Fidp%2Fe&state=${STATE}&iss=${encodeURIComponent(ISSUER)}`
    expect(parseCallbackRequest(get(query))).toEqual({
      error: 'unsupported_response_type',
      error_description: 'nope',
      error_uri: 'https://idp/e',
      state: STATE,
      iss: ISSUER,
    })
  })

  it.each([
    ['no query', `${CALLBACK}`, 'STATE_MISSING'],
    ['a query without response parameters', `${CALLBACK}?utm_source=mail`, 'STATE_MISSING'],
    ['a state but no error', `${CALLBACK}?state=${STATE}`, 'CALLBACK_PARAMETER_MISSING'],
  ])('a GET with %s, neither a code nor an error, is refused: %s', (_case, url, code) => {
    const params = parseCallbackRequest({ method: 'GET', url, contentType: null, body: null })
    expect(() => validateCallbackParameters(params, transaction('code'), provider)).toThrow(
      expect.objectContaining({ code }),
    )
  })

  it('reads a code from a GET query (the plain code flow, response_mode=query)', () => {
    const params = parseCallbackRequest(
      get(`code=c1&state=${STATE}&iss=${encodeURIComponent(ISSUER)}`),
    )
    expect(params).toEqual({ code: 'c1', state: STATE, iss: ISSUER })
  })

  it.each(['PUT', 'DELETE', 'HEAD', 'PATCH', ''])('refuses method %j', (method) => {
    expect(() => parseCallbackRequest(post(GOOD_BODY, { method }))).toThrow(
      expect.objectContaining({ code: 'CALLBACK_METHOD_NOT_ALLOWED' }),
    )
  })

  it.each([
    ['a form_post body, different values', `${GOOD_BODY}&code=other`, 'POST'],
    ['a form_post body, same value', `${GOOD_BODY}&state=${STATE}`, 'POST'],
    ['a GET query', `error=a&error=b&state=${STATE}`, 'GET'],
  ])('rejects a parameter present twice in %s (RFC 6749 3.1)', (_case, text, method) => {
    const request = method === 'POST' ? post(text) : get(text)
    expect(() => parseCallbackRequest(request)).toThrow(
      expect.objectContaining({ code: 'CALLBACK_PARAMETER_DUPLICATED' }),
    )
  })

  it('state=&state=X is a repeated parameter, not one state', () => {
    expect(() => parseCallbackRequest(post('state=&state=abc&code=c'))).toThrow(
      expect.objectContaining({ code: 'CALLBACK_PARAMETER_DUPLICATED' }),
    )
  })

  it('treats empty-valued parameters as absent (RFC 6749 3.1)', () => {
    const params = parseCallbackRequest(post(`${GOOD_BODY}&session_state=&error_description=`))
    expect(params).toEqual({
      code: 'SplxlOBeZQQYbYS6WxSbIA',
      id_token: 'eyJ.eyJ.sig',
      state: STATE,
    })
  })

  it('does not throw on malformed percent-encoding', () => {
    const params = parseCallbackRequest(post(`${GOOD_BODY}&a=%zz&b=%E0%A4&c=%`))
    expect(params).toMatchObject({ a: '%zz', b: '\uFFFD', c: '%' })
  })

  it('keeps __proto__ as a plain own parameter', () => {
    const params = parseCallbackRequest(post(`${GOOD_BODY}&__proto__=x`))
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype)
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toBe('x')
  })

  it.each([null, 'POST', ['POST']])('refuses a request that is not an object: %j', (request) => {
    expect(() => parseCallbackRequest(request as unknown as CallbackRequest)).toThrow(
      expect.objectContaining({ code: 'CALLBACK_METHOD_NOT_ALLOWED' }),
    )
  })

  it('reads no query from a URL that is not a string', () => {
    const request = { ...get(`error=x&state=${STATE}`), url: 42 as unknown as string }
    expect(parseCallbackRequest(request)).toEqual({})
  })
})

describe('stateOf', () => {
  it('returns the state', () => {
    expect(stateOf({ state: STATE })).toBe(STATE)
  })

  it.each([[{}], [{ state: '' }]])('reports STATE_MISSING for %j', (params) => {
    expect(() => stateOf(params)).toThrow(expect.objectContaining({ code: 'STATE_MISSING' }))
  })

  it('accepts 512 characters', () => {
    expect(stateOf({ state: 'a'.repeat(512) })).toHaveLength(512)
  })

  it('refuses more than 512 characters', () => {
    expect(() => stateOf({ state: 'a'.repeat(513) })).toThrow(
      expect.objectContaining({ code: 'CALLBACK_PARAMETER_INVALID' }),
    )
  })

  it.each(['abc;def', 'a b', 'a/b', 'a=b', 'é'])(
    'refuses characters outside [A-Za-z0-9._~-]: %j',
    (state) => {
      expect(() => stateOf({ state })).toThrow(
        expect.objectContaining({ code: 'CALLBACK_PARAMETER_INVALID' }),
      )
    },
  )
})

describe('validateCallbackParameters', () => {
  const codeIdToken = { code: 'the-code', id_token: 'eyJ.eyJ.sig', state: STATE }
  const codeToken = {
    code: 'the-code',
    access_token: 'front-channel-at',
    token_type: 'Bearer',
    expires_in: '7200',
    state: STATE,
  }
  const codeIdTokenToken = { ...codeToken, id_token: 'eyJ.eyJ.sig' }

  it('rp-response_type-code+id_token: returns code and id_token', () => {
    expect(validateCallbackParameters(codeIdToken, transaction(), provider)).toEqual({
      state: STATE,
      code: 'the-code',
      idToken: 'eyJ.eyJ.sig',
    })
  })

  it('rp-response_type-code+token: returns code and the front-channel access token', () => {
    expect(validateCallbackParameters(codeToken, transaction('code token'), provider)).toEqual({
      state: STATE,
      code: 'the-code',
      accessToken: 'front-channel-at',
      tokenType: 'Bearer',
      expiresIn: 7200,
    })
  })

  it('rp-response_type-code+id_token+token: returns all three', () => {
    expect(
      validateCallbackParameters(codeIdTokenToken, transaction('code id_token token'), provider),
    ).toEqual({
      state: STATE,
      code: 'the-code',
      idToken: 'eyJ.eyJ.sig',
      accessToken: 'front-channel-at',
      tokenType: 'Bearer',
      expiresIn: 7200,
    })
  })

  it('returns a matching iss', () => {
    const params = { ...codeIdToken, iss: ISSUER }
    expect(validateCallbackParameters(params, transaction(), issProvider).iss).toBe(ISSUER)
  })

  it('drops front-channel tokens the response type does not call for', () => {
    expect(validateCallbackParameters(codeIdTokenToken, transaction(), provider)).toEqual({
      state: STATE,
      code: 'the-code',
      idToken: 'eyJ.eyJ.sig',
    })
    expect(
      validateCallbackParameters(codeIdTokenToken, transaction('code token'), provider),
    ).not.toHaveProperty('idToken')
  })

  it('rejects a response without state', () => {
    const { state: _state, ...params } = codeIdToken
    expect(() => validateCallbackParameters(params, transaction(), provider)).toThrow(
      expect.objectContaining({ code: 'STATE_MISSING' }),
    )
  })

  it('rejects a response whose state differs from the transaction', () => {
    const params = { ...codeIdToken, state: `${STATE}1` }
    expect(() => validateCallbackParameters(params, transaction(), provider)).toThrow(
      expect.objectContaining({ code: 'STATE_MISMATCH' }),
    )
  })

  it('RFC 9207: rejects an iss parameter that differs from the issuer', () => {
    const params = { ...codeIdToken, iss: `${ISSUER}1` }
    expect(() => validateCallbackParameters(params, transaction(), provider)).toThrow(
      expect.objectContaining({ code: 'ISSUER_MISMATCH' }),
    )
  })

  it('RFC 9207: compares iss exactly (no trailing-slash leniency)', () => {
    const params = { ...codeIdToken, iss: ISSUER.slice(0, -1) }
    expect(() => validateCallbackParameters(params, transaction(), provider)).toThrow(
      expect.objectContaining({ code: 'ISSUER_MISMATCH' }),
    )
  })

  it('RFC 9207: checks iss before believing an error (mix-up)', () => {
    const params = { error: 'access_denied', state: STATE, iss: 'https://attacker.example/' }
    expect(() => validateCallbackParameters(params, transaction(), provider)).toThrow(
      expect.objectContaining({ code: 'ISSUER_MISMATCH' }),
    )
  })

  it('RFC 9207: rejects a missing iss when the provider declares it and no ID token is sent', () => {
    expect(() =>
      validateCallbackParameters(codeToken, transaction('code token'), issProvider),
    ).toThrow(expect.objectContaining({ code: 'ISSUER_MISSING' }))
  })

  it('RFC 9207: a missing iss is allowed when a front-channel ID token will be checked', () => {
    expect(validateCallbackParameters(codeIdToken, transaction(), issProvider).code).toBe(
      'the-code',
    )
  })

  it('RFC 9207: an ID token the response type does not call for does not excuse a missing iss', () => {
    expect(() =>
      validateCallbackParameters(codeIdTokenToken, transaction('code token'), issProvider),
    ).toThrow(expect.objectContaining({ code: 'ISSUER_MISSING' }))
  })

  it('RFC 9207: an error without iss is refused when the provider declares iss', () => {
    const params = { error: 'access_denied', state: STATE }
    expect(() => validateCallbackParameters(params, transaction(), issProvider)).toThrow(
      expect.objectContaining({ code: 'ISSUER_MISSING' }),
    )
  })

  it('form_post error response: throws AuthorizationResponseError', () => {
    const params = {
      error: 'access_denied',
      error_description: 'User did not authorize the request',
      error_uri: 'https://tenant.example.auth0.com/errors/access_denied',
      state: STATE,
      iss: ISSUER,
    }
    let thrown: unknown
    try {
      validateCallbackParameters(params, transaction(), issProvider)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(AuthorizationResponseError)
    expect(thrown).toMatchObject({
      code: 'AUTHORIZATION_ERROR',
      error: 'access_denied',
      errorDescription: 'User did not authorize the request',
      errorUri: 'https://tenant.example.auth0.com/errors/access_denied',
    })
  })

  it.each([
    ['code', 'code id_token', codeIdToken],
    ['id_token', 'code id_token', codeIdToken],
    ['id_token', 'code id_token token', codeIdTokenToken],
    ['access_token', 'code token', codeToken],
    ['access_token', 'code id_token token', codeIdTokenToken],
    ['token_type', 'code token', codeToken],
    ['token_type', 'code id_token token', codeIdTokenToken],
  ] as [string, HybridResponseType, CallbackParameters][])(
    'rejects a response without %s for %s',
    (name, responseType, complete) => {
      const params = { ...complete, [name]: '' }
      expect(() => validateCallbackParameters(params, transaction(responseType), provider)).toThrow(
        expect.objectContaining({
          code: 'CALLBACK_PARAMETER_MISSING',
          message: expect.stringContaining(name),
        }),
      )
    },
  )

  it('requires the access token whatever the word order of a standalone caller', () => {
    // The engine always stores the canonical spelling; a JavaScript caller of the protocol
    // functions may not. The words decide, not their position.
    const reordered = { ...transaction('code token'), responseType: 'token code' }
    const params = { ...codeToken, access_token: '' }
    expect(() =>
      validateCallbackParameters(params, reordered as unknown as Transaction, provider),
    ).toThrow(expect.objectContaining({ code: 'CALLBACK_PARAMETER_MISSING' }))
  })

  it('accepts token_type bearer in any case', () => {
    const params = { ...codeToken, token_type: 'BEARER' }
    expect(validateCallbackParameters(params, transaction('code token'), provider).tokenType).toBe(
      'BEARER',
    )
  })

  it('rejects a token_type other than bearer', () => {
    const params = { ...codeToken, token_type: 'mac' }
    expect(() => validateCallbackParameters(params, transaction('code token'), provider)).toThrow(
      expect.objectContaining({ code: 'CALLBACK_PARAMETER_INVALID' }),
    )
  })

  it.each(['-1', '1.5', '3600s', '1e3', ' 60', '99999999999999999999'])(
    'rejects expires_in %j',
    (expiresIn) => {
      const params = { ...codeToken, expires_in: expiresIn }
      expect(() => validateCallbackParameters(params, transaction('code token'), provider)).toThrow(
        expect.objectContaining({ code: 'CALLBACK_PARAMETER_INVALID' }),
      )
    },
  )

  it('accepts a response without expires_in', () => {
    const { expires_in: _expiresIn, ...params } = codeToken
    expect(
      validateCallbackParameters(params, transaction('code token'), provider),
    ).not.toHaveProperty('expiresIn')
  })

  it('ignores inherited properties', () => {
    const params = Object.create({ code: 'inherited' }) as Record<string, string>
    params.state = STATE
    params.id_token = 'eyJ.eyJ.sig'
    expect(() => validateCallbackParameters(params, transaction(), provider)).toThrow(
      expect.objectContaining({ code: 'CALLBACK_PARAMETER_MISSING' }),
    )
  })
})

describe('callbackBodyTooLarge', () => {
  it('is the 413 refusal every adapter throws, with the limit', () => {
    expect(callbackBodyTooLarge()).toMatchObject({
      code: 'BODY_TOO_LARGE',
      details: { limit: MAX_CALLBACK_BODY_BYTES },
    })
  })
})
