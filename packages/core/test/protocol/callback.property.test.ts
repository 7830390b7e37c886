import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isOidcHybridError } from '../../src/errors.js'
import {
  type CallbackParameters,
  type CallbackRequest,
  parseCallbackRequest,
  stateOf,
  validateCallbackParameters,
} from '../../src/protocol/callback.js'
import type { HybridResponseType, Transaction } from '../../src/protocol/types.js'
import { providerMetadata, RESPONSE_PARAMETERS } from '../support/protocol.js'

const RUNS = 2000
const ISSUER = 'https://tenant.example.auth0.com/'
const STATE = 'c3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3RhdGUtc3Rh'

const NAMES = [...RESPONSE_PARAMETERS, '__proto__', 'constructor', 'toString']

// Fragments that stress a form decoder: broken and overlong %-escapes, separators, surrogates.
const fragment = fc.oneof(
  fc
    .tuple(fc.constantFrom(...NAMES), fc.constantFrom('', 'x', STATE, 'Bearer'))
    .map(([name, value]) => `${name}=${value}&`),
  fc.constantFrom(...NAMES),
  fc.constantFrom(
    '%',
    '%2',
    '%zz',
    '%E0%A4',
    '%ED%A0%80',
    '%C0%AF',
    '%00',
    '+',
    '=',
    '&',
    '?',
    '#',
  ),
  fc.constantFrom('\uD800', '\uDFFF', '\u0000', '\r\n', 'é', '😀', STATE, ISSUER),
  fc.string({ unit: 'binary', maxLength: 20 }),
)
const formText = fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join(''))

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'post', 'Get') },
  { weight: 1, arbitrary: fc.constantFrom('PUT', 'HEAD', 'OPTIONS', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
)

const url = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  formText.map((query) => `https://app.example.com/callback?${query}`),
  formText.map((query) => `/callback?${query}`),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', '?', '#?code=x', 'http://[::1', '//a?b#c?code=1', 'https://a@b?c@d/'),
)

const contentType = fc.option(
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'APPLICATION/X-WWW-FORM-URLENCODED; charset=utf-8',
        'application/x-www-form-urlencoded;',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(';application/x-www-form-urlencoded', 'text/plain', ''),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  ),
  { freq: 8 },
)

const body = fc.option(
  fc.oneof(
    { weight: 8, arbitrary: formText },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 200 }) },
    // Just under and over the limit, in ASCII and in multi-byte characters.
    {
      weight: 1,
      arbitrary: fc.constantFrom('a=1&'.repeat(16_384), 'é'.repeat(32_769), '%'.repeat(70_000)),
    },
  ),
)

const request: fc.Arbitrary<CallbackRequest> = fc.record({ method, url, contentType, body })

/** Runs `fn`; anything thrown must be one of this library's errors. Returns the result, if any. */
function outcome<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch (error) {
    expect(isOidcHybridError(error)).toBe(true)
    return undefined
  }
}

const transaction = (responseType: HybridResponseType): Transaction => ({
  state: STATE,
  nonce: 'bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9u',
  codeVerifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  responseType,
  responseMode: 'form_post',
  redirectUri: 'https://app.example.com/callback',
  issuer: ISSUER,
  scope: 'openid',
  createdAt: 0,
})

const provider = providerMetadata(ISSUER)

const value = fc.oneof(
  fc.constantFrom('', STATE, ISSUER, 'Bearer', 'bearer', 'mac', '0', '3600', '-1', '1e3', 'x'),
  fc.string({ unit: 'binary', maxLength: 30 }),
)
// Response parameters, each maybe present, over a dictionary of anything else.
const parameters: fc.Arbitrary<CallbackParameters> = fc
  .tuple(
    fc.record(Object.fromEntries(NAMES.map((name) => [name, value])), { requiredKeys: [] }),
    fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 6 }),
  )
  // Absent keys are left out, never undefined, so the record is one of strings.
  .map(([known, other]) => ({ ...other, ...known }) as CallbackParameters)

describe('callback parsing never throws anything but OidcHybridError', () => {
  it('parseCallbackRequest returns a plain object of strings or throws OidcHybridError', () => {
    fc.assert(
      fc.property(request, (input) => {
        const params = outcome(() => parseCallbackRequest(input))
        if (params === undefined) return
        expect(Object.getPrototypeOf(params)).toBe(Object.prototype)
        for (const name of Object.keys(params)) {
          expect(typeof params[name]).toBe('string')
          expect(params[name]).not.toBe('')
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('decodes a form_post body exactly as URLSearchParams does', () => {
    fc.assert(
      fc.property(formText, (body) => {
        const params = outcome(() =>
          parseCallbackRequest({
            method: 'POST',
            url: '/callback',
            contentType: 'application/x-www-form-urlencoded',
            body,
          }),
        )
        const names = [...new URLSearchParams(body).keys()]
        if (new Set(names).size < names.length) {
          expect(params).toBeUndefined()
          return
        }
        const expected = Object.fromEntries(
          [...new URLSearchParams(body)].filter(([, value]) => value !== ''),
        )
        expect(params).toEqual(expected)
      }),
      { numRuns: RUNS },
    )
  })

  it('stateOf returns a state of at most 512 safe characters or throws OidcHybridError', () => {
    fc.assert(
      fc.property(request, parameters, (input, params) => {
        for (const source of [outcome(() => parseCallbackRequest(input)), params]) {
          if (source === undefined) continue
          const state = outcome(() => stateOf(source))
          if (state !== undefined) expect(state).toMatch(/^[A-Za-z0-9._~-]{1,512}$/)
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('validateCallbackParameters returns a response bound to the transaction or throws OidcHybridError', () => {
    const responseType = fc.constantFrom<HybridResponseType>(
      'code id_token',
      'code token',
      'code id_token token',
    )
    const issSupported = fc.constantFrom(undefined, true, false)
    fc.assert(
      fc.property(
        parameters,
        responseType,
        issSupported,
        fc.boolean(),
        (params, type, iss, withState) => {
          const input = withState ? { ...params, state: STATE } : params
          const response = outcome(() =>
            validateCallbackParameters(input, transaction(type), {
              ...provider,
              authorization_response_iss_parameter_supported: iss,
            }),
          )
          if (response === undefined) return
          expect(response.state).toBe(STATE)
          expect(typeof response.code).toBe('string')
        },
      ),
      { numRuns: RUNS },
    )
  })
})
