/**
 * A session as the session cookie holds it. The same data is not sealed twice: when the claims
 * are exactly the payload of the session's raw ID token (no filter dropped any, no refresh merged
 * any), only the ID token is kept and the claims are decoded from it when the cookie is read.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { decode, fromUtf8 } from '../lib/base64url.js'
import { isRecord, parseJson } from '../lib/compare.js'
import type { IdTokenClaims, Session } from '../protocol/types.js'

/** The payload of the session cookie: a session (its claims maybe left out), or a store id. */
export interface SealedSession {
  session?: Session
  id?: string
  /** 1: `session.claims` is left out; it is the payload of `session.idToken`. */
  d?: 1
}

/** The JSON text of a compact JWS's payload, `undefined` when it is not one. */
function payloadText(jws: string | undefined, crypto: CryptoProvider): string | undefined {
  const parts = jws?.split('.')
  return parts?.length === 3 ? fromUtf8(decode(parts[1]!, crypto)) : undefined
}

/** The cookie payload for `session`. */
export function packSession(session: Session, crypto: CryptoProvider): SealedSession {
  // The claims were parsed from this text; they are the same data when they serialise back to it.
  if (payloadText(session.idToken, crypto) !== JSON.stringify(session.claims)) return { session }
  const { claims: _, ...rest } = session
  return { session: rest as Session, d: 1 }
}

/** The session a cookie payload holds, `undefined` when its claims cannot be restored. */
export function unpackSession(
  { session, d }: SealedSession,
  crypto: CryptoProvider,
): Session | undefined {
  if (!session || d !== 1) return session
  const claims = parseJson(payloadText(session.idToken, crypto))
  if (!isRecord(claims)) return
  session.claims = claims as IdTokenClaims
  return session
}
