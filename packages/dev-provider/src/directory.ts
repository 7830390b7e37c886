/**
 * The directory: the dev provider's clients, users, APIs and organizations, indexed, and what the
 * configuration and the login pages look up in it (organizations, first-party clients, claims,
 * one grant per organization).
 */
import { errors, type Grant, type ProviderContext } from 'oidc-provider'
import type { CustomClaimsContext, DevApi, DevClient, DevOrganization, DevUser } from './types.js'

/** Claims oidc-provider sets itself or that the standard scopes carry; hooks cannot add these. */
export const STANDARD_CLAIMS = new Set([
  'sub',
  'iss',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'auth_time',
  'acr',
  'amr',
  'azp',
  'sid',
  'at_hash',
  'c_hash',
  's_hash',
  'scope',
  'client_id',
  'name',
  'nickname',
  'picture',
  'email',
  'email_verified',
  'org_id',
  'org_name',
])

/** Everything the provider knows, indexed; shared by the configuration and the login pages. */
export interface Directory {
  clients: Map<string, DevClient>
  users: Map<string, DevUser>
  apis: Map<string, DevApi>
  organizations: DevOrganization[]
  /** Which organization (`org_...` id) each grant was issued for; absent when none. */
  grantOrganizations: Map<string, string>
  customClaims: (context: CustomClaimsContext) => Record<string, unknown>
}

/**
 * Resolves Auth0's `organization` parameter: an `org_...` id is compared exactly, anything else
 * is an organization name, compared case-insensitively.
 */
export function findOrganization(
  directory: Directory,
  value: unknown,
): DevOrganization | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  if (value.startsWith('org_')) return directory.organizations.find((org) => org.id === value)
  const name = value.toLowerCase()
  return directory.organizations.find((org) => org.name.toLowerCase() === name)
}

/** Finds a user by email, case-insensitively. */
export function findUserByEmail(directory: Directory, email: string): DevUser | undefined {
  const wanted = email.trim().toLowerCase()
  for (const user of directory.users.values()) {
    if (user.email.toLowerCase() === wanted) return user
  }
  return undefined
}

/** Whether consent is given automatically (Auth0 first-party applications). */
export function isFirstParty(directory: Directory, clientId: string | undefined): boolean {
  return clientId !== undefined && directory.clients.get(clientId)?.is_first_party !== false
}

/**
 * The names of the custom ID token claims. oidc-provider only puts claims it declares into ID
 * tokens, so the hook is asked once per user and client, with every scope, at start.
 */
export function customIdTokenClaimNames(directory: Directory): string[] {
  const scope = 'openid profile email offline_access'
  const names = new Set<string>()
  for (const user of directory.users.values()) {
    for (const client of directory.clients.values()) {
      const claims = directory.customClaims({ user, client, token: 'id_token', scope })
      for (const name of Object.keys(claims)) {
        if (!STANDARD_CLAIMS.has(name)) names.add(name)
      }
    }
  }
  return [...names]
}

export function organizationClaims(
  directory: Directory,
  grantId: string | undefined,
): Record<string, string> {
  const orgId = grantId === undefined ? undefined : directory.grantOrganizations.get(grantId)
  const org = directory.organizations.find((candidate) => candidate.id === orgId)
  // Auth0 lower-cases organization names in `org_name`.
  return org ? { org_id: org.id, org_name: org.name.toLowerCase() } : {}
}

export function standardClaims(user: DevUser): Record<string, unknown> {
  return {
    sub: user.sub,
    email: user.email,
    email_verified: user.email_verified ?? false,
    ...(user.name === undefined ? {} : { name: user.name }),
    ...(user.nickname === undefined ? {} : { nickname: user.nickname }),
    ...(user.picture === undefined ? {} : { picture: user.picture }),
  }
}

export function originOf(uri: string): string | undefined {
  try {
    return new URL(uri).origin
  } catch {
    return undefined
  }
}

/**
 * Gives first-party clients everything they ask for, so the login form is the only page
 * (oidc-provider's "skip consent" recipe), and keeps one grant per organization so tokens never
 * mix organizations. Also where organization membership is enforced: it runs once the user is
 * known, both after a login and when a session already exists.
 */
export async function loadExistingGrant(
  ctx: ProviderContext,
  directory: Directory,
): Promise<Grant | undefined> {
  const { oidc } = ctx
  const clientId = oidc.client?.clientId
  const accountId = oidc.session.accountId
  if (clientId === undefined || accountId === undefined) return undefined
  const { provider } = oidc

  const requested = oidc.params?.organization
  const organization = findOrganization(directory, requested)
  if (requested !== undefined && organization) {
    const user = directory.users.get(accountId)
    if (!user?.organizations?.includes(organization.id)) {
      throw new errors.AccessDenied(
        `user is not a member of the organization "${organization.name}" (${organization.id})`,
      )
    }
  }

  const grantId = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(clientId)
  let grant = grantId === undefined ? undefined : await provider.Grant.find(grantId)
  if (
    grant &&
    (grant.accountId !== accountId ||
      directory.grantOrganizations.get(grant.jti) !== organization?.id)
  ) {
    grant = undefined
  }
  if (!isFirstParty(directory, clientId)) return grant

  grant ??= new provider.Grant({ accountId, clientId })
  const oidcScope = [...oidc.requestParamOIDCScopes].join(' ')
  if (oidcScope) grant.addOIDCScope(oidcScope)
  if (oidc.requestParamClaims.size > 0) grant.addOIDCClaims([...oidc.requestParamClaims])
  for (const [indicator, resourceServer] of Object.entries(oidc.resourceServers)) {
    const scope = [...oidc.requestParamScopes].filter((s) => resourceServer.scopes.has(s))
    if (scope.length > 0) grant.addResourceScope(indicator, scope.join(' '))
  }
  await grant.save()
  recordOrganization(directory, grant.jti, organization)
  return grant
}

/** Remembers the organization a grant was issued for (or that it had none). */
export function recordOrganization(
  directory: Directory,
  grantId: string,
  organization: DevOrganization | undefined,
): void {
  if (organization) directory.grantOrganizations.set(grantId, organization.id)
  else directory.grantOrganizations.delete(grantId)
}
