/**
 * The authorization response: reading it from the callback request (form_post body, or a query
 * that may only carry an early error), then checking `state`, `iss`, `error` and the parameters
 * the response type calls for. The ID token itself is verified by `id-token.ts`. Errors carry
 * received values in `details`, cut to 64 characters (they are attacker-controlled).
 */
import { AuthorizationResponseError, type OidcHybridError } from '../errors.js'
import { utf8 } from '../lib/base64url.js'
import { isRecord, timingSafeEqual } from '../lib/compare.js'
import { FORM_MEDIA_TYPE, isFormContentType, oidcError as refused } from './http.js'
import type { CallbackResponse, ProviderMetadata, Transaction } from './types.js'

/** The callback HTTP request reduced to data; `body` is the raw request body, if any. */
export interface CallbackRequest {
  method: string
  /** The request URL, absolute or origin-relative (`/callback?...`). */
  url: string
  /** The `Content-Type` header, or null when absent. */
  contentType: string | null
  body: string | null
}

/** The parameters of an authorization response, each present once and non-empty. */
export type CallbackParameters = Readonly<Record<string, string>>

/** Largest accepted form_post body, in UTF-8 bytes. Auth0 posts well under 16 KiB. */
export const MAX_CALLBACK_BODY_BYTES = 64 * 1024

/**
 * The refusal of a callback body over {@link MAX_CALLBACK_BODY_BYTES}: the one every adapter's
 * body reader throws, so the answer (413, `BODY_TOO_LARGE`) is the same everywhere.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 */
export function callbackBodyTooLarge(): OidcHybridError {
  return refused('BODY_TOO_LARGE', 'callback body over 64 KiB', {
    limit: MAX_CALLBACK_BODY_BYTES,
  })
}

// Tokens, which only a hybrid response carries: never acceptable in a query (a code alone is the
// plain code flow's answer with response_mode=query).
const TOKEN_PARAMETER = /^((id|access)_token|token_type|expires_in)$/
// Every parameter an authorization response can carry (OIDC Core 3.3.2.5-6, RFC 9207, Session
// Management).
const RESPONSE_PARAMETER =
  /^(code|(id|access)_token|token_type|expires_in|state|iss|error(_description|_uri)?|session_state)$/

/**
 * Reads the authorization response from the callback request. A successful hybrid response is
 * accepted only as a form_post body: a query never carries tokens (`id_token`, `access_token`,
 * `token_type`, `expires_in`). A GET is accepted with an error (providers report early errors such
 * as `unsupported_response_type` that way) or a code: the plain code flow with
 * `response_mode=query` (RFC 6749 4.1.2); a hybrid transaction then lacks its tokens and is refused
 * by {@link validateCallbackParameters}. Parameters sent twice are refused; empty ones are treated
 * as absent.
 *
 * Never throws anything but an {@link OidcHybridError}, whatever the input.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 * @see [OAuth 2.0 Multiple Response Type Encoding Practices 5](https://openid.net/specs/oauth-v2-multiple-response-types-1_0.html#Security)
 * @see [RFC 6749 3.1](https://www.rfc-editor.org/rfc/rfc6749#section-3.1)
 * @example
 * const params = parseCallbackRequest({
 *   method: request.method,
 *   url: request.url,
 *   contentType: request.headers.get('content-type'),
 *   body: await request.text(),
 * })
 */
export function parseCallbackRequest(request: CallbackRequest): CallbackParameters {
  const record = isRecord(request)
  const method = record && typeof request.method === 'string' ? request.method : ''
  const verb = method.toUpperCase()
  const query = record ? queryOf(request.url) : ''

  if (verb === 'POST') {
    const contentType = request.contentType
    if (!isFormContentType(contentType)) {
      throw refused(
        'CALLBACK_CONTENT_TYPE_INVALID',
        `callback POST must be ${FORM_MEDIA_TYPE}; pass the raw body`,
        { contentType: String(contentType).slice(0, 64) },
      )
    }
    const body = typeof request.body === 'string' ? request.body : ''
    // A UTF-16 code unit is 1 to 3 UTF-8 bytes: encode only when the length leaves a doubt.
    if (
      body.length * 3 > MAX_CALLBACK_BODY_BYTES &&
      (body.length > MAX_CALLBACK_BODY_BYTES || utf8(body).length > MAX_CALLBACK_BODY_BYTES)
    ) {
      throw callbackBodyTooLarge()
    }
    // An attacker who controls the query could inject values next to the genuine body.
    if (query !== '') {
      inQuery(
        [...new URLSearchParams(query)].filter(([, value]) => value !== '').map(([name]) => name),
        RESPONSE_PARAMETER,
        'response parameters in the query',
      )
    }
    return collect(body)
  }

  if (verb === 'GET') {
    const params = collect(query)
    inQuery(Object.keys(params), TOKEN_PARAMETER, 'tokens in a query: use form_post')
    return params
  }

  throw refused('CALLBACK_METHOD_NOT_ALLOWED', 'callback takes POST (form_post) or GET (errors)', {
    method: method.slice(0, 64),
  })
}

/**
 * The `state` of an authorization response, to find the transaction it belongs to. Only the
 * characters and length the library generates are accepted, so the value is safe to use in a
 * cookie name.
 *
 * @see [RFC 6749 4.1.2](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2)
 * @see [RFC 9700 4.7.1](https://www.rfc-editor.org/rfc/rfc9700#section-4.7.1)
 * @example
 * const transaction = transactions.get(stateOf(params))
 */
export function stateOf(params: CallbackParameters): string {
  const state = stateIn(params)
  if (!/^[\w.~-]{1,512}$/.test(state)) throw invalid('state', 'is malformed; start a new login')
  return state
}

/**
 * Checks an authorization response against its transaction: `state`, the RFC 9207 `iss`
 * (before `error`, so a mix-up attacker's error is not believed), `error`, and the parameters
 * the response type calls for. Front-channel tokens the response type does not call for are
 * dropped.
 *
 * @see [OIDC Core 3.3.2.5-6](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthResponse)
 * @see [RFC 9207 2.4](https://www.rfc-editor.org/rfc/rfc9207#section-2.4)
 * @see [RFC 9700 4.4.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.4.2)
 * @example
 * const response = validateCallbackParameters(params, transaction, provider)
 */
export function validateCallbackParameters(
  params: CallbackParameters,
  transaction: Transaction,
  provider: ProviderMetadata,
): CallbackResponse {
  const state = stateIn(params)
  if (!timingSafeEqual(state, transaction.state)) {
    throw refused('STATE_MISMATCH', 'state does not match; start a new login')
  }

  const { responseType, issuer } = transaction
  // By words, not substrings: a standalone caller may spell the type in any order.
  const words = responseType.split(' ')
  const wantsIdToken = words.includes('id_token')
  const wantsToken = words.includes('token')
  const idToken = wantsIdToken && read(params, 'id_token')
  // A parameter is absent or non-empty (see read): truthiness tells which.
  const required = (name: string): string => {
    const value = read(params, name)
    if (!value) {
      throw refused(
        'CALLBACK_PARAMETER_MISSING',
        `response lacks ${name}, needed by ${responseType}`,
        { parameter: name },
      )
    }
    return value
  }

  const iss = read(params, 'iss')
  if (iss && iss !== issuer) {
    throw refused('ISSUER_MISMATCH', 'response iss is not the issuer (mix-up?)', {
      expected: issuer,
      received: iss.slice(0, 64),
    })
  }
  // Without `iss`, only a front-channel ID token (whose `iss` claim is checked next) can tell
  // which provider answered.
  if (!iss && !idToken && provider.authorization_response_iss_parameter_supported === true) {
    throw refused('ISSUER_MISSING', 'response lacks the promised iss')
  }

  const error = read(params, 'error')
  if (error) {
    throw new AuthorizationResponseError(
      error,
      read(params, 'error_description'),
      read(params, 'error_uri'),
    )
  }

  const response: CallbackResponse = { state, code: required('code') }
  if (wantsIdToken) response.idToken = required('id_token')
  if (wantsToken) {
    response.accessToken = required('access_token')
    const tokenType = required('token_type')
    response.tokenType = tokenType
    if (tokenType.toLowerCase() !== 'bearer') throw invalid('token_type', 'must be Bearer')
    const expiresIn = read(params, 'expires_in')
    if (expiresIn) {
      // RFC 6749 4.2.2: a non-negative integer number of seconds.
      const seconds = Number(expiresIn)
      if (!/^\d+$/.test(expiresIn) || !Number.isSafeInteger(seconds)) {
        throw invalid('expires_in', 'must be whole seconds')
      }
      response.expiresIn = seconds
    }
  }
  if (iss) response.iss = iss
  return response
}

/** Refuses the query parameters among `names` that match `pattern`. */
function inQuery(names: string[], pattern: RegExp, message: string): void {
  const parameters = names.filter((name) => pattern.test(name))
  if (parameters.length > 0) throw refused('CALLBACK_PARAMETERS_IN_QUERY', message, { parameters })
}

/** Own, non-empty string parameters only: inherited names such as `constructor` never count. */
function read(params: CallbackParameters, name: string): string | undefined {
  const value = isRecord(params) && Object.hasOwn(params, name) ? params[name] : undefined
  return typeof value === 'string' && value !== '' ? value : undefined
}

function stateIn(params: CallbackParameters): string {
  const state = read(params, 'state')
  if (!state) throw refused('STATE_MISSING', 'response has no state; start a new login')
  return state
}

function invalid(parameter: string, rule: string): OidcHybridError {
  return refused('CALLBACK_PARAMETER_INVALID', `response ${parameter} ${rule}`, { parameter })
}

/**
 * Decodes `application/x-www-form-urlencoded` text in one pass, as URLSearchParams would (which,
 * unlike decodeURIComponent, never throws on malformed percent-encoding), refusing repeated names
 * and dropping empty values.
 */
function collect(text: string): CallbackParameters {
  // A Map until the end: `__proto__` is a name like any other there, and Object.fromEntries
  // makes it an own data property (an assignment would set the prototype).
  const params = new Map<string, string>()
  // Scans of the whole text by indexOf are far cheaper than a regular expression per piece.
  const plain = !text.includes('%') && !text.includes('+') && (text as WellFormed).isWellFormed()
  // URLSearchParams ignores one leading `?`.
  let start = text.startsWith('?') ? 1 : 0
  while (start <= text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    if (end > start) {
      const equals = text.indexOf('=', start)
      const split = equals === -1 || equals > end ? end : equals
      const name = decode(text.slice(start, split), plain)
      const value = decode(text.slice(split + 1, end), plain)
      // Checked before empty values are dropped: `state=&state=X` is a repeated parameter too.
      if (params.has(name)) {
        throw refused('CALLBACK_PARAMETER_DUPLICATED', 'callback parameter repeated', {
          parameter: name.slice(0, 64),
        })
      }
      params.set(name, value)
    }
    start = end + 1
  }
  // RFC 6749 3.1: a parameter sent without a value is treated as omitted.
  return Object.freeze(Object.fromEntries([...params].filter(([, value]) => value !== '')))
}

function decode(text: string, plain: boolean): string {
  if (plain) return text
  // URLSearchParams turns lone surrogates into U+FFFD, which decodeURIComponent keeps.
  if ((text as WellFormed).isWellFormed()) {
    try {
      return decodeURIComponent(text.replaceAll('+', ' '))
    } catch {
      // Malformed escapes stay as they are and bad UTF-8 becomes U+FFFD, as URLSearchParams does.
    }
  }
  return new URLSearchParams(`=${text}`).get('') as string
}

/** A string with `String.prototype.isWellFormed` (ES2024, Node 20): true for no lone surrogates. */
type WellFormed = string & { isWellFormed(): boolean }

/** The query of a URL (absolute or a path), found by hand so that no input can make it throw. */
function queryOf(url: unknown): string {
  if (typeof url !== 'string') return ''
  const hash = url.indexOf('#')
  const start = url.indexOf('?')
  return start === -1 || (hash !== -1 && start > hash)
    ? ''
    : url.slice(start + 1, hash === -1 ? url.length : hash)
}
