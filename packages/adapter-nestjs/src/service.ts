/**
 * The engine inside Nest's container: one `HybridAuth` per module, the per-request session, and
 * the login, callback and logout routes answered at the configured paths.
 */
import { Inject, Injectable } from '@nestjs/common'
import { createHybridAuth, type HybridAuth, isOidcHybridError } from '@oidc-hybrid/core'
import { NodeCryptoProvider } from '@oidc-hybrid/crypto-node'
import { type BodySource, readFormBody } from './body.js'
import { type OidcContext, RequestOidcContext, requestState } from './context.js'
import {
  headerOf,
  type NodeResponse,
  type PlatformRequest,
  type PlatformResponse,
  pathOf,
  plainHttpRefusal,
  sendError,
  targetOf,
  toAuthRequest,
  writeAuthResponse,
} from './http.js'
import { HYBRID_AUTH_OPTIONS, type HybridAuthModuleOptions } from './options.js'

type Route = NonNullable<ReturnType<HybridAuth['routeOf']>>

/** A Connect-style middleware, the shape both platforms' `use()` accepts. */
export type RouteMiddleware = (
  request: BodySource,
  response: NodeResponse,
  next: (error?: unknown) => void,
) => void

/**
 * The engine and the request contexts, injectable anywhere the module is visible.
 *
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 */
@Injectable()
export class HybridAuthService {
  /** The core engine (see `@oidc-hybrid/core`): load, refreshSession, provider (discovery and JWKS), config */
  readonly engine: HybridAuth

  constructor(@Inject(HYBRID_AUTH_OPTIONS) options: HybridAuthModuleOptions) {
    // A configuration mistake is a ConfigurationError here, when the application starts.
    // node:crypto is ~2-4x faster than WebCrypto on Node for the same sealed format (bench/).
    this.engine =
      options.engine ?? createHybridAuth({ crypto: new NodeCryptoProvider(), ...options })
  }

  /**
   * The request's authentication state, loaded once per request: expired, tampered or foreign
   * session cookies count as no session and are cleared, and a rolled or resealed session
   * cookie is written onto `response`.
   */
  context(request: PlatformRequest, response: PlatformResponse): Promise<OidcContext> {
    const state = requestState(request)
    state.context ??= this.#load(request, response)
    return state.context
  }

  async #load(request: PlatformRequest, response: PlatformResponse): Promise<OidcContext> {
    const engine = this.engine
    const loaded = await engine.load(toAuthRequest(request, engine.config.baseURL))
    const context = new RequestOidcContext(loaded, response)
    context.flush()
    return context
  }

  /**
   * The middleware the module mounts on the platform: answers GET login, the callback (any
   * method, so a wrong one gets a typed error), GET logout and POST back-channel logout (when
   * enabled) at exactly the configured paths, and the return from RP-initiated logout (a GET
   * whose sealed `state` names this path), and lets every other request through, noting
   * how to load its session.
   */
  middleware(): RouteMiddleware {
    const loader = this.context.bind(this)
    return (request, response, next) => {
      requestState(request).loader ??= loader
      const path = pathOf(request)
      const route: Route | undefined = this.engine.routeOf(
        request.method ?? '',
        path,
        targetOf(request).slice(path.length),
      )
      if (route === undefined) {
        next()
        return
      }
      this.#answer(route, request, response, next).catch(next)
    }
  }

  async #answer(
    route: Route,
    request: BodySource,
    response: NodeResponse,
    next: () => void,
  ): Promise<void> {
    const accept = headerOf(request, 'accept')
    const engine = this.engine
    try {
      const incoming = toAuthRequest(request, engine.config.baseURL)
      const problem = plainHttpRefusal(incoming.url)
      if (problem) throw problem
      // The same dispatch as the other adapters: the form body only where the engine reads one.
      const body = engine.readsForm(route, request.method ?? '')
        ? await readFormBody(request)
        : undefined
      const answer = await engine.handle({ ...incoming, body })
      // `undefined`: not the engine's after all (the logout return's state is for another path).
      if (!answer) return next()
      writeAuthResponse(response, answer, accept)
    } catch (error) {
      if (!isOidcHybridError(error)) throw error
      sendError(response, error, accept)
    }
  }
}
