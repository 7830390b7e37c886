import type { KeyObject } from 'node:crypto'
import type { KoaContext, OidcContext, Token } from 'oidc-provider'
import { ROUTES } from './configuration.js'
import { publicKeyOf, verifyAccessTokenJwt } from './lib/access-token-jwt.js'
import { checkDpopProof } from './lib/dpop-proof.js'
import type { PrivateSigningJwk } from './lib/keys.js'
import type { DevProviderLogger } from './types.js'

/** A JWT access token before signing, as oidc-provider hands it to `formats.customizers.jwt`. */
export interface StructuredJwt {
  header?: Record<string, unknown>
  payload: Record<string, unknown>
}

/** The opaque token standing in for one API access token at `/userinfo`. */
interface Delegate {
  value: string
  sub: string
  clientId: string
  /** Seconds since epoch, the API token's `exp`. */
  exp: number
}

const TOKEN_JWT = /^(bearer|dpop) ([\w-]+\.[\w-]+\.[\w-]+)$/i

/**
 * The OpenID scopes requested for the access token being issued, and the `claims` request
 * parameter, taken from where oidc-provider takes them for its own userinfo tokens.
 */
function openidRequest(oidc: OidcContext): { scopes: Set<string>; claims: unknown } | undefined {
  if (oidc.route !== 'token') {
    return { scopes: oidc.requestParamOIDCScopes, claims: oidc.claims }
  }
  // At the token endpoint the source is the code being redeemed or the refresh token used; a
  // refresh request may narrow the scope.
  const source = oidc.entities.RefreshToken ?? oidc.entities.AuthorizationCode
  if (!source) return undefined
  return {
    scopes: oidc.params?.scope ? oidc.requestParamScopes : source.scopes,
    claims: source.claims,
  }
}

/**
 * Auth0 lets an access token for an API also call `/userinfo` when `openid` was requested: the
 * token's `aud` is `[api, ${issuer}userinfo]`. oidc-provider cannot be configured for that: it
 * keeps no record of JWT access tokens and its userinfo endpoint refuses every token with an
 * audience (panva/node-oidc-provider#1127). So this does it in two documented steps:
 *
 * 1. `formats.customizers.jwt` adds `${issuer}userinfo` to `aud` when the token's granted OpenID
 *    scope contains `openid`, and issues an opaque userinfo access token for the same account,
 *    client, grant, OpenID scope, `claims` and expiry — exactly the token oidc-provider issues
 *    when there is no audience. Its value is never sent to anyone.
 * 2. A route in front of oidc-provider's `/userinfo` verifies a JWT bearer token (signature
 *    with the provider's key, `typ`, `iss`, `exp`, `aud`, then `jti`, `sub` and `client_id`
 *    against the opaque token issued with it) and passes that opaque token on. oidc-provider's
 *    own userinfo then checks scope, grant, client and account and answers the claims.
 *
 * A DPoP-bound JWT (`cnf.jkt`, RFC 9449) is taken only as `Authorization: DPoP` with a proof of
 * its key for this request (checked here: signature, `htm`, `htu`, `iat`, `ath`, the thumbprint,
 * each proof once); a bound JWT sent as Bearer, or an unbound one sent as DPoP, is refused.
 *
 * Anything else — an opaque token, or a JWT that fails a check — reaches oidc-provider as it
 * came, which answers a JWT with `401 invalid_token`, as it always has.
 *
 * @see https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens#multiple-audiences
 * @see https://openid.net/specs/openid-connect-core-1_0-errata2.html#UserInfo
 */
export class UserinfoAudience {
  /** The `aud` value that admits a JWT access token at `/userinfo`. */
  readonly audience: string
  readonly #issuer: string
  readonly #key: KeyObject
  readonly #alg: 'RS256' | 'ES256'
  readonly #kid: string
  /** Keyed by the API token's `jti`. */
  readonly #delegates = new Map<string, Delegate>()
  readonly #delegateTokens = new WeakSet<object>()
  /** DPoP proofs already used here, until their window has passed. */
  readonly #proofs = new Map<string, number>()

  constructor(issuer: string, signingKey: PrivateSigningJwk, alg: 'RS256' | 'ES256') {
    this.#issuer = issuer
    this.audience = `${issuer}${ROUTES.userinfo.slice(1)}`
    this.#key = publicKeyOf(signingKey)
    this.#alg = alg
    this.#kid = signingKey.kid
  }

  /**
   * oidc-provider's `formats.customizers.jwt`, called before every JWT access token is signed.
   *
   * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#formatscustomizers
   */
  async customize(ctx: KoaContext | undefined, token: Token, jwt: StructuredJwt): Promise<void> {
    const oidc = ctx?.oidc
    const grant = oidc?.entities.Grant
    const { jti, accountId, clientId, grantId } = token
    const { sub, exp } = jwt.payload
    if (!oidc || !grant || !jti || !accountId || !clientId || !grantId) return
    if (typeof sub !== 'string' || typeof exp !== 'number') return
    const request = openidRequest(oidc)
    if (!request) return
    const scope = grant.getOIDCScopeFiltered(request.scopes)
    if (!scope.split(' ').includes('openid')) return

    const aud = jwt.payload.aud
    const audiences = Array.isArray(aud) ? aud : aud === undefined ? [] : [aud]
    jwt.payload.aud = [...new Set([...audiences, this.audience])]

    const delegate = new oidc.provider.AccessToken({
      accountId,
      clientId,
      grantId,
      scope,
      claims: request.claims,
      exp,
    })
    this.#delegateTokens.add(delegate)
    this.#forgetExpired()
    this.#delegates.set(jti, { value: await delegate.save(), sub, clientId, exp })
  }

  /**
   * Whether oidc-provider is saving one of the opaque stand-in tokens; the custom claims hook is
   * not called for those, they are not tokens anyone receives.
   */
  isDelegate(token: object): boolean {
    return this.#delegateTokens.has(token)
  }

  /** The route in front of oidc-provider's `/userinfo`; see the class description. */
  route(logger: DevProviderLogger): (ctx: KoaContext, next: () => Promise<void>) => Promise<void> {
    return async (ctx, next) => {
      if (ctx.path !== ROUTES.userinfo) return next()
      // RFC 6750 §2.1 or RFC 9449 7.1 only: oidc-provider refuses a JWT sent any other way.
      const [, scheme = '', jwt] = TOKEN_JWT.exec(ctx.req.headers.authorization ?? '') ?? []
      if (jwt === undefined) return next()
      const result = this.#delegateFor(jwt, scheme.toLowerCase() === 'dpop', ctx)
      if (typeof result === 'string') {
        logger.info(`userinfo: JWT access token refused: ${result}`)
      } else {
        // The proof of a DPoP-bound token was checked here: oidc-provider sees the stand-in only.
        ctx.req.headers.authorization = `Bearer ${result.value}`
        delete ctx.req.headers.dpop
      }
      return next()
    }
  }

  /**
   * The opaque token for a valid API access token, or why there is none. A DPoP-bound token
   * (`cnf.jkt`, RFC 9449 6.1) is taken only as `DPoP` (`dpop`), with a proof of its key for this
   * request ({@link checkDpopProof}) seen once; an unbound one only as Bearer.
   */
  #delegateFor(jwt: string, dpop: boolean, ctx: KoaContext): Delegate | string {
    const now = Date.now() / 1000
    const result = verifyAccessTokenJwt(jwt, {
      issuer: this.#issuer,
      audience: this.audience,
      alg: this.#alg,
      kid: this.#kid,
      key: this.#key,
      now,
    })
    if (!result.ok) return result.reason
    const { jti, sub, client_id } = result.claims
    const delegate = this.#delegates.get(jti)
    if (!delegate || delegate.exp <= now) return 'not issued by this provider run'
    if (delegate.sub !== sub || delegate.clientId !== client_id) {
      return 'sub or client_id differ from the issued token'
    }
    const cnf = result.claims.cnf as { jkt?: unknown } | undefined
    const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : undefined
    if (!dpop) return jkt === undefined ? delegate : 'a DPoP-bound token sent as Bearer'
    if (jkt === undefined) return 'a token without cnf.jkt sent as DPoP'
    const proof = ctx.req.headers.dpop
    const refused = checkDpopProof(proof, {
      method: ctx.method,
      htu: this.audience,
      accessToken: jwt,
      jkt,
      now,
    })
    if (refused) return `DPoP proof refused: ${refused}`
    // RFC 9449 11.1: each proof once: its key and jti, for as long as its iat is in the window.
    const [, payload = ''] = String(proof).split('.')
    const proofJti = (
      JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti: string }
    ).jti
    const seen = `${jkt} ${proofJti}`
    if (this.#proofs.has(seen)) return 'DPoP proof replayed'
    this.#proofs.set(seen, now + 120)
    for (const [key, until] of this.#proofs) if (until <= now) this.#proofs.delete(key)
    return delegate
  }

  #forgetExpired(): void {
    const now = Date.now() / 1000
    for (const [jti, delegate] of this.#delegates) {
      if (delegate.exp <= now) this.#delegates.delete(jti)
    }
  }
}
