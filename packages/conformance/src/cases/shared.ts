/** What the case tables share: the case shape and the misbehaviour helpers. */
import type { Claims, Misbehaviour } from '../hostile-provider.js'

export type ResponseType = 'code id_token' | 'code token' | 'code id_token token'
export const RESPONSE_TYPES: readonly ResponseType[] = [
  'code id_token',
  'code token',
  'code id_token token',
]
export const WITH_ID_TOKEN: ResponseType[] = ['code id_token', 'code id_token token']

/** `refresh-twice`: two forced refreshes in a row, each must reach the token endpoint. */
export type Step = 'me' | 'userinfo' | 'refresh' | 'refresh-twice'

export interface Case {
  id: string
  reason: string
  responseTypes?: readonly ResponseType[]
  misbehaviour?: Misbehaviour
  /** `ok`, or the error code the callback must answer with. */
  callback: 'ok' | string
  /** For failures: whether the code may have reached the token endpoint. */
  tokenEndpointCalled?: boolean
  /** After a successful login: a step and its expected outcome. */
  after?: { step: Step; expect: 'ok' | string }
  /** Checks on the authorization request the app sent. */
  authorizationUrl?: (url: URL) => string | undefined
}

export const append =
  (name: string, suffix = '1') =>
  (claims: Claims) => {
    claims[name] = `${claims[name]}${suffix}`
  }
export const remove = (name: string) => (claims: Claims) => {
  delete claims[name]
}

export function errorResponse(withIss: boolean) {
  return (params: URLSearchParams, issuer: string) => {
    const state = params.get('state') ?? ''
    for (const name of [...params.keys()]) params.delete(name)
    params.set('error', 'access_denied')
    params.set('error_description', 'the user said no')
    params.set('state', state)
    if (withIss) params.set('iss', issuer)
  }
}

/** The extra ID token audience the apps under test trust (`trustedAudiences`). */
export const TRUSTED_AUDIENCE = 'https://api.trusted.example/'

/** `aud` becomes the client and `extra`, with `azp` the client. */
export const audiences =
  (...extra: string[]) =>
  (claims: Claims) => {
    claims.azp = String(claims.aud)
    claims.aud = [claims.azp, ...extra]
  }

export const GROUPS = Array.from(
  { length: 150 },
  (_, i) => `engineering-team-${i}-members@corp.example`,
)
