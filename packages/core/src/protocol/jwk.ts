/**
 * JSON Web Key types: a leaf module, so the crypto interface and the protocol types both use them
 * without importing each other.
 */

/** JWS algorithms the ID token and bearer verification understand. */
export type JwsAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'
  | 'HS256'
  | 'HS384'
  | 'HS512'

/** A JSON Web Key as received in a JWKS ([RFC 7517 4](https://www.rfc-editor.org/rfc/rfc7517#section-4)). */
export interface Jwk {
  kty: string
  kid?: string
  use?: string
  key_ops?: string[]
  alg?: string
  crv?: string
  n?: string
  e?: string
  x?: string
  y?: string
  [parameter: string]: unknown
}
