/**
 * The API side: verifies bearer access tokens (RFC 9068 JWTs) against the issuer's keys, and
 * answers failures as RFC 6750 3 says. Usable alone (an API server has no login) or through
 * {@link HybridAuth.verifyBearer}, which shares the engine's discovery and JWKS cache.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { WebCryptoProvider } from '../crypto/webcrypto.js'
import { ConfigurationError, isOidcHybridError, OidcHybridError } from '../errors.js'
import {
  type AccessTokenClaims,
  bearerChallenge,
  extractBearerToken,
  verifyAccessToken,
} from '../protocol/bearer.js'
import type { JsonWebKeySet } from '../protocol/types.js'
import { ProviderCache } from './provider-cache.js'

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
  /** The provider's issuer URL (discovery is fetched from it). */
  issuerBaseURL: string
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
  body: string
}

export class BearerVerifier {
  readonly #provider: ProviderCache
  readonly #defaults: BearerOptions & { realm?: string }
  readonly #clock: { now: () => number; tolerance: number; crypto: CryptoProvider }

  constructor(
    provider: ProviderCache,
    defaults: BearerOptions & { realm?: string },
    clock: { now: () => number; tolerance: number; crypto: CryptoProvider },
  ) {
    this.#provider = provider
    this.#defaults = defaults
    this.#clock = clock
  }

  /**
   * Verifies the `Authorization` header's bearer token: signature with the issuer's keys (an
   * unknown `kid` refetches the JWKS, rate-limited), `typ`, `iss`, `aud`, `exp`, `nbf`, `iat`,
   * `sub`, and the required scopes. Throws BEARER_* errors (see {@link BearerVerifier.failure}).
   *
   * @see [RFC 9068 4](https://www.rfc-editor.org/rfc/rfc9068#section-4)
   * @see [RFC 6750 2.1](https://www.rfc-editor.org/rfc/rfc6750#section-2.1)
   */
  async verify(
    authorization: string | null | undefined,
    options: Partial<BearerOptions> = {},
  ): Promise<VerifiedBearer> {
    const token = extractBearerToken(authorization)
    const merged: BearerOptions = { ...this.#defaults }
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined) Object.assign(merged, { [key]: value })
    }
    // A route's scopes add to the verifier's; they never replace (and so never drop) them.
    merged.scopes = [...new Set([...(this.#defaults.scopes ?? []), ...(options.scopes ?? [])])]
    if (merged.audience === undefined) {
      throw new ConfigurationError('bearer verification needs an `audience` (the API identifier)')
    }
    const metadata = await this.#provider.metadata()
    const verify = (jwks: JsonWebKeySet, jwksRefreshed: boolean) =>
      verifyAccessToken(token, {
        issuer: metadata.issuer,
        audience: merged.audience,
        requiredScopes: merged.scopes,
        typ: merged.typ,
        permissionsClaim: merged.permissionsClaim,
        now: this.#clock.now(),
        clockTolerance: this.#clock.tolerance,
        jwks,
        jwksRefreshed,
        crypto: this.#clock.crypto,
      })
    let result = await verify(await this.#provider.jwks(), false)
    if (result.kind === 'need-keys') {
      result = await verify(await this.#provider.jwksAfterUnknownKid(), true)
    }
    if (result.kind === 'need-keys') {
      throw new OidcHybridError('BEARER_TOKEN_INVALID', 'the token was signed by an unknown key')
    }
    return { claims: result.claims, scopes: result.scopes }
  }

  /**
   * The RFC 6750 3 answer for a failed check: 401 with a bare challenge when no token was sent,
   * 400 `invalid_request`, 401 `invalid_token`, 403 `insufficient_scope`; the body is JSON.
   */
  failure(error: unknown, options: { scopes?: string[] } = {}): BearerFailure {
    const { status, wwwAuthenticate } = bearerChallenge(error, {
      realm: this.#defaults.realm,
      requiredScopes: [...new Set([...(this.#defaults.scopes ?? []), ...(options.scopes ?? [])])],
    })
    const known = isOidcHybridError(error) ? error : undefined
    return {
      status,
      wwwAuthenticate,
      body: JSON.stringify(
        known
          ? { error: known.code, message: known.message }
          : { error: 'INTERNAL_ERROR', message: 'the token could not be checked' },
      ),
    }
  }
}

/**
 * Creates a bearer verifier for an API server.
 *
 * @example
 * ```ts
 * const bearer = createBearerVerifier({ issuerBaseURL: 'https://tenant.auth0.com', audience: 'https://api.example.com' })
 * const { claims } = await bearer.verify(request.headers.get('authorization'), { scopes: ['read:messages'] })
 * ```
 */
export function createBearerVerifier(config: BearerVerifierConfig): BearerVerifier {
  if (typeof config?.issuerBaseURL !== 'string' || config.issuerBaseURL === '') {
    throw new ConfigurationError('`issuerBaseURL` is required (the token issuer)')
  }
  const now = config.now ?? (() => Math.floor(Date.now() / 1000))
  const provider = new ProviderCache({
    issuerBaseURL: config.issuerBaseURL,
    http: {
      fetch: config.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeout: config.httpTimeout ?? 5000,
      maxBodyBytes: 1 << 20,
    },
    now,
    maxAge: config.cacheMaxAge ?? 600,
    jwksCooldown: config.jwksCooldown ?? 30,
  })
  return new BearerVerifier(
    provider,
    {
      audience: config.audience,
      scopes: config.scopes,
      typ: config.typ,
      permissionsClaim: config.permissionsClaim,
      realm: config.realm,
    },
    {
      now,
      tolerance: config.clockTolerance ?? 60,
      crypto: config.crypto ?? new WebCryptoProvider(),
    },
  )
}
