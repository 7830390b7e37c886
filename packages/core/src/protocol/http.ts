/**
 * Small HTTP readers shared by the protocol steps that receive a response as data: media types,
 * JSON bodies, URLs, rate-limit and `WWW-Authenticate` headers. None of them throws. Also the two
 * error factories every protocol step uses (one shape of construction, written once).
 */
import {
  ConfigurationError,
  type ErrorCode,
  OidcHybridError,
  type RateLimitInfo,
} from '../errors.js'
import { isRecord, parseJson } from '../lib/compare.js'
import type { HttpResponseData, ProviderMetadata } from './types.js'

/** A failed check of received data: `details` hold the values that help debugging. */
export function oidcError(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): OidcHybridError {
  return new OidcHybridError(code, message, { details })
}

/** Local misuse (an option or argument the caller controls): a {@link ConfigurationError}. */
export function configError(
  message: string,
  details?: Record<string, unknown>,
): ConfigurationError {
  return new ConfigurationError(message, { details })
}

/** A provider endpoint as a URL; a {@link ConfigurationError} when it is not an absolute URL. */
export function endpointUrl(
  provider: ProviderMetadata,
  name:
    | 'authorization_endpoint'
    | 'token_endpoint'
    | 'userinfo_endpoint'
    | 'revocation_endpoint'
    | 'pushed_authorization_request_endpoint',
): URL {
  const url = parseUrl(provider[name])
  if (!url) throw configError(`provider ${name} is not an absolute URL`)
  return url
}

/** Refuses an `extra` parameter named by `reserved`: one the library sets itself. */
export function refuseReserved(extra: object | undefined, reserved: RegExp): void {
  for (const name in extra) {
    if (reserved.test(name)) throw configError(`extra may not set ${name}; the library sets it`)
  }
}

export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded'

/**
 * True when `contentType` is {@link FORM_MEDIA_TYPE}. Media types compare case-insensitively and
 * parameters such as `charset` may follow; the exact type is compared first, so the common case
 * builds no string.
 *
 * @see [RFC 9110 8.3.1](https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1)
 */
export function isFormContentType(contentType: unknown): boolean {
  return contentType === FORM_MEDIA_TYPE || bareType(String(contentType)) === FORM_MEDIA_TYPE
}

/** A media type lower-cased and without parameters: `Text/HTML; charset=x` is `text/html`. */
const bareType = (value: string) => value.replace(/;.*/s, '').trim().toLowerCase()

/**
 * The media type of a response, lower-cased and without parameters (`charset=...`), or
 * `undefined` when the `Content-Type` header is absent or empty.
 *
 * @see [RFC 9110 8.3.1](https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1)
 */
export function mediaType(headers: Headers): string | undefined {
  return bareType(headers.get('content-type') ?? '') || undefined
}

/**
 * Parses a body that must be a JSON object; `undefined` for invalid JSON, arrays and primitives.
 *
 * @see [RFC 8259 4](https://www.rfc-editor.org/rfc/rfc8259#section-4)
 */
export function parseJsonObject(body: string): Record<string, unknown> | undefined {
  const value = parseJson(body)
  return isRecord(value) ? value : undefined
}

/**
 * The body of a response whose media type matches `types` (tested against `''` when there is no
 * `Content-Type`) and that is a JSON object; otherwise throws `fail(problem, details)`.
 */
export function readJsonObject(
  { headers, body }: HttpResponseData,
  fail: (problem: string, details?: Record<string, unknown>) => Error,
  types = /^application\/json$/,
): Record<string, unknown> {
  const contentType = mediaType(headers)
  if (!types.test(contentType ?? '')) throw fail('is not JSON', { contentType })
  const document = parseJsonObject(body)
  if (document === undefined) throw fail('is not a JSON object')
  return document
}

/**
 * Parses a URL; `undefined` instead of a `TypeError` when it is not an absolute URL.
 *
 * @see [WHATWG URL](https://url.spec.whatwg.org/#url-parsing)
 */
export function parseUrl(value: unknown): URL | undefined {
  try {
    if (typeof value === 'string') return new URL(value)
  } catch {}
}

/**
 * True for hosts a browser treats as potentially trustworthy over plain `http:`: `localhost`
 * and its subdomains, 127.0.0.0/8 and `[::1]`. Only there do `Secure` cookies survive plain http,
 * and only there is a plain-http issuer tolerated (local development).
 *
 * @see [RFC 8252 8.3](https://www.rfc-editor.org/rfc/rfc8252#section-8.3)
 * @see [Secure Contexts 3.2](https://www.w3.org/TR/secure-contexts/#is-origin-trustworthy)
 */
export function isLoopbackHost(hostname: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|\[::1\])$|\.localhost$/i.test(hostname)
}

/**
 * Reads `Retry-After` (delay in seconds only: an HTTP date needs a clock, which the protocol does
 * not have) and Auth0's `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`.
 * Values that are not non-negative integers are left out.
 *
 * @see [RFC 9110 10.2.3](https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3)
 * @see [RFC 6585 4](https://www.rfc-editor.org/rfc/rfc6585#section-4)
 * @see [Auth0 rate limit headers](https://auth0.com/docs/troubleshoot/customer-support/operational-policies/rate-limit-policy)
 */
export function parseRateLimit(headers: Headers): RateLimitInfo {
  const info: RateLimitInfo = {}
  for (const member of ['retryAfter', 'limit', 'remaining', 'reset'] as const) {
    const name = member === 'retryAfter' ? 'retry-after' : `x-ratelimit-${member}`
    const value = headers.get(name)?.trim()
    if (value && /^\d{1,10}$/.test(value)) info[member] = Number(value)
  }
  return info
}

/** The error parameters of a `Bearer` challenge. */
export interface BearerChallenge {
  error?: string
  error_description?: string
  error_uri?: string
  scope?: string
}

/** An RFC 9110 5.6.2 token (also an RFC 6265 cookie name). */
export const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const AUTH_PARAM = new RegExp(`(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))`, 'g')

/**
 * Reads the error parameters of a `WWW-Authenticate: Bearer ...` (or, for a DPoP-bound token,
 * `DPoP ...`: RFC 9449 7.1) challenge; `undefined` when the header is absent or starts with
 * another scheme. Only the first value of each parameter counts.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 9110 11.6.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1)
 */
export function parseBearerChallenge(headers: Headers): BearerChallenge | undefined {
  const value = headers.get('www-authenticate')
  // Bounded input keeps the parameter regex linear in practice; real challenges are short.
  if (!value || value.length > 2048 || !/^\s*(bearer|dpop)(?:\s|$)/i.test(value)) return undefined
  const challenge: Record<string, string> = {}
  for (const [, rawName, quoted, token] of value.matchAll(AUTH_PARAM)) {
    const name = rawName!.toLowerCase()
    if (/^(?:error(?:_description|_uri)?|scope)$/.test(name) && !(name in challenge)) {
      challenge[name] = quoted?.replace(/\\(.)/g, '$1') ?? token!
    }
  }
  return challenge
}
