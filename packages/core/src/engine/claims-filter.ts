/**
 * `claimsFilter()`: which ID token claims a session keeps. Opt-in code (an import), so apps that
 * keep every claim do not bundle it.
 */
import type { IdTokenClaims, Session } from '../protocol/types.js'

/** What `filterClaims` takes: made by {@link claimsFilter}. */
export interface ClaimsFilter {
  /** The session with only the kept claims (and the protocol's own). */
  filter(session: Session): Session
}

/** Claims the protocol itself reads later (refresh checks, logout, organizations): always kept. */
const PROTOCOL_CLAIMS =
  'iss sub aud azp exp iat nbf auth_time nonce sid acr amr org_id org_name'.split(' ')

/**
 * A `filterClaims` that keeps what `keep` returns of the ID token claims, at login and refresh,
 * plus the protocol's own (`iss`, `sub`, `aud`, `azp`, `exp`, `iat`, `nbf`, `auth_time`, `nonce`,
 * `sid`, `acr`, `amr`, `org_id`, `org_name`). When a claim is dropped, the raw ID token goes too
 * (it would carry every claim again): the session is then without `idToken`, and RP-initiated
 * logout sends `client_id` instead of `id_token_hint`.
 *
 * @example
 * ```ts
 * createHybridAuth({ ...options, filterClaims: claimsFilter(({ groups, ...claims }) => claims) })
 * ```
 * @see [OIDC Core 2](https://openid.net/specs/openid-connect-core-1_0-errata2.html#IDToken)
 */
export function claimsFilter(
  keep: (claims: IdTokenClaims) => Record<string, unknown>,
): ClaimsFilter {
  return {
    filter(session) {
      const { claims } = session
      const kept: Record<string, unknown> = { ...keep({ ...claims }) }
      for (const claim of PROTOCOL_CLAIMS) {
        if (Object.hasOwn(claims, claim)) kept[claim] = claims[claim]
      }
      const filtered = { ...session, claims: kept as IdTokenClaims }
      if (Object.keys(claims).some((claim) => !Object.hasOwn(kept, claim))) delete filtered.idToken
      return filtered
    },
  }
}
