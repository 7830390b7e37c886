import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Provider } from 'oidc-provider'
import { buildConfiguration, type Directory } from './configuration.js'
import { DevProviderConfigError } from './errors.js'
import { interactionRoutes } from './interactions.js'
import { signerOf } from './lib/jws.js'
import { generateCookieKeys, generateSigningKey } from './lib/keys.js'
import { MemoryStore, memoryAdapter } from './lib/memory-adapter.js'
import { multiResourceRefresh } from './multi-resource.js'
import { baseUrl, resolveOptions } from './options.js'
import type { DevProvider, DevProviderOptions, OidcProviderInstance } from './types.js'
import { UserinfoAudience } from './userinfo-audience.js'
import { behaviourMiddleware } from './variants.js'

/** oidc-provider events worth a line in the log: failed requests, with the reason. */
const ERROR_EVENTS = [
  'authorization.error',
  'end_session.error',
  'grant.error',
  'revocation.error',
  'userinfo.error',
]

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/**
 * Development keeps `http://localhost` redirect URIs, which OpenID Connect Core forbids for web
 * clients of the implicit grant types (that includes every hybrid response type). This is
 * oidc-provider's documented development-only relaxation of exactly those two checks.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/recipes/implicit_http_localhost.md
 */
function allowHttpLocalhostRedirects(provider: Provider): void {
  const schema = provider.Client.Schema.prototype
  const invalidate = schema.invalidate
  schema.invalidate = function invalidateUnlessDevelopmentRedirect(message, code) {
    if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return
    invalidate.call(this, message, code)
  }
}

/** Loads every client once, so bad client metadata fails `start()` instead of a later login. */
async function checkClients(provider: Provider, clientIds: string[]): Promise<void> {
  for (const clientId of clientIds) {
    try {
      await provider.Client.find(clientId)
    } catch (cause) {
      const description = (cause as { error_description?: unknown }).error_description
      throw new DevProviderConfigError(
        `client "${clientId}" is invalid: ${String(description ?? (cause as Error).message)}`,
        { cause },
      )
    }
  }
}

/**
 * Starts a local, Auth0-like OpenID Provider (oidc-provider, certified) on `127.0.0.1`.
 *
 * It serves discovery at `${issuer}.well-known/openid-configuration`, the hybrid response types
 * with `response_mode=form_post`, PKCE (S256, required), Auth0's `audience` (JWT access tokens
 * for an API, RFC 9068) and RFC 8707 `resource`, tokens for other APIs from a refresh token
 * (`resource`, or Auth0's `audience` for APIs with `multiResourceRefreshToken`),
 * `organization`, `offline_access` with rotating refresh tokens,
 * RP-initiated logout, and a login page listing the demo credentials.
 *
 * @example
 * ```ts
 * import { completeLogin, start } from '@oidc-hybrid/dev-provider'
 *
 * const op = await start()
 * console.log(op.issuer) // http://127.0.0.1:54321/
 * await op.close()
 * ```
 * @see https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html
 */
export async function start(options: DevProviderOptions = {}): Promise<DevProvider> {
  const resolved = resolveOptions(options)
  const signingKey = await generateSigningKey(resolved.signingAlg)

  const server = createServer()
  let port: number
  try {
    port = await listen(server, resolved.port, resolved.host)
  } catch (cause) {
    throw new DevProviderConfigError(
      `cannot listen on ${resolved.host}:${resolved.port}: ${(cause as Error).message}; is another process using the port?`,
      { cause },
    )
  }
  const url = baseUrl(resolved.host, port)
  const issuer = resolved.issuer ?? `${url}/`

  const directory: Directory = {
    clients: new Map(resolved.clients.map((client) => [client.client_id, client])),
    users: new Map(resolved.users.map((user) => [user.sub, user])),
    apis: new Map(resolved.apis.map((api) => [api.identifier, api])),
    organizations: resolved.organizations,
    grantOrganizations: new Map(),
    customClaims: resolved.customClaims,
  }
  const store = new MemoryStore()
  const userinfoAudience = new UserinfoAudience(issuer, signingKey, resolved.signingAlg)

  let provider: Provider
  try {
    provider = new Provider(
      issuer,
      buildConfiguration({
        directory,
        accessTokenTTL: resolved.accessTokenTTL,
        idTokenTTL: resolved.idTokenTTL,
        signingAlg: resolved.signingAlg,
        signingKey,
        cookieKeys: resolved.cookieKeys ?? generateCookieKeys(),
        adapter: memoryAdapter(store),
        userinfoAudience,
        behaviour: resolved.behaviour,
        dpopNonceSecret: randomBytes(32),
      }),
    )
    allowHttpLocalhostRedirects(provider)
    await checkClients(provider, [...directory.clients.keys()])
  } catch (cause) {
    await closeServer(server)
    if (cause instanceof DevProviderConfigError) throw cause
    throw new DevProviderConfigError(
      `oidc-provider rejected the configuration: ${(cause as Error).message}`,
      {
        cause,
      },
    )
  }

  const { logger } = resolved
  provider.use(interactionRoutes(provider, directory, logger, resolved.behaviour.acrValues))
  provider.use(userinfoAudience.route(logger))
  const multiResource = multiResourceRefresh(resolved.apis)
  if (multiResource) provider.use(multiResource)
  provider.use(
    behaviourMiddleware(resolved.behaviour, signerOf(signingKey, resolved.signingAlg), logger),
  )
  provider.on('server_error', (_ctx, error) => logger.error('server error', error))
  // Koa prints unhandled errors to stderr unless someone listens.
  provider.on('error', (error) => logger.error('unhandled error', error))
  for (const event of ERROR_EVENTS) {
    provider.on(event, (_ctx, error) => {
      const { message, error_description } = error as Error & { error_description?: string }
      logger.info(`${event}: ${message}${error_description ? ` (${error_description})` : ''}`)
    })
  }
  server.on('request', provider.callback())

  let closing: Promise<void> | undefined
  return {
    issuer,
    url,
    port,
    clients: resolved.clients,
    users: resolved.users,
    apis: resolved.apis,
    organizations: resolved.organizations,
    provider: provider as unknown as OidcProviderInstance,
    close() {
      closing ??= closeServer(server).then(() => store.clear())
      return closing
    },
  }
}
