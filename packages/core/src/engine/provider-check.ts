/**
 * `checkProvider(engine)`: the configuration checked against the provider's discovery document
 * now, at startup, instead of at the first login. Opt-in code (an import).
 */
import { checkProviderSupport, normalizeResponseType } from '../protocol/authorize.js'
import { clientMetadata } from './config.js'
import type { EngineView } from './types.js'

/**
 * Fetches the provider's discovery document and checks the configured response type, form_post,
 * PKCE S256 and client authentication method against it: the check every login makes before its
 * redirect (`ignoreDiscoveryFor` applies). Await it at startup to learn of a mismatch (a missing
 * `clientSecret`, a response type the provider does not list) before a user does.
 *
 * @example
 * ```ts
 * const engine = createHybridAuth(config)
 * await checkProvider(engine) // throws CONFIG_INVALID with what to set
 * ```
 * @throws {ConfigurationError} `CONFIG_INVALID`, naming the discovery list and what to set; a
 *   provider that cannot be reached rejects with `HTTP_REQUEST_FAILED` (the cause, what to check)
 * @see [OpenID Connect Discovery 1.0 3](https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata)
 */
export async function checkProvider(engine: EngineView): Promise<void> {
  const { config, provider } = engine
  const { responseType = 'code id_token', responseMode = 'form_post' } = config.authorization
  checkProviderSupport(
    await provider.metadata(),
    clientMetadata(config),
    normalizeResponseType(responseType),
    responseMode,
  )
}
