/**
 * Starts the whole demo: the local provider (127.0.0.1), the API and the web app (localhost).
 * Provider and app are on different sites, so the form_post callback is really cross-site.
 */
import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import { start } from '@oidc-hybrid/dev-provider'
import type { AuthEvent } from '@oidc-hybrid/koa'
import { RedisSessionStore } from '@oidc-hybrid/redis'
import { createApi } from './api.js'
import { startRedis } from './redis.js'
import { createWeb } from './web.js'

export interface DemoOptions {
  webPort?: number
  apiPort?: number
  providerPort?: number
  responseType?: string
  /** Sessions on the server and back-channel logout (see `WebOptions.serverSessions`). */
  serverSessions?: boolean
  /**
   * Sessions in Redis, shared by two instances of the web app (`webPort` and `web2Port`): log in
   * on one, use the session on the other. Redis is `REDIS_URL`, or a redis-server started on
   * `redisPort` (default 6390).
   */
  redis?: boolean
  web2Port?: number
  redisPort?: number
  /**
   * DPoP (RFC 9449): the app logs in with `dpop()` (a key per login; every token, UserInfo and
   * API request carries a proof), and the API accepts DPoP-bound tokens only.
   */
  dpop?: boolean
  /** With `dpop`: the provider's token endpoint and the API demand server nonces (RFC 9449 8, 9). */
  dpopNonces?: boolean
  /** Told of each login, refresh, logout and API token check. Default: one line on stdout. */
  onEvent?: (event: AuthEvent) => void
}

export interface Demo {
  webURL: string
  /** With `redis`: the second instance of the web app, sharing the sessions. */
  web2URL?: string
  apiURL: string
  issuer: string
  user: { email: string; password: string }
  close(): Promise<void>
}

export const AUDIENCE = 'https://api.example.com'

/** An event as one line: `event callback.succeeded 302 sub=auth0|demo-user 41 ms`. */
export function eventLine({ type, status, code, sub, durationMs }: AuthEvent): string {
  const fields = [type, status, code, sub && `sub=${sub}`].filter((field) => field !== undefined)
  return `event ${fields.join(' ')} ${Math.round(durationMs)} ms`
}
const CLIENT_ID = 'demo-app'
const CLIENT_SECRET = 'demo-app-secret-0123456789abcdef0123456789'

/** A port that is taken, said with the variable that moves it (instead of a raw EADDRINUSE). */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly variable: string,
  ) {
    super(`port ${port} is already in use: stop what holds it, or set ${variable} to another port`)
    this.name = 'PortInUseError'
  }
}

function portError(error: unknown, port: number, variable: string): unknown {
  // The dev provider wraps the listen error; its cause carries the code.
  const { code, cause } = (error ?? {}) as { code?: string; cause?: { code?: string } }
  return code === 'EADDRINUSE' || cause?.code === 'EADDRINUSE'
    ? new PortInUseError(port, variable)
    : error
}

function listen(
  app: { listen: (port: number, host: string) => Server },
  port: number,
  variable: string,
) {
  return new Promise<Server>((resolve, reject) => {
    const server = app.listen(port, '127.0.0.1')
    server.once('listening', () => resolve(server))
    server.once('error', (error) => reject(portError(error, port, variable)))
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const webPort = options.webPort ?? 3000
  const apiPort = options.apiPort ?? 3001
  const webURL = `http://localhost:${webPort}`
  const apiURL = `http://localhost:${apiPort}`
  const web2URL = options.redis ? `http://localhost:${options.web2Port ?? webPort + 2}` : undefined
  const webURLs = web2URL ? [webURL, web2URL] : [webURL]
  const serverSide = options.serverSessions || options.redis
  const providerPort = options.providerPort ?? 4000
  const onEvent = options.onEvent ?? ((event: AuthEvent) => console.log(eventLine(event)))
  const redis = options.redis ? await startRedis(options.redisPort ?? 6390) : undefined
  const closing: Array<() => Promise<void>> = redis ? [() => redis.close()] : []
  const closeAll = async () => {
    for (const close of closing.reverse()) await close()
  }
  try {
    const provider = await start({
      port: providerPort,
      host: '127.0.0.1',
      dpopNonces: !!(options.dpop && options.dpopNonces),
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          token_endpoint_auth_method: 'client_secret_basic',
          redirect_uris: webURLs.map((url) => `${url}/callback`),
          post_logout_redirect_uris: webURLs.map((url) => `${url}/`),
          ...(serverSide
            ? {
                backchannel_logout_uri: `${webURL}/backchannel-logout`,
                backchannel_logout_session_required: true,
              }
            : {}),
          response_types: ['code id_token', 'code token', 'code id_token token', 'code'],
          grant_types: ['authorization_code', 'implicit', 'refresh_token'],
        },
      ],
      apis: [
        {
          identifier: AUDIENCE,
          scopes: ['read:messages', 'write:messages'],
          allowOfflineAccess: true,
        },
      ],
    }).catch((error: unknown) => {
      throw portError(error, providerPort, 'PROVIDER_PORT')
    })
    closing.push(() => provider.close())
    const api = await listen(
      createApi({
        issuerBaseURL: provider.issuer,
        audience: AUDIENCE,
        onEvent,
        dpop: options.dpop,
        dpopNonces: options.dpopNonces,
      }),
      apiPort,
      'API_PORT',
    )
    closing.push(() => close(api))
    // One secret for every instance: each opens the cookie the others sealed.
    const secret = randomBytes(32).toString('hex')
    const store = redis && new RedisSessionStore({ client: redis.client })
    for (const [index, baseURL] of webURLs.entries()) {
      const port = Number(new URL(baseURL).port)
      const webApp = createWeb({
        issuerBaseURL: provider.issuer,
        baseURL,
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        secret,
        apiURL,
        audience: AUDIENCE,
        responseType: options.responseType,
        serverSessions: options.serverSessions,
        dpop: options.dpop,
        onEvent,
        ...(store
          ? {
              store,
              sessionMode: `in Redis (${redis.url}), shared by ${webURLs.length} instances of this app, with back-channel logout`,
              instance: `instance ${index + 1} of ${webURLs.length} (port ${port})`,
            }
          : {}),
      })
      // The configuration checked against the provider before anyone logs in: a response type
      // it does not list, or a client authentication it does not support, stops the demo with
      // advice.
      await webApp.checkProvider()
      const web = await listen(webApp, port, index === 0 ? 'WEB_PORT' : 'WEB2_PORT')
      closing.push(() => close(web))
    }
    return {
      webURL,
      web2URL,
      apiURL,
      issuer: provider.issuer,
      user: { email: 'demo@example.com', password: 'demo-password' },
      close: closeAll,
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}
