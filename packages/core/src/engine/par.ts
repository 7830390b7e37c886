/**
 * Pushed authorization requests (RFC 9126) and signed request objects (RFC 9101), as extensions:
 * each wraps the engine's `login` and turns the authorization redirect it built (every parameter,
 * the transaction already sealed) into the form the provider wants. Opt-in imports: a Worker that
 * does not use them does not bundle them.
 */
import { ConfigurationError, isOidcHybridError, type OidcHybridError } from '../errors.js'
import { buildPushedAuthorizationRequest } from '../protocol/grant.js'
import {
  authorizationUrlWith,
  parsePushedAuthorizationResponse,
  requestObjectClaims,
} from '../protocol/par.js'
import type { ProviderMetadata } from '../protocol/types.js'
import { clientMetadata } from './config.js'
import { keySigner, type PrivateKeyJwtOptions, randomId } from './private-key-jwt.js'
import { statusForError } from './status.js'
import type { AuthResponse, ExtensibleEngine, Extension, LoginOptions } from './types.js'

export interface PushedAuthorizationOptions {
  /**
   * `always` (default): every login is pushed. `required`: only when the provider's discovery
   * says `require_pushed_authorization_requests: true` (RFC 9126 5), so the same configuration
   * works with providers that require PAR and with providers that do not have it.
   */
  when?: 'always' | 'required'
}

export interface SignedRequestsOptions extends PrivateKeyJwtOptions {}

type Rewrite = (
  engine: ExtensibleEngine,
  provider: ProviderMetadata,
  parameters: Record<string, string>,
) => Promise<Record<string, string> | undefined>

/** Engines whose login `pushedAuthorization` wraps: `signedRequests` may not go outside it. */
const PUSHING = new WeakSet<ExtensibleEngine>()

/**
 * Wraps `engine.login`: a redirect to the provider's authorization endpoint is rewritten by
 * `rewrite` (its parameters in, the new ones out; `undefined` leaves it). A library error on the
 * way is the login's answer: its status, no redirect and no Set-Cookie (no transaction is
 * created), logged like the engine's own failures.
 */
function wrapLogin(engine: ExtensibleEngine, rewrite: Rewrite): ExtensibleEngine['login'] {
  const login = engine.login
  return async (request, options?: LoginOptions): Promise<AuthResponse> => {
    const answer = await login.call(engine, request, options)
    const location = answer.headers.get('location')
    if (answer.error || location === null) return answer
    try {
      const provider = await engine.provider.metadata()
      const to = new URL(location)
      const endpoint = new URL(provider.authorization_endpoint)
      // Only the authorization request: nothing else this route may answer with a redirect.
      if (to.origin + to.pathname !== endpoint.origin + endpoint.pathname) return answer
      const parameters = Object.fromEntries(
        [...to.searchParams].filter(([name]) => !endpoint.searchParams.has(name)),
      )
      const rewritten = await rewrite(engine, provider, parameters)
      if (rewritten) {
        answer.headers.set('location', authorizationUrlWith(provider, rewritten).href)
      }
      return answer
    } catch (error) {
      if (!isOidcHybridError(error)) throw error
      return failed(engine, error)
    }
  }
}

/** A library error as an extension's answer: its status, no redirect, logged like the engine's. */
export function failed(engine: ExtensibleEngine, error: OidcHybridError): AuthResponse {
  const { code, message } = error
  engine.config.log({ level: 'warn', event: 'request_failed', code, message })
  return {
    status: statusForError(code),
    headers: new Headers({ 'cache-control': 'no-store' }),
    error,
  }
}

/**
 * Pushed authorization requests (RFC 9126): each login's authorization request is sent, with the
 * token endpoint's client authentication (`private_key_jwt` included), to the provider's
 * `pushed_authorization_request_endpoint`, and the browser goes to the authorization endpoint
 * with only `client_id` and the `request_uri` it answered. The request's parameters then never
 * travel through the browser, and the provider knows the client sent them.
 *
 * A refused push answers the login with `PAR_ERROR` (the provider's `error`, `errorDescription`
 * and status on the error; 502) or `PAR_RESPONSE_INVALID`; no transaction is created. A provider
 * without the endpoint is `CONFIG_INVALID`. With `signedRequests`, the pushed request is the
 * signed request object (put `signedRequests` before this in `extensions`).
 *
 * @example
 * ```ts
 * import { pushedAuthorization } from '@oidc-hybrid/core' // or from the adapter
 * createHybridAuth({ ...options, extensions: [pushedAuthorization()] })
 * ```
 * @see [RFC 9126 2, 4](https://www.rfc-editor.org/rfc/rfc9126#section-2)
 */
export function pushedAuthorization(options: PushedAuthorizationOptions = {}): Extension {
  const when = options.when ?? 'always'
  if (when !== 'always' && when !== 'required') {
    throw new ConfigurationError("pushedAuthorization: `when` is 'always' or 'required'")
  }
  return {
    engine(engine) {
      if (PUSHING.has(engine)) {
        throw new ConfigurationError('extensions: pushedAuthorization() is there twice')
      }
      PUSHING.add(engine)
      engine.login = wrapLogin(engine, async (engine, provider, parameters) => {
        if (when === 'required' && provider.require_pushed_authorization_requests !== true) return
        // RFC 9126 2.1: a pushed request never carries a request_uri.
        if (parameters.request_uri !== undefined) {
          throw new ConfigurationError('pushedAuthorization: request_uri may not be pushed')
        }
        const { config } = engine
        const push = await buildPushedAuthorizationRequest(
          { provider, client: clientMetadata(config), clientAuth: config.clientAuth },
          parameters,
        )
        const { request_uri } = parsePushedAuthorizationResponse(await engine.send(push))
        return { client_id: config.clientID, request_uri }
      })
    },
  }
}

/**
 * Signed request objects (RFC 9101, OIDC Core 6.1): each login's authorization parameters go as
 * claims of a JWT signed with the client's private key (the same options as `privateKeyJwt`: a
 * private JWK or PKCS#8 PEM, `kid`, `alg`, `lifetime`), with `iss` the client, `aud` the
 * provider's issuer, `iat`, `nbf`, `exp` and a random `jti`, typed `oauth-authz-req+jwt`. The
 * browser gets `client_id`, `request` and, as OpenID Connect wants them repeated,
 * `response_type` and `scope`. With `pushedAuthorization` (after this one in `extensions`), the
 * object is pushed instead of sent through the browser.
 *
 * The provider must know the public key (the client's `jwks` or `jwks_uri`) and accept the
 * algorithm (`request_object_signing_alg_values_supported`).
 *
 * @example
 * ```ts
 * import { pushedAuthorization, signedRequests } from '@oidc-hybrid/core'
 * const key = { key: process.env.CLIENT_PRIVATE_KEY_PEM!, kid: 'k1', alg: 'ES256' } as const
 * createHybridAuth({ ...options, extensions: [signedRequests(key), pushedAuthorization()] })
 * ```
 * @see [RFC 9101 4, 5](https://www.rfc-editor.org/rfc/rfc9101#section-4)
 * @see [OIDC Core 6.1](https://openid.net/specs/openid-connect-core-1_0-errata2.html#RequestObject)
 */
export function signedRequests(options: SignedRequestsOptions): Extension {
  const signer = keySigner(options, 'signedRequests')
  return {
    engine(engine) {
      if (PUSHING.has(engine)) {
        throw new ConfigurationError(
          'extensions: put signedRequests() before pushedAuthorization(), so the signed object is what is pushed',
        )
      }
      const { config } = engine
      engine.login = wrapLogin(engine, async (_engine, provider, parameters) => {
        const jwt = await signer.sign(
          'oauth-authz-req+jwt',
          requestObjectClaims(parameters, {
            clientId: config.clientID,
            issuer: provider.issuer,
            now: config.now(),
            lifetime: signer.lifetime,
            jti: randomId(),
          }),
        )
        const { response_type, scope } = parameters
        return {
          client_id: config.clientID,
          request: jwt,
          ...(response_type === undefined ? {} : { response_type }),
          ...(scope === undefined ? {} : { scope }),
        }
      })
    },
  }
}
