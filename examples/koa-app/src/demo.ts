/**
 * Starts the whole demo: the local provider (127.0.0.1), the API and the web app (localhost).
 * Provider and app are on different sites, so the form_post callback is really cross-site.
 */
import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import { start } from '@oidc-hybrid/dev-provider'
import { createApi } from './api.js'
import { createWeb } from './web.js'

export interface DemoOptions {
  webPort?: number
  apiPort?: number
  providerPort?: number
  responseType?: string
  /** Sessions on the server and back-channel logout (see `WebOptions.serverSessions`). */
  serverSessions?: boolean
}

export interface Demo {
  webURL: string
  apiURL: string
  issuer: string
  user: { email: string; password: string }
  close(): Promise<void>
}

export const AUDIENCE = 'https://api.example.com'
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
  const providerPort = options.providerPort ?? 4000
  const provider = await start({
    port: providerPort,
    host: '127.0.0.1',
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${webURL}/callback`],
        post_logout_redirect_uris: [`${webURL}/`],
        ...(options.serverSessions
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
  const api = await listen(
    createApi({ issuerBaseURL: provider.issuer, audience: AUDIENCE }),
    apiPort,
    'API_PORT',
  ).catch(async (error: unknown) => {
    await provider.close()
    throw error
  })
  const webApp = createWeb({
    issuerBaseURL: provider.issuer,
    baseURL: webURL,
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    secret: randomBytes(32).toString('hex'),
    apiURL,
    audience: AUDIENCE,
    responseType: options.responseType,
    serverSessions: options.serverSessions,
  })
  // The configuration checked against the provider before anyone logs in: a response type it
  // does not list, or a client authentication it does not support, stops the demo with advice.
  const web = await webApp
    .checkProvider()
    .then(() => listen(webApp, webPort, 'WEB_PORT'))
    .catch(async (error: unknown) => {
      await close(api)
      await provider.close()
      throw error
    })
  return {
    webURL,
    apiURL,
    issuer: provider.issuer,
    user: { email: 'demo@example.com', password: 'demo-password' },
    close: async () => {
      await Promise.all([close(web), close(api)])
      await provider.close()
    },
  }
}
