/**
 * Token endpoint requests, built as `Request` objects for the caller to send. Client
 * authentication is oauth4webapi's `ClientAuth`, applied to the body and headers built here.
 */
import type { AuthorizationServer, ClientAuth } from 'oauth4webapi'
import { ConfigurationError, OidcHybridError } from '../errors.js'
import { parseUrl } from './http.js'
import type { ClientMetadata, ProviderMetadata, Transaction, VerifiedCallback } from './types.js'

/** What a token endpoint request needs to know about the two parties. */
export interface GrantContext {
  provider: ProviderMetadata
  client: ClientMetadata
  /** `ClientSecretBasic(...)`, `ClientSecretPost(...)`, `PrivateKeyJwt(...)` or `None()`. */
  clientAuth: ClientAuth
}

export interface RefreshTokenGrantOptions {
  /** A scope narrower than the one granted ([OIDC Core 12.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshingAccessToken)). */
  scope?: string
  /** Further body parameters, e.g. Auth0's `audience`. They cannot replace the grant's own. */
  extra?: Record<string, string>
}

// Parameters that identify the grant or the client: `extra` replacing one would change who asks
// for what, or undo the client authentication.
const RESERVED = new Set([
  'grant_type',
  'code',
  'refresh_token',
  'redirect_uri',
  'code_verifier',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
])

/**
 * Builds the authorization_code grant request for a callback whose front-channel checks passed:
 * `code`, the `redirect_uri` exactly as sent in the authorization request, and the PKCE
 * `code_verifier`, authenticated with the registered client authentication.
 *
 * @example
 * ```ts
 * const request = await buildAuthorizationCodeGrantRequest(
 *   { provider, client, clientAuth: ClientSecretBasic(clientSecret) },
 *   verifiedCallback,
 *   transaction,
 * )
 * ```
 *
 * @throws {ConfigurationError} when the token endpoint is not a URL or the client authentication
 *   fails to apply (e.g. an unusable private key)
 * @see [OIDC Core 3.1.3.1, 3.3.3.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#TokenRequest)
 * @see [RFC 6749 4.1.3](https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3)
 * @see [RFC 7636 4.5](https://www.rfc-editor.org/rfc/rfc7636#section-4.5)
 */
export async function buildAuthorizationCodeGrantRequest(
  context: GrantContext,
  callback: VerifiedCallback,
  transaction: Transaction,
): Promise<Request> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: callback.code,
    redirect_uri: transaction.redirectUri,
    code_verifier: transaction.codeVerifier,
  })
  return tokenEndpointRequest(context, body)
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
 *   the grant's, or a client authentication that fails to apply
 * @see [OIDC Core 12.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshingAccessToken)
 * @see [RFC 6749 6](https://www.rfc-editor.org/rfc/rfc6749#section-6)
 */
export async function buildRefreshTokenGrantRequest(
  context: GrantContext,
  refreshToken: string,
  options: RefreshTokenGrantOptions = {},
): Promise<Request> {
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new OidcHybridError(
      'REFRESH_TOKEN_MISSING',
      'there is no refresh token to use: request the offline_access scope (and allow offline access on the API) to get one',
    )
  }
  const body = new URLSearchParams()
  for (const [name, value] of Object.entries(options.extra ?? {})) {
    if (RESERVED.has(name)) {
      throw new ConfigurationError(
        `the token request parameter '${name}' is set by the library and cannot be passed in extra`,
      )
    }
    body.set(name, value)
  }
  body.set('grant_type', 'refresh_token')
  body.set('refresh_token', refreshToken)
  if (options.scope !== undefined) {
    if (options.scope.trim() === '') {
      throw new ConfigurationError(
        'the refresh scope must not be empty: omit it to keep the granted scope',
      )
    }
    body.set('scope', options.scope)
  }
  return tokenEndpointRequest(context, body)
}

async function tokenEndpointRequest(
  context: GrantContext,
  body: URLSearchParams,
): Promise<Request> {
  const endpoint = parseUrl(context.provider.token_endpoint)
  if (endpoint === undefined) {
    throw new ConfigurationError(
      `the provider's token_endpoint '${String(context.provider.token_endpoint)}' is not an absolute URL`,
    )
  }
  const headers = new Headers({
    'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
    accept: 'application/json',
  })
  try {
    await context.clientAuth(
      asAuthorizationServer(context.provider),
      { client_id: context.client.client_id },
      body,
      headers,
    )
  } catch (error) {
    throw new ConfigurationError(
      `the client authentication could not be applied to the token request: check the client secret or private key`,
      { cause: error },
    )
  }
  return new Request(endpoint, { method: 'POST', headers, body: body.toString() })
}

/**
 * The provider metadata as oauth4webapi's `AuthorizationServer`. Its index signature only admits
 * JSON values, so the members the `ClientAuth` functions read are copied rather than cast:
 * `issuer` (the audience of a `private_key_jwt` assertion) and `token_endpoint`.
 */
function asAuthorizationServer(provider: ProviderMetadata): AuthorizationServer {
  return { issuer: provider.issuer, token_endpoint: provider.token_endpoint }
}
