import type { KoaContext } from 'oidc-provider'
import { ROUTES } from './configuration.js'
import { isRecord } from './lib/is-record.js'
import { type JwsSigner, resignPayload } from './lib/jws.js'
import type { DevProviderLogger } from './types.js'

/**
 * The ways this provider can behave like providers other than Auth0, resolved from
 * {@link DevProviderOptions}; every default is Auth0's behaviour.
 */
export interface Behaviour {
  rotateRefreshTokens: boolean
  refreshScope: 'honour' | 'ignore'
  refreshIdTokenClaims: 'full' | 'minimal'
  codeIdTokenClaims: 'full' | 'minimal'
  extraIdTokenAudiences: string[]
  idTokenAuthTime: 'real' | 'zero-at-token-endpoint'
  pushedAuthorizationRequests: 'optional' | 'required'
  requestObjects: 'off' | 'optional' | 'required'
  /** `acr_values_supported`; empty: no `acr` (see DevProviderOptions.acrValues). */
  acrValues: string[]
  /** DPoP (RFC 9449) accepted; `false`: oidc-provider's `features.dPoP` is off. */
  dpop: boolean
  dpopNonces: boolean
}

type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>

/** oidc-provider's own limit for request bodies it parses. */
const BODY_LIMIT = 56 * 1024

const FORM_POST_ID_TOKEN =
  /(<input type="hidden" name="id_token" value=")([\w-]+\.[\w-]+\.[\w-]+)("\/>)/

/** Reads a request body, or `undefined` when it is larger than oidc-provider accepts. */
async function readBody(ctx: KoaContext): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > BODY_LIMIT) return undefined
    chunks.push(buffer)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Changes the parameters of a form POST before oidc-provider reads them: the body is read here,
 * `edit` may change it, and oidc-provider gets it as an already parsed body
 * (`ctx.request.body`), which it supports for apps that mount a body parser in front of it
 * (printing one warning per process the first time). A body an earlier edit read is edited
 * again there, so edits compose. Returns false when it answered the request itself.
 */
export async function editFormBody(
  ctx: KoaContext,
  edit: (form: URLSearchParams) => boolean,
): Promise<boolean> {
  if (!ctx.is('application/x-www-form-urlencoded')) return true
  if (typeof ctx.request.body === 'string') {
    const form = new URLSearchParams(ctx.request.body)
    if (edit(form)) ctx.request.body = form.toString()
    return true
  }
  if (!ctx.req.readable) return true
  const length = ctx.request.length
  // oidc-provider refuses these itself, before reading them.
  if (length !== undefined && length > BODY_LIMIT) return true
  const body = await readBody(ctx)
  if (body === undefined) {
    // What oidc-provider answers for a body over its limit.
    ctx.status = 400
    ctx.body = { error: 'invalid_request', error_description: 'failed to parse the request body' }
    return false
  }
  const form = new URLSearchParams(body)
  ctx.request.body = edit(form) ? form.toString() : body
  return true
}

/**
 * `refreshScope: 'ignore'`: a refresh_token grant without its `scope` parameter is a request
 * oidc-provider answers with the original scope (and never with `invalid_scope`).
 */
function dropRefreshScope(form: URLSearchParams): boolean {
  if (!form.getAll('grant_type').includes('refresh_token') || !form.has('scope')) return false
  form.delete('scope')
  return true
}

/**
 * The part of {@link Behaviour} that oidc-provider's configuration cannot express, as one Koa
 * middleware in front of oidc-provider's routes (its documented pre- and post-processing
 * extension point, `provider.use()`):
 *
 * - `refreshScope: 'ignore'`: `scope` is removed from refresh_token grant requests before
 *   oidc-provider parses them, and from the answers;
 * - `rotateRefreshTokens: false`: oidc-provider's `rotateRefreshToken: false` keeps the refresh
 *   token valid but echoes it in the answer; the echo is removed, so the answer has no
 *   `refresh_token`, as with providers that never issue a new one;
 * - `extraIdTokenAudiences`, `idTokenAuthTime`: oidc-provider signs every ID token with
 *   `aud: client_id` and its `auth_time`, with no hook to change either (its 2.x–6.x `audiences`
 *   helper is gone). So the ID tokens in its answers — the token endpoint's JSON, the form_post
 *   page, the redirect of the query and fragment response modes — are edited and signed again
 *   with the provider's key (same header, same `kid`), after their signature is checked.
 *   `c_hash` and `at_hash` are hashes of the code and access token, so they stay right. At the
 *   end_session endpoint, an `id_token_hint` with several audiences is narrowed back to the
 *   form oidc-provider understands (see `narrowIdTokenHint`).
 */
export function behaviourMiddleware(
  behaviour: Behaviour,
  signer: JwsSigner,
  logger: DevProviderLogger,
): Middleware {
  const editsIdTokens =
    behaviour.extraIdTokenAudiences.length > 0 ||
    behaviour.idTokenAuthTime === 'zero-at-token-endpoint'

  function editIdToken(jwt: string, at: 'front-channel' | 'token-endpoint'): string {
    const edited = resignPayload(jwt, signer, (payload) => {
      let changed = false
      const clientId = payload.aud
      if (behaviour.extraIdTokenAudiences.length > 0 && typeof clientId === 'string') {
        const extra = behaviour.extraIdTokenAudiences.filter((aud) => aud !== clientId)
        payload.aud = [clientId, ...extra]
        payload.azp = clientId
        changed = true
      }
      if (behaviour.idTokenAuthTime === 'zero-at-token-endpoint' && at === 'token-endpoint') {
        payload.auth_time = 0
        changed = true
      }
      return changed
    })
    if (edited === undefined) {
      logger.error('an ID token not signed with the provider key was left unchanged')
      return jwt
    }
    return edited
  }

  /**
   * oidc-provider takes an `id_token_hint`'s `aud` for the client_id at its end_session
   * endpoint, so an ID token with several audiences is "unrecognized" there. Such a hint, once
   * its signature is verified as the provider's own, is handed on with `aud: azp`: the form
   * oidc-provider issued before it was edited.
   */
  function narrowIdTokenHint(form: URLSearchParams): boolean {
    const hint = form.get('id_token_hint')
    if (hint === null) return false
    const narrowed = resignPayload(hint, signer, (payload) => {
      const { aud, azp } = payload
      if (!Array.isArray(aud) || typeof azp !== 'string' || !aud.includes(azp)) return false
      payload.aud = azp
      return true
    })
    if (narrowed === undefined || narrowed === hint) return false
    form.set('id_token_hint', narrowed)
    return true
  }

  /** Request edits; false when the request was answered here. */
  async function editRequest(ctx: KoaContext): Promise<boolean> {
    if (ctx.path === ROUTES.token) {
      return ctx.method !== 'POST' || behaviour.refreshScope !== 'ignore'
        ? true
        : editFormBody(ctx, dropRefreshScope)
    }
    if (ctx.path === ROUTES.end_session && behaviour.extraIdTokenAudiences.length > 0) {
      if (ctx.method === 'POST') return editFormBody(ctx, narrowIdTokenHint)
      const query = new URLSearchParams(ctx.querystring)
      if (narrowIdTokenHint(query)) ctx.querystring = query.toString()
    }
    return true
  }

  function editTokenResponse(ctx: KoaContext): void {
    const body = ctx.body
    if (ctx.status !== 200 || !isRecord(body)) return
    const params = ctx.oidc?.params ?? {}
    if (params.grant_type === 'refresh_token') {
      if (!behaviour.rotateRefreshTokens && body.refresh_token === params.refresh_token) {
        delete body.refresh_token
      }
      if (behaviour.refreshScope === 'ignore') delete body.scope
    }
    if (editsIdTokens && typeof body.id_token === 'string') {
      body.id_token = editIdToken(body.id_token, 'token-endpoint')
    }
  }

  function editAuthorizationResponse(ctx: KoaContext): void {
    if (typeof ctx.body === 'string' && FORM_POST_ID_TOKEN.test(ctx.body)) {
      ctx.body = ctx.body.replace(
        FORM_POST_ID_TOKEN,
        (_, before: string, jwt: string, after: string) =>
          `${before}${editIdToken(jwt, 'front-channel')}${after}`,
      )
      return
    }
    const location = ctx.response.get('location')
    if (!location || !URL.canParse(location)) return
    const url = new URL(location)
    // The fragment response mode puts the parameters in the fragment, the query one in the query.
    const part = url.hash ? 'hash' : 'search'
    const params = new URLSearchParams(url[part].slice(1))
    const jwt = params.get('id_token')
    if (jwt === null) return
    params.set('id_token', editIdToken(jwt, 'front-channel'))
    url[part] = params.toString()
    ctx.redirect(url.href)
  }

  return async (ctx, next) => {
    if (!(await editRequest(ctx))) return
    await next()
    const route = ctx.oidc?.route
    if (route === 'token') editTokenResponse(ctx)
    else if (editsIdTokens && (route === 'authorization' || route === 'resume')) {
      editAuthorizationResponse(ctx)
    }
  }
}
