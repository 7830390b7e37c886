/**
 * What every runtime's end-to-end test shares: the real dev provider (oidc-provider) with a client
 * for the app, and the test app's configuration for it. The "browser" is the test kit's: a cookie
 * jar over any `send` (real fetch for Node, Bun and Deno; Miniflare's dispatchFetch for workerd).
 */
import type { DevProvider } from '@oidc-hybrid/dev-provider'
import { defaultApis } from '@oidc-hybrid/dev-provider'
import { startTestProvider } from '@oidc-hybrid/test-kit'
import type { TestEnv } from './app.js'

export const AUDIENCE = 'https://api.example.com'
const CLIENT_ID = 'fetch-app'
const CLIENT_SECRET = 'fetch-test-client-secret-0123456789abcdef0123'
const PKJWT_CLIENT_ID = 'fetch-app-private-key-jwt'
const COOKIE_SECRET = 'fetch-adapter-test-cookie-secret-0123456789abcdef'

export interface TestProvider {
  provider: DevProvider
  /** Token endpoint grants the provider answered (success or error). */
  grants: () => number
  /**
   * `privateKeyJwt`: the client that authenticates with private_key_jwt, its private key (a JWK)
   * passed to the app as `CLIENT_PRIVATE_KEY`, as configuration would.
   */
  env(options?: { responseType?: string; privateKeyJwt?: boolean }): TestEnv
  close(): Promise<void>
}

/** The dev provider with one confidential client whose redirect URIs are on `appURL`. */
export async function startProvider(
  appURL: string,
  /** `dpopNonces`: the provider demands DPoP server nonces (token endpoint, UserInfo). */
  options: { accessTokenTTL?: number; dpopNonces?: boolean } = {},
): Promise<TestProvider> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const jwk = async (key: CryptoKey) => ({
    ...(await crypto.subtle.exportKey('jwk', key)),
    kid: 'k1',
  })
  const privateJwk = JSON.stringify(await jwk(keys.privateKey))
  const { provider, grants, close } = await startTestProvider({
    client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appURLs: [appURL] },
    moreClients: [
      {
        clientId: PKJWT_CLIENT_ID,
        appURLs: [appURL],
        authMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(await jwk(keys.publicKey)), use: 'sig', alg: 'ES256' }] } as never,
      },
    ],
    apis: defaultApis().map((api) => ({ ...api, accessTokenTTL: options.accessTokenTTL })),
    dpopNonces: options.dpopNonces,
  })
  return {
    provider,
    grants,
    env: ({ responseType, privateKeyJwt } = {}) => ({
      ISSUER_BASE_URL: provider.issuer,
      BASE_URL: appURL,
      ...(privateKeyJwt
        ? { CLIENT_ID: PKJWT_CLIENT_ID, CLIENT_SECRET: '', CLIENT_PRIVATE_KEY: privateJwk }
        : { CLIENT_ID, CLIENT_SECRET }),
      SECRET: COOKIE_SECRET,
      AUDIENCE,
      RESPONSE_TYPE: responseType,
    }),
    close,
  }
}
