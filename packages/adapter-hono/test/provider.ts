/**
 * What both runtimes' end-to-end tests share: the real dev provider (oidc-provider) with a client
 * for the app, and the test app's bindings for it. The "browser" is the test kit's: a cookie jar
 * over any `send` (real fetch for Node; Miniflare's dispatchFetch for workerd).
 */
import type { DevProvider } from '@oidc-hybrid/dev-provider'
import { defaultApis } from '@oidc-hybrid/dev-provider'
import { startTestProvider } from '@oidc-hybrid/test-kit'
import type { TestEnv } from './app.js'

export const AUDIENCE = 'https://api.example.com'
export const CLIENT_ID = 'hono-app'
const CLIENT_SECRET = 'hono-test-client-secret-0123456789abcdef0123'
const PKJWT_CLIENT_ID = 'hono-app-private-key-jwt'
const COOKIE_SECRET = 'hono-adapter-test-cookie-secret-0123456789abcdef'

export interface TestProvider {
  provider: DevProvider
  /** Token endpoint grants the provider answered (success or error). */
  grants: () => number
  /**
   * `privateKeyJwt`: the client that authenticates with private_key_jwt, its private key (a JWK)
   * passed to the app as `CLIENT_PRIVATE_KEY`, as a Worker secret would.
   */
  env(options?: { responseType?: string; privateKeyJwt?: boolean }): TestEnv
  close(): Promise<void>
}

/**
 * The dev provider with one confidential client whose redirect URIs are on `appURL`
 * (`backchannelLogout`: with `<appURL>/backchannel-logout` registered).
 */
export async function startProvider(
  appURL: string,
  options: { accessTokenTTL?: number; backchannelLogout?: boolean } = {},
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
    client: {
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      appURLs: [appURL],
      backchannelLogout: options.backchannelLogout,
    },
    moreClients: [
      {
        clientId: PKJWT_CLIENT_ID,
        appURLs: [appURL],
        authMethod: 'private_key_jwt',
        jwks: { keys: [{ ...(await jwk(keys.publicKey)), use: 'sig', alg: 'ES256' }] } as never,
      },
    ],
    apis: defaultApis().map((api) => ({ ...api, accessTokenTTL: options.accessTokenTTL })),
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
