/**
 * One adapter's app on a free port with the dev provider (oidc-provider) and one confidential
 * client for it: what the small end-to-end specs (code flow, silent login) start per test.
 */
import type { HybridAuthConfig } from '@oidc-hybrid/core'
import { listen, startTestProvider, type TestProvider } from '@oidc-hybrid/test-kit'
import type { AppUnderTest } from './apps.js'

export interface StartedApp {
  url: string
  provider: TestProvider
  close(): Promise<void>
}

/** `adapter`'s app for the client `clientId`, with `config` over the provider's and client's. */
export async function startApp(
  adapter: AppUnderTest,
  clientId: string,
  config: Partial<HybridAuthConfig> = {},
): Promise<StartedApp> {
  const web = await listen()
  const clientSecret = `${clientId}-client-secret-0123456789abcdef0123456789`
  const provider = await startTestProvider({
    client: { clientId, clientSecret, appURLs: [web.url] },
  })
  const app = await adapter.start(
    (baseURL) => ({
      issuerBaseURL: provider.issuer,
      baseURL,
      clientID: clientId,
      clientSecret,
      secret: `${clientId}-test-cookie-secret-0123456789abcdef`,
      ...config,
    }),
    { server: web.server },
  )
  return {
    url: app.url,
    provider,
    close: async () => {
      await app.close()
      await provider.close()
    },
  }
}
