/**
 * A request's authentication state: the session the engine loaded once, the actions on it, and
 * the Set-Cookie lines they produce written onto the response as soon as they exist (so they
 * also go out with an error answer).
 */
import type {
  AccessTokenOptions,
  AccessTokenView,
  IdTokenClaims,
  RequestSession,
  Session,
  UserinfoClaims,
  VerifiedBearer,
} from '@oidc-hybrid/core'
import type { OidcSessionView } from '@oidc-hybrid/core/adapter'
import { appendSetCookies, type PlatformRequest, type PlatformResponse } from './http.js'

/** @deprecated Use `AccessTokenView`, the name in every adapter. */
export type SessionAccessToken = AccessTokenView

/** What `@Oidc()` gives a handler: the request's authentication state and actions. */
export type OidcContext = OidcSessionView

export class RequestOidcContext implements OidcContext {
  readonly #loaded: RequestSession
  readonly #response: PlatformResponse

  constructor(loaded: RequestSession, response: PlatformResponse) {
    this.#loaded = loaded
    this.#response = response
  }

  isAuthenticated(): boolean {
    return this.#loaded.isAuthenticated()
  }
  get user(): IdTokenClaims | undefined {
    return this.#loaded.user
  }
  get idTokenClaims(): IdTokenClaims | undefined {
    return this.#loaded.user
  }
  get idToken(): string | undefined {
    return this.#loaded.session?.idToken
  }
  get refreshToken(): string | undefined {
    return this.#loaded.session?.refreshToken
  }
  get session(): Session | undefined {
    return this.#loaded.session
  }
  get accessToken(): AccessTokenView | undefined {
    const session = this.#loaded.session
    return session && this.#loaded.viewOf(session, (run) => this.#track(run))
  }

  getAccessToken(options?: AccessTokenOptions): Promise<AccessTokenView> {
    return this.#track(async () =>
      this.#loaded.viewOf(await this.#loaded.getAccessToken(options), (run) => this.#track(run)),
    )
  }

  fetchUserInfo(): Promise<UserinfoClaims> {
    return this.#track(() => this.#loaded.fetchUserinfo())
  }

  fetch(
    input: string | URL | Request,
    init?: RequestInit,
    options?: AccessTokenOptions,
  ): Promise<Response> {
    return this.#track(() => this.#loaded.fetchWithAccessToken(input, init, options))
  }

  /** Writes the Set-Cookie lines produced so far (rolling, resealing, refresh) onto the response. */
  flush(): void {
    appendSetCookies(this.#response, this.#loaded.takeSetCookies())
  }

  async #track<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } finally {
      this.flush()
    }
  }
}

/** Loads a request's context; the module stashes one on every request it sees. */
export type ContextLoader = (
  request: PlatformRequest,
  response: PlatformResponse,
) => Promise<OidcContext>

/** What the adapter keeps on a request between the middleware, the guards and the decorators. */
export interface RequestState {
  loader?: ContextLoader
  context?: Promise<OidcContext>
  bearer?: VerifiedBearer
}

// Symbol.for: the ESM and CJS builds of this package, if both are loaded, see the same state.
const STATE = Symbol.for('@oidc-hybrid/nestjs.request-state')

/**
 * The adapter's state for a request, kept on the Node request underneath (Fastify's request
 * wraps it, so the middleware and the guards see one object on both platforms).
 */
export function requestState(request: PlatformRequest): RequestState {
  const holder = (request.raw ?? request) as { [STATE]?: RequestState }
  holder[STATE] ??= {}
  return holder[STATE]
}
