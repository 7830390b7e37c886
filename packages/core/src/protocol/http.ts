/**
 * Small HTTP readers shared by the protocol steps that receive a response as data: media types,
 * JSON bodies, URLs, rate-limit and `WWW-Authenticate` headers. None of them throws.
 */
import type { RateLimitInfo } from '../errors.js'
import { isRecord, parseJson } from '../lib/compare.js'

/**
 * The media type of a response, lower-cased and without parameters (`charset=...`), or
 * `undefined` when the `Content-Type` header is absent or empty.
 *
 * @see [RFC 9110 8.3.1](https://www.rfc-editor.org/rfc/rfc9110#section-8.3.1)
 */
export function mediaType(headers: Headers): string | undefined {
  const value = headers.get('content-type')
  if (value === null) return undefined
  const type = value.split(';', 1)[0]!.trim().toLowerCase()
  return type === '' ? undefined : type
}

/**
 * True when the response says its body is `application/json` (parameters allowed).
 *
 * @see [RFC 8259 11](https://www.rfc-editor.org/rfc/rfc8259#section-11)
 */
export function isJsonResponse(headers: Headers): boolean {
  return mediaType(headers) === 'application/json'
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
 * Parses a URL; `undefined` instead of a `TypeError` when it is not an absolute URL.
 *
 * @see [WHATWG URL](https://url.spec.whatwg.org/#url-parsing)
 */
export function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined
  try {
    return new URL(value)
  } catch {
    return undefined
  }
}

/**
 * True for the loopback hosts on which plain `http:` is tolerated (local development).
 *
 * @see [RFC 8252 8.3](https://www.rfc-editor.org/rfc/rfc8252#section-8.3)
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]'
}

/**
 * True when `url` may carry protocol traffic: `https:`, or `http:` on a loopback host.
 *
 * @see [RFC 9700 2.6](https://www.rfc-editor.org/rfc/rfc9700#section-2.6)
 */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

const DELTA_SECONDS = /^\d{1,10}$/

function nonNegativeInteger(value: string | null): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  return DELTA_SECONDS.test(trimmed) ? Number(trimmed) : undefined
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
  const retryAfter = nonNegativeInteger(headers.get('retry-after'))
  const limit = nonNegativeInteger(headers.get('x-ratelimit-limit'))
  const remaining = nonNegativeInteger(headers.get('x-ratelimit-remaining'))
  const reset = nonNegativeInteger(headers.get('x-ratelimit-reset'))
  if (retryAfter !== undefined) info.retryAfter = retryAfter
  if (limit !== undefined) info.limit = limit
  if (remaining !== undefined) info.remaining = remaining
  if (reset !== undefined) info.reset = reset
  return info
}

/** The error parameters of a `Bearer` challenge. */
export interface BearerChallenge {
  error?: string
  error_description?: string
  error_uri?: string
  scope?: string
}

const BEARER_SCHEME = /^\s*bearer(?:\s+|$)/i
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const AUTH_PARAM = new RegExp(`(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|(${TOKEN}))`, 'g')
const CHALLENGE_FIELDS = new Set<string>(['error', 'error_description', 'error_uri', 'scope'])

/**
 * Reads the error parameters of a `WWW-Authenticate: Bearer ...` challenge; `undefined` when the
 * header is absent or uses another scheme. Only the first value of each parameter counts.
 *
 * @see [RFC 6750 3](https://www.rfc-editor.org/rfc/rfc6750#section-3)
 * @see [RFC 9110 11.6.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1)
 */
export function parseBearerChallenge(headers: Headers): BearerChallenge | undefined {
  const value = headers.get('www-authenticate')
  // Bounded input keeps the parameter regex linear in practice; real challenges are short.
  if (value === null || value.length > 2048 || !BEARER_SCHEME.test(value)) return undefined
  const challenge: Record<string, string> = {}
  for (const match of value.matchAll(AUTH_PARAM)) {
    const name = match[1]!.toLowerCase()
    if (!CHALLENGE_FIELDS.has(name) || name in challenge) continue
    challenge[name] = match[2] === undefined ? match[3]! : match[2].replace(/\\(.)/g, '$1')
  }
  return challenge
}
