/**
 * `apiTokens()`: access tokens for more than one API from the one login, through the refresh
 * token: Auth0's multi-resource refresh tokens (`audience`), or RFC 8707 resource indicators
 * (`resource`) with other providers. Opt-in code (an import), so an app that calls one API does
 * not bundle it.
 */
import { ConfigurationError, OidcHybridError } from '../errors.js'
import { decode, fromUtf8 } from '../lib/base64url.js'
import { isRecord, parseJson } from '../lib/compare.js'
import type { ApiToken, Session } from '../protocol/types.js'
import type { AccessTokenOptions, RequestSession } from './request-session.js'

/** What `apiTokens` takes: made by {@link apiTokens}. */
export interface ApiTokens {
  /** The session with the token for the API `options` names as its access token. */
  get(loaded: RequestSession, options: AccessTokenOptions): Promise<Session>
}

export interface ApiTokensOptions {
  /** Most tokens kept in one session (default 4; expired ones go first, then the oldest). */
  max?: number
  /**
   * The most the session may grow to with its kept tokens, in characters of its JSON (default
   * 11 000: what the session cookie's 4 chunks hold sealed, before compression). Beyond it the
   * oldest tokens are not kept (the one just got too, if it alone does not fit): a cookie
   * session never grows past its cookies, and such a token is got again when next needed. With
   * a store (`serverSessions`), raise it (e.g. `Infinity`).
   */
  maxSessionBytes?: number
}

/**
 * Tokens for other APIs: `getAccessToken({ audience })` (Auth0) or `getAccessToken({ resource })`
 * (RFC 8707), optionally with a `scope`, in every adapter; `fetch(url, init, { audience })` calls
 * that API with its token. Each token is got with a refresh_token grant that sends the
 * `audience` or `resource` parameter, the response checked as any refresh is (its ID token, if
 * any, verified), and is then kept in the session, by API and scope, until it expires
 * (`refreshLeeway` before). The session keeps its own access token; a rotated refresh token is
 * stored at once. Concurrent requests for the same token share one call, and with a store whose
 * `lease` coordinates refresh across instances, the API token's refresh goes through it too.
 *
 * @example
 * ```ts
 * import { apiTokens } from '@oidc-hybrid/core'
 * createHybridAuth({ ...options, apiTokens: apiTokens() })
 * // in a handler:
 * const billing = await oidc.getAccessToken({ audience: 'https://billing.example.com' })
 * ```
 *
 * @see [RFC 8707 2.2](https://www.rfc-editor.org/rfc/rfc8707#section-2.2) resource in a refresh
 * @see [RFC 6749 6](https://www.rfc-editor.org/rfc/rfc6749#section-6)
 */
export function apiTokens({ max = 4, maxSessionBytes = 11_000 }: ApiTokensOptions = {}): ApiTokens {
  if (!Number.isInteger(max) || max < 1) {
    throw new ConfigurationError('apiTokens({ max }): a whole number >= 1')
  }
  if (!(maxSessionBytes > 0)) {
    throw new ConfigurationError('apiTokens({ maxSessionBytes }): a number > 0')
  }
  /** Token calls in flight, by refresh token and API: concurrent requests join them. */
  const inFlight = new Map<string, Promise<Session>>()
  return {
    async get(loaded, { audience, resource, scope, refresh = 'auto' }) {
      if (audience !== undefined && resource !== undefined) {
        throw new ConfigurationError('getAccessToken: give audience or resource, not both')
      }
      const api = (audience ?? resource)!
      if (typeof api !== 'string' || api === '') {
        throw new ConfigurationError('getAccessToken: audience or resource must be a string')
      }
      if (refresh === 'never') {
        throw new ConfigurationError(
          "getAccessToken({ audience | resource }) gets the token when it needs one: refresh 'never' is not for it",
        )
      }
      const key = JSON.stringify([audience ? 'audience' : 'resource', api, scope ?? null])
      const session = loaded.session!
      const kept = session.apiTokens?.[key]
      if (kept && refresh !== 'force') {
        const served = asSession(session, kept, api)
        if (!loaded.viewOf(served).isExpired()) return served
      }
      const flight = `${session.refreshToken}\n${key}`
      let running = inFlight.get(flight)
      if (!running) {
        const extra: Record<string, string> = audience ? { audience } : { resource: api }
        let foreign = false
        running = loaded
          .refresh(scope, true, extra, (refreshed, current) => {
            // The rotated refresh token is stored either way; a token for another API is not.
            foreign = !isFor(refreshed.accessToken, api)
            const next: Session = {
              ...current,
              refreshToken: refreshed.refreshToken,
              idToken: refreshed.idToken,
              claims: refreshed.claims,
              updatedAt: refreshed.updatedAt,
            }
            const kept = keep(current.apiTokens, key, tokenOf(refreshed), max, loaded)
            if (foreign) kept.pop()
            // Oldest first out until the session fits (the new token last of all).
            while (kept.length > 0) {
              next.apiTokens = Object.fromEntries(kept)
              if (JSON.stringify(next).length <= maxSessionBytes) return next
              kept.shift()
            }
            next.apiTokens = undefined
            return next
          })
          .then((refreshed) => {
            if (foreign) {
              // Auth0 answers an audience its refresh token policy does not list with a token
              // for the login's API, and no error.
              throw new OidcHybridError(
                'TOKEN_RESPONSE_INVALID',
                `the provider answered a token for another API than ${api} (its aud): allow ${api} for refresh tokens (Auth0: the application's multi-resource refresh token policy)`,
                { details: { api } },
              )
            }
            return asSession(refreshed, tokenOf(refreshed), api)
          })
          .finally(() => inFlight.delete(flight))
        inFlight.set(flight, running)
      }
      return running
    },
  }
}

function tokenOf({ accessToken, tokenType, expiresAt, scope }: Session): ApiToken {
  return { accessToken, tokenType, expiresAt, scope }
}

/** `session` with the API token as its access token (what `getAccessToken` returns). */
function asSession(session: Session, token: ApiToken, api: string): Session {
  return { ...session, ...token, audience: api }
}

/** The kept tokens, oldest first, with `token` under `key` last: at most `max`, none expired. */
function keep(
  kept: Record<string, ApiToken> | undefined,
  key: string,
  token: ApiToken,
  max: number,
  loaded: RequestSession,
): Array<[string, ApiToken]> {
  const entries = Object.entries(kept ?? {}).filter(
    ([name, value]) => name !== key && !loaded.viewOf(value as Session).isExpired(),
  )
  return [...entries.slice(Math.max(0, entries.length - (max - 1))), [key, token]]
}

/**
 * Whether `accessToken` can be for `api`: an opaque token, or a JWT without `aud`, cannot be
 * told and is taken; a JWT whose `aud` does not name `api` is for another API.
 */
function isFor(accessToken: string, api: string): boolean {
  const parts = accessToken.split('.')
  const claims = parts.length === 3 ? parseJson(fromUtf8(decode(parts[1]!))) : undefined
  const aud = isRecord(claims) ? claims.aud : undefined
  return aud === undefined || [aud].flat().includes(api)
}
