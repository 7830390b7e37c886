/**
 * Back-channel logout: the provider POSTs a signed Logout Token to the application when a user's
 * session at the provider ends; the application ends that user's sessions.
 *
 * @see [OpenID Connect Back-Channel Logout 1.0](https://openid.net/specs/openid-connect-backchannel-1_0.html)
 */
import { OidcHybridError } from '../errors.js'
import { isNumber } from '../lib/compare.js'
import { isFormContentType } from './http.js'
import { audienceProblem, idTokenKeys } from './id-token.js'
import { decodeJws, type JwsErrorPolicy, verifyJwsSignature } from './jws.js'
import type { ProtocolContext } from './types.js'

/** The `events` member that makes a JWT a Logout Token (Back-Channel Logout 1.0 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** The claims of a verified Logout Token; `sub`, `sid` or both are present. */
export interface LogoutTokenClaims {
  iss: string
  aud: string | string[]
  iat: number
  exp: number
  jti: string
  sub?: string
  sid?: string
  events: Record<string, unknown>
  [claim: string]: unknown
}

export type LogoutTokenVerification =
  | { kind: 'verified'; claims: LogoutTokenClaims }
  | { kind: 'need-keys'; reason: 'unknown-kid' | 'no-usable-key'; kid?: string }

const LOGOUT_TOKEN_ERRORS: JwsErrorPolicy = {
  tokenName: 'logout token',
  code: () => 'LOGOUT_TOKEN_INVALID',
}

// Back-Channel Logout 1.0 2.4: explicitly typed `logout+jwt` (RECOMMENDED); untyped and `JWT`
// are still common. Any other type (an access token's `at+jwt`) is another kind of token.
const LOGOUT_TYP = /^(?:(?:application\/)?logout\+jwt|jwt)$/i

function invalid(reason: string, message: string): OidcHybridError {
  return new OidcHybridError('LOGOUT_TOKEN_INVALID', `logout token ${message}`, {
    details: { reason },
  })
}

/**
 * Validates a Logout Token as Back-Channel Logout 1.0 2.6 requires: signature with a provider
 * key and the client's ID token algorithms (or `need-keys`), `typ` if any, `iss`, `aud`
 * containing the client, `iat`, `exp`, `jti`, `sub` and/or `sid`, an `events` object with the
 * back-channel logout member whose value is an object, and no `nonce`. Replay (`jti`) is the
 * caller's to check, since it needs memory. Every failure is `LOGOUT_TOKEN_INVALID` with
 * `details.reason`.
 *
 * @see [Back-Channel Logout 1.0 2.6](https://openid.net/specs/openid-connect-backchannel-1_0.html#Validation)
 * @see [Back-Channel Logout 1.0 2.4](https://openid.net/specs/openid-connect-backchannel-1_0.html#LogoutToken)
 * @example
 * ```ts
 * const result = await verifyLogoutToken(context, form.get('logout_token'))
 * if (result.kind === 'verified') await store.deleteBy({ iss, sub, sid })
 * ```
 */
export async function verifyLogoutToken(
  context: Pick<
    ProtocolContext,
    'provider' | 'client' | 'now' | 'clockTolerance' | 'jwks' | 'jwksRefreshed' | 'crypto'
  >,
  token: string,
): Promise<LogoutTokenVerification> {
  const { crypto, now, clockTolerance, client, provider } = context
  const jws = decodeJws(token, LOGOUT_TOKEN_ERRORS, crypto)
  const { typ } = jws.header
  if (typ !== undefined && !(typeof typ === 'string' && LOGOUT_TYP.test(typ))) {
    throw invalid('typ', 'typ is not logout+jwt')
  }
  // Signed as the client's ID tokens are (2.4).
  const signature = await verifyJwsSignature(jws, idTokenKeys(context), LOGOUT_TOKEN_ERRORS)
  if (signature.kind === 'need-keys') return signature
  const claims = jws.payload
  const { iss, aud, azp, iat, exp, jti, sub, sid, events } = claims
  if (iss !== provider.issuer) throw invalid('iss', `iss is not "${provider.issuer}"`)
  // "In the same way as ID Tokens" (2.6): the client, trusted others only, `azp` with several.
  const audience = audienceProblem(aud, azp, client)
  if (audience) throw invalid(audience.claim, `${audience.claim} is not this client`)
  if (!isNumber(iat) || iat > now + clockTolerance) throw invalid('iat', 'iat is missing or later')
  if (!isNumber(exp) || now >= exp + clockTolerance)
    throw invalid('exp', 'has expired or has no exp')
  if (typeof jti !== 'string' || !jti) throw invalid('jti', 'has no jti')
  for (const [name, value] of [
    ['sub', sub],
    ['sid', sid],
  ] as const) {
    if (value !== undefined && (typeof value !== 'string' || !value)) {
      throw invalid(name, `${name} is not a string`)
    }
  }
  if (sub === undefined && sid === undefined) throw invalid('sub', 'has neither sub nor sid')
  const event = (events as Record<string, unknown> | null)?.[BACKCHANNEL_LOGOUT_EVENT]
  if (
    typeof events !== 'object' ||
    Array.isArray(events) ||
    typeof event !== 'object' ||
    event === null ||
    Array.isArray(event)
  ) {
    throw invalid('events', 'has no back-channel logout event')
  }
  // 2.4: a nonce is prohibited, so an ID token can never pass as a Logout Token.
  if (claims.nonce !== undefined) throw invalid('nonce', 'has a nonce')
  return { kind: 'verified', claims: claims as LogoutTokenClaims }
}

/** What {@link logoutTokenOf} reads: the back-channel logout request as received. */
export interface LogoutRequest {
  method: string
  contentType: string | null | undefined
  /** The raw form body. */
  body: string | null | undefined
}

/**
 * The Logout Token of a back-channel logout request: a POST whose
 * `application/x-www-form-urlencoded` body carries exactly one `logout_token`, a compact JWS by
 * its syntax (checked here, so garbage is refused before any key is fetched). Anything else is
 * `LOGOUT_TOKEN_INVALID` (reason `request`, or the JWS failure).
 *
 * @see [Back-Channel Logout 1.0 2.5](https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest)
 */
export function logoutTokenOf(request: LogoutRequest): string {
  if (request.method !== 'POST') throw invalid('request', 'must come in a POST')
  if (!isFormContentType(request.contentType)) throw invalid('request', 'must come in a form body')
  const values = new URLSearchParams(request.body ?? '').getAll('logout_token')
  if (values.length !== 1 || !values[0]) throw invalid('request', 'is missing or sent twice')
  decodeJws(values[0], LOGOUT_TOKEN_ERRORS)
  return values[0]
}
