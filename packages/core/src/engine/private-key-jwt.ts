/**
 * `privateKeyJwt(options)`: token endpoint client authentication with a signed assertion
 * (`private_key_jwt`, OIDC Core 9 / RFC 7523) from a key in the configuration: a private JWK or a
 * PKCS#8 PEM. WebCrypto only, so the same configuration works on Node, Workers, Deno and Bun.
 * Opt-in code (an import): apps that authenticate with a secret do not bundle it.
 */

import type { ClientAuth } from 'oauth4webapi'
import { ConfigurationError } from '../errors.js'
import { encode, utf8 } from '../lib/base64url.js'

/** The JWS algorithms a client assertion can be signed with. */
export type AssertionAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'EdDSA'

export interface PrivateKeyJwtOptions {
  /**
   * The client's private key: a private JWK (an object or its JSON text, with `d`), or a PKCS#8
   * PEM (`-----BEGIN PRIVATE KEY-----`; then `alg` is required). Its public half is registered
   * at the provider (the client's `jwks` or `jwks_uri`).
   */
  key: (JsonWebKey & { kid?: string }) | string
  /** The key id the provider knows the public key by; default the JWK's `kid`. */
  kid?: string
  /**
   * The signing algorithm; default the JWK's `alg`, else from the key: ES256 / ES384 / ES512 by
   * curve, RS256 for RSA, EdDSA for Ed25519.
   */
  alg?: AssertionAlgorithm
  /** Seconds an assertion is valid for (default 60). */
  lifetime?: number
}

const EC: Record<string, [AssertionAlgorithm, string]> = {
  'P-256': ['ES256', 'SHA-256'],
  'P-384': ['ES384', 'SHA-384'],
  'P-521': ['ES512', 'SHA-512'],
}

/** WebCrypto's import and sign parameters for `alg`. */
function parameters(alg: AssertionAlgorithm): { importAs: Algorithm; signAs: Algorithm } {
  const bits = alg.slice(2)
  if (alg === 'EdDSA') return { importAs: { name: 'Ed25519' }, signAs: { name: 'Ed25519' } }
  if (alg.startsWith('ES')) {
    const curve = `P-${bits === '512' ? '521' : bits}`
    return {
      importAs: { name: 'ECDSA', namedCurve: curve } as Algorithm,
      signAs: { name: 'ECDSA', hash: `SHA-${bits}` } as Algorithm,
    }
  }
  const name = alg.startsWith('PS') ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5'
  return {
    importAs: { name, hash: `SHA-${bits}` } as Algorithm,
    signAs: { name, saltLength: Number(bits) / 8 } as Algorithm,
  }
}

const ALGORITHMS = /^(ES(256|384|512)|PS(256|384|512)|RS(256|384|512)|EdDSA)$/

type Fail = (message: string) => never

/** The key as a JWK object, or the DER bytes of a PKCS#8 PEM. */
function parseKey(key: JsonWebKey | string, fail: Fail): JsonWebKey | Uint8Array {
  if (typeof key === 'string') {
    const pem = key.match(/-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/)
    if (pem) {
      try {
        return Uint8Array.from(atob(pem[1]!.replace(/\s+/g, '')), (c) => c.charCodeAt(0))
      } catch {
        fail('the PEM is not valid base64')
      }
    }
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
      fail('give the key as PKCS#8 ("BEGIN PRIVATE KEY"): openssl pkcs8 -topk8 -nocrypt')
    }
    try {
      key = JSON.parse(key) as JsonWebKey
    } catch {
      fail('key must be a private JWK (object or JSON) or a PKCS#8 PEM')
    }
  }
  if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') {
    fail('key must be a private JWK (object or JSON) or a PKCS#8 PEM')
  }
  if (typeof key.d !== 'string') fail('the JWK has no private part (d): give the private key')
  return key
}

function algorithmOf(key: JsonWebKey | Uint8Array, alg: unknown, fail: Fail): AssertionAlgorithm {
  const jwk = key instanceof Uint8Array ? undefined : key
  const chosen =
    alg ??
    jwk?.alg ??
    (jwk?.kty === 'EC'
      ? EC[jwk.crv ?? '']?.[0]
      : jwk?.kty === 'RSA'
        ? 'RS256'
        : jwk?.kty === 'OKP' && jwk.crv === 'Ed25519'
          ? 'EdDSA'
          : undefined)
  if (chosen === undefined) fail('give alg (a PEM does not say which algorithm it is for)')
  if (typeof chosen !== 'string' || !ALGORITHMS.test(chosen)) {
    fail(
      `alg ${JSON.stringify(chosen)} is not one of ES256..ES512, PS256..PS512, RS256..RS512, EdDSA`,
    )
  }
  return chosen as AssertionAlgorithm
}

/**
 * Client authentication with a client assertion signed by the configured private key: the
 * `clientAuth` option, for the token endpoint's code exchange and every refresh. The assertion
 * (RFC 7523 3) has `iss` and `sub` the client id, `aud` the provider's issuer identifier, a
 * random `jti`, `iat` now and `exp` `lifetime` seconds later; it is sent as `client_assertion`
 * with `client_assertion_type` `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
 * The key's shape and algorithm are checked here (`ConfigurationError`); the key is imported
 * (WebCrypto) once, at the first request, where a key WebCrypto refuses is a `CONFIG_INVALID`
 * answer.
 *
 * @example
 * ```ts
 * import { privateKeyJwt } from '@oidc-hybrid/core' // or from the adapter
 * createHybridAuth({
 *   ...options,
 *   clientAuth: privateKeyJwt({ key: process.env.CLIENT_PRIVATE_KEY_PEM!, kid: 'k1', alg: 'ES256' }),
 * })
 * ```
 *
 * @see [OIDC Core 9](https://openid.net/specs/openid-connect-core-1_0-errata2.html#ClientAuthentication) private_key_jwt
 * @see [RFC 7523 2.2, 3](https://www.rfc-editor.org/rfc/rfc7523#section-3)
 */
export function privateKeyJwt(options: PrivateKeyJwtOptions): ClientAuth {
  const signer = keySigner(options, 'privateKeyJwt')
  return async (as, client, body) => {
    const now = Math.floor(Date.now() / 1000)
    const jws = await signer.sign('JWT', {
      iss: client.client_id,
      sub: client.client_id,
      aud: as.issuer,
      jti: randomId(),
      iat: now,
      exp: now + signer.lifetime,
    })
    body.set('client_id', client.client_id)
    body.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
    body.set('client_assertion', jws)
  }
}

/** 32 random bytes, base64url: a `jti`. */
export function randomId(): string {
  return encode(globalThis.crypto.getRandomValues(new Uint8Array(32)))
}

/** A JWS signer over the configured private key (WebCrypto), for client assertions and request objects. */
export interface KeySigner {
  readonly alg: AssertionAlgorithm
  readonly kid: string | undefined
  /** Seconds what it signs is valid for (the `lifetime` option, default 60). */
  readonly lifetime: number
  /** The compact JWS of `payload` with header `{ alg, typ, kid }` (RFC 7515 7.1). */
  sign(typ: string, payload: Record<string, unknown>): Promise<string>
}

/**
 * Checks `options` (the key's shape, `alg`, `kid`, `lifetime`: a `ConfigurationError` prefixed
 * with `name`) and returns a signer; the key is imported once, at the first signature.
 *
 * @see [RFC 7515 7.1](https://www.rfc-editor.org/rfc/rfc7515#section-7.1)
 */
export function keySigner(options: PrivateKeyJwtOptions, name: string): KeySigner {
  const fail = (message: string): never => {
    throw new ConfigurationError(`${name}: ${message}`)
  }
  if (typeof options !== 'object' || options === null) fail('pass { key, kid?, alg? }')
  const key = parseKey(options.key, fail)
  const alg = algorithmOf(key, options.alg, fail)
  const jwk = key instanceof Uint8Array ? undefined : key
  const kid = options.kid ?? (jwk as { kid?: string } | undefined)?.kid
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) fail('kid must be a string')
  const lifetime = options.lifetime ?? 60
  if (!Number.isInteger(lifetime) || lifetime < 1) fail('lifetime must be whole seconds >= 1')
  const { importAs, signAs } = parameters(alg)
  let signingKey: Promise<CryptoKey> | undefined
  const importKey = () => {
    // Only the private members WebCrypto needs; `alg`/`use`/`key_ops` of the JWK could clash.
    const { alg: _a, use: _u, key_ops: _k, ext: _e, ...material } = (jwk ?? {}) as JsonWebKey
    signingKey ??= jwk
      ? globalThis.crypto.subtle.importKey('jwk', material, importAs, false, ['sign'])
      : globalThis.crypto.subtle.importKey(
          'pkcs8',
          key as Uint8Array<ArrayBuffer>,
          importAs,
          false,
          ['sign'],
        )
    return signingKey
  }
  const segment = (value: unknown) => encode(utf8(JSON.stringify(value)))
  return {
    alg,
    kid,
    lifetime,
    async sign(typ, payload) {
      const input = `${segment({ alg, typ, ...(kid === undefined ? {} : { kid }) })}.${segment(payload)}`
      const signature = new Uint8Array(
        await globalThis.crypto.subtle.sign(
          signAs,
          await importKey(),
          utf8(input) as Uint8Array<ArrayBuffer>,
        ),
      )
      return `${input}.${encode(signature)}`
    },
  }
}
