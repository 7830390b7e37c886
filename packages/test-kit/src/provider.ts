/**
 * The dev provider (oidc-provider) as the end-to-end specs start it: one confidential client of
 * the app(s) under test, registered for every hybrid response type, with a count of the token
 * endpoint grants it answered.
 */
import {
  type DevClient,
  type DevProvider,
  type DevProviderOptions,
  type JwkSet,
  start,
  type TokenEndpointAuthMethod,
} from '@oidc-hybrid/dev-provider'

export interface HybridClientOptions {
  clientId: string
  /** The app origins (no trailing slash): `/callback` and `/` of each are registered. */
  appURLs: string[]
  /** How the client authenticates at the token endpoint (default `client_secret_basic`). */
  authMethod?: TokenEndpointAuthMethod
  /** The secret, for the `client_secret_*` methods. */
  clientSecret?: string
  /** The public keys, for `private_key_jwt` and signed request objects. */
  jwks?: JwkSet
  /** Register `/backchannel-logout` of the (first) app, with `sid` required. */
  backchannelLogout?: boolean
}

/**
 * A client registration for the Hybrid Flow: redirect URI `<app>/callback`, post-logout
 * redirect URI `<app>/`, the three hybrid response types and the grants they lead to.
 */
export function hybridClient(options: HybridClientOptions): DevClient {
  const { appURLs } = options
  const authMethod = options.authMethod ?? 'client_secret_basic'
  return {
    client_id: options.clientId,
    ...(authMethod === 'private_key_jwt' ? {} : { client_secret: options.clientSecret }),
    // The client's public keys: its assertions (private_key_jwt) and request objects (RFC 9101).
    ...(options.jwks ? { jwks: options.jwks } : {}),
    token_endpoint_auth_method: authMethod,
    redirect_uris: appURLs.map((url) => `${url}/callback`),
    post_logout_redirect_uris: appURLs.map((url) => `${url}/`),
    ...(options.backchannelLogout
      ? {
          backchannel_logout_uri: `${appURLs[0]}/backchannel-logout`,
          backchannel_logout_session_required: true,
        }
      : {}),
    response_types: ['code id_token', 'code token', 'code id_token token', 'code'],
    grant_types: ['authorization_code', 'implicit', 'refresh_token'],
  }
}

export interface TestProvider {
  provider: DevProvider
  issuer: string
  /** Token endpoint grants the provider answered so far (success or error). */
  grants(): number
  close(): Promise<void>
}

export interface TestProviderOptions extends Omit<DevProviderOptions, 'clients'> {
  client: HybridClientOptions
  /** More clients of the same kind (e.g. one that authenticates with private_key_jwt). */
  moreClients?: HybridClientOptions[]
}

/** The dev provider on a free port with the one client of {@link hybridClient}. */
export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  const { client, moreClients = [], ...rest } = options
  const provider = await start({
    port: 0,
    ...rest,
    clients: [client, ...moreClients].map(hybridClient),
  })
  let grants = 0
  provider.provider.on('grant.success', () => grants++)
  provider.provider.on('grant.error', () => grants++)
  return {
    provider,
    issuer: provider.issuer,
    grants: () => grants,
    close: () => provider.close(),
  }
}
