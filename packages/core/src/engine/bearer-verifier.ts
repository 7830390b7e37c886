/**
 * The API side: verifies bearer access tokens (RFC 9068 JWTs) against the issuer's keys, and
 * answers failures as RFC 6750 3 says. Usable alone (an API server has no login) or beside a
 * login engine (`{ engine }`), sharing its discovery and JWKS cache. The engine does not import
 * this file, so an app that never checks bearer tokens does not bundle it.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { WebCryptoProvider } from '../crypto/webcrypto.js'
import { ConfigurationError, isOidcHybridError } from '../errors.js'
import {
  type AccessTokenClaims,
  type BearerVerification,
  bearerChallenge,
  extractBearerToken,
  verifyAccessToken,
} from '../protocol/bearer.js'
import type { JsonWebKeySet } from '../protocol/types.js'
import { ProviderCache, withKeys } from './provider-cache.js'
import type { EngineView } from './types.js'

export interface BearerOptions {
  /** The API identifier(s) the token must be for (`aud`). */
  audience: string | string[]
  /** Scopes that must all be granted. */
  scopes?: string[]
  /** `at+jwt` (RFC 9068, default) or `any` (e.g. Auth0's default token profile, `typ: JWT`). */
  typ?: 'at+jwt' | 'any'
  /** Also read Auth0 RBAC `permissions` as scopes. */
  permissionsClaim?: boolean
}

export interface VerifiedBearer {
  claims: AccessTokenClaims
  scopes: string[]
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

  /** Prefer {@link createBearerVerifier}. Throws ConfigurationError without an issuer. */
  constructor(config: BearerVerifierConfig) {
    const engine = config?.engine
    if (!engine && (typeof config?.issuerBaseURL !== 'string' || config.issuerBaseURL === '')) {
      throw new ConfigurationError('`issuerBaseURL` is required (the token issuer)')
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
    const token = extractBearerToken(authorization)
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
    return { claims, scopes }
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
  failure(error: unknown, options: { scopes?: string[] } = {}): BearerFailure {
    if (isOidcHybridError(error) && error.code === 'CONFIG_INVALID') throw error
    const { status, wwwAuthenticate, retryAfter } = bearerChallenge(error, {
      realm: this.#config.realm,
      requiredScopes: this.#scopes(options.scopes),
    })
    const headers: Record<string, string> = {
      'www-authenticate': wwwAuthenticate,
      'cache-control': 'no-store',
      'content-type': 'application/json',
    }
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
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
