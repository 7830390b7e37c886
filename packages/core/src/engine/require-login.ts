/**
 * The require-login decision every adapter shares: what to answer a request that needs a
 * logged-in user and has none.
 */
import { OidcHybridError } from '../errors.js'
import type { HybridAuth } from './hybrid-auth.js'
import { wantsHtml } from './render.js'
import type { AuthRequest, AuthResponse } from './types.js'

/**
 * The answer to a request that needs a logged-in user and has none: a browser navigation (GET
 * asking for HTML) is sent to the login and comes back to the URL it asked for (its path and
 * query); anything else (an API client, a form POST) gets 401 `SESSION_MISSING`, never a redirect
 * it could not follow.
 *
 * @example
 * ```ts
 * if (!loaded.isAuthenticated()) return translate(await loginOrDeny(engine, request))
 * ```
 * @see [OIDC Core 3.3.2.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthRequest)
 */
export async function loginOrDeny(engine: HybridAuth, request: AuthRequest): Promise<AuthResponse> {
  if (request.method === 'GET' && wantsHtml(request.headers.get('accept'))) {
    const { pathname, search } = new URL(request.url)
    return engine.login(request, { returnTo: pathname + search })
  }
  return {
    status: 401,
    headers: new Headers({ 'cache-control': 'no-store' }),
    error: new OidcHybridError('SESSION_MISSING', 'log in first'),
  }
}
