/**
 * oidc-provider 9 ships no type declarations. These cover only what this package uses; they are
 * internal and never appear in the published types.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface ResourceServer {
    scopes: Set<string>
    identifier(): string
  }

  export interface Grant {
    jti: string
    accountId?: string
    clientId?: string
    addOIDCScope(scope: string): void
    addOIDCClaims(claims: string[]): void
    addResourceScope(indicator: string, scope: string): void
    getOIDCScopeFiltered(filter: Set<string>): string
    save(): Promise<string>
  }

  export interface GrantConstructor {
    new (properties: { accountId: string; clientId: string }): Grant
    find(id: string): Promise<Grant | undefined>
  }

  export interface AccessTokenConstructor {
    new (properties: {
      accountId: string
      clientId: string
      grantId: string
      scope: string
      claims?: unknown
      exp: number
    }): { save(): Promise<string> }
  }

  export interface Client {
    clientId: string
    redirectUris: string[]
    grantTypeAllowed(type: string): boolean
  }

  export interface ClientModel {
    find(id: string): Promise<Client | undefined>
    Schema: { prototype: { invalidate(message: string, code?: string): void } }
  }

  export interface Session {
    accountId?: string
    /** The `acr` of the login (`login.acr` of the interaction result). */
    acr?: string
    grantIdFor(clientId: string): string | undefined
  }

  export interface OidcContext {
    route?: string
    params?: Record<string, unknown>
    /** The `claims` authorization request parameter, parsed. */
    claims?: unknown
    client?: Client
    session: Session
    result?: { consent?: { grantId?: string }; login?: unknown }
    requestParamOIDCScopes: Set<string>
    requestParamScopes: Set<string>
    requestParamClaims: Set<string>
    resourceServers: Record<string, ResourceServer>
    entities: { Grant?: Grant; AuthorizationCode?: Token; RefreshToken?: Token }
    provider: { Grant: GrantConstructor; AccessToken: AccessTokenConstructor }
  }

  export interface KoaContext {
    method: string
    path: string
    host: string
    querystring: string
    req: IncomingMessage
    res: ServerResponse
    status: number
    type: string
    body: unknown
    oidc?: OidcContext
    /** The request as Koa sees it; `body` is where an upstream parser leaves a parsed body. */
    request: { length?: number; body?: unknown }
    response: { get(field: string): string }
    is(...types: string[]): string | false | null
    set(field: string, value: string): void
    redirect(url: string): void
  }

  export interface ProviderContext extends KoaContext {
    oidc: OidcContext
  }

  export interface InteractionPrompt {
    name: string
    reasons: string[]
    details: Record<string, unknown>
  }

  export interface Interaction {
    uid: string
    prompt: InteractionPrompt
    params: Record<string, unknown>
    session?: { accountId?: string }
    grantId?: string
  }

  export interface InteractionResults {
    login?: { accountId: string; acr?: string; amr?: string[]; ts?: number }
    consent?: { grantId: string }
    error?: string
    error_description?: string
  }

  export interface Token {
    /** On authorization codes and refresh tokens: the login's `acr`, `amr` and time. */
    acr?: string
    amr?: string[]
    authTime?: number
    jti?: string
    accountId?: string
    clientId?: string
    grantId?: string
    scope?: string
    scopes: Set<string>
    resource?: string | string[]
    claims?: unknown
    resourceServer?: { accessTokenTTL?: number }
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    readonly issuer: string
    readonly Grant: GrantConstructor
    readonly Client: ClientModel
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): this
    on(event: string, listener: (...args: unknown[]) => void): this
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<Interaction>
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>
  }

  /** A check of an interaction policy's prompt (`interactionPolicy.Check`). */
  export interface InteractionCheck {
    readonly reason: string
  }
  export interface InteractionPrompts {
    get(name: string): { checks: { add(check: InteractionCheck): void } } | undefined
  }
  export const interactionPolicy: {
    base(): InteractionPrompts
    Check: {
      new (
        reason: string,
        description: string,
        check: (ctx: ProviderContext) => boolean | Promise<boolean>,
      ): InteractionCheck
      readonly REQUEST_PROMPT: true
      readonly NO_NEED_TO_PROMPT: false
    }
  }

  type ErrorClass = new (description?: string) => Error
  export const errors: {
    AccessDenied: ErrorClass
    InvalidRequest: ErrorClass
    InvalidTarget: ErrorClass
  }
}
