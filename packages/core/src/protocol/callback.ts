/**
 * The authorization response: reading it from the callback request (form_post body, or a query
 * that may only carry an early error), then checking `state`, `iss`, `error` and the parameters
 * the response type calls for. The ID token itself is verified by `id-token.ts`.
 */
import { AuthorizationResponseError, OidcHybridError } from '../errors.js'
import { utf8 } from '../lib/base64url.js'
import { isRecord, timingSafeEqual } from '../lib/compare.js'
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

const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded'

/** Every parameter an authorization response can carry (OIDC Core 3.3.2.5-6, RFC 9207, Session Management). */
const RESPONSE_PARAMETERS: readonly string[] = [
  'code',
  'id_token',
  'access_token',
  'token_type',
  'expires_in',
  'state',
  'iss',
  'error',
  'error_description',
  'error_uri',
  'session_state',
]

/** Parameters that only a successful hybrid response carries: never acceptable in a query. */
const HYBRID_RESULT_PARAMETERS: readonly string[] = [
  'code',
  'id_token',
  'access_token',
  'token_type',
  'expires_in',
]

const MAX_STATE_LENGTH = 512
const STATE_CHARSET = /^[A-Za-z0-9._~-]+$/
const NON_NEGATIVE_INTEGER = /^[0-9]+$/

/**
 * Reads the authorization response from the callback request. A successful hybrid response is
 * accepted only as a form_post body; a GET is accepted only when its query reports an error
 * (providers report early errors such as `unsupported_response_type` that way). Parameters sent
 * twice are refused; empty ones are treated as absent.
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
  const method = isRecord(request) && typeof request.method === 'string' ? request.method : ''
  const verb = method.toUpperCase()
  const query = isRecord(request) ? queryOf(request.url) : ''

  if (verb === 'POST') {
    if (!isFormContentType(request.contentType)) {
      throw new OidcHybridError(
        'CALLBACK_CONTENT_TYPE_INVALID',
        `a form_post callback must be sent as ${FORM_MEDIA_TYPE} (OAuth 2.0 Form Post Response Mode 2), got ${typeof request.contentType === 'string' ? quote(request.contentType) : 'no Content-Type'}; if a body parser runs before this route, pass the raw body`,
      )
    }
    const body = typeof request.body === 'string' ? request.body : ''
    if (exceedsBodyLimit(body)) {
      throw new OidcHybridError(
        'BODY_TOO_LARGE',
        `the callback body is larger than ${MAX_CALLBACK_BODY_BYTES} bytes; an authorization response is far smaller, so this request is refused`,
      )
    }
    // An attacker who controls the query could inject values next to the genuine body.
    const inQuery = present(new URLSearchParams(query), RESPONSE_PARAMETERS)
    if (inQuery.length > 0) {
      throw new OidcHybridError(
        'CALLBACK_PARAMETERS_IN_QUERY',
        `the callback URL carries response parameters in its query string (${inQuery.join(', ')}) besides the form_post body; responses must never travel in a query (Multiple Response Type Encoding Practices 5), so this request is refused`,
        { details: { parameters: inQuery } },
      )
    }
    return collect(body, 'form_post body')
  }

  if (verb === 'GET') {
    const params = collect(query, 'query string')
    const leaked = HYBRID_RESULT_PARAMETERS.filter((name) => Object.hasOwn(params, name))
    if (leaked.length > 0) {
      throw new OidcHybridError(
        'CALLBACK_PARAMETERS_IN_QUERY',
        `the authorization response arrived in the query string (${leaked.join(', ')}); hybrid responses must never be sent in a query (Multiple Response Type Encoding Practices 5): send response_mode=form_post`,
        { details: { parameters: leaked } },
      )
    }
    if (!Object.hasOwn(params, 'error')) {
      throw new OidcHybridError(
        'CALLBACK_PARAMETER_MISSING',
        'the callback was opened with GET and no authorization response: the callback expects a form_post; was response_mode changed or the URL opened directly?',
      )
    }
    return params
  }

  throw new OidcHybridError(
    'CALLBACK_METHOD_NOT_ALLOWED',
    `the callback accepts POST (response_mode=form_post) and GET for provider error reports, not ${quote(method)}`,
    { details: { method: truncate(method) } },
  )
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
  const state = read(params, 'state')
  if (state === undefined) {
    throw new OidcHybridError(
      'STATE_MISSING',
      'the authorization response has no state, so it cannot belong to a login started here; start a new login',
    )
  }
  if (state.length > MAX_STATE_LENGTH || !STATE_CHARSET.test(state)) {
    throw new OidcHybridError(
      'CALLBACK_PARAMETER_INVALID',
      `the state of the authorization response is not one this library generates (at most ${MAX_STATE_LENGTH} characters of [A-Za-z0-9._~-])`,
      { details: { parameter: 'state', length: state.length } },
    )
  }
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
  const state = read(params, 'state')
  if (state === undefined) {
    throw new OidcHybridError(
      'STATE_MISSING',
      'the authorization response has no state, so it cannot be tied to this login; start a new login',
    )
  }
  if (!timingSafeEqual(state, transaction.state)) {
    throw new OidcHybridError(
      'STATE_MISMATCH',
      "the authorization response's state does not match this login's: it belongs to another login or was forged; start a new login",
    )
  }

  const words = transaction.responseType.split(' ')
  const wantsIdToken = words.includes('id_token')
  const wantsToken = words.includes('token')
  const idToken = wantsIdToken ? read(params, 'id_token') : undefined

  const iss = read(params, 'iss')
  if (iss !== undefined && iss !== transaction.issuer) {
    throw new OidcHybridError(
      'ISSUER_MISMATCH',
      `the authorization response names issuer ${quote(iss)} but this login was sent to ${quote(transaction.issuer)} (RFC 9207): possible mix-up attack, the response is refused`,
      { details: { expected: transaction.issuer, received: truncate(iss) } },
    )
  }
  // Without `iss`, only a front-channel ID token (whose `iss` claim is checked next) can tell
  // which provider answered.
  if (
    iss === undefined &&
    provider.authorization_response_iss_parameter_supported === true &&
    idToken === undefined
  ) {
    throw new OidcHybridError(
      'ISSUER_MISSING',
      'the provider declares authorization_response_iss_parameter_supported but its response has no iss parameter and no ID token to identify it (RFC 9207 2.4): the response is refused',
    )
  }

  const error = read(params, 'error')
  if (error !== undefined) {
    throw new AuthorizationResponseError(
      error,
      read(params, 'error_description'),
      read(params, 'error_uri'),
    )
  }

  const responseType = transaction.responseType
  const code = required(params, 'code', responseType)
  if (wantsIdToken && idToken === undefined) throw missing('id_token', responseType)

  let token: Pick<CallbackResponse, 'accessToken' | 'tokenType' | 'expiresIn'> = {}
  if (wantsToken) {
    const accessToken = required(params, 'access_token', responseType)
    const tokenType = required(params, 'token_type', responseType)
    if (tokenType.toLowerCase() !== 'bearer') {
      throw new OidcHybridError(
        'CALLBACK_PARAMETER_INVALID',
        `the authorization response's token_type is ${quote(tokenType)}; only Bearer access tokens are supported (RFC 6750)`,
        { details: { parameter: 'token_type' } },
      )
    }
    const expiresIn = read(params, 'expires_in')
    if (
      expiresIn !== undefined &&
      !(NON_NEGATIVE_INTEGER.test(expiresIn) && Number.isSafeInteger(Number(expiresIn)))
    ) {
      throw new OidcHybridError(
        'CALLBACK_PARAMETER_INVALID',
        `the authorization response's expires_in is ${quote(expiresIn)}; it must be a non-negative integer number of seconds (RFC 6749 4.2.2)`,
        { details: { parameter: 'expires_in' } },
      )
    }
    token = {
      accessToken,
      tokenType,
      ...(expiresIn === undefined ? {} : { expiresIn: Number(expiresIn) }),
    }
  }

  return {
    state,
    code,
    ...(idToken === undefined ? {} : { idToken }),
    ...token,
    ...(iss === undefined ? {} : { iss }),
  }
}

/** Own, non-empty string parameters only: inherited names such as `constructor` never count. */
function read(params: CallbackParameters, name: string): string | undefined {
  if (!isRecord(params) || !Object.hasOwn(params, name)) return undefined
  const value = params[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

function required(params: CallbackParameters, name: string, responseType: string): string {
  const value = read(params, name)
  if (value === undefined) throw missing(name, responseType)
  return value
}

function missing(name: string, responseType: string): OidcHybridError {
  return new OidcHybridError(
    'CALLBACK_PARAMETER_MISSING',
    `the authorization response has no ${name}, which response_type '${responseType}' requires (OIDC Core 3.3.2.5)`,
    { details: { parameter: name } },
  )
}

/**
 * Decodes `application/x-www-form-urlencoded` text. URLSearchParams, unlike decodeURIComponent,
 * never throws on malformed percent-encoding.
 */
function collect(text: string, where: string): CallbackParameters {
  const found = new Map<string, string>()
  const seen = new Set<string>()
  for (const [name, value] of new URLSearchParams(text)) {
    // Checked before empty values are dropped: `state=&state=X` is a repeated parameter too.
    if (seen.has(name)) {
      throw new OidcHybridError(
        'CALLBACK_PARAMETER_DUPLICATED',
        `the parameter ${quote(name)} appears more than once in the callback ${where}; RFC 6749 3.1 forbids repeated parameters, so the response is refused`,
        { details: { parameter: truncate(name) } },
      )
    }
    seen.add(name)
    // RFC 6749 3.1: a parameter sent without a value is treated as omitted.
    if (value !== '') found.set(name, value)
  }
  // fromEntries defines own properties, so a `__proto__` parameter cannot touch the prototype.
  return Object.freeze(Object.fromEntries(found))
}

function present(params: URLSearchParams, names: readonly string[]): string[] {
  return names.filter((name) => params.getAll(name).some((value) => value !== ''))
}

/** The query of a URL (absolute or a path), found by hand so that no input can make it throw. */
function queryOf(url: unknown): string {
  if (typeof url !== 'string') return ''
  const hash = url.indexOf('#')
  const beforeHash = hash === -1 ? url : url.slice(0, hash)
  const start = beforeHash.indexOf('?')
  return start === -1 ? '' : beforeHash.slice(start + 1)
}

/** Media type comparison is case-insensitive; parameters such as `charset` are allowed (RFC 9110 8.3.1). */
function isFormContentType(contentType: unknown): boolean {
  if (typeof contentType !== 'string') return false
  const end = contentType.indexOf(';')
  const mediaType = end === -1 ? contentType : contentType.slice(0, end)
  return mediaType.trim().toLowerCase() === FORM_MEDIA_TYPE
}

function exceedsBodyLimit(body: string): boolean {
  // Each UTF-16 code unit is at least one UTF-8 byte: huge bodies are refused without encoding.
  return body.length > MAX_CALLBACK_BODY_BYTES || utf8(body).length > MAX_CALLBACK_BODY_BYTES
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value
}

/** Received values go into messages quoted and shortened: they are attacker-controlled. */
function quote(value: string): string {
  return JSON.stringify(truncate(value))
}
