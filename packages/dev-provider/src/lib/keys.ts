import { generateKeyPair, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'

const generate = promisify(generateKeyPair)

/** A private JWK as oidc-provider's `jwks` configuration takes it. */
export type PrivateSigningJwk = Record<string, unknown> & { kid: string; alg: string }

/**
 * Generates the provider's signing key for this run: RSA 2048 for RS256, P-256 for ES256.
 * Relying parties find it through the JWKS by `kid`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 */
export async function generateSigningKey(alg: 'RS256' | 'ES256'): Promise<PrivateSigningJwk> {
  const { privateKey } =
    alg === 'RS256'
      ? await generate('rsa', { modulusLength: 2048 })
      : await generate('ec', { namedCurve: 'P-256' })
  const jwk = privateKey.export({ format: 'jwk' })
  return { ...jwk, kid: randomBytes(9).toString('base64url'), alg, use: 'sig' }
}

/** Random keys for oidc-provider's signed cookies. */
export function generateCookieKeys(): string[] {
  return [randomBytes(32).toString('base64url')]
}
