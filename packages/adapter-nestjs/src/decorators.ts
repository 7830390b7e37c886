/**
 * Parameter decorators for handlers: the user (ID token claims), the session, a fresh access
 * token, and the whole request context. They read the session `HybridAuthGuard` loaded, or load
 * it on routes the guard does not cover (the module notes how on every request).
 */
import { createParamDecorator, type ExecutionContext } from '@nestjs/common'
import {
  type AccessTokenOptions,
  ConfigurationError,
  type IdTokenClaims,
  type Session,
} from '@oidc-hybrid/core'
import { type OidcContext, requestState } from './context.js'
import type { PlatformRequest, PlatformResponse } from './http.js'

/**
 * The request's {@link OidcContext}, loaded once; for custom decorators of your own.
 *
 * @see [OIDC Core 3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridFlowAuth)
 */
export function oidcContextOf(context: ExecutionContext): Promise<OidcContext> {
  const http = context.switchToHttp()
  const request = http.getRequest<PlatformRequest>()
  const state = requestState(request)
  if (state.context) return state.context
  if (state.loader) return state.loader(request, http.getResponse<PlatformResponse>())
  return Promise.reject(
    new ConfigurationError(
      'no session was loaded for this request: import HybridAuthModule.forRoot() in the application (its middleware and HybridAuthGuard load the session)',
    ),
  )
}

/**
 * The logged-in user's ID token claims (`undefined` when nobody is logged in), or one claim:
 * `@User('email') email: string`.
 *
 * @see [OIDC Core 2](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDToken)
 */
export const User = createParamDecorator(
  async (claim: string | undefined, context: ExecutionContext): Promise<unknown> => {
    const user: IdTokenClaims | undefined = (await oidcContextOf(context)).user
    return claim === undefined ? user : user?.[claim]
  },
)

/**
 * The whole session (tokens, claims, times), or `undefined` when nobody is logged in.
 *
 * @see [OIDC Core 3.3.3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridTokenResponse)
 */
export const AuthSession = createParamDecorator(
  async (_data: unknown, context: ExecutionContext): Promise<Session | undefined> =>
    (await oidcContextOf(context)).session,
)

/**
 * The token-endpoint access token, refreshed first when it has expired (or always with
 * `{ refresh: 'force' }`, or narrowed with `{ scope }`); the updated session cookie is written
 * onto the response. Without a session the request fails with 401 `SESSION_MISSING`.
 *
 * @see [OIDC Core 12](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshTokens)
 */
export const AccessToken = createParamDecorator(
  async (options: AccessTokenOptions | undefined, context: ExecutionContext): Promise<string> =>
    (await (await oidcContextOf(context)).getAccessToken(options)).access_token,
)

/**
 * The request's {@link OidcContext}: user, tokens, refresh, userinfo, fetch with the token.
 *
 * @see [OIDC Core 5.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#UserInfo)
 * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
 */
export const Oidc = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Promise<OidcContext> => oidcContextOf(context),
)
