/**
 * The end-to-end test app as a Worker: `createAuth` of @oidc-hybrid/fetch with its sessions in
 * Durable Objects (`serverSessions(new DurableObjectSessionStore(env.SESSIONS))`). The app is
 * created on the first request (its configuration is in `env`) and kept for the isolate's life.
 *
 * The Worker exports `SessionsObject`, so it can define the binding itself; a second deployment
 * of the same script binds to the first one's objects (`script_name`).
 *
 * - `/me`: the session's claims (401 without a session);
 * - `/token`: the access token, refreshed first when it is (about to be) expired;
 * - `/refresh`: a forced refresh's access token.
 */
import type { DurableObjectNamespace } from '@cloudflare/workers-types'
import { createAuth, type FetchAuth, serverSessions } from '@oidc-hybrid/fetch'
import { DurableObjectSessionStore, SessionsObject } from '../src/index.js'

export { SessionsObject }

export interface AppEnv {
  ISSUER_BASE_URL: string
  BASE_URL: string
  CLIENT_ID: string
  CLIENT_SECRET: string
  SECRET: string
  /** Seconds before expiry an access token counts as expired. */
  REFRESH_LEEWAY: string
  SESSIONS: DurableObjectNamespace<SessionsObject>
}

let app: ((request: Request) => Promise<Response>) | undefined

function createApp(env: AppEnv): (request: Request) => Promise<Response> {
  const auth: FetchAuth = createAuth({
    issuerBaseURL: env.ISSUER_BASE_URL,
    baseURL: env.BASE_URL,
    clientID: env.CLIENT_ID,
    clientSecret: env.CLIENT_SECRET,
    secret: env.SECRET,
    refreshLeeway: Number(env.REFRESH_LEEWAY),
    authorizationParams: {
      response_type: 'code id_token',
      scope: 'openid profile email offline_access',
    },
    session: { store: serverSessions(new DurableObjectSessionStore(env.SESSIONS)) },
  })
  return auth.wrap(async (request, oidc) => {
    const { pathname } = new URL(request.url)
    const denied = await oidc.requireAuth()
    if (denied) return denied
    if (pathname === '/me') return Response.json({ sub: oidc.user?.sub })
    if (pathname === '/token' || pathname === '/refresh') {
      const token = await oidc.getAccessToken(pathname === '/refresh' ? { refresh: 'force' } : {})
      return Response.json({ token: token.access_token, expires_in: token.expires_in })
    }
    return new Response('not found', { status: 404 })
  })
}

export default {
  fetch(request: Request, env: AppEnv): Promise<Response> {
    app ??= createApp(env)
    return app(request)
  },
}
