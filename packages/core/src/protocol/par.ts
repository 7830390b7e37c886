/**
 * Pushed authorization requests (RFC 9126) and signed request objects (RFC 9101) as data: the
 * claims of a request object, the answer of the pushed authorization request endpoint, and the
 * authorization URL that carries only `client_id` and `request_uri` (or `request`). Building the
 * push itself is `buildPushedAuthorizationRequest` (grant.ts: the token endpoint's client
 * authentication). Signing is the engine's (a key, a clock and randomness).
 */
import { TokenEndpointError } from '../errors.js'
import {
  configError,
  endpointUrl,
  oidcError,
  parseJsonObject,
  parseRateLimit,
  readJsonObject,
} from './http.js'
import type { HttpResponseData, ProviderMetadata } from './types.js'

/** A successful pushed authorization response (RFC 9126 2.2). */
export interface PushedAuthorizationResponse {
  /** The reference to the pushed request, sent to the authorization endpoint. */
  request_uri: string
  /** Seconds the reference is valid for. */
  expires_in: number
}

/**
 * Reads the answer of the pushed authorization request endpoint: 201 with a JSON object holding
 * a `request_uri` string and a positive `expires_in`. An OAuth error answer (RFC 9126 2.3: 400,
 * 401, 405, 413, 429) is `PAR_ERROR` (a `TokenEndpointError`-shaped error: `status`, `error`,
 * `errorDescription`); anything else is `PAR_RESPONSE_INVALID`, with the status and never the
 * body.
 *
 * @throws {TokenEndpointError} `PAR_ERROR`
 * @throws {OidcHybridError} `PAR_RESPONSE_INVALID`
 * @see [RFC 9126 2.2, 2.3](https://www.rfc-editor.org/rfc/rfc9126#section-2.2)
 */
export function parsePushedAuthorizationResponse(
  response: HttpResponseData,
): PushedAuthorizationResponse {
  const { status, body } = response
  if (status !== 201) {
    const document = parseJsonObject(body)
    const error = document?.error
    if (typeof error === 'string' && error !== '') {
      const description = document!.error_description
      const refused = new TokenEndpointError(
        'PAR_ERROR',
        status,
        error,
        typeof description === 'string' ? description : undefined,
        status === 429 ? parseRateLimit(response.headers) : undefined,
      )
      refused.message = `the provider refused the pushed authorization request: ${error}${
        typeof description === 'string' ? ` (${description.slice(0, 200)})` : ''
      }`
      throw refused
    }
    throw invalid('the pushed authorization request failed without an OAuth error', { status })
  }
  const document = readJsonObject(response, (problem, details) =>
    invalid(`pushed authorization response ${problem}`, details),
  )
  const { request_uri: requestUri, expires_in: expiresIn } = document
  if (typeof requestUri !== 'string' || requestUri === '' || requestUri.length > 2048) {
    throw invalid('pushed authorization response request_uri is missing or malformed')
  }
  if (typeof expiresIn !== 'number' || !Number.isInteger(expiresIn) || expiresIn <= 0) {
    throw invalid('pushed authorization response expires_in is missing or malformed')
  }
  return { request_uri: requestUri, expires_in: expiresIn }
}

/**
 * The authorization endpoint URL (its own query kept) with `client_id` and, instead of the
 * request's parameters, `request_uri` (after a push, RFC 9126 4) or `request` (a signed request
 * object passed by value, RFC 9101 5), plus the parameters OpenID Connect wants repeated
 * outside the object (`response_type`, `scope`: OIDC Core 6.1) when given.
 *
 * @see [RFC 9126 4](https://www.rfc-editor.org/rfc/rfc9126#section-4)
 * @see [RFC 9101 5](https://www.rfc-editor.org/rfc/rfc9101#section-5)
 */
export function authorizationUrlWith(
  provider: ProviderMetadata,
  parameters: Record<string, string>,
): URL {
  const url = endpointUrl(provider, 'authorization_endpoint')
  for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value)
  return url
}

/**
 * The claims of a request object (RFC 9101 4) for an authorization request's `parameters`: each
 * parameter as a claim (`max_age` a number, OIDC Core 6.1; `claims` as the JSON object it
 * encodes), `iss` the client, `aud` the provider's issuer, `iat`, `nbf`, `exp` and `jti`.
 *
 * @see [RFC 9101 4](https://www.rfc-editor.org/rfc/rfc9101#section-4)
 * @see [OIDC Core 6.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RequestObject)
 */
export function requestObjectClaims(
  parameters: Record<string, string>,
  context: { clientId: string; issuer: string; now: number; lifetime: number; jti: string },
): Record<string, unknown> {
  // RFC 9101 4: no request object inside one; the JWT's own claims are the library's.
  const reserved = Object.keys(parameters).find((name) =>
    /^(request(_uri)?|iss|sub|aud|exp|nbf|iat|jti)$/.test(name),
  )
  if (reserved !== undefined) {
    throw configError(`a signed request object may not carry the parameter ${reserved}`)
  }
  const claims: Record<string, unknown> = { ...parameters }
  if (parameters.max_age !== undefined) claims.max_age = Number(parameters.max_age)
  if (parameters.claims !== undefined) {
    const parsed = parseJsonObject(parameters.claims)
    if (!parsed) throw configError('the claims parameter is not a JSON object')
    claims.claims = parsed
  }
  const { clientId, issuer, now, lifetime, jti } = context
  return {
    ...claims,
    client_id: clientId,
    iss: clientId,
    aud: issuer,
    iat: now,
    nbf: now,
    exp: now + lifetime,
    jti,
  }
}

function invalid(message: string, details?: Record<string, unknown>) {
  return oidcError('PAR_RESPONSE_INVALID', message, details)
}
