/**
 * Access tokens for more than one API from one refresh token: RFC 8707 resource indicators on a
 * refresh_token grant (`resource=<API>`), and Auth0's Multi-Resource Refresh Tokens
 * (`audience=<API>`) for the APIs with {@link DevApi.multiResourceRefreshToken}.
 *
 * What oidc-provider 9.13.3 requires for `resource=<API>` on a refresh_token grant
 * (lib/actions/grants/refresh_token.js, lib/helpers/resolve_resource.js): the refresh token's
 * `resource` must contain that API, else `invalid_target`; the refresh token copies `resource`
 * and `scope` from the authorization code (lib/helpers/grant_common.js `issueTokens`), and the
 * code takes every resource of the authorization request (`Object.keys(ctx.oidc.resourceServers)`
 * in lib/helpers/process_response_types.js: each `resource` parameter, or what `defaultResource`
 * answers). The new token's scope is the grant's scope for that API, filtered by the refresh
 * token's `scope` (or the request's narrower one). So an API is reachable at refresh when the
 * login asked for it (RFC 8707 2.1 lets `resource` repeat), or when it was added to the refresh
 * token by the provider's policy, which is what {@link coverPolicyApis} does.
 */
import {
  type Client,
  errors,
  type KoaContext,
  type ProviderContext,
  type Token,
} from 'oidc-provider'
import { ROUTES } from './configuration.js'
import { type Directory, isFirstParty } from './directory.js'
import type { DevApi } from './types.js'
import { editFormBody } from './variants.js'

/** The identifiers of the APIs open to every login's refresh token. */
export function policyApis(apis: Iterable<DevApi>): Set<string> {
  return new Set(
    [...apis].filter((api) => api.multiResourceRefreshToken).map((api) => api.identifier),
  )
}

/**
 * Adds the APIs with `multiResourceRefreshToken` to the refresh token about to be issued from
 * `code`: their identifiers to its `resource` (after the login's, which stays the default) and
 * their scopes to its `scope` and to the grant, as Auth0 merges the application's MRRT policy
 * into what the login granted. Only for first-party clients (Auth0's MRRT supports only those)
 * and logins for an API: without one the token endpoint's default would become one of these.
 *
 * Called from `issueRefreshToken`, the hook oidc-provider calls with the code right before it
 * copies the code's `resource` and `scope` into the new refresh token; the access token of the
 * code exchange is already issued by then, and the code already consumed.
 */
export async function coverPolicyApis(
  ctx: ProviderContext,
  directory: Directory,
  client: Client,
  code: Token,
): Promise<void> {
  const resources = code.resource === undefined ? [] : [code.resource].flat()
  if (resources.length === 0 || !isFirstParty(directory, client.clientId)) return
  const grant = ctx.oidc.entities.Grant
  if (!grant) return
  const added = [...policyApis(directory.apis.values())].filter((id) => !resources.includes(id))
  if (added.length === 0) return
  const scope = new Set((code.scope ?? '').split(' ').filter(Boolean))
  for (const identifier of added) {
    const scopes = directory.apis.get(identifier)!.scopes
    if (scopes.length > 0) grant.addResourceScope(identifier, scopes.join(' '))
    for (const value of scopes) scope.add(value)
  }
  await grant.save()
  code.resource = [...resources, ...added]
  code.scope = [...scope].join(' ')
}

/**
 * Refuses, with `invalid_target`, a refresh_token grant whose `resource` its refresh token does
 * not cover (or that names several), before anything is spent. oidc-provider 9.13.3 checks the
 * target only after it has rotated the refresh token (lib/actions/grants/refresh_token.js: the
 * old one consumed, the new one saved, then `resolveResource` throws), so the client would lose
 * its refresh token to a refused target and its next refresh, with the old one, would be a
 * reuse that revokes the grant. A real RFC 8707 provider checks the request first.
 *
 * Called from `rotateRefreshToken`, the one hook of that grant that runs after the client is
 * authenticated and the refresh token, grant and account are checked, and before the rotation.
 */
export function refuseUncoveredResource(ctx: ProviderContext): void {
  const requested = ctx.oidc.params?.resource
  const token = ctx.oidc.entities.RefreshToken
  if (requested === undefined || !token) return
  if (typeof requested !== 'string') {
    throw new errors.InvalidTarget('only a single resource indicator value may be requested')
  }
  const covered = token.resource === undefined ? [] : [token.resource].flat()
  if (!covered.includes(requested)) {
    throw new errors.InvalidTarget(`the refresh token's grant does not include "${requested}"`)
  }
}

/**
 * Auth0's refresh with `audience=<API>`: for an API with `multiResourceRefreshToken` it becomes
 * the RFC 8707 `resource=<API>` oidc-provider understands. Any other `audience` is left alone,
 * and oidc-provider ignores it (it is no token endpoint parameter): the answer is a token for the
 * refresh token's own API. That is what Auth0 does with an audience its MRRT policy does not
 * list: neither `access_denied` nor `invalid_request`, but "ignored ... a token for the default
 * audience instead", as Auth0's own SDKs warn (nextjs-auth0 EXAMPLES.md and auth0-server-python
 * on MRRT), and its docs say of policy entries naming no existing API ("the refresh token
 * exchange will silently ignore them"); before MRRT its refresh grant took no audience at all.
 *
 * @see https://auth0.com/docs/secure/tokens/refresh-tokens/multi-resource-refresh-token/configure-and-implement-multi-resource-refresh-token
 */
export function audienceToResource(allowed: ReadonlySet<string>) {
  return (form: URLSearchParams): boolean => {
    if (!form.getAll('grant_type').includes('refresh_token') || form.has('resource')) return false
    const audience = form.getAll('audience')
    if (audience.length !== 1 || !allowed.has(audience[0]!)) return false
    form.delete('audience')
    form.set('resource', audience[0]!)
    return true
  }
}

/**
 * The token endpoint middleware for {@link audienceToResource}, or `undefined` when no API has
 * `multiResourceRefreshToken` (then every `audience` is ignored, and no body is read here).
 */
export function multiResourceRefresh(
  apis: Iterable<DevApi>,
): ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>) | undefined {
  const allowed = policyApis(apis)
  if (allowed.size === 0) return undefined
  const edit = audienceToResource(allowed)
  return async (ctx, next) => {
    if (ctx.path === ROUTES.token && ctx.method === 'POST' && !(await editFormBody(ctx, edit))) {
      return
    }
    await next()
  }
}
