/**
 * Where to send the browser to end the session at the provider too: RP-Initiated Logout when the
 * provider publishes an `end_session_endpoint`, Auth0's `/v2/logout` otherwise.
 */
import { ConfigurationError } from '../errors.js'
import { parseUrl } from './http.js'
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

const RESERVED = new Set([
  'id_token_hint',
  'client_id',
  'post_logout_redirect_uri',
  'state',
  'returnTo',
])

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
  if (
    options.postLogoutRedirectUri !== undefined &&
    parseUrl(options.postLogoutRedirectUri) === undefined
  ) {
    throw new ConfigurationError(
      `the post-logout redirect URI must be an absolute URL, got '${options.postLogoutRedirectUri}'`,
    )
  }
  for (const name of Object.keys(options.extra ?? {})) {
    if (RESERVED.has(name)) {
      throw new ConfigurationError(
        `the logout parameter '${name}' is set by the library and cannot be passed in extra`,
      )
    }
  }
  const endSession = parseUrl(provider.end_session_endpoint)
  if (mode === 'oidc' && endSession === undefined) {
    throw new ConfigurationError(
      `idpLogout uses RP-Initiated Logout but '${provider.issuer}' publishes no valid end_session_endpoint: use mode 'auto' or 'auth0'`,
    )
  }
  if (endSession !== undefined && mode !== 'auth0') {
    return rpInitiatedLogoutUrl(endSession, client, options)
  }
  if (mode === 'auth0' || isAuth0Issuer(provider.issuer)) {
    return auth0LogoutUrl(provider.issuer, client, options)
  }
  return undefined
}

function rpInitiatedLogoutUrl(
  endpoint: URL,
  client: Pick<ClientMetadata, 'client_id'>,
  options: LogoutOptions,
): URL {
  // The endpoint's own query (e.g. a tenant policy parameter) is kept (RP-Initiated Logout 2).
  const url = withExtra(endpoint, options.extra)
  if (options.idTokenHint !== undefined) url.searchParams.set('id_token_hint', options.idTokenHint)
  url.searchParams.set('client_id', client.client_id)
  if (options.postLogoutRedirectUri !== undefined) {
    url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri)
  }
  if (options.state !== undefined) url.searchParams.set('state', options.state)
  return url
}

function auth0LogoutUrl(
  issuer: string,
  client: Pick<ClientMetadata, 'client_id'>,
  options: LogoutOptions,
): URL {
  // Auth0 issuers end with '/'; a hand-written one may not.
  const base = parseUrl(issuer.endsWith('/') ? issuer : `${issuer}/`)
  if (base === undefined) {
    throw new ConfigurationError(`the issuer '${issuer}' is not a URL: cannot build /v2/logout`)
  }
  const url = withExtra(new URL('v2/logout', base), options.extra)
  url.searchParams.set('client_id', client.client_id)
  if (options.postLogoutRedirectUri !== undefined) {
    url.searchParams.set('returnTo', options.postLogoutRedirectUri)
  }
  return url
}

function withExtra(endpoint: URL, extra: Record<string, string> | undefined): URL {
  const url = new URL(endpoint)
  for (const [name, value] of Object.entries(extra ?? {})) url.searchParams.set(name, value)
  return url
}

function isAuth0Issuer(issuer: string): boolean {
  return parseUrl(issuer)?.hostname.endsWith('.auth0.com') ?? false
}
