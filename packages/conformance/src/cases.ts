/**
 * The conformance case table: the OpenID RP certification modules of the Hybrid RP and Form Post
 * RP plans, then what an attacker would try beyond them. Each case says why it matters.
 * SPEC-NOTES: the certification provider makes bad values by appending `1` (iss, aud, nonce,
 * c_hash, at_hash) and `invalid` to a userinfo `sub`.
 */
import { BEYOND } from './cases/beyond.js'
import { CERTIFICATION } from './cases/certification.js'
import type { Case } from './cases/shared.js'
import { TOKEN_ENDPOINT } from './cases/token-endpoint.js'

export {
  type Case,
  RESPONSE_TYPES,
  type ResponseType,
  type Step,
  TRUSTED_AUDIENCE,
} from './cases/shared.js'

/** Every case, in the order the spec runs them (one file per group, under `cases/`). */
export const CASES: readonly Case[] = [...CERTIFICATION, ...TOKEN_ENDPOINT, ...BEYOND]
