/**
 * The demo API: a separate Koa server whose routes require a bearer access token for
 * `https://api.example.com` with the right scope (RFC 9068 / RFC 6750); with `dpop`, a DPoP-bound
 * token and a proof of its key with each request (RFC 9449).
 */
import Router from '@koa/router'
import { type AuthEvent, events, requireBearer } from '@oidc-hybrid/koa'
import Koa from 'koa'

export interface ApiOptions {
  issuerBaseURL: string
  audience: string
  /** Told of each token accepted or refused (`events()`: the token is not in it). */
  onEvent?: (event: AuthEvent) => void
  /** Only DPoP-bound tokens, each request with its proof (`dpop: 'require'`); Bearer is refused. */
  dpop?: boolean
  /** With `dpop`: proofs must carry this API's server nonce (RFC 9449 9). */
  dpopNonces?: boolean
}

export function createApi(options: ApiOptions): Koa {
  const app = new Koa()
  const router = new Router()
  const verifier = {
    issuerBaseURL: options.issuerBaseURL,
    audience: options.audience,
    realm: 'demo-api',
    ...(options.dpop ? { dpop: 'require' as const, dpopNonce: !!options.dpopNonces } : {}),
    extensions: options.onEvent ? [events({ onEvent: options.onEvent })] : [],
  }
  router.get('/api/messages', requireBearer(verifier, { scopes: ['read:messages'] }), (ctx) => {
    const { claims, scopes, jkt } = ctx.state.auth
    ctx.body = {
      messages: [
        { id: 1, text: 'Hello from the demo API' },
        { id: 2, text: `Your access token is for ${String(claims.aud)}` },
      ],
      sub: claims.sub,
      scopes,
      customClaim: claims['http://foo/bar'],
      // How the token came: DPoP with the thumbprint of the key the request's proof was signed
      // with (the token's cnf.jkt), or Bearer.
      scheme: jkt ? 'DPoP' : 'Bearer',
      ...(jkt ? { jkt } : {}),
    }
  })
  router.post('/api/messages', requireBearer(verifier, { scopes: ['write:messages'] }), (ctx) => {
    ctx.status = 201
    ctx.body = { ok: true, sub: ctx.state.auth.claims.sub }
  })
  app.use(router.routes())
  return app
}
