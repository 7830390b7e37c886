/**
 * Where to send the browser to end the session at the provider too: RP-Initiated Logout when the
 * provider publishes an `end_session_endpoint`, Auth0's `/v2/logout` otherwise.
 */
import { configError, parseUrl, refuseReserved } from './http.js'
import type { ClientMetadata, ProviderMetadata } from './types.js'

export interface LogoutOptions {
  /** The session's ID token, sent as `id_token_hint` (RP-Initiated Logout only). */
  idTokenHint?: string
  /** Absolute URL to return to; must be registered at the provider. */
  postLogoutRedirectUri?: string
  /** Echoed back to `postLogoutRedirectUri` (RP-Initiated Logout only). */
  state?: string
  /**
   * - `'auto'` (default): the `end_session_endpoint` when discovery lists one, else Auth0's
   *   `/v2/logout` when the issuer's host ends with `.auth0.com`, else no URL (local logout only).
   * - `'oidc'`: the `end_session_endpoint`; a provider without one is a configuration error.
   * - `'auth0'`: Auth0's `/v2/logout`, for an Auth0 tenant behind a custom domain.
   */
  mode?: 'auto' | 'oidc' | 'auth0'
  /** Further query parameters, e.g. `federated` or `ui_locales`. They cannot replace ours. */
  extra?: Record<string, string>
}

/**
 * Builds the provider logout URL, or `undefined` when the provider has no logout endpoint and
 * only the local session can be ended.
 *
 * RP-Initiated Logout sends `id_token_hint`, `client_id`, `post_logout_redirect_uri` and `state`.
 * Auth0's `/v2/logout` sends `client_id` and `returnTo`; it has no `id_token_hint` or `state`.
 *
 * @example
 * ```ts
 * const url = buildLogoutUrl(provider, client, {
 *   idTokenHint: session.idToken,
 *   postLogoutRedirectUri: 'https://app.example.com/',
 * })
 * ```
 *
 * @throws {ConfigurationError} for `mode: 'oidc'` without `end_session_endpoint`, an invalid
 *   `postLogoutRedirectUri`, or an `extra` parameter that would replace one of ours
 * @see [OpenID Connect RP-Initiated Logout 1.0 2](https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout)
 * @see [Auth0 /v2/logout](https://auth0.com/docs/api/authentication#logout)
 */
export function buildLogoutUrl(
  provider: ProviderMetadata,
  client: Pick<ClientMetadata, 'client_id'>,
  options: LogoutOptions,
): URL | undefined {
  const mode = options.mode ?? 'auto'
  const { postLogoutRedirectUri: returnTo, extra } = options
  const { issuer } = provider
  if (returnTo !== undefined && parseUrl(returnTo) === undefined) {
    throw configError('postLogoutRedirectUri must be an absolute URL')
  }
  refuseReserved(extra, /^(id_token_hint|client_id|post_logout_redirect_uri|state|returnTo)$/)
  let url = parseUrl(provider.end_session_endpoint)
  let parameters: Record<string, string | undefined>
  if (url !== undefined && mode !== 'auth0') {
    // The endpoint's own query (e.g. a tenant policy parameter) is kept (RP-Initiated Logout 2).
    parameters = {
      id_token_hint: options.idTokenHint,
      client_id: client.client_id,
      post_logout_redirect_uri: returnTo,
      state: options.state,
    }
  } else if (mode === 'oidc') {
    const message = "no end_session_endpoint: set idpLogout mode 'auto' or 'auth0'"
    throw configError(message, { issuer })
  } else if (mode === 'auth0' || parseUrl(issuer)?.hostname.endsWith('.auth0.com')) {
    // Auth0 issuers end with '/'; a hand-written one may not.
    url = parseUrl(issuer.replace(/\/?$/, '/v2/logout'))
    if (url === undefined) {
      throw configError('issuer is not a URL: cannot build /v2/logout', { issuer })
    }
    parameters = { client_id: client.client_id, returnTo }
  } else {
    return undefined
  }
  // Ours last: each defined one replaces any of the same name.
  for (const [name, value] of Object.entries({ ...extra, ...parameters })) {
    if (value !== undefined) url.searchParams.set(name, value)
  }
  return url
}
