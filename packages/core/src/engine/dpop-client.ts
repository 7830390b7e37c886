/**
 * DPoP for the relying party (RFC 9449), as an extension: a key pair per login, bound to the code
 * by `dpop_jkt`, kept with the session, and a proof on every request that uses its tokens (the
 * code exchange, refreshes, UserInfo, API calls). An opt-in import: a Worker that does not use it
 * does not bundle it. The protocol and the engine only carry the key (`Transaction.dpop`,
 * `Session.dpop`, `HttpRequest.dpop`) and require `token_type` `DPoP` once it is there.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { ConfigurationError, isOidcHybridError } from '../errors.js'
import { encode, utf8 } from '../lib/base64url.js'
import { keep } from '../lib/remember.js'
import { jwkThumbprint } from '../protocol/dpop.js'
import { parseJsonObject } from '../protocol/http.js'
import type { Jwk } from '../protocol/jwk.js'
import type { HttpRequest, HttpResponseData } from '../protocol/types.js'
import { parseChallenges } from './challenges.js'
import { failed } from './par.js'
import { randomId } from './private-key-jwt.js'
import type { AuthResponse, Extension, LoginOptions } from './types.js'

/** The algorithms a session's DPoP key may use: `ES256` (P-256) or `EdDSA` (Ed25519). */
export type DpopAlgorithm = 'ES256' | 'EdDSA'

export interface DpopOptions {
  /**
   * The algorithm of the keys generated for new logins: `ES256` (default, every runtime) or
   * `EdDSA` (Ed25519: Node 20+, workerd, Deno, Bun). A session keeps its key's algorithm.
   */
  alg?: DpopAlgorithm
}

/** Key generation and signing parameters (WebCrypto) per JWS algorithm. */
const PARAMETERS = {
  ES256: {
    generate: { name: 'ECDSA', namedCurve: 'P-256' },
    sign: { name: 'ECDSA', hash: 'SHA-256' },
  },
  EdDSA: { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
} as const

/** How many imported keys and server nonces (by origin) are remembered; the oldest go first. */
const REMEMBERED = 1000

/** Engines `dpop()` joined: a second one would wrap (and retry) everything twice. */
const WRAPPED = new WeakSet<object>()

/** RFC 9449 8.1: `nonce = 1*NQCHAR`; longer than 1 KB is no nonce of a real server. */
const isNonce = (value: string | null): value is string =>
  value !== null && value.length <= 1024 && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(value)

/** A private JWK's algorithm: EC P-256 signs ES256, OKP Ed25519 EdDSA. */
function algorithmOf(jwk: JsonWebKey): DpopAlgorithm {
  return jwk.kty === 'OKP' ? 'EdDSA' : 'ES256'
}

/** The public members of a private EC or OKP JWK: what the proof header's `jwk` carries. */
function publicJwk({ kty, crv, x, y }: JsonWebKey): Jwk {
  return (y === undefined ? { kty, crv, x } : { kty, crv, x, y }) as Jwk
}

/**
 * A new DPoP key pair for a login: the private JWK (what the transaction and session keep) and
 * its RFC 7638 thumbprint (`dpop_jkt`).
 *
 * @see [RFC 9449 10](https://www.rfc-editor.org/rfc/rfc9449#section-10)
 */
export async function generateDpopKey(
  alg: DpopAlgorithm,
  crypto: CryptoProvider,
): Promise<{ key: JsonWebKey; jkt: string }> {
  const pair = (await globalThis.crypto.subtle
    .generateKey(PARAMETERS[alg].generate, true, ['sign', 'verify'])
    .catch((cause: unknown) => {
      throw new ConfigurationError(`dpop: this runtime's WebCrypto cannot make ${alg} keys`, {
        cause,
      })
    })) as CryptoKeyPair
  const { kty, crv, x, y, d } = await globalThis.crypto.subtle.exportKey('jwk', pair.privateKey)
  const key: JsonWebKey = y === undefined ? { kty, crv, x, d } : { kty, crv, x, y, d }
  return { key, jkt: (await jwkThumbprint(publicJwk(key), crypto))! }
}

export interface DpopProofInput {
  /** The request's method (`htm`). */
  method: string
  /** The request's URL; the proof's `htu` is it without query and fragment. */
  url: string
  /** Seconds since the epoch (`iat`). */
  now: number
  /** The server's nonce, when it gave one (`nonce`). */
  nonce?: string
  /** The access token the request presents (`ath`, its SHA-256). */
  accessToken?: string
}

/**
 * Signs DPoP proofs with private JWKs, each imported (WebCrypto) once and remembered.
 *
 * @see [RFC 9449 4.2](https://www.rfc-editor.org/rfc/rfc9449#section-4.2)
 */
export class DpopProofSigner {
  readonly #keys = new Map<string, Promise<CryptoKey>>()
  readonly #crypto: CryptoProvider

  constructor(crypto: CryptoProvider) {
    this.#crypto = crypto
  }

  /**
   * A DPoP proof JWT: header `typ` `dpop+jwt`, `alg`, the public `jwk`; claims `jti` (random),
   * `htm`, `htu`, `iat`, and `nonce` and `ath` when given.
   */
  async sign(
    key: JsonWebKey,
    { method, url, now, nonce, accessToken }: DpopProofInput,
  ): Promise<string> {
    const alg = algorithmOf(key)
    const htu = new URL(url)
    htu.search = htu.hash = htu.username = htu.password = ''
    const claims: Record<string, unknown> = {
      jti: randomId(),
      htm: method,
      htu: htu.href,
      iat: now,
      nonce,
    }
    if (accessToken !== undefined) {
      claims.ath = encode(await this.#crypto.digest('SHA-256', utf8(accessToken)))
    }
    const segment = (value: unknown) => encode(utf8(JSON.stringify(value)))
    const input = `${segment({ typ: 'dpop+jwt', alg, jwk: publicJwk(key) })}.${segment(claims)}`
    const bytes = utf8(input) as Uint8Array<ArrayBuffer>
    // The provider's own signer when it has one (node:crypto), else WebCrypto.
    const signature = this.#crypto.signWithJwk
      ? await this.#crypto.signWithJwk(alg, key, bytes)
      : new Uint8Array(
          await globalThis.crypto.subtle.sign(
            PARAMETERS[alg].sign,
            await this.#import(key, alg),
            bytes,
          ),
        )
    return `${input}.${encode(signature)}`
  }

  #import(key: JsonWebKey, alg: DpopAlgorithm): Promise<CryptoKey> {
    // The whole key: a JWK with this key's public members but another `d` is another key.
    const id = `${key.kty}.${key.crv}.${key.x}.${key.y}.${key.d}`
    let imported = this.#keys.get(id)
    if (!imported) {
      const { kty, crv, x, y, d } = key
      imported = globalThis.crypto.subtle.importKey(
        'jwk',
        { kty, crv, x, y, d },
        PARAMETERS[alg].generate,
        false,
        ['sign'],
      )
      // A key WebCrypto refuses is not remembered: the next request tries again.
      imported.catch(() => this.#keys.delete(id))
      keep(this.#keys, id, imported, REMEMBERED)
    }
    return imported
  }
}

/**
 * Whether a response asks for a DPoP nonce: an authorization server's 400 `use_dpop_nonce`
 * (RFC 9449 8) or a resource server's 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"`
 * (RFC 9449 9), either with the `DPoP-Nonce` to use.
 */
export function asksForNonce(status: number, headers: Headers, body?: string): boolean {
  if (!isNonce(headers.get('dpop-nonce'))) return false
  if (status === 400 && body !== undefined) return parseJsonObject(body)?.error === 'use_dpop_nonce'
  return (
    status === 401 &&
    parseChallenges(headers.get('www-authenticate') ?? '').some(
      ({ scheme, params }) => scheme === 'dpop' && params.error === 'use_dpop_nonce',
    )
  )
}

/** The access token of a `DPoP` authorization header, for `ath`. */
function boundToken(authorization: string | null | undefined): string | undefined {
  return /^DPoP ([^ ]+)$/.exec(authorization ?? '')?.[1]
}

/**
 * DPoP-bound tokens (RFC 9449) for the relying party, on every runtime: each login gets a new
 * key pair (ES256, or EdDSA with `alg`), generated with WebCrypto; its thumbprint goes with the
 * authorization request as `dpop_jkt` (the code is bound to it); the private key is kept in the
 * login's transaction cookie and then with the session (sealed in the cookie, or in the store).
 * The code exchange, every refresh, UserInfo and `fetchWithAccessToken` (every adapter's API-call
 * helper) carry a DPoP proof by it (`htm`, `htu`, `iat`, a random `jti`; `ath` with an access
 * token, which is sent as `Authorization: DPoP`). The token endpoint must answer `token_type`
 * `DPoP`: a `Bearer` answer is `TOKEN_RESPONSE_INVALID` (the provider did not bind the token).
 * A server's nonce (`use_dpop_nonce`: 400 from the token endpoint, 401 from UserInfo or an API) is
 * taken up and the request sent once more; the last nonce of each origin is remembered for its
 * next requests. A provider whose discovery lists `dpop_signing_alg_values_supported` without
 * `alg` answers each login with `CONFIG_INVALID`.
 *
 * Sessions from before `dpop()` was added keep their Bearer tokens until they log in again.
 *
 * @example
 * ```ts
 * import { dpop } from '@oidc-hybrid/core' // or from the adapter
 * createHybridAuth({ ...options, extensions: [dpop()] })
 * ```
 * @see [RFC 9449 4, 5, 7, 8, 9, 10](https://www.rfc-editor.org/rfc/rfc9449)
 */
export function dpop(options: DpopOptions = {}): Extension {
  const alg = options.alg ?? 'ES256'
  if (!Object.hasOwn(PARAMETERS, alg)) {
    throw new ConfigurationError("dpop: `alg` is 'ES256' or 'EdDSA'")
  }
  return {
    engine(engine) {
      if (WRAPPED.has(engine)) throw new ConfigurationError('extensions: dpop() is there twice')
      WRAPPED.add(engine)
      const { login, send, fetchApi } = engine
      const { crypto, now } = engine.config
      const signer = new DpopProofSigner(crypto)
      /** The last nonce each origin gave. */
      const nonces = new Map<string, string>()
      const proof = (method: string, url: string, key: JsonWebKey, authorization?: string | null) =>
        signer.sign(key, {
          method,
          url,
          now: now(),
          nonce: nonces.get(new URL(url).origin),
          accessToken: boundToken(authorization),
        })
      const note = (url: string, headers: Headers) => {
        const nonce = headers.get('dpop-nonce')
        if (isNonce(nonce)) keep(nonces, new URL(url).origin, nonce, REMEMBERED)
      }

      engine.login = async (request, loginOptions: LoginOptions = {}): Promise<AuthResponse> => {
        try {
          const supported = (await engine.provider.metadata()).dpop_signing_alg_values_supported
          if (Array.isArray(supported) && !supported.includes(alg)) {
            throw new ConfigurationError(
              `dpop: the provider takes DPoP proofs signed with ${supported.join(', ')}, not ${alg}: pass dpop({ alg })`,
            )
          }
          const { key, jkt } = await generateDpopKey(alg, crypto)
          return await login.call(engine, request, {
            ...loginOptions,
            dpop: key,
            authorizationParams: { ...loginOptions.authorizationParams, dpop_jkt: jkt },
          })
        } catch (error) {
          if (!isOidcHybridError(error)) throw error
          return failed(engine, error)
        }
      }

      engine.send = async (request: HttpRequest): Promise<HttpResponseData> => {
        const key = request.dpop
        if (!key) return send.call(engine, request)
        const attempt = async () => {
          const { method, url, headers } = request
          const response = await send.call(engine, {
            ...request,
            headers: { ...headers, dpop: await proof(method, url, key, headers.authorization) },
          })
          note(url, response.headers)
          return response
        }
        const response = await attempt()
        return asksForNonce(response.status, response.headers, response.body) ? attempt() : response
      }

      engine.fetchApi = async (request: Request, key?: JsonWebKey): Promise<Response> => {
        if (!key) return fetchApi.call(engine, request, key)
        // Kept for a nonce retry: a body can be read once (a request without one is sent again).
        const again = request.body ? request.clone() : request
        // Redirects are not followed: the proof names this URL, and its DPoP header (with the
        // token, where a runtime keeps Authorization) must not go on to another origin.
        const manual = (from: Request) => new Request(from, { redirect: 'manual' })
        const attempt = async (outgoing: Request) => {
          const { method, url, headers } = outgoing
          headers.set('dpop', await proof(method, url, key, headers.get('authorization')))
          const response = await fetchApi.call(engine, outgoing, key)
          note(url, response.headers)
          return response
        }
        const response = await attempt(manual(request))
        if (!asksForNonce(response.status, response.headers)) return response
        // The refused answer's body is not needed.
        await response.body?.cancel()
        return attempt(manual(again))
      }
    },
  }
}
