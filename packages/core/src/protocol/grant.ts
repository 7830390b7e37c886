/**
 * Token endpoint requests, built as plain {@link HttpRequest} data for the engine to send, with
 * the client authentication applied to the form body and headers (a `custom` one, signed at send
 * time, is left to the sender: `applyClientAuth`).
 */
import { configError, endpointUrl, FORM_MEDIA_TYPE, oidcError, refuseReserved } from './http.js'
import type {
  ClientAuthentication,
  ClientMetadata,
  HttpRequest,
  ProviderMetadata,
  Transaction,
  VerifiedCallback,
} from './types.js'

/** What a token endpoint request needs to know about the two parties. */
export interface GrantContext {
  provider: ProviderMetadata
  client: ClientMetadata
  clientAuth: ClientAuthentication
}

export interface RefreshTokenGrantOptions {
  /** A scope narrower than the one granted ([OIDC Core 12.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshingAccessToken)). */
  scope?: string
  /** Further body parameters, e.g. Auth0's `audience`. They cannot replace the grant's own. */
  extra?: Record<string, string>
}

// Parameters that identify the grant or the client: `extra` replacing one would change who asks
// for what, or undo the client authentication.
const RESERVED =
  /^(?:grant_type|code|refresh_token|redirect_uri|code_verifier|client_(?:id|secret|assertion(?:_type)?))$/

/**
 * Builds the authorization_code grant request for a callback whose front-channel checks passed:
 * `code`, the `redirect_uri` exactly as sent in the authorization request, and the PKCE
 * `code_verifier`, authenticated with the registered client authentication.
 *
 * @example
 * ```ts
 * const request = await buildAuthorizationCodeGrantRequest(
 *   { provider, client, clientAuth: { method: 'client_secret_basic', secret: clientSecret } },
 *   verifiedCallback,
 *   transaction,
 * )
 * const response = await fetch(request.url, request)
 * ```
 *
 * @throws {ConfigurationError} when the token endpoint is not a URL. With client authentication
 *   `custom` the request has `applyClientAuth` set: the sender applies it (the engine does).
 * @see [OIDC Core 3.1.3.1, 3.3.3.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#TokenRequest)
 * @see [RFC 6749 4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)
 * @see [RFC 7636 4.5](https://www.rfc-editor.org/rfc/rfc7636#section-4.5)
 */
export function buildAuthorizationCodeGrantRequest(
  context: GrantContext,
  callback: VerifiedCallback,
  transaction: Transaction,
): Promise<HttpRequest> {
  return tokenEndpointRequest(context, {
    grant_type: 'authorization_code',
    code: callback.code,
    redirect_uri: transaction.redirectUri,
    code_verifier: transaction.codeVerifier,
  })
}

/**
 * Builds the refresh_token grant request, optionally for a narrower `scope`.
 *
 * @example
 * ```ts
 * const request = await buildRefreshTokenGrantRequest(context, session.refreshToken, {
 *   scope: 'openid read:messages',
 * })
 * ```
 *
 * @throws {OidcHybridError} `REFRESH_TOKEN_MISSING` for an empty refresh token
 * @throws {ConfigurationError} for an empty `scope`, an `extra` parameter that would replace one of
 *   the grant's
 * @see [OIDC Core 12.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshingAccessToken)
 * @see [RFC 6749 6](https://www.rfc-editor.org/rfc/rfc6749#section-6)
 */
export async function buildRefreshTokenGrantRequest(
  context: GrantContext,
  refreshToken: string,
  { scope, extra }: RefreshTokenGrantOptions = {},
): Promise<HttpRequest> {
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw oidcError('REFRESH_TOKEN_MISSING', 'no refresh token: request offline_access at login')
  }
  refuseReserved(extra, RESERVED)
  if (scope?.trim() === '') {
    throw configError('refresh scope is empty: omit it instead')
  }
  return tokenEndpointRequest(context, {
    ...extra,
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...(scope === undefined ? undefined : { scope }),
  })
}

/**
 * Builds the revocation request (RFC 7009) of a refresh token (`token_type_hint`), sent to
 * the provider's `revocation_endpoint` with the same client authentication as the token endpoint.
 *
 * @throws {ConfigurationError} when the provider has no revocation endpoint URL
 * @see [RFC 7009 2.1](https://www.rfc-editor.org/rfc/rfc7009#section-2.1)
 */
export function buildRevocationRequest(
  context: GrantContext,
  refreshToken: string,
): Promise<HttpRequest> {
  return tokenEndpointRequest(
    context,
    { token: refreshToken, token_type_hint: 'refresh_token' },
    'revocation_endpoint',
  )
}

/**
 * Builds the pushed authorization request (RFC 9126 2.1): the authorization request's
 * `parameters` (a signed request object among them or not) sent to the provider's
 * `pushed_authorization_request_endpoint`, with the same client authentication as the token
 * endpoint.
 *
 * @throws {ConfigurationError} when the provider has no pushed authorization request endpoint URL
 * @see [RFC 9126 2.1](https://www.rfc-editor.org/rfc/rfc9126#section-2.1)
 */
export function buildPushedAuthorizationRequest(
  context: GrantContext,
  parameters: Record<string, string>,
): Promise<HttpRequest> {
  return tokenEndpointRequest(context, parameters, 'pushed_authorization_request_endpoint')
}

async function tokenEndpointRequest(
  { provider, client, clientAuth }: GrantContext,
  params: Record<string, string>,
  endpoint:
    | 'token_endpoint'
    | 'revocation_endpoint'
    | 'pushed_authorization_request_endpoint' = 'token_endpoint',
): Promise<HttpRequest> {
  const url = endpointUrl(provider, endpoint).href
  const body = new URLSearchParams(params)
  const headers: Record<string, string> = {
    'content-type': `${FORM_MEDIA_TYPE};charset=UTF-8`,
    accept: 'application/json',
  }
  const { method } = clientAuth
  // Signed at send time (clock, randomness): left to the engine, so this stays deterministic.
  if (method === 'custom') {
    return { url, method: 'POST', headers, body: body.toString(), applyClientAuth: true }
  } else if (method === 'client_secret_basic') {
    // RFC 6749 2.3.1: each part form-urlencoded (an `=` in the id is escaped), then Base64.
    const pair = new URLSearchParams([[client.client_id, clientAuth.secret]])
    headers.authorization = `Basic ${btoa(pair.toString().replace('=', ':'))}`
  } else {
    body.set('client_id', client.client_id)
    if (method === 'client_secret_post') body.set('client_secret', clientAuth.secret)
  }
  return { url, method: 'POST', headers, body: body.toString() }
}
