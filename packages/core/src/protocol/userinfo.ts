/**
 * The UserInfo request and response. The response is only trusted for the user the ID token
 * named: its `sub` must match, or its claims could belong to someone else (token substitution).
 */
import { ConfigurationError, OidcHybridError } from '../errors.js'
import {
  isJsonResponse,
  mediaType,
  parseBearerChallenge,
  parseJsonObject,
  parseUrl,
} from './http.js'
import type { HttpResponseData, ProviderMetadata } from './types.js'

/** Claims returned by the UserInfo endpoint; `sub` is always the ID token's. */
export interface UserinfoClaims {
  sub: string
  [claim: string]: unknown
}

// RFC 6750 2.1 b64token: anything else cannot be sent as a Bearer credential.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/**
 * Builds the UserInfo request: `GET` with the access token in the `Authorization: Bearer` header,
 * never in the query string, where it would end up in logs and `Referer` headers.
 *
 * @example
 * ```ts
 * const response = await fetch(buildUserinfoRequest(provider, session.accessToken))
 * const claims = processUserinfoResponse(
 *   { status: response.status, headers: response.headers, body: await response.text() },
 *   session.sub,
 * )
 * ```
 *
 * @throws {ConfigurationError} when the provider has no `userinfo_endpoint`, or the access token
 *   is not an RFC 6750 `b64token`
 * @see [OIDC Core 5.3.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#UserInfoRequest)
 * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
 * @see [RFC 9700 4.3.2](https://www.rfc-editor.org/rfc/rfc9700#section-4.3.2)
 */
export function buildUserinfoRequest(provider: ProviderMetadata, accessToken: string): Request {
  const endpoint = parseUrl(provider.userinfo_endpoint)
  if (endpoint === undefined) {
    throw new ConfigurationError(
      `the provider '${provider.issuer}' has no valid userinfo_endpoint in its metadata: the UserInfo endpoint cannot be called`,
    )
  }
  if (typeof accessToken !== 'string' || !B64TOKEN.test(accessToken)) {
    throw new ConfigurationError(
      'the access token must be a non-empty RFC 6750 b64token to be sent as a Bearer credential',
    )
  }
  return new Request(endpoint, {
    method: 'GET',
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
  })
}

/**
 * Validates a UserInfo response: HTTP 200, `application/json`, a JSON object whose `sub` equals
 * the `sub` of the ID token (`expectedSub`). Signed or encrypted (`application/jwt`) responses are
 * not supported.
 *
 * @throws {OidcHybridError} `USERINFO_ERROR` (non-200, with the RFC 6750 `error` from
 *   `WWW-Authenticate` in `details`), `USERINFO_INVALID`, `USERINFO_SUB_MISMATCH`
 * @see [OIDC Core 5.3.2-4](https://openid.net/specs/openid-connect-core-1_0-errata2.html#UserInfoResponse)
 * @see [RFC 6750 3.1](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
 */
export function processUserinfoResponse(
  response: HttpResponseData,
  expectedSub: string,
): UserinfoClaims {
  if (response.status !== 200) {
    const challenge = parseBearerChallenge(response.headers)
    const reason = challenge?.error === undefined ? '' : `, ${challenge.error}`
    throw new OidcHybridError(
      'USERINFO_ERROR',
      `the UserInfo endpoint refused the request (HTTP ${response.status}${reason}): the access token may have expired or lack the openid scope`,
      { details: { status: response.status, ...challenge } },
    )
  }
  const type = mediaType(response.headers)
  if (type === 'application/jwt') {
    throw new OidcHybridError(
      'USERINFO_INVALID',
      'the UserInfo endpoint answered with a signed or encrypted JWT (application/jwt), which is not supported: register the client for plain JSON UserInfo responses',
      { details: { contentType: type } },
    )
  }
  if (!isJsonResponse(response.headers)) {
    throw new OidcHybridError(
      'USERINFO_INVALID',
      `the UserInfo response is '${type ?? 'without Content-Type'}', expected application/json`,
      { details: { contentType: type } },
    )
  }
  const claims = parseJsonObject(response.body)
  if (claims === undefined) {
    throw new OidcHybridError('USERINFO_INVALID', 'the UserInfo response is not a JSON object')
  }
  if (claims.sub !== expectedSub) {
    throw new OidcHybridError(
      'USERINFO_SUB_MISMATCH',
      'the UserInfo response is about another user than the ID token (sub differs): its claims were discarded',
      {
        details: {
          expected: expectedSub,
          received: typeof claims.sub === 'string' ? claims.sub : typeof claims.sub,
        },
      },
    )
  }
  return claims as UserinfoClaims
}
