// Default error rendering for adapters: JSON for APIs, escaped HTML for browsers, nothing leaked.
import { describe, expect, it } from 'vitest'
import { renderError, wantsHtml } from '../../src/engine/render.js'
import { ERROR_STATUS, statusForError } from '../../src/engine/status.js'
import { type ErrorCode, OidcHybridError, TokenEndpointError } from '../../src/errors.js'

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'

describe('wantsHtml', () => {
  it.each([
    [BROWSER_ACCEPT, true],
    ['TEXT/HTML', true],
    ['application/json', false],
    ['*/*', false],
    ['', false],
    [null, false],
    [undefined, false],
  ])('%j -> %s', (accept, expected) => {
    expect(wantsHtml(accept)).toBe(expected)
  })
})

describe('renderError', () => {
  it('JSON by default: the code, the message and the status from the table', () => {
    const error = new OidcHybridError('STATE_MISMATCH', 'start a new login')
    const rendered = renderError(error)
    expect(rendered).toEqual({
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'STATE_MISMATCH', message: 'start a new login' }),
    })
  })

  it('JSON for an API client', () => {
    const error = new TokenEndpointError('RATE_LIMITED', 429, 'too_many_requests', undefined)
    const rendered = renderError(error, 'application/json')
    expect(rendered.status).toBe(503)
    expect(JSON.parse(rendered.body)).toEqual({ error: 'RATE_LIMITED', message: error.message })
  })

  it('HTML for a browser, with the message escaped', () => {
    const error = new OidcHybridError(
      'AUTHORIZATION_ERROR',
      `refused: <script>alert("x")</script> & 'more'`,
    )
    const rendered = renderError(error, BROWSER_ACCEPT)
    expect(rendered.status).toBe(401)
    expect(rendered.contentType).toBe('text/html; charset=utf-8')
    expect(rendered.body).toContain(
      'refused: &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;more&#39;',
    )
    expect(rendered.body).not.toContain('<script>')
    expect(rendered.body).toContain('<code>AUTHORIZATION_ERROR</code>')
  })

  it('an unknown error is a generic 500 that reveals nothing of it', () => {
    const rendered = renderError(new Error('db password is hunter2'))
    expect(rendered.status).toBe(500)
    expect(JSON.parse(rendered.body)).toEqual({
      error: 'INTERNAL_ERROR',
      message: 'an unexpected error occurred',
    })
    const html = renderError('a thrown string', BROWSER_ACCEPT)
    expect(html.status).toBe(500)
    expect(html.body).toContain('INTERNAL_ERROR')
    expect(html.body).not.toContain('a thrown string')
  })

  it('recognises our errors from another copy of the library by shape', () => {
    // e.g. two bundled copies: not `instanceof`, but a code and details.
    const foreign = Object.assign(new Error('the login cookie was not sent back'), {
      code: 'TRANSACTION_MISSING',
      details: {},
    })
    const rendered = renderError(foreign)
    expect(rendered.status).toBe(400)
    expect(JSON.parse(rendered.body).error).toBe('TRANSACTION_MISSING')
  })

  it('an error-like value without details is not trusted', () => {
    const lookalike = Object.assign(new Error('secret detail'), { code: 'STATE_MISMATCH' })
    expect(renderError(lookalike).status).toBe(500)
  })
})

describe('statusForError', () => {
  it.each([
    ['CONFIG_INVALID', 500],
    ['STATE_MISMATCH', 400],
    ['CALLBACK_METHOD_NOT_ALLOWED', 405],
    ['ORGANIZATION_MISMATCH', 403],
    ['HTTP_TIMEOUT', 504],
    ['BODY_TOO_LARGE', 413],
  ] as const)('%s -> %i', (code, status) => {
    expect(statusForError(code)).toBe(status)
  })

  it('a code from a newer copy of the library that this table lacks is a 500', () => {
    expect(statusForError('SOMETHING_NEW' as ErrorCode)).toBe(500)
  })

  it('names of Object.prototype members are unknown codes too, not functions', () => {
    for (const code of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(statusForError(code as ErrorCode)).toBe(500)
    }
  })

  it('ERROR_STATUS, built from text, is the table of every code (as written out by hand)', () => {
    expect({ ...ERROR_STATUS }).toEqual({
      CONFIG_INVALID: 500,
      ILLEGAL_TRANSITION: 500,
      DISCOVERY_INVALID: 502,
      DISCOVERY_ISSUER_MISMATCH: 502,
      JWKS_INVALID: 502,
      CALLBACK_METHOD_NOT_ALLOWED: 405,
      CALLBACK_CONTENT_TYPE_INVALID: 415,
      CALLBACK_PARAMETERS_IN_QUERY: 400,
      CALLBACK_PARAMETER_DUPLICATED: 400,
      CALLBACK_PARAMETER_MISSING: 400,
      CALLBACK_PARAMETER_INVALID: 400,
      STATE_MISSING: 400,
      STATE_MISMATCH: 400,
      TRANSACTION_MISSING: 400,
      TRANSACTION_EXPIRED: 400,
      ISSUER_MISMATCH: 400,
      ISSUER_MISSING: 400,
      AUTHORIZATION_ERROR: 401,
      ID_TOKEN_MALFORMED: 400,
      ID_TOKEN_ALG_NOT_ALLOWED: 400,
      ID_TOKEN_KEY_NOT_FOUND: 400,
      ID_TOKEN_SIGNATURE_INVALID: 400,
      ID_TOKEN_ISSUER_MISMATCH: 400,
      ID_TOKEN_SUBJECT_MISSING: 400,
      ID_TOKEN_AUDIENCE_MISMATCH: 400,
      ID_TOKEN_AZP_MISMATCH: 400,
      ID_TOKEN_EXPIRED: 400,
      ID_TOKEN_IAT_INVALID: 400,
      ID_TOKEN_NOT_YET_VALID: 400,
      NONCE_MISMATCH: 400,
      AUTH_TIME_INVALID: 400,
      C_HASH_MISSING: 400,
      C_HASH_MISMATCH: 400,
      AT_HASH_MISSING: 400,
      AT_HASH_MISMATCH: 400,
      ORGANIZATION_MISMATCH: 403,
      ACR_NOT_SATISFIED: 403,
      TOKEN_ENDPOINT_ERROR: 502,
      RATE_LIMITED: 503,
      TOKEN_RESPONSE_INVALID: 502,
      PAR_ERROR: 502,
      PAR_RESPONSE_INVALID: 502,
      ID_TOKEN_SUBJECT_CHANGED: 502,
      ID_TOKEN_ISSUER_CHANGED: 502,
      ID_TOKEN_AUDIENCE_CHANGED: 502,
      AUTH_TIME_MISMATCH: 502,
      REFRESH_TOKEN_MISSING: 401,
      USERINFO_ERROR: 502,
      USERINFO_INVALID: 502,
      USERINFO_SUB_MISMATCH: 502,
      BEARER_TOKEN_MISSING: 401,
      BEARER_REQUEST_INVALID: 400,
      BEARER_TOKEN_INVALID: 401,
      BEARER_INSUFFICIENT_SCOPE: 403,
      DPOP_PROOF_INVALID: 401,
      DPOP_NONCE_REQUIRED: 401,
      DPOP_BINDING_MISMATCH: 401,
      SESSION_MISSING: 401,
      SESSION_EXPIRED: 401,
      STEP_UP_REQUIRED: 401,
      SESSION_STORE_FAILED: 503,
      LOGOUT_TOKEN_INVALID: 400,
      COOKIE_INVALID: 400,
      COOKIE_TOO_LARGE: 500,
      RETURN_TO_INVALID: 400,
      BODY_TOO_LARGE: 413,
      HTTP_REQUEST_FAILED: 502,
      HTTP_TIMEOUT: 504,
      HTTP_RESPONSE_TOO_LARGE: 502,
    })
  })
})
