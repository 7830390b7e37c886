/**
 * Back-channel logout for the engine, opt-in: `backchannelLogout: backchannelLogout()` in the
 * configuration. A separate module, so an app without it does not bundle it.
 */
import { isOidcHybridError, OidcHybridError } from '../errors.js'
import { remember } from '../lib/remember.js'
import { logoutTokenOf, verifyLogoutToken } from '../protocol/logout-token.js'
import { clientMetadata } from './config.js'
import { withKeys } from './provider-cache.js'
import { storeCall } from './session-store.js'
import { statusForError } from './status.js'
import type { AuthRequest, AuthResponse, BackchannelLogoutHandler, EngineView } from './types.js'

export type { BackchannelLogoutHandler } from './types.js'

/**
 * Back-channel logout: pass `backchannelLogout: backchannelLogout()` (with a `session.store`
 * that has `deleteBy`) and the engine answers `POST routes.backchannelLogout`. It verifies the
 * provider's Logout Token (signature, claims; a `jti` seen before is refused while the token
 * lives) and deletes the sessions it names (its `sid`, else every session of its `sub`): 200.
 * Any failure is answered 400, as 2.8 requires: `LOGOUT_TOKEN_INVALID` for an invalid request or
 * token, `SESSION_STORE_FAILED` for a failing store (the provider may retry), and so on. The
 * `jti` memory is this handler's: one per engine.
 *
 * @see [OpenID Connect Back-Channel Logout 1.0 2.5-2.8](https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest)
 * @example
 * ```ts
 * createHybridAuth({
 *   ...config,
 *   session: { store: new MemorySessionStore() },
 *   backchannelLogout: backchannelLogout(),
 * })
 * ```
 */
export function backchannelLogout(): BackchannelLogoutHandler {
  const used = new Map<string, number>()
  return {
    async handle(engine, request) {
      const headers = new Headers({ 'cache-control': 'no-store' })
      try {
        return await verifyAndEnd(engine, request, headers)
      } catch (error) {
        if (!isOidcHybridError(error)) throw error
        const { code, message } = error
        engine.config.log({ level: 'warn', event: 'request_failed', code, message })
        // Back-Channel Logout 1.0 2.8: an invalid request or a failed logout is a 400 (our own
        // misconfiguration stays a 500).
        return { status: statusForError(code) === 500 ? 500 : 400, headers, error }
      }
    },
  }

  async function verifyAndEnd(
    { config, provider }: EngineView,
    request: AuthRequest,
    headers: Headers,
  ): Promise<AuthResponse> {
    // resolveConfig refused this handler without a store that has deleteBy.
    const { store } = config.session.store!
    const token = logoutTokenOf({
      method: request.method,
      contentType: request.headers.get('content-type'),
      body: request.body,
    })
    const context = {
      client: clientMetadata(config),
      clockTolerance: config.clockTolerance,
      crypto: config.crypto,
      provider: await provider.metadata(),
      now: config.now(),
    }
    const result = await withKeys(provider, (jwks, jwksRefreshed) =>
      verifyLogoutToken({ ...context, jwks, jwksRefreshed }, token),
    )
    // With refreshed keys a miss throws; this only satisfies the type.
    if (result.kind !== 'verified') throw new OidcHybridError('LOGOUT_TOKEN_INVALID', 'no key')
    const { iss, sub, sid, jti, exp } = result.claims
    const key = `${iss} ${jti}`
    if ((used.get(key) ?? 0) > context.now) {
      throw new OidcHybridError('LOGOUT_TOKEN_INVALID', 'logout token was already used', {
        details: { reason: 'jti' },
      })
    }
    // Only the claims present: a store must not read an absent one as "null".
    const filter = {
      iss,
      ...(sub === undefined ? {} : { sub }),
      ...(sid === undefined ? {} : { sid }),
    }
    await storeCall(store, (store) => store.deleteBy!(filter))
    // Remembered once acted on (a failed store leaves the provider free to retry).
    remember(used, key, exp + config.clockTolerance, context.now)
    config.log({ level: 'info', event: 'backchannel_logout' })
    return { status: 200, headers }
  }
}
