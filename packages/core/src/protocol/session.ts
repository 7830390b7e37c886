/**
 * Token-endpoint responses turned into sessions: the code exchange (login) and refresh.
 * The HTTP-level parsing lives in `token-response.ts`; this file holds the identity rules that
 * tie the token-endpoint ID token to the front channel and to the session it refreshes.
 */
import type { ErrorCode, OidcHybridError } from '../errors.js'
import { timingSafeEqual } from '../lib/compare.js'
import { oidcError } from './http.js'
import { type IdTokenVerification, verifyIdToken } from './id-token.js'
import { parseTokenEndpointResponse, type TokenEndpointResponse } from './token-response.js'
import type {
  HttpResponseData,
  IdTokenClaims,
  ProtocolContext,
  Session,
  Transaction,
  VerifiedCallback,
} from './types.js'

type NeedKeys = Extract<IdTokenVerification, { kind: 'need-keys' }>

export type SessionResult = { kind: 'session'; session: Session } | NeedKeys

/**
 * Validates the authorization_code grant response and builds the session.
 *
 * The token-endpoint ID token follows the code-flow rules (signature, `iss`, `aud`, `exp`, `iat`,
 * nonce [RFC 9700 4.5.3.2]); its `iss` and `sub` MUST equal the front-channel ID token's
 * [OIDC Core 3.3.3.6]. With `max_age`, its `auth_time` must be the front channel's, which passed
 * the `max_age` check (another value is the provider's defect, `AUTH_TIME_MISMATCH`); without a
 * front-channel ID token (`code token`) its own `auth_time` is checked against `max_age`. Without
 * `max_age` it is not compared (Glewlwyd sends 0 here).
 * `at_hash`/`c_hash` are optional here but checked when present.
 * The session keeps the token-endpoint access token, never the front-channel one [Core 3.3.3.8].
 *
 * @see [OIDC Core 3.3.3](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridTokenEndpoint)
 */
export async function processAuthorizationCodeResponse(
  context: ProtocolContext,
  response: HttpResponseData,
  transaction: Transaction,
  callback: VerifiedCallback,
  frontChannelClaims: IdTokenClaims | undefined,
): Promise<SessionResult> {
  const tokens = parseTokenEndpointResponse(response, {
    requireIdToken: true,
    dpop: !!transaction.dpop,
  })
  const idToken = tokens.id_token as string
  const { maxAge } = transaction
  const verification = await verifyIdToken(context, idToken, {
    nonce: transaction.nonce,
    // With a front-channel ID token, max_age was checked on its auth_time, which this one must
    // repeat (below); `code token` has none, so this auth_time is checked against max_age.
    maxAge: frontChannelClaims ? undefined : maxAge,
    organization: transaction.organization,
    acr: transaction.acr,
    code: { value: callback.code, required: false },
    accessToken: { value: tokens.access_token, required: false },
  })
  if (verification.kind === 'need-keys') return verification
  const claims = verification.claims
  if (frontChannelClaims !== undefined) {
    sameIdentity(frontChannelClaims, claims, false)
    // Without max_age, auth_time is informative only (Glewlwyd sends 0 here): not compared.
    if (maxAge !== undefined && claims.auth_time !== frontChannelClaims.auth_time) {
      throw changed('AUTH_TIME_MISMATCH', 'auth_time', false)
    }
  }
  return sessionOf(
    context,
    tokens,
    claims,
    idToken,
    tokens.scope ?? transaction.scope,
    tokens.refresh_token,
    transaction,
    context.now,
  )
}

/**
 * Validates a refresh_token grant response and returns the updated session.
 *
 * A response without `id_token` is fine. A returned ID token need not repeat the profile claims
 * (a reduced `scope`, or a provider that sends only the protocol claims): the claims it carries
 * replace the session's, the others are kept. A returned ID token must keep `iss`, `sub`, `aud`,
 * `azp` (when set before), `auth_time` (when set before) and `nonce` (when present) of the
 * session's ID token [OIDC Core 12.2]. A new refresh token replaces the old one; the old one is
 * kept only when none is returned (rotation, RFC 9700 4.14.2).
 *
 * @see [OIDC Core 12](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshTokens)
 */
export async function processRefreshResponse(
  context: ProtocolContext,
  response: HttpResponseData,
  session: Session,
  requestedScope: string | undefined,
): Promise<SessionResult> {
  const tokens = parseTokenEndpointResponse(response, {
    requireIdToken: false,
    // A DPoP session stays one: without its key (lost by a store) the refresh carries no proof,
    // and the Bearer answer it gets is refused rather than taken as a downgrade.
    dpop: session.tokenType === 'DPoP',
  })
  let claims = session.claims
  let idToken = session.idToken
  if (tokens.id_token !== undefined) {
    const verification = await verifyIdToken(context, tokens.id_token, {
      accessToken: { value: tokens.access_token, required: false },
      // An organization login stays one: the refreshed ID token must still name it.
      organization: session.organization,
    })
    if (verification.kind === 'need-keys') return verification
    sameIdentity(session.claims, verification.claims, true)
    claims = mergeRefreshedClaims(session.claims, verification.claims)
    idToken = tokens.id_token
  }
  return sessionOf(
    context,
    tokens,
    claims,
    idToken,
    // RFC 6749 5.1: `scope` may be omitted when it equals the requested one.
    tokens.scope ?? requestedScope ?? session.scope,
    tokens.refresh_token ?? session.refreshToken,
    session,
    session.createdAt,
  )
}

/**
 * The session after a login or a refresh. Every field listed, not `...session`: on Node 20,
 * spreading an object and adding a key it lacks (JSON drops undefined ones) costs microseconds.
 * `issuer` and `sub` come from the claims: a refreshed ID token keeps both (checked above).
 */
function sessionOf(
  { now }: ProtocolContext,
  tokens: TokenEndpointResponse,
  claims: IdTokenClaims,
  idToken: string | undefined,
  scope: string | undefined,
  refreshToken: string | undefined,
  { audience, organization, dpop }: Transaction | Session,
  createdAt: number,
): SessionResult {
  return {
    kind: 'session',
    session: {
      issuer: claims.iss,
      sub: claims.sub,
      claims,
      idToken,
      accessToken: tokens.access_token,
      tokenType: tokens.token_type,
      expiresAt: tokens.expires_in === undefined ? undefined : now + tokens.expires_in,
      scope,
      refreshToken,
      audience,
      organization,
      createdAt,
      updatedAt: now,
      dpop,
    },
  }
}

/**
 * OIDC Core 3.3.3.6 (login) and 12.2 (refresh): the same issuer and subject; on refresh also the
 * same `aud`, `azp`, `auth_time` and `nonce`.
 */
function sameIdentity(before: IdTokenClaims, after: IdTokenClaims, refresh: boolean): void {
  if (after.iss !== before.iss) throw changed('ID_TOKEN_ISSUER_CHANGED', 'iss', refresh)
  if (after.sub !== before.sub) throw changed('ID_TOKEN_SUBJECT_CHANGED', 'sub', refresh)
  if (!refresh) return
  // Core 12.2: azp must be the same, and absent if it was absent.
  if (!sameAudience(before.aud, after.aud) || after.azp !== before.azp) {
    throw changed('ID_TOKEN_AUDIENCE_CHANGED', 'aud or azp', true)
  }
  // Core 12.2: when present, auth_time must still be the original authentication's.
  if (
    before.auth_time !== undefined &&
    after.auth_time !== undefined &&
    after.auth_time !== before.auth_time
  ) {
    throw changed('AUTH_TIME_INVALID', 'auth_time', true)
  }
  if (
    after.nonce !== undefined &&
    (before.nonce === undefined || !timingSafeEqual(after.nonce, before.nonce))
  ) {
    throw changed('NONCE_MISMATCH', 'nonce', true)
  }
}

function changed(code: ErrorCode, claim: string, refresh: boolean): OidcHybridError {
  return oidcError(
    code,
    `ID token ${claim} changed ${refresh ? 'on refresh; session kept' : 'since the callback; login refused'}`,
  )
}

function sameAudience(a: string | string[], b: string | string[]): boolean {
  const left = new Set([a].flat())
  const right = new Set([b].flat())
  return left.size === right.size && [...left].every((value) => right.has(value))
}

/** Claims that belong to one ID token only; never carried over from an older one. */
const PER_TOKEN_CLAIMS = 'exp iat nbf jti at_hash c_hash'.split(' ')

/**
 * The session's claims after a refresh: those of the new ID token, plus every earlier claim it
 * does not carry (OIDC Core 12.2 requires `iss`, `sub`, `aud`, `azp`, `auth_time` to match, not
 * the profile claims to be repeated), except the per-token ones.
 *
 * @see [OIDC Core 12.2](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RefreshTokenResponse)
 */
function mergeRefreshedClaims(before: IdTokenClaims, after: IdTokenClaims): IdTokenClaims {
  const merged: Record<string, unknown> = { ...before }
  for (const claim of PER_TOKEN_CLAIMS) delete merged[claim]
  // Spread, not Object.assign: an own `__proto__` claim stays a claim, never the prototype.
  return { ...merged, ...after } as IdTokenClaims
}
