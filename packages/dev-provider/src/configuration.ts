import {
  type Client,
  errors,
  interactionPolicy,
  type KoaContext,
  type ProviderContext,
  type Token,
} from 'oidc-provider'
import {
  customIdTokenClaimNames,
  type Directory,
  findOrganization,
  loadExistingGrant,
  organizationClaims,
  originOf,
  standardClaims,
} from './directory.js'
import { errorPage, logoutPage, logoutSuccessPage } from './lib/html.js'
import type { PrivateSigningJwk } from './lib/keys.js'
import { coverPolicyApis, refuseUncoveredResource } from './multi-resource.js'
import type { DevResponseType } from './types.js'
import type { StructuredJwt, UserinfoAudience } from './userinfo-audience.js'
import type { Behaviour } from './variants.js'

export type { Directory } from './directory.js'

/** Auth0's endpoint paths, so URLs look familiar; relying parties find them through discovery. */
export const ROUTES = {
  authorization: '/authorize',
  token: '/oauth/token',
  userinfo: '/userinfo',
  jwks: '/.well-known/jwks.json',
  end_session: '/oidc/logout',
  revocation: '/oauth/revoke',
  pushed_authorization_request: '/oauth/par',
} as const

/** Where the login and consent pages live; `uid` is oidc-provider's interaction id. */
export const INTERACTION_PATH = '/interaction'

export const RESPONSE_TYPES: DevResponseType[] = [
  'code id_token',
  'code token',
  'code id_token token',
  'code',
]

const DAY = 24 * 60 * 60

/** Lifetime of refresh tokens in seconds; access tokens must be shorter. */
export const REFRESH_TOKEN_TTL = 30 * DAY

/** Inputs of {@link buildConfiguration}, all resolved. */
export interface ConfigurationInput {
  directory: Directory
  /** 32 random bytes keying DPoP server nonces (with `dpopNonces`). */
  dpopNonceSecret: Buffer
  accessTokenTTL: number
  idTokenTTL: number
  signingAlg: 'RS256' | 'ES256'
  signingKey: PrivateSigningJwk
  cookieKeys: string[]
  adapter: unknown
  userinfoAudience: UserinfoAudience
  behaviour: Behaviour
}

/**
 * Whether the ID token being built is one the token endpoint issues with only the protocol
 * claims (`refreshIdTokenClaims` / `codeIdTokenClaims: 'minimal'`). oidc-provider adds those
 * claims itself; the account's claims are what this leaves out.
 */
function minimalIdToken(ctx: ProviderContext, behaviour: Behaviour): boolean {
  if (ctx.oidc.route !== 'token') return false
  const grantType = ctx.oidc.params?.grant_type
  return grantType === 'refresh_token'
    ? behaviour.refreshIdTokenClaims === 'minimal'
    : grantType === 'authorization_code' && behaviour.codeIdTokenClaims === 'minimal'
}

/**
 * The login prompt with one more check when `acr` values are offered: a request whose
 * `acr_values` the provider session's `acr` is not among asks for a login (as a real provider
 * asks for the second factor). Not again once this interaction has logged in: the user picked
 * the `acr` they could, and the client judges it (OIDC Core 5.5.1.1).
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#interactionspolicy
 */
function acrPolicy(acrValues: string[]): unknown {
  const policy = interactionPolicy.base()
  if (acrValues.length === 0) return policy
  const { Check } = interactionPolicy
  policy.get('login')!.checks.add(
    new Check('acr_values', 'requested ACR could not be obtained', (ctx) => {
      const requested = ctx.oidc.params?.acr_values
      if (typeof requested !== 'string' || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT
      const acr = ctx.oidc.session.acr
      return acr !== undefined && requested.split(' ').includes(acr)
        ? Check.NO_NEED_TO_PROMPT
        : Check.REQUEST_PROMPT
    }),
  )
  return policy
}

/** The login's `acr`, `amr` and `auth_time` for a JWT access token (RFC 9068 2.2.1). */
function authenticationClaims(ctx: KoaContext | undefined): Record<string, unknown> {
  const entities = (ctx as ProviderContext | undefined)?.oidc?.entities
  const login = entities?.AuthorizationCode ?? entities?.RefreshToken
  if (!login) return {}
  const { acr, amr, authTime } = login
  return {
    ...(acr === undefined ? {} : { acr }),
    ...(amr === undefined ? {} : { amr }),
    ...(authTime === undefined ? {} : { auth_time: authTime }),
  }
}

/**
 * The oidc-provider configuration: Auth0-like behaviour expressed through oidc-provider's own
 * options.
 *
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#configuration-options
 */
export function buildConfiguration(input: ConfigurationInput): Record<string, unknown> {
  const { directory, signingAlg, behaviour } = input
  // Glewlwyd puts `auth_time` into every ID token; `require_auth_time` makes oidc-provider do so.
  const requireAuthTime = behaviour.idTokenAuthTime === 'zero-at-token-endpoint'

  const customIdClaims = customIdTokenClaimNames(directory)

  return {
    adapter: input.adapter,
    clients: [...directory.clients.values()].map(({ is_first_party: _, ...metadata }) =>
      requireAuthTime ? { ...metadata, require_auth_time: true } : metadata,
    ),
    clientDefaults: {
      grant_types: ['authorization_code', 'implicit', 'refresh_token'],
      response_types: RESPONSE_TYPES,
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: signingAlg,
    },
    jwks: { keys: [input.signingKey] },
    cookies: { keys: input.cookieKeys },
    routes: ROUTES,
    responseTypes: RESPONSE_TYPES,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      acr: null,
      auth_time: null,
      iss: null,
      sid: null,
      // With acr values offered, the login's methods (`amr`, OIDC Core 2) too.
      openid: [
        'sub',
        'org_id',
        'org_name',
        ...(behaviour.acrValues.length > 0 ? ['amr'] : []),
        ...customIdClaims,
      ],
      profile: ['name', 'nickname', 'picture'],
      email: ['email', 'email_verified'],
    },
    // Auth0 puts the profile claims into the ID token even when an access token for userinfo is
    // issued too; oidc-provider's default would leave only `sub` there.
    conformIdTokenClaims: false,
    // RFC 9700 §2.1.1: PKCE for every client, confidential ones included.
    pkce: { required: () => true },
    // Auth0 refresh token rotation: every use returns a new one; reusing an old one revokes the
    // whole grant. Without rotation the refresh token stays valid until it expires (the answer's
    // echo of it is removed by behaviourMiddleware).
    // A function (not the boolean) so that a refused `resource` is refused before the rotation.
    rotateRefreshToken: (ctx: ProviderContext) => {
      refuseUncoveredResource(ctx)
      return behaviour.rotateRefreshTokens
    },
    // Auth0's `audience`, `organization` and `invitation` authorization parameters.
    extraParams: {
      audience: null,
      invitation: null,
      organization: async (_ctx: KoaContext, value: unknown) => {
        if (value !== undefined && !findOrganization(directory, value)) {
          throw new errors.AccessDenied(`unknown organization "${String(value)}"`)
        }
      },
    },
    interactions: {
      url: (_ctx: KoaContext, interaction: { uid: string }) =>
        `${INTERACTION_PATH}/${interaction.uid}`,
      policy: acrPolicy(behaviour.acrValues),
    },
    // Default none: oidc-provider then leaves `acr` out of ID tokens, as before.
    acrValues: behaviour.acrValues,
    features: {
      devInteractions: { enabled: false },
      // RFC 9449: on by default in oidc-provider 9 (off with `dpop: false`); server nonces when
      // asked for.
      dPoP: {
        enabled: behaviour.dpop,
        ...(behaviour.dpopNonces
          ? { nonceSecret: input.dpopNonceSecret, requireNonce: () => true }
          : {}),
      },
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: behaviour.pushedAuthorizationRequests === 'required',
      },
      requestObjects: {
        enabled: behaviour.requestObjects !== 'off',
        requireSignedRequestObject: behaviour.requestObjects === 'required',
      },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: KoaContext, client: Client, token: Token) =>
          token.clientId === client.clientId,
      },
      // OpenID Connect Back-Channel Logout 1.0, as Auth0 offers it: a client that registers a
      // `backchannel_logout_uri` is sent a Logout Token when the user's session here ends.
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContext, form: string) => {
          ctx.type = 'html'
          ctx.body = logoutPage(form, ctx.host)
        },
        postLogoutSuccessSource: async (ctx: KoaContext) => {
          ctx.type = 'html'
          ctx.body = logoutSuccessPage()
        },
      },
      // Auth0's `audience` selects the API an access token is for; oidc-provider calls that a
      // resource indicator (RFC 8707). With one, access tokens are RFC 9068 JWTs for that API
      // (and for userinfo too with `openid`, see `formats`); without, they are opaque and only
      // good at userinfo. `resource` may name several APIs (RFC 8707 2.1); the refresh token
      // then covers each, and a refresh_token grant with `resource=<one of them>` answers a
      // token for it (src/multi-resource.ts).
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx: ProviderContext, _client: Client, oneOf?: string[]) => {
          if (oneOf) {
            // Several at a token request itself: oidc-provider issues a token for one API only,
            // so they stay several and it answers invalid_target.
            if (ctx.oidc.route === 'token' && ctx.oidc.params?.resource !== undefined) {
              return oneOf
            }
            // Several granted (a login naming more than one API, or APIs added to the refresh
            // token by multiResourceRefreshToken): the first, the login's API, is the default.
            return oneOf[0]
          }
          const audience = ctx.oidc.params?.audience
          return typeof audience === 'string' && audience !== '' ? audience : undefined
        },
        // Tokens from a login for an API stay tokens for that API at the token endpoint.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx: KoaContext, identifier: string) => {
          const api = directory.apis.get(identifier)
          if (!api) {
            throw new errors.InvalidTarget(`no API with the identifier "${identifier}"`)
          }
          return {
            scope: api.scopes.join(' '),
            audience: api.identifier,
            accessTokenTTL: api.accessTokenTTL ?? input.accessTokenTTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: signingAlg } },
          }
        },
      },
    },
    // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection), which
    // would stop back-channel logout to the apps a dev provider serves: local ones. Requests to a
    // loopback host go out without that check, and without following redirects (a redirect
    // could lead anywhere unchecked); every other one keeps it.
    fetch: (url: URL | string, options: RequestInit & { dispatcher?: unknown }) => {
      const { hostname } = new URL(url)
      const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(hostname)
      return globalThis.fetch(
        url,
        loopback ? { ...options, dispatcher: undefined, redirect: 'manual' } : options,
      )
    },
    // Auth0 also puts `${issuer}userinfo` into an API access token's `aud` when `openid` was
    // requested, and accepts it at userinfo; see UserinfoAudience for why this needs a route.
    formats: {
      customizers: {
        jwt: (ctx: KoaContext | undefined, token: Token, jwt: StructuredJwt) =>
          input.userinfoAudience.customize(ctx, token, jwt),
      },
    },
    // Auth0 issues a refresh token for `offline_access` only when the API allows offline access.
    // One that is issued also covers the APIs with `multiResourceRefreshToken`.
    issueRefreshToken: async (ctx: ProviderContext, client: Client, code: Token) => {
      if (!client.grantTypeAllowed('refresh_token') || !code.scopes.has('offline_access')) {
        return false
      }
      const resources = code.resource === undefined ? [] : [code.resource].flat()
      if (!resources.every((id) => directory.apis.get(id)?.allowOfflineAccess === true)) {
        return false
      }
      await coverPolicyApis(ctx, directory, client, code)
      return true
    },
    loadExistingGrant: (ctx: ProviderContext) => loadExistingGrant(ctx, directory),
    findAccount: async (ctx: ProviderContext, sub: string, token?: Token) => {
      const user = directory.users.get(sub)
      if (!user) return undefined
      return {
        accountId: user.sub,
        claims: async (use: string, scope: string) => {
          if (use === 'id_token' && minimalIdToken(ctx, behaviour)) return { sub: user.sub }
          const client = directory.clients.get(ctx.oidc.client?.clientId ?? '')
          const custom = client
            ? directory.customClaims({ user, client, token: 'id_token', scope })
            : {}
          const grantId = ctx.oidc.entities.Grant?.jti ?? token?.grantId
          return {
            ...custom,
            ...organizationClaims(directory, grantId),
            ...standardClaims(user),
          }
        },
      }
    },
    extraTokenClaims: async (ctx: KoaContext, token: Token) => {
      if (input.userinfoAudience.isDelegate(token)) return undefined
      // With acr values offered: how the user logged in, for APIs that require it (RFC 9470).
      const authentication = behaviour.acrValues.length > 0 ? authenticationClaims(ctx) : {}
      const user = directory.users.get(token.accountId ?? '')
      const client = directory.clients.get(token.clientId ?? '')
      if (!user || !client) return undefined
      const custom = directory.customClaims({
        user,
        client,
        token: 'access_token',
        scope: token.scope ?? '',
      })
      const { org_id } = organizationClaims(directory, token.grantId)
      return { ...custom, ...authentication, ...(org_id === undefined ? {} : { org_id }) }
    },
    clientBasedCORS: (_ctx: KoaContext, origin: string, client: Client) =>
      client.redirectUris.some((uri) => originOf(uri) === origin),
    renderError: async (ctx: KoaContext, out: Record<string, unknown>) => {
      ctx.type = 'html'
      ctx.body = errorPage(out)
    },
    ttl: {
      AccessToken: (_ctx: KoaContext, token: Token) =>
        token.resourceServer?.accessTokenTTL ?? input.accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: input.idTokenTTL,
      RefreshToken: REFRESH_TOKEN_TTL,
      Interaction: 60 * 60,
      Session: 14 * DAY,
      // Longer than any refresh token, so rotated refresh tokens never outlive their grant.
      Grant: 365 * DAY,
    },
  }
}
