import type {
  CustomClaimsContext,
  DevApi,
  DevClient,
  DevOrganization,
  DevUser,
  JwkSet,
} from './types.js'

/** Where the demo web application runs; the defaults below are registered for it. */
const DEMO_APP_ORIGIN = 'http://localhost:3000'

const HYBRID_CLIENT = {
  redirect_uris: [`${DEMO_APP_ORIGIN}/callback`],
  post_logout_redirect_uris: [`${DEMO_APP_ORIGIN}/`],
  response_types: ['code id_token', 'code token', 'code id_token token', 'code'],
  grant_types: ['authorization_code', 'implicit', 'refresh_token'],
} satisfies Partial<DevClient>

/**
 * The demo clients, all registered for `http://localhost:3000/callback` with every hybrid
 * response type:
 *
 * - `demo-app` (`client_secret_basic`, secret `demo-app-secret-0123456789abcdef0123456789`)
 * - `demo-app-post` (`client_secret_post`, secret `demo-app-post-secret-0123456789abcdef01234567`)
 * - `demo-app-jwt` (`private_key_jwt`), only when `privateKeyJwtJwks` holds its public keys.
 *
 * @example
 * ```ts
 * const { publicKey } = await jose.generateKeyPair('ES256')
 * const jwk = { ...(await jose.exportJWK(publicKey)), alg: 'ES256', kid: 'k1' }
 * await start({ clients: defaultClients({ privateKeyJwtJwks: { keys: [jwk] } }) })
 * ```
 * @see https://openid.net/specs/openid-connect-registration-1_0.html#ClientMetadata
 */
export function defaultClients(options: { privateKeyJwtJwks?: JwkSet } = {}): DevClient[] {
  const clients: DevClient[] = [
    {
      client_id: 'demo-app',
      client_name: 'Demo App',
      client_secret: 'demo-app-secret-0123456789abcdef0123456789',
      token_endpoint_auth_method: 'client_secret_basic',
      ...structuredClone(HYBRID_CLIENT),
    },
    {
      client_id: 'demo-app-post',
      client_name: 'Demo App (client_secret_post)',
      client_secret: 'demo-app-post-secret-0123456789abcdef01234567',
      token_endpoint_auth_method: 'client_secret_post',
      ...structuredClone(HYBRID_CLIENT),
    },
  ]
  if (options.privateKeyJwtJwks) {
    clients.push({
      client_id: 'demo-app-jwt',
      client_name: 'Demo App (private_key_jwt)',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: structuredClone(options.privateKeyJwtJwks),
      ...structuredClone(HYBRID_CLIENT),
    })
  }
  return clients
}

/**
 * The demo user `demo@example.com` / `demo-password` (`sub` `auth0|demo-user`), member of the
 * `acme` organization.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0-errata2.html#StandardClaims
 */
export function defaultUsers(): DevUser[] {
  return [
    {
      sub: 'auth0|demo-user',
      email: 'demo@example.com',
      password: 'demo-password',
      email_verified: true,
      name: 'Demo User',
      nickname: 'demo',
      organizations: ['org_acme'],
    },
  ]
}

/**
 * The demo API `https://api.example.com` with `read:messages` and `write:messages`, offline
 * access allowed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8707#section-2
 */
export function defaultApis(): DevApi[] {
  return [
    {
      identifier: 'https://api.example.com',
      scopes: ['read:messages', 'write:messages'],
      allowOfflineAccess: true,
    },
  ]
}

/**
 * `org_acme` (`acme`, the demo user is a member) and `org_globex` (`globex`, not a member).
 *
 * @see https://auth0.com/docs/manage-users/organizations/using-tokens
 */
export function defaultOrganizations(): DevOrganization[] {
  return [
    { id: 'org_acme', name: 'acme' },
    { id: 'org_globex', name: 'globex' },
  ]
}

/**
 * The seed's "Customize tokens" rule: a namespaced claim in access tokens and another in ID
 * tokens (Auth0 requires custom claims to be namespaced URLs).
 *
 * @see https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims
 */
export function defaultCustomClaims(context: CustomClaimsContext): Record<string, unknown> {
  return context.token === 'access_token'
    ? { 'http://foo/bar': 'value' }
    : { 'http://fiz/baz': 'some other value' }
}
