import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Interaction, KoaContext, Provider } from 'oidc-provider'
import { INTERACTION_PATH, ROUTES } from './configuration.js'
import {
  type Directory,
  findOrganization,
  findUserByEmail,
  isFirstParty,
  recordOrganization,
} from './directory.js'
import { consentPage, errorPage, loginPage } from './lib/html.js'
import type { DevProviderLogger, DevUser } from './types.js'

/** Login form bodies are tiny; anything bigger is not ours. */
const MAX_FORM_BYTES = 16 * 1024

const INTERACTION_ROUTE = new RegExp(
  `^${INTERACTION_PATH}/([A-Za-z0-9_-]+)(?:/(login|confirm|abort))?$`,
)

class BadRequest extends Error {}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? ''
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    throw new BadRequest('expected an application/x-www-form-urlencoded form submission')
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    if (size > MAX_FORM_BYTES) throw new BadRequest('form submission too large')
    chunks.push(buffer)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/** Compares passwords without leaking, through timing, how much of a guess was right. */
function passwordMatches(user: DevUser, password: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest()
  return timingSafeEqual(digest(user.password), digest(password))
}

function stringParam(interaction: Interaction, name: string): string | undefined {
  const value = interaction.params[name]
  return typeof value === 'string' ? value : undefined
}

function clientName(directory: Directory, interaction: Interaction): string {
  const clientId = stringParam(interaction, 'client_id') ?? ''
  return directory.clients.get(clientId)?.client_name ?? clientId
}

function requestedScopes(interaction: Interaction): string[] {
  const details = interaction.prompt.details
  const scopes = new Set<string>()
  for (const scope of (details.missingOIDCScope as string[] | undefined) ?? []) scopes.add(scope)
  for (const claim of (details.missingOIDCClaims as string[] | undefined) ?? []) scopes.add(claim)
  const resources = (details.missingResourceScopes as Record<string, string[]> | undefined) ?? {}
  for (const [resource, list] of Object.entries(resources)) {
    for (const scope of list) scopes.add(`${scope} (${resource})`)
  }
  return [...scopes]
}

function render(ctx: KoaContext, status: number, html: string): void {
  ctx.status = status
  ctx.type = 'html'
  ctx.set('Cache-Control', 'no-store')
  ctx.body = html
}

function renderLogin(
  ctx: KoaContext,
  directory: Directory,
  interaction: Interaction,
  extra: { email?: string; error?: string } = {},
  acrValues: string[] = [],
): void {
  const base = `${INTERACTION_PATH}/${interaction.uid}`
  render(
    ctx,
    200,
    loginPage({
      action: `${base}/login`,
      abortUrl: `${base}/abort`,
      clientName: clientName(directory, interaction),
      email: extra.email ?? stringParam(interaction, 'login_hint'),
      ...(extra.error === undefined ? {} : { error: extra.error }),
      hints: [...directory.users.values()].map(({ email, password }) => ({ email, password })),
      acrValues,
      requestedAcr: stringParam(interaction, 'acr_values')?.split(' ')[0],
    }),
  )
}

/**
 * How the user logged in, from the login form: `acr` (one of the offered values, or none), `amr`
 * (space-separated methods) and `auth_time` (seconds, not in the future: a login that happened
 * earlier, for testing `max_age`), each optional. `undefined` names what is wrong.
 */
function authenticationOf(
  form: URLSearchParams,
  acrValues: string[],
): { acr?: string; amr?: string[]; ts?: number } | string {
  const acr = form.get('acr') || undefined
  const amr = form.get('amr')?.split(' ').filter(Boolean)
  const authTime = form.get('auth_time')
  const ts = authTime ? Number(authTime) : undefined
  if (acr !== undefined && !acrValues.includes(acr)) return `acr "${acr}" is not offered`
  if (ts !== undefined && !(Number.isSafeInteger(ts) && ts > 0 && ts <= Date.now() / 1000)) {
    return 'auth_time must be seconds since the epoch, not in the future'
  }
  return {
    ...(acr === undefined ? {} : { acr }),
    ...(amr?.length ? { amr } : {}),
    ...(ts === undefined ? {} : { ts }),
  }
}

async function finish(
  ctx: KoaContext,
  provider: Provider,
  result: Parameters<Provider['interactionResult']>[2],
  mergeWithLastSubmission: boolean,
): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission,
  })
  ctx.status = 303
  ctx.redirect(returnTo)
}

/** Grants what the consent prompt lists as missing and resumes the authorization request. */
async function confirmConsent(
  ctx: KoaContext,
  provider: Provider,
  directory: Directory,
  interaction: Interaction,
): Promise<void> {
  const accountId = interaction.session?.accountId
  const clientId = stringParam(interaction, 'client_id')
  if (accountId === undefined || clientId === undefined) {
    throw new BadRequest('the login session ended; start the login again')
  }
  const existing =
    interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId)
  const grant = existing ?? new provider.Grant({ accountId, clientId })
  const details = interaction.prompt.details
  const scope = (details.missingOIDCScope as string[] | undefined) ?? []
  if (scope.length > 0) grant.addOIDCScope(scope.join(' '))
  const claims = (details.missingOIDCClaims as string[] | undefined) ?? []
  if (claims.length > 0) grant.addOIDCClaims(claims)
  const resources = (details.missingResourceScopes as Record<string, string[]> | undefined) ?? {}
  for (const [indicator, list] of Object.entries(resources)) {
    grant.addResourceScope(indicator, list.join(' '))
  }
  const grantId = await grant.save()
  recordOrganization(
    directory,
    grantId,
    findOrganization(directory, interaction.params.organization),
  )
  return finish(ctx, provider, { consent: { grantId } }, true)
}

async function handleInteraction(
  ctx: KoaContext,
  provider: Provider,
  directory: Directory,
  uid: string,
  action: string | undefined,
  acrValues: string[],
): Promise<void> {
  const interaction = await provider.interactionDetails(ctx.req, ctx.res)
  if (interaction.uid !== uid) {
    throw new BadRequest('this page belongs to another login; start the login again')
  }
  const prompt = interaction.prompt.name

  if (action === undefined && ctx.method === 'GET') {
    if (prompt === 'login') return renderLogin(ctx, directory, interaction, {}, acrValues)
    if (prompt === 'consent' && isFirstParty(directory, stringParam(interaction, 'client_id'))) {
      // First-party: approve without a page. The grant loadExistingGrant prepared already holds
      // everything requested; resuming applies it.
      return confirmConsent(ctx, provider, directory, interaction)
    }
    if (prompt === 'consent') {
      const base = `${INTERACTION_PATH}/${interaction.uid}`
      return render(
        ctx,
        200,
        consentPage({
          action: `${base}/confirm`,
          abortUrl: `${base}/abort`,
          clientName: clientName(directory, interaction),
          scopes: requestedScopes(interaction),
        }),
      )
    }
    throw new BadRequest(`unsupported interaction prompt "${prompt}"`)
  }

  if (action === 'abort' && ctx.method === 'GET') {
    return finish(
      ctx,
      provider,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      false,
    )
  }

  if (action === 'login' && ctx.method === 'POST' && prompt === 'login') {
    const form = await readForm(ctx.req)
    const email = form.get('email') ?? ''
    const user = findUserByEmail(directory, email)
    if (!user || !passwordMatches(user, form.get('password') ?? '')) {
      const error = 'Wrong email or password.'
      return renderLogin(ctx, directory, interaction, { email, error }, acrValues)
    }
    const authentication = authenticationOf(form, acrValues)
    if (typeof authentication === 'string') throw new BadRequest(authentication)
    return finish(ctx, provider, { login: { accountId: user.sub, ...authentication } }, false)
  }

  if (action === 'confirm' && ctx.method === 'POST' && prompt === 'consent') {
    return confirmConsent(ctx, provider, directory, interaction)
  }

  ctx.status = 405
  ctx.body = 'Method Not Allowed'
}

/**
 * OpenID Connect Core §11 ignores `offline_access` unless `prompt` contains `consent`, and
 * oidc-provider follows it; Auth0 does not ask that of first-party applications. So for them a
 * `consent` prompt is added to such requests (never to `prompt=none` ones), and the consent
 * interaction then resolves itself without a page. Only GET authorization requests are adjusted.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0-errata2.html#OfflineAccess
 */
function requestConsentForOfflineAccess(ctx: KoaContext, directory: Directory): void {
  const query = new URLSearchParams(ctx.querystring)
  const scope = query.getAll('scope')
  const prompt = query.getAll('prompt')
  if (scope.length !== 1 || prompt.length > 1) return // duplicates: oidc-provider rejects them
  if (!scope[0]!.split(' ').includes('offline_access')) return
  if (!isFirstParty(directory, query.get('client_id') ?? undefined)) return
  const prompts = (prompt[0] ?? '').split(' ').filter(Boolean)
  if (prompts.includes('consent') || prompts.includes('none')) return
  query.set('prompt', [...prompts, 'consent'].join(' '))
  ctx.querystring = query.toString()
}

/**
 * The login and consent pages (what `devInteractions` would be, but with the configured users),
 * and Auth0's `/v2/logout`, mapped onto RP-initiated logout.
 *
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 */
export function interactionRoutes(
  provider: Provider,
  directory: Directory,
  logger: DevProviderLogger,
  acrValues: string[] = [],
): (ctx: KoaContext, next: () => Promise<void>) => Promise<void> {
  return async (ctx, next) => {
    if (ctx.path === '/v2/logout' && ctx.method === 'GET') {
      const query = new URL(ctx.req.url ?? '/', 'http://localhost').searchParams
      const endSession = new URL(ROUTES.end_session.slice(1), provider.issuer)
      const clientId = query.get('client_id')
      const returnTo = query.get('returnTo')
      if (clientId !== null) endSession.searchParams.set('client_id', clientId)
      if (returnTo !== null) endSession.searchParams.set('post_logout_redirect_uri', returnTo)
      ctx.status = 303
      ctx.redirect(endSession.href)
      return
    }

    if (ctx.path === ROUTES.authorization && ctx.method === 'GET') {
      requestConsentForOfflineAccess(ctx, directory)
      return next()
    }

    const match = INTERACTION_ROUTE.exec(ctx.path)
    if (!match) return next()
    try {
      await handleInteraction(ctx, provider, directory, match[1]!, match[2], acrValues)
    } catch (error) {
      // An expired or foreign interaction cookie is oidc-provider's SessionNotFound (status 400).
      const status = (error as { status?: unknown }).status
      if (error instanceof BadRequest || status === 400) {
        const description = (error as { error_description?: unknown }).error_description
        render(
          ctx,
          400,
          errorPage({
            error: 'invalid_request',
            error_description: description ?? (error as Error).message,
          }),
        )
        return
      }
      logger.error('login page failed', error)
      render(ctx, 500, errorPage({ error: 'server_error' }))
    }
  }
}
