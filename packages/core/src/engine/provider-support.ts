/**
 * The first-use check: does the provider, by its discovery document, support what the
 * configuration asks for? Run by the engine once per fetched document, before any login redirect,
 * so that a login that cannot succeed is refused before the user types a password.
 */
import { ConfigurationError } from '../errors.js'
import type { AuthorizationOptions } from '../protocol/authorize.js'
import type { ProviderMetadata } from '../protocol/types.js'
import type { ClientAuthMethod, DiscoveryListField } from './config.js'

/**
 * The problem with logging in with `authorization`'s response type and mode (defaults
 * `code id_token`, `form_post`), and with client authentication `method` when given, at
 * `provider`; `undefined` when its lists (those not in `ignored`) have them. An omitted
 * `token_endpoint_auth_methods_supported` means `client_secret_basic` only.
 *
 * @see [OpenID Connect Discovery 1.0 3](https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata)
 */
export function unsupported(
  provider: ProviderMetadata,
  ignored: readonly DiscoveryListField[],
  { responseType = 'code id_token', responseMode = 'form_post' }: AuthorizationOptions,
  method?: ClientAuthMethod,
): ConfigurationError | undefined {
  const problem = (field: DiscoveryListField, message: string, details?: object) =>
    new ConfigurationError(
      `${message}; if the provider supports it anyway, set ignoreDiscoveryFor: ['${field}']`,
      { details: { [field]: provider[field], ...details } },
    )
  const wanted = [
    ['response_types_supported', responseType],
    ['response_modes_supported', responseMode],
  ] as const
  for (const [field, value] of wanted) {
    const list = provider[field]
    // Listed response types may order their words freely.
    if (
      !ignored.includes(field) &&
      list?.every((item) => item.split(' ').filter(Boolean).sort().join(' ') !== value)
    ) {
      return problem(field, `provider ${field} lacks ${value}: enable it there`)
    }
  }
  const field = 'token_endpoint_auth_methods_supported'
  const listed = provider[field]
  if (method && !ignored.includes(field) && !(listed ?? ['client_secret_basic']).includes(method)) {
    const none = method === 'none'
    return problem(
      field,
      `${none ? 'no clientSecret is set, so ' : ''}the client authenticates with '${method}', which the provider does not list in ${field} (${listed?.join(', ') ?? 'omitted: client_secret_basic'}): set ${none ? 'clientSecret' : 'clientAuthMethod to one it lists'}`,
      { clientAuthMethod: method },
    )
  }
}
