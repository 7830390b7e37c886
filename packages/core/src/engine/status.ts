import type { ErrorCode } from '../errors.js'

/** The words of a space-separated string literal, as a union. */
type Words<T extends string> = T extends `${infer Word} ${infer Rest}` ? Word | Words<Rest> : T

/**
 * Codes by HTTP status, as text (a table of 63 keys costs twice the bytes). The type of
 * {@link table}'s argument makes tsc refuse a code missing here or a word that is not a code.
 * 400: the request in hand is bad; 401/403: authentication/authorization; 405/413/415: the
 * callback request's method, size or type; 429 from the provider is passed on as 503, as is a failing session store; 500: our
 * misuse; 502/504: the identity provider misbehaved or did not answer.
 */
const BY_STATUS = {
  400: 'CALLBACK_PARAMETERS_IN_QUERY CALLBACK_PARAMETER_DUPLICATED CALLBACK_PARAMETER_MISSING CALLBACK_PARAMETER_INVALID STATE_MISSING STATE_MISMATCH TRANSACTION_MISSING TRANSACTION_EXPIRED ISSUER_MISMATCH ISSUER_MISSING ID_TOKEN_MALFORMED ID_TOKEN_ALG_NOT_ALLOWED ID_TOKEN_KEY_NOT_FOUND ID_TOKEN_SIGNATURE_INVALID ID_TOKEN_ISSUER_MISMATCH ID_TOKEN_SUBJECT_MISSING ID_TOKEN_AUDIENCE_MISMATCH ID_TOKEN_AZP_MISMATCH ID_TOKEN_EXPIRED ID_TOKEN_IAT_INVALID ID_TOKEN_NOT_YET_VALID NONCE_MISMATCH AUTH_TIME_INVALID C_HASH_MISSING C_HASH_MISMATCH AT_HASH_MISSING AT_HASH_MISMATCH BEARER_REQUEST_INVALID COOKIE_INVALID RETURN_TO_INVALID LOGOUT_TOKEN_INVALID',
  401: 'AUTHORIZATION_ERROR REFRESH_TOKEN_MISSING BEARER_TOKEN_MISSING BEARER_TOKEN_INVALID DPOP_PROOF_INVALID DPOP_NONCE_REQUIRED DPOP_BINDING_MISMATCH SESSION_MISSING SESSION_EXPIRED STEP_UP_REQUIRED',
  403: 'ORGANIZATION_MISMATCH ACR_NOT_SATISFIED BEARER_INSUFFICIENT_SCOPE',
  405: 'CALLBACK_METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  415: 'CALLBACK_CONTENT_TYPE_INVALID',
  500: 'CONFIG_INVALID ILLEGAL_TRANSITION COOKIE_TOO_LARGE',
  502: 'DISCOVERY_INVALID DISCOVERY_ISSUER_MISMATCH JWKS_INVALID TOKEN_ENDPOINT_ERROR TOKEN_RESPONSE_INVALID ID_TOKEN_SUBJECT_CHANGED ID_TOKEN_ISSUER_CHANGED ID_TOKEN_AUDIENCE_CHANGED AUTH_TIME_MISMATCH USERINFO_ERROR USERINFO_INVALID USERINFO_SUB_MISMATCH HTTP_REQUEST_FAILED HTTP_RESPONSE_TOO_LARGE PAR_ERROR PAR_RESPONSE_INVALID',
  503: 'RATE_LIMITED SESSION_STORE_FAILED',
  504: 'HTTP_TIMEOUT',
} as const

type Listed<T> = Words<T[keyof T] & string>

function table<T extends Record<number, string>>(
  byStatus: T &
    ([Exclude<ErrorCode, Listed<T>> | Exclude<Listed<T>, ErrorCode>] extends [never] ? T : never),
): Readonly<Record<ErrorCode, number>> {
  const statuses: Record<string, number> = Object.create(null)
  for (const [status, codes] of Object.entries(byStatus)) {
    for (const code of codes.split(' ')) statuses[code] = +status
  }
  return statuses as Record<ErrorCode, number>
}

/** The one table from error code to HTTP status, shared by every adapter. */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = /* @__PURE__ */ table(BY_STATUS)

/**
 * {@link ERROR_STATUS} as rules on the codes' names, first match wins, 500 for none: what the
 * engine and the adapters use, so that a Worker does not bundle the table (a test holds the two
 * equal for every code).
 */
const RULES: Array<[status: number, codes: RegExp]> = [
  [502, /CHANGED$|^(DISCOVERY|JWKS|TOKEN_|USERINFO|HTTP_RE|AUTH_TIME_M|PAR)/],
  [504, /^HTTP_T/],
  [503, /^(RATE|SESSION_S)/],
  [500, /^(CONFIG|ILLEGAL|COOKIE_TOO)/],
  [415, /^CALLBACK_CO/],
  [405, /^CALLBACK_M/],
  [413, /^BODY/],
  [403, /^(ORG|BEARER_INS|AC)/],
  [401, /^(AUTHO|REF|BEARER_T|SESSION|D|STE)/],
  [
    400,
    /^(CALLBACK|STATE|TRANSACTION|ISSUER|ID_TOKEN|NONCE|AUTH_TIME|C_H|AT_H|BEARER|COOKIE|RETURN|LOGOUT)/,
  ],
]

/** The HTTP status an adapter should answer with for `code`; 500 for a code it does not know. */
export function statusForError(code: ErrorCode): number {
  return RULES.find(([, codes]) => codes.test(code))?.[0] ?? 500
}
