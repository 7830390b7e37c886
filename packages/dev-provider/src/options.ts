import { isIP } from 'node:net'
import { REFRESH_TOKEN_TTL } from './configuration.js'
import {
  defaultApis,
  defaultClients,
  defaultCustomClaims,
  defaultOrganizations,
  defaultUsers,
} from './defaults.js'
import { DevProviderConfigError } from './errors.js'
import { isRecord } from './lib/is-record.js'
import type {
  CustomClaimsContext,
  DevApi,
  DevClient,
  DevOrganization,
  DevProviderLogger,
  DevProviderOptions,
  DevUser,
} from './types.js'
import type { Behaviour } from './variants.js'

/** {@link DevProviderOptions} with every default applied and every value checked. */
export interface ResolvedOptions {
  port: number
  host: string
  issuer: string | undefined
  clients: DevClient[]
  users: DevUser[]
  apis: DevApi[]
  organizations: DevOrganization[]
  customClaims: (context: CustomClaimsContext) => Record<string, unknown>
  accessTokenTTL: number
  idTokenTTL: number
  signingAlg: 'RS256' | 'ES256'
  cookieKeys: string[] | undefined
  logger: DevProviderLogger
  /** How the provider differs from Auth0's defaults, for relying-party tests. */
  behaviour: Behaviour
}

const SILENT: DevProviderLogger = { info: () => {}, error: () => {} }

function fail(message: string): never {
  throw new DevProviderConfigError(message)
}

function nonEmptyString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') fail(`${what} must be a non-empty string`)
  return value
}

function positiveInteger(value: unknown, what: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    fail(`${what} must be a positive integer number of seconds, got ${JSON.stringify(value)}`)
  }
  return value
}

function accessTokenLifetime(value: unknown, what: string, fallback: number): number {
  const ttl = positiveInteger(value, what, fallback)
  if (ttl >= REFRESH_TOKEN_TTL) {
    fail(
      `${what} must be less than ${REFRESH_TOKEN_TTL} seconds (30 days, the lifetime of refresh tokens), so a refresh token outlives the access token; got ${ttl}`,
    )
  }
  return ttl
}

function oneOf<T extends string | boolean>(
  value: unknown,
  what: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T)) {
    fail(
      `${what} must be ${allowed.map((item) => JSON.stringify(item)).join(' or ')}, got ${JSON.stringify(value)}`,
    )
  }
  return value as T
}

function list<T>(value: unknown, what: string, fallback: () => T[]): unknown[] {
  if (value === undefined) return fallback()
  if (!Array.isArray(value)) fail(`${what} must be an array`)
  return value
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    fail(`${what} must be an array of non-empty strings`)
  }
  return value as string[]
}

function unique(values: string[], what: string): void {
  const seen = new Set<string>()
  for (const value of values) {
    if (seen.has(value)) fail(`${what} "${value}" appears twice; each must be unique`)
    seen.add(value)
  }
}

function checkOrganizations(value: unknown): DevOrganization[] {
  const organizations = list(value, 'organizations', defaultOrganizations).map((org, i) => {
    if (!isRecord(org)) fail(`organizations[${i}] must be an object with "id" and "name"`)
    const id = nonEmptyString(org.id, `organizations[${i}].id`)
    if (!/^org_[A-Za-z0-9_-]+$/.test(id)) {
      fail(`organizations[${i}].id must look like Auth0's, "org_" followed by letters or digits`)
    }
    return { id, name: nonEmptyString(org.name, `organizations[${i}].name`) }
  })
  unique(
    organizations.map((org) => org.id),
    'organization id',
  )
  unique(
    organizations.map((org) => org.name.toLowerCase()),
    'organization name',
  )
  return organizations
}

function checkUsers(value: unknown, organizations: DevOrganization[]): DevUser[] {
  const orgIds = new Set(organizations.map((org) => org.id))
  const users = list(value, 'users', defaultUsers).map((user, i) => {
    if (!isRecord(user)) fail(`users[${i}] must be an object with "sub", "email" and "password"`)
    nonEmptyString(user.sub, `users[${i}].sub`)
    nonEmptyString(user.email, `users[${i}].email`)
    nonEmptyString(user.password, `users[${i}].password`)
    if (user.organizations !== undefined) {
      for (const id of stringList(user.organizations, `users[${i}].organizations`)) {
        if (!orgIds.has(id))
          fail(`users[${i}].organizations names "${id}", which is not configured`)
      }
    }
    return structuredClone(user) as unknown as DevUser
  })
  unique(
    users.map((user) => user.sub),
    'user sub',
  )
  unique(
    users.map((user) => user.email.toLowerCase()),
    'user email',
  )
  return users
}

function checkApis(value: unknown): DevApi[] {
  const apis = list(value, 'apis', defaultApis).map((api, i) => {
    if (!isRecord(api)) fail(`apis[${i}] must be an object with "identifier" and "scopes"`)
    const identifier = nonEmptyString(api.identifier, `apis[${i}].identifier`)
    // RFC 8707 §2: an absolute URI without a fragment.
    if (!URL.canParse(identifier) || identifier.includes('#')) {
      fail(`apis[${i}].identifier must be an absolute URI without a fragment, got "${identifier}"`)
    }
    stringList(api.scopes, `apis[${i}].scopes`)
    accessTokenLifetime(api.accessTokenTTL, `apis[${i}].accessTokenTTL`, 1)
    oneOf(
      api.multiResourceRefreshToken,
      `apis[${i}].multiResourceRefreshToken`,
      [true, false],
      false,
    )
    return structuredClone(api) as unknown as DevApi
  })
  unique(
    apis.map((api) => api.identifier),
    'API identifier',
  )
  return apis
}

function checkClients(value: unknown): DevClient[] {
  const clients = list(value, 'clients', () => defaultClients()).map((client, i) => {
    if (!isRecord(client)) fail(`clients[${i}] must be an object with "client_id" and more`)
    nonEmptyString(client.client_id, `clients[${i}].client_id`)
    stringList(client.redirect_uris, `clients[${i}].redirect_uris`)
    // Everything else is checked by oidc-provider's client schema when the provider starts.
    return structuredClone(client) as unknown as DevClient
  })
  unique(
    clients.map((client) => client.client_id),
    'client_id',
  )
  return clients
}

function checkIssuer(value: unknown): string | undefined {
  if (value === undefined) return undefined
  const issuer = nonEmptyString(value, 'issuer')
  let url: URL
  try {
    url = new URL(issuer)
  } catch {
    fail(`issuer must be an absolute URL such as "http://127.0.0.1:4000/", got "${issuer}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('issuer must be http(s)')
  if (url.pathname !== '/' || url.search !== '' || issuer.includes('#')) {
    fail(`issuer must have no path, query or fragment (the provider serves from "/"): "${issuer}"`)
  }
  return issuer
}

function checkBehaviour(options: DevProviderOptions): Behaviour {
  const extraIdTokenAudiences =
    options.extraIdTokenAudiences === undefined
      ? []
      : stringList(options.extraIdTokenAudiences, 'extraIdTokenAudiences')
  unique(extraIdTokenAudiences, 'extraIdTokenAudiences entry')
  const behaviour: Behaviour = {
    rotateRefreshTokens: oneOf(
      options.rotateRefreshTokens,
      'rotateRefreshTokens',
      [true, false],
      true,
    ),
    refreshScope: oneOf(options.refreshScope, 'refreshScope', ['honour', 'ignore'], 'honour'),
    refreshIdTokenClaims: oneOf(
      options.refreshIdTokenClaims,
      'refreshIdTokenClaims',
      ['full', 'minimal'],
      'full',
    ),
    codeIdTokenClaims: oneOf(
      options.codeIdTokenClaims,
      'codeIdTokenClaims',
      ['full', 'minimal'],
      'full',
    ),
    extraIdTokenAudiences: [...extraIdTokenAudiences],
    idTokenAuthTime: oneOf(
      options.idTokenAuthTime,
      'idTokenAuthTime',
      ['real', 'zero-at-token-endpoint'],
      'real',
    ),
    pushedAuthorizationRequests: oneOf(
      options.pushedAuthorizationRequests,
      'pushedAuthorizationRequests',
      ['optional', 'required'],
      'optional',
    ),
    requestObjects: oneOf(
      options.requestObjects,
      'requestObjects',
      ['off', 'optional', 'required'],
      'off',
    ),
    acrValues:
      options.acrValues === undefined ? [] : [...stringList(options.acrValues, 'acrValues')],
    dpop: oneOf(options.dpop, 'dpop', [true, false], true),
    dpopNonces: oneOf(options.dpopNonces, 'dpopNonces', [true, false], false),
  }
  if (!behaviour.dpop && behaviour.dpopNonces) fail('dpopNonces needs DPoP: drop dpop: false')
  return behaviour
}

/**
 * The ID token edits (`extraIdTokenAudiences`, `idTokenAuthTime`) re-sign ID tokens with the
 * provider's key, so they cannot apply to a client whose ID tokens are signed otherwise or
 * encrypted.
 */
function checkIdTokenEdits(behaviour: Behaviour, clients: DevClient[], signingAlg: string): void {
  if (behaviour.extraIdTokenAudiences.length === 0 && behaviour.idTokenAuthTime === 'real') return
  for (const client of clients) {
    const metadata = client as unknown as Record<string, unknown>
    const alg = metadata.id_token_signed_response_alg
    if ((alg !== undefined && alg !== signingAlg) || metadata.id_token_encrypted_response_alg) {
      fail(
        `client "${client.client_id}" has its ID tokens signed with ${String(alg)} or encrypted, which extraIdTokenAudiences and idTokenAuthTime cannot change; remove id_token_signed_response_alg / id_token_encrypted_response_alg from it`,
      )
    }
  }
}

/**
 * Applies defaults and checks every option, so a typo in a config file is reported by name
 * instead of failing somewhere inside a login.
 */
export function resolveOptions(options: DevProviderOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object')
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    fail(`port must be an integer from 0 to 65535, got ${JSON.stringify(options.port)}`)
  }
  const host = nonEmptyString(options.host ?? '127.0.0.1', 'host')
  const signingAlg = options.signingAlg ?? 'RS256'
  if (signingAlg !== 'RS256' && signingAlg !== 'ES256') {
    fail(`signingAlg must be "RS256" or "ES256", got ${JSON.stringify(signingAlg)}`)
  }
  if (options.customClaims !== undefined && typeof options.customClaims !== 'function') {
    fail('customClaims must be a function returning an object of claims')
  }
  if (options.cookieKeys !== undefined) stringList(options.cookieKeys, 'cookieKeys')
  const organizations = checkOrganizations(options.organizations)
  const clients = checkClients(options.clients)
  const behaviour = checkBehaviour(options)
  checkIdTokenEdits(behaviour, clients, signingAlg)
  return {
    port,
    host,
    issuer: checkIssuer(options.issuer),
    clients,
    users: checkUsers(options.users, organizations),
    apis: checkApis(options.apis),
    organizations,
    customClaims: options.customClaims ?? defaultCustomClaims,
    accessTokenTTL: accessTokenLifetime(options.accessTokenTTL, 'accessTokenTTL', 86_400),
    idTokenTTL: positiveInteger(options.idTokenTTL, 'idTokenTTL', 36_000),
    signingAlg,
    cookieKeys: options.cookieKeys,
    logger: options.logger ?? SILENT,
    behaviour,
  }
}

/** `http://host:port` for a bound address; wildcard binds are reached through loopback. */
export function baseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${isIP(reachable) === 6 ? `[${reachable}]` : reachable}:${port}`
}
