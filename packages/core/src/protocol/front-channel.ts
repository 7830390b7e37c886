/**
 * The front-channel half of the callback: everything that must hold before the code may be
 * exchanged. Produces the {@link VerifiedCallback} brand that `grant.ts` requires.
 */
import { type CallbackParameters, validateCallbackParameters } from './callback.js'
import { type IdTokenVerification, verifyIdToken } from './id-token.js'
import type { IdTokenClaims, ProtocolContext, Transaction, VerifiedCallback } from './types.js'

export type FrontChannelVerification =
  | { kind: 'verified'; callback: VerifiedCallback; claims?: IdTokenClaims }
  | Extract<IdTokenVerification, { kind: 'need-keys' }>

/**
 * Checks an authorization response against the transaction that started it: `state`, RFC 9207
 * `iss`, error responses, required parameters, then the front-channel ID token (signature,
 * claims, nonce, `c_hash`, `at_hash`, `auth_time`, organization).
 *
 * @see [OIDC Core 3.3.2.8-12](https://openid.net/specs/openid-connect-core-1_0-errata2.html#HybridAuthResponse)
 * @see [RFC 9207 2.4](https://www.rfc-editor.org/rfc/rfc9207#section-2.4)
 */
export async function verifyFrontChannel(
  context: ProtocolContext,
  params: CallbackParameters,
  transaction: Transaction,
): Promise<FrontChannelVerification> {
  // Every check below passed once this returns `verified`: the brand is earned here only.
  const callback = validateCallbackParameters(
    params,
    transaction,
    context.provider,
  ) as VerifiedCallback
  const { idToken, code, accessToken } = callback
  // `code token`: nothing signed arrived; state + iss + the token endpoint's ID token carry it.
  if (idToken === undefined) return { kind: 'verified', callback }
  // The transaction's nonce, maxAge, organization and acr are the expectations of those names.
  const verification = await verifyIdToken(context, idToken, {
    ...transaction,
    // c_hash is REQUIRED whenever an ID token comes with a code, at_hash for
    // `code id_token token` (Core 3.3.2.11).
    code: { value: code, required: true },
    accessToken: accessToken === undefined ? undefined : { value: accessToken, required: true },
  })
  return verification.kind === 'need-keys'
    ? verification
    : { kind: 'verified', callback, claims: verification.claims }
}
