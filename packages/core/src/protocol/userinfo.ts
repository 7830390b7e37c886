/**
 * The UserInfo request and response. The response is only trusted for the user the ID token
 * named: its `sub` must match, or its claims could belong to someone else (token substitution).
 */
import {
  configError,
  endpointUrl,
  oidcError,
  parseBearerChallenge,
  readJsonObject,
} from './http.js'
import type { HttpRequest, HttpResponseData, ProviderMetadata } from './types.js'

/** Claims returned by the UserInfo endpoint; `sub` is always the ID token's. */
export interface UserinfoClaims {
  sub: string
  [claim: string]: unknown
}

/**
 * Builds the UserInfo request: `GET` with the access token in the `Authorization: Bearer` header,
 * never in the query string, where it would end up in logs and `Referer` headers. With the
 * session's `dpop` key the scheme is `DPoP` and the request carries the key for its proof
 * ([RFC 9449 7.1](https://www.rfc-editor.org/rfc/rfc9449#section-7.1)).
 *
 * @example
 * ```ts
 * const request = buildUserinfoRequest(provider, session.accessToken)
 * const response = await fetch(request.url, request)
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
export function buildUserinfoRequest(
  provider: ProviderMetadata,
  accessToken: string,
  dpop?: JsonWebKey,
): HttpRequest {
  const url = endpointUrl(provider, 'userinfo_endpoint').href
  // RFC 6750 2.1 b64token: anything else cannot be sent as a Bearer credential.
  if (typeof accessToken !== 'string' || !/^[\w\-.~+/]+=*$/.test(accessToken)) {
    throw configError('access token is not a valid Bearer token')
  }
  return {
    url,
    method: 'GET',
    headers: {
      authorization: `${dpop ? 'DPoP' : 'Bearer'} ${accessToken}`,
      accept: 'application/json',
    },
    dpop,
  }
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
  const { status } = response
  if (status !== 200) {
    throw oidcError('USERINFO_ERROR', 'UserInfo refused: the access token may have expired', {
      status,
      ...parseBearerChallenge(response.headers),
    })
  }
  // A signed response (`application/jwt`) is refused here too: its media type is not JSON.
  const claims = readJsonObject(response, (problem, details) =>
    oidcError('USERINFO_INVALID', `the UserInfo response ${problem}`, details),
  )
  if (claims.sub !== expectedSub) {
    throw oidcError('USERINFO_SUB_MISMATCH', 'UserInfo sub is not the session sub; refused', {
      expected: expectedSub,
      received: typeof claims.sub === 'string' ? claims.sub : typeof claims.sub,
    })
  }
  return claims as UserinfoClaims
}
