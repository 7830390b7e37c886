/**
 * The API side: verifies bearer access tokens (RFC 9068 JWTs) against the issuer's keys, and
 * DPoP-bound ones with their proofs (RFC 9449), and answers failures as RFC 6750 3 says. Usable alone (an API server has no login) or beside a
 * login engine (`{ engine }`), sharing its discovery and JWKS cache. The engine does not import
 * this file, so an app that never checks bearer tokens does not bundle it.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { WebCryptoProvider } from '../crypto/webcrypto.js'
import { ConfigurationError, isOidcHybridError, OidcHybridError } from '../errors.js'
import { ASYMMETRIC_ALGS } from '../lib/alg.js'
import { utf8 } from '../lib/base64url.js'
import { keep, remember } from '../lib/remember.js'
import {
  type AccessTokenClaims,
  type BearerVerification,
  bearerChallenge,
  extractBearerToken,
  verifyAccessToken,
} from '../protocol/bearer.js'
import {
  checkDpopBinding,
  DEFAULT_DPOP_ALGS,
  DEFAULT_DPOP_WINDOW,
  extractAccessToken,
  openDpopNonce,
  sealDpopNonce,
  verifyDpopProof,
} from '../protocol/dpop.js'
import type { JsonWebKeySet, Jwk, JwsAlgorithm } from '../protocol/types.js'
import { ProviderCache, withKeys } from './provider-cache.js'
import { StepUp } from './step-up.js'
import type { EngineView } from './types.js'

/**
 * Which access tokens a route takes: `'allow'` (default) Bearer tokens and DPoP-bound tokens with
 * their proofs, `'require'` DPoP-bound tokens only, `'off'` Bearer tokens only. A DPoP-bound
 * token (`cnf.jkt`) is never accepted as a Bearer token, whatever the mode (RFC 9449 7.2).
 */
export type DpopMode = 'allow' | 'require' | 'off'

/** The parts of a request a bearer check reads (a Web `Request` is one). */
export interface BearerRequest {
  method: string
  /**
   * The absolute URL the client addressed: DPoP proofs name it (`htu`). Behind a proxy, the
   * external one (Koa: `app.proxy`; Express: `trust proxy`; Fastify: `trustProxy`), or set the
   * verifier's `origin`.
   */
  url: string
  headers: { get(name: string): string | null }
}

/** Server nonces for DPoP proofs (RFC 9449 9). */
export interface DpopNonceOptions {
  /**
   * Nonces are sealed with a key derived from this secret, so every instance holding it accepts
   * the others' nonces. Default: a random key per verifier (one instance).
   */
  secret?: string
  /** Seconds a nonce is accepted. Default 300; a fresh one is sent once half of it has passed. */
  lifetime?: number
}

/**
 * A replay memory shared by instances: `true` when `key` (a proof's key thumbprint and `jti`) is
 * new, and then remembered until `until` (seconds since the epoch); `false` when seen before.
 */
export type DpopReplayCheck = (key: string, until: number) => boolean | Promise<boolean>

export interface BearerOptions {
  /** The API identifier(s) the token must be for (`aud`). */
  audience: string | string[]
  /** Scopes that must all be granted. */
  scopes?: string[]
  /** `at+jwt` (RFC 9068, default) or `any` (e.g. Auth0's default token profile, `typ: JWT`). */
  typ?: 'at+jwt' | 'any'
  /** Also read Auth0 RBAC `permissions` as scopes. */
  permissionsClaim?: boolean
  /** Bearer and DPoP tokens (`'allow'`, default), DPoP only (`'require'`), Bearer only (`'off'`). */
  dpop?: DpopMode
  /**
   * Step-up (RFC 9470): the token's `acr` must be one of these, else 401
   * `insufficient_user_authentication` with `acr_values` (`STEP_UP_REQUIRED`). A route's value
   * replaces the verifier's.
   */
  acrValues?: string[]
  /**
   * Step-up (RFC 9470): the token's `auth_time` must be at most this many seconds old (within the
   * clock tolerance), else 401 `insufficient_user_authentication` with `max_age`.
   */
  maxAge?: number
  /**
   * A route's own check of the verified token's claims (NestJS `@RequiredClaims`): `true` when
   * they meet it, else the names of the claims that do not (maybe none), refused as
   * `BEARER_INSUFFICIENT_SCOPE` (403, RFC 6750 3.1) with `details.claims`. Being part of the
   * verification, its refusal is a `bearer.refused` event like any other.
   */
  claims?: (claims: AccessTokenClaims) => true | string[]
}

export interface VerifiedBearer {
  claims: AccessTokenClaims
  scopes: string[]
  /** The RFC 7638 thumbprint of the key a DPoP request proved (the token's `cnf.jkt`). */
  jkt?: string
  /**
   * Headers for the success answer: a fresh `DPoP-Nonce` when the proof's nonce is half-way to
   * its expiry. Koa and NestJS set them; with fetch, copy them to your response.
   */
  headers?: Record<string, string>
}

/**
 * An opt-in module that takes part in bearer checks (`events()`): `bearer` is called once, when
 * the verifier is created, and may wrap its `verify` and `verifyRequest` by assigning functions
 * that keep their contract (call the wrapped one, return its value, let its errors through).
 */
export interface BearerExtension {
  bearer?(verifier: BearerVerifier): void
}

export interface BearerVerifierConfig extends BearerOptions {
  /** The provider's issuer URL (discovery is fetched from it). Required without `engine`. */
  issuerBaseURL?: string
  /**
   * A login engine to share: its issuer, discovery and JWKS cache, clock, clock tolerance and
   * crypto (for an app that is also its own API). The options below then do not apply.
   */
  engine?: EngineView
  fetch?: typeof fetch
  /** Milliseconds per request to the provider. Default 5000. */
  httpTimeout?: number
  /** Seconds of clock skew tolerated. Default 60. */
  clockTolerance?: number
  /** Seconds discovery and JWKS stay cached. Default 600. */
  cacheMaxAge?: number
  /** Seconds between JWKS refetches triggered by unknown `kid`s. Default 30. */
  jwksCooldown?: number
  crypto?: CryptoProvider
  now?: () => number
  /** `realm` of the WWW-Authenticate challenge. */
  realm?: string
  /**
   * DPoP proof algorithms accepted (asymmetric, as far as the crypto provider verifies them).
   * Default `['ES256']`; e.g. `['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA']`.
   */
  dpopAlgorithms?: JwsAlgorithm[]
  /** Seconds a DPoP proof's `iat` may lie before or after now. Default 60. */
  dpopWindow?: number
  /** Require server nonces in DPoP proofs (`true`, or options). Default off. */
  dpopNonce?: boolean | DpopNonceOptions
  /**
   * Where proof ids are remembered to refuse a replay. Default: in this verifier's memory (10 000
   * entries): enough for one instance; give a shared one (e.g. Redis `SET NX EXAT`) for many.
   */
  dpopReplay?: DpopReplayCheck
  /**
   * The API's public origin (`https://api.example.com`) when the framework does not see it (a
   * proxy it does not trust): DPoP `htu` is then compared with this origin and the request's path.
   * Default: the request URL the adapter gives.
   */
  origin?: string
  /**
   * Opt-in modules that join the verifier when it is created, in order: `events()` (the same
   * value as in the engine's `extensions`) reports every accepted and refused token.
   */
  extensions?: BearerExtension[]
}

export interface BearerFailure {
  status: number
  wwwAuthenticate: string
  /**
   * Every header of the answer, for the adapter to copy: `WWW-Authenticate`,
   * `Cache-Control: no-store`, `Content-Type: application/json`, and `Retry-After` on a 503.
   */
  headers: Record<string, string>
  /** The body as sent: JSON of {@link json}. */
  body: string
  /** The body as an object, for frameworks that serialize it themselves (NestJS). */
  json: { error: string; message: string }
}

export class BearerVerifier {
  readonly #config: BearerVerifierConfig
  readonly #provider: ProviderCache
  readonly #now: () => number
  readonly #tolerance: number
  readonly #crypto: CryptoProvider
  readonly #dpopAlgorithms: readonly JwsAlgorithm[]
  readonly #origin: string | undefined
  readonly #nonceLifetime: number
  /** The nonce key, when nonces are on: derived from the secret, or random. */
  readonly #nonceKey: Promise<Uint8Array> | undefined
  /** Proof ids (`jkt jti`) seen, until when (the default replay memory). */
  readonly #proofs = new Map<string, number>()
  /** Proof keys by thumbprint (the first JWK object of each), so their imports are reused. */
  readonly #proofKeys = new Map<string, Jwk>()
  /**
   * The JWK object to verify a proof key of thumbprint `jkt` with: the first one seen. Bounded:
   * the oldest client's key goes first (it is imported again if it comes back).
   */
  readonly #keyOf = (jkt: string, jwk: Jwk): Jwk => {
    const known = this.#proofKeys.get(jkt)
    if (known) return known
    keep(this.#proofKeys, jkt, jwk, 1000)
    return jwk
  }

  /** Prefer {@link createBearerVerifier}. Throws ConfigurationError without an issuer. */
  constructor(config: BearerVerifierConfig) {
    const engine = config?.engine
    if (!engine && (typeof config?.issuerBaseURL !== 'string' || config.issuerBaseURL === '')) {
      throw new ConfigurationError('`issuerBaseURL` is required (the token issuer)')
    }
    const algorithms = config.dpopAlgorithms ?? DEFAULT_DPOP_ALGS
    if (!algorithms.length || !algorithms.every((alg) => ASYMMETRIC_ALGS.includes(alg))) {
      throw new ConfigurationError(
        `\`dpopAlgorithms\` takes asymmetric JWS algorithms only (${ASYMMETRIC_ALGS.join(' ')})`,
      )
    }
    this.#dpopAlgorithms = algorithms
    modeOf(config.dpop)
    if (config.origin !== undefined) {
      const origin = URL.canParse(config.origin) ? new URL(config.origin) : undefined
      if (!origin || !/^https?:$/.test(origin.protocol) || origin.href !== `${origin.origin}/`) {
        throw new ConfigurationError("`origin` is the API's public origin: https://host[:port]")
      }
      this.#origin = origin.origin
    }
    const nonce = config.dpopNonce === true ? {} : config.dpopNonce || undefined
    this.#nonceLifetime = nonce?.lifetime ?? 300
    if (!(this.#nonceLifetime > 0) || !((config.dpopWindow ?? 1) > 0)) {
      throw new ConfigurationError('`dpopWindow` and `dpopNonce.lifetime` are positive seconds')
    }
    const now = engine?.config.now ?? config.now ?? (() => Math.floor(Date.now() / 1000))
    this.#config = config
    this.#now = now
    this.#tolerance = engine?.config.clockTolerance ?? config.clockTolerance ?? 60
    this.#crypto = engine?.config.crypto ?? config.crypto ?? new WebCryptoProvider()
    this.#provider =
      engine?.provider ??
      new ProviderCache({
        issuerBaseURL: config.issuerBaseURL!,
        http: {
          fetch: config.fetch ?? ((input, init) => globalThis.fetch(input, init)),
          timeout: config.httpTimeout ?? 5000,
          maxBodyBytes: 1 << 20,
        },
        now,
        maxAge: config.cacheMaxAge ?? 600,
        jwksCooldown: config.jwksCooldown ?? 30,
      })
    const crypto = this.#crypto
    this.#nonceKey =
      nonce &&
      (nonce.secret === undefined
        ? Promise.resolve(crypto.randomBytes(32))
        : crypto.deriveKey(
            utf8(nonce.secret),
            utf8('oidc-hybrid dpop-nonce'),
            utf8('aes-256-gcm 1'),
          ))
    for (const extension of config.extensions ?? []) extension.bearer?.(this)
  }

  /**
   * Verifies the `Authorization` header's bearer token: signature with the issuer's keys (an
   * unknown `kid` refetches the JWKS, rate-limited), `typ`, `iss`, `aud`, `exp`, `nbf`, `iat`,
   * `sub`, and the required scopes. Throws BEARER_* errors, or the provider's (`DISCOVERY_*`,
   * `JWKS_INVALID`, `HTTP_*`) when its discovery or keys cannot be had; {@link BearerVerifier.failure}
   * turns either into the answer.
   * `options` override the verifier's, except `scopes`, which add to them.
   *
   * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
   * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
   */
  async verify(
    authorization: string | null | undefined,
    options: Partial<BearerOptions> = {},
  ): Promise<VerifiedBearer> {
    return this.#verifyToken(extractBearerToken(authorization), options)
  }

  /**
   * Verifies a request's access token: as {@link BearerVerifier.verify} for `Authorization:
   * Bearer`, and for `Authorization: DPoP` (RFC 9449) with the `DPoP` proof header too: the proof
   * (one JWS, `typ`, `alg` in `dpopAlgorithms`, its public `jwk`'s signature, `htm`, `htu`, `iat`
   * within `dpopWindow`, `jti` never seen before, `ath`, the server nonce with `dpopNonce`), then
   * the token, which must be bound to the proof's key (`cnf.jkt`). `options.dpop` (or the
   * verifier's) says which schemes are accepted; a DPoP-bound token is never accepted as Bearer.
   * Throws as `verify` does, and `DPOP_PROOF_INVALID`, `DPOP_NONCE_REQUIRED` (its `details.nonce`
   * goes out in the `DPoP-Nonce` header), `DPOP_BINDING_MISMATCH`; {@link BearerVerifier.failure}
   * turns any of them into the answer.
   *
   * @see [RFC 9449 7](https://www.rfc-editor.org/rfc/rfc9449#section-7)
   * @see [RFC 9449 4.3](https://www.rfc-editor.org/rfc/rfc9449#section-4.3)
   * @example
   * ```ts
   * const verified = await bearer.verifyRequest(request, { scopes: ['read:messages'] }) // a Web Request
   * ```
   */
  async verifyRequest(
    request: BearerRequest,
    options: Partial<BearerOptions> = {},
  ): Promise<VerifiedBearer> {
    const mode = modeOf(options.dpop ?? this.#config.dpop)
    const { scheme, token } = extractAccessToken(request.headers.get('authorization'), {
      bearer: mode !== 'require',
      dpop: mode !== 'off',
    })
    if (scheme === 'Bearer') return this.#verifyToken(token, options)
    try {
      const proof = await verifyDpopProof(request.headers.get('dpop'), {
        method: request.method,
        url: this.#urlOf(request.url),
        accessToken: token,
        algorithms: this.#dpopAlgorithms,
        now: this.#now(),
        window: this.#config.dpopWindow ?? DEFAULT_DPOP_WINDOW,
        crypto: this.#crypto,
        keyOf: this.#keyOf,
      })
      const headers = await this.#checkNonce(proof.nonce)
      // RFC 9449 11.1: a proof is used once; keyed by its key too, so no client can spend another's.
      const key = `${proof.jkt} ${proof.jti}`
      const replay = this.#config.dpopReplay
      if (
        !(await (replay ? replay(key, proof.replayUntil) : this.#fresh(key, proof.replayUntil)))
      ) {
        throw new OidcHybridError(
          'DPOP_PROOF_INVALID',
          'DPoP proof was used before; make a new proof per request',
          { details: { reason: 'replay', scheme: 'DPoP' } },
        )
      }
      const verified = await this.#verifyToken(token, options, proof.jkt)
      return { ...verified, jkt: proof.jkt, ...(headers && { headers }) }
    } catch (error) {
      // The token's own failures, answered in the DPoP challenge.
      if (!isOidcHybridError(error) || !/^(BEARER_|STEP)/.test(error.code)) throw error
      throw new OidcHybridError(error.code, error.message, {
        cause: error,
        details: { ...error.details, scheme: 'DPoP' },
      })
    }
  }

  /** The token verified as RFC 9068 says, then its binding: to `jkt`, or to none (Bearer). */
  async #verifyToken(
    token: string,
    options: Partial<BearerOptions>,
    jkt?: string,
  ): Promise<VerifiedBearer> {
    const defaults = this.#config
    const audience = options.audience ?? defaults.audience
    if (audience === undefined) {
      throw new ConfigurationError('bearer verification needs an `audience` (the API identifier)')
    }
    const { issuer } = await this.#provider.metadata()
    const verify = (jwks: JsonWebKeySet, jwksRefreshed: boolean) =>
      verifyAccessToken(token, {
        issuer,
        audience,
        requiredScopes: this.#scopes(options.scopes),
        typ: options.typ ?? defaults.typ,
        permissionsClaim: options.permissionsClaim ?? defaults.permissionsClaim,
        now: this.#now(),
        clockTolerance: this.#tolerance,
        jwks,
        jwksRefreshed,
        crypto: this.#crypto,
      })
    const result = await withKeys(this.#provider, verify)
    // With `jwksRefreshed` a second unknown key throws (BEARER_TOKEN_INVALID): this is verified.
    const { claims, scopes } = result as Extract<BearerVerification, { kind: 'verified' }>
    checkDpopBinding(claims, jkt)
    const { acrValues: acr = defaults.acrValues, maxAge = defaults.maxAge } = options
    if (acr || maxAge !== undefined) {
      new StepUp({ acr, maxAge }).check(claims, this.#now(), this.#tolerance)
    }
    const unmet = options.claims?.(claims) ?? true
    if (unmet !== true) {
      throw new OidcHybridError(
        'BEARER_INSUFFICIENT_SCOPE',
        'the access token does not carry the claims this route requires',
        { details: { claims: unmet } },
      )
    }
    return { claims, scopes }
  }

  /**
   * With server nonces on: the proof's nonce must be one of ours and unexpired, else
   * DPOP_NONCE_REQUIRED carrying a fresh one. Half-way to its expiry, a fresh one is returned for
   * the success answer, so a busy client never meets the expiry (RFC 9449 8.2, 9).
   */
  async #checkNonce(presented: string | undefined): Promise<Record<string, string> | undefined> {
    const keyPromise = this.#nonceKey
    if (!keyPromise) return undefined
    const nonceKey = { key: await keyPromise, crypto: this.#crypto }
    const now = this.#now()
    const lifetime = this.#nonceLifetime
    const issue = () => sealDpopNonce(now + lifetime, this.#crypto.randomBytes(12), nonceKey)
    const expiresAt = presented === undefined ? undefined : await openDpopNonce(presented, nonceKey)
    if (expiresAt === undefined || expiresAt <= now) {
      throw new OidcHybridError(
        'DPOP_NONCE_REQUIRED',
        `DPoP proof ${presented === undefined ? 'has no nonce' : 'nonce is expired or unknown'}; make a new proof with the nonce in the DPoP-Nonce header`,
        { details: { reason: 'nonce', scheme: 'DPoP', nonce: await issue() } },
      )
    }
    if (expiresAt - now < lifetime / 2) return { 'dpop-nonce': await issue() }
    return undefined
  }

  /** The URL as the client addressed it: with `origin`, that origin and the request's path. */
  #urlOf(url: string): string {
    return this.#origin && URL.canParse(url) ? this.#origin + new URL(url).pathname : url
  }

  /** The default replay memory: true when `key` is new (and now remembered). */
  #fresh(key: string, until: number): boolean {
    const now = this.#now()
    if ((this.#proofs.get(key) ?? 0) > now) return false
    remember(this.#proofs, key, until, now)
    return true
  }

  /**
   * The RFC 6750 3 answer for a failed check: 401 with a bare challenge when no Bearer token was
   * sent (no header, or another scheme such as Basic), 400 `invalid_request`, 401 `invalid_token`,
   * 403 `insufficient_scope`; 503 with a bare challenge and `Retry-After` when the provider's
   * discovery or keys could not be had (an outage is not the client's fault, and the token was
   * not judged); 500 for anything else. Always `Cache-Control: no-store`; the body is JSON
   * `{ error, message }` (on a 503 or 500 the message reveals nothing of the provider or the bug).
   * A `CONFIG_INVALID` error is thrown again instead: a misconfiguration is the developer's to
   * see, not a 401 for the client.
   */
  failure(error: unknown, options: { scopes?: string[]; dpop?: DpopMode } = {}): BearerFailure {
    if (isOidcHybridError(error) && error.code === 'CONFIG_INVALID') throw error
    const mode = modeOf(options.dpop ?? this.#config.dpop)
    const { status, wwwAuthenticate, retryAfter } = bearerChallenge(error, {
      realm: this.#config.realm,
      requiredScopes: this.#scopes(options.scopes),
      dpopAlgorithms: mode === 'off' ? undefined : this.#dpopAlgorithms,
      bearer: mode !== 'require',
    })
    const headers: Record<string, string> = {
      'www-authenticate': wwwAuthenticate,
      'cache-control': 'no-store',
      'content-type': 'application/json',
    }
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
    const nonce = isOidcHybridError(error) ? error.details.nonce : undefined
    if (typeof nonce === 'string') headers['dpop-nonce'] = nonce
    const json = !isOidcHybridError(error)
      ? { error: 'INTERNAL_ERROR', message: 'the token could not be checked' }
      : status === 503
        ? { error: error.code, message: 'the token could not be checked now: retry later' }
        : { error: error.code, message: error.message }
    return { status, wwwAuthenticate, headers, body: JSON.stringify(json), json }
  }

  /** A route's scopes add to the verifier's; they never replace (and so never drop) them. */
  #scopes(route: string[] = []): string[] {
    return [...new Set([...(this.#config.scopes ?? []), ...route])]
  }
}

/** The mode, checked: a misspelt one must not silently mean another. */
function modeOf(mode: DpopMode | undefined): DpopMode {
  if (mode === undefined) return 'allow'
  if (mode === 'allow' || mode === 'require' || mode === 'off') return mode
  throw new ConfigurationError('`dpop` is "allow", "require" or "off"')
}

/**
 * Creates a bearer verifier for an API server, or for an app that is also its API (`engine`).
 * Create it once (per isolate) so the JWKS stays cached.
 *
 * @example
 * ```ts
 * const bearer = createBearerVerifier({ issuerBaseURL: 'https://tenant.auth0.com', audience: 'https://api.example.com' })
 * const { claims } = await bearer.verify(request.headers.get('authorization'), { scopes: ['read:messages'] })
 * ```
 *
 * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
 */
export function createBearerVerifier(
  config: BearerVerifierConfig | BearerVerifier,
): BearerVerifier {
  // Adapters take either; a verifier given is used as it is (its JWKS cache is kept). Duck-typed,
  // so a verifier from another copy of the core (ESM next to CJS) is still recognised.
  return 'verify' in config ? config : new BearerVerifier(config)
}

/** What an adapter's `requireBearer(verifier, options)` takes for one route. */
export interface RequireBearerOptions extends Partial<BearerOptions> {
  /** Scopes that must all be granted, on top of the verifier's. */
  scopes?: string[]
}
