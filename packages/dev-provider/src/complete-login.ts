import { LoginFlowError } from './errors.js'

/** The credentials typed into the login form. */
export interface LoginCredentials {
  email: string
  password: string
}

/** What the provider sends back to the client at the end of a login. */
export interface AuthorizationResponse {
  /**
   * Where the response goes: the form's `action` for `response_mode=form_post`, otherwise the
   * redirect URI without its query and fragment.
   */
  action: string
  /** The response parameters (`code`, `id_token`, `state`, ... or `error`, `error_description`). */
  params: URLSearchParams
}

/** Options of {@link completeLogin}. */
export interface CompleteLoginOptions {
  /**
   * Cookies of the provider. Pass the same jar to a later call to reuse the provider session
   * (single sign-on, logout); a fresh one is used otherwise.
   */
  cookieJar?: CookieJar
  /**
   * How the user authenticates, when the login form is shown (with the provider's `acrValues`):
   * the `acr` picked (one of those), the `amr` methods and, to test `max_age`, an `authTime`
   * (seconds since the epoch) earlier than now, as if the login had happened then. Default: no
   * `acr`, no `amr`, now.
   */
  acr?: string
  amr?: string[]
  authTime?: number
}

const DEMO_CREDENTIALS: LoginCredentials = { email: 'demo@example.com', password: 'demo-password' }

/** Logins take a handful of requests; more than this is a loop. */
const MAX_STEPS = 20

interface StoredCookie {
  name: string
  value: string
  path: string
  expiresAt: number
}

/**
 * A minimal cookie jar for one origin at a time: enough for the provider's session and
 * interaction cookies (name, value, `Path`, `Max-Age`/`Expires`), not a general implementation.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6265#section-5
 */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>()

  /** Remembers the `Set-Cookie` headers of `response`, which answered a request to `url`. */
  store(url: string, response: Response): void {
    const requestPath = new URL(url).pathname
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';')
      const separator = pair.indexOf('=')
      if (separator <= 0) continue
      const name = pair.slice(0, separator).trim()
      const value = pair.slice(separator + 1).trim()
      // RFC 6265 §5.1.4: the default path is the request path up to its last slash.
      let path = requestPath.slice(0, requestPath.lastIndexOf('/')) || '/'
      let expiresAt = Number.POSITIVE_INFINITY
      for (const attribute of attributes) {
        const [key = '', ...rest] = attribute.split('=')
        const attributeValue = rest.join('=').trim()
        switch (key.trim().toLowerCase()) {
          case 'path':
            path = attributeValue || '/'
            break
          case 'max-age':
            expiresAt = Date.now() + Number(attributeValue) * 1000
            break
          case 'expires':
            if (expiresAt === Number.POSITIVE_INFINITY) expiresAt = Date.parse(attributeValue)
            break
        }
      }
      const key = `${name};${path}`
      if (value === '' || !(expiresAt > Date.now())) this.#cookies.delete(key)
      else this.#cookies.set(key, { name, value, path, expiresAt })
    }
  }

  /** The `Cookie` header for a request to `url`, or `undefined` when no cookie applies. */
  header(url: string): string | undefined {
    const { pathname } = new URL(url)
    const now = Date.now()
    const pairs: string[] = []
    for (const [key, cookie] of this.#cookies) {
      if (cookie.expiresAt <= now) {
        this.#cookies.delete(key)
        continue
      }
      const prefix = cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`
      if (pathname === cookie.path || pathname.startsWith(prefix)) {
        pairs.push(`${cookie.name}=${cookie.value}`)
      }
    }
    return pairs.length > 0 ? pairs.join('; ') : undefined
  }
}

interface ParsedForm {
  id: string | undefined
  method: string
  action: string
  fields: [string, string][]
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] === '#') {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number(body.slice(1))
      return Number.isFinite(code) ? String.fromCodePoint(code) : entity
    }
    return ENTITIES[body.toLowerCase()] ?? entity
  })
}

function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const match of tag.matchAll(/([^\s=/"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    found.set(match[1]!.toLowerCase(), decodeEntities(match[2] ?? match[3] ?? ''))
  }
  return found
}

/** Reads the forms of a page: the provider's own pages and oidc-provider's form_post page. */
function parseForms(html: string, pageUrl: string): ParsedForm[] {
  const forms: ParsedForm[] = []
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = attributes(match[1]!)
    const fields: [string, string][] = []
    for (const input of match[2]!.matchAll(/<input\b([^>]*)>/gi)) {
      const inputAttrs = attributes(input[1]!)
      const name = inputAttrs.get('name')
      if (name !== undefined) fields.push([name, inputAttrs.get('value') ?? ''])
    }
    forms.push({
      id: attrs.get('id'),
      method: (attrs.get('method') ?? 'get').toLowerCase(),
      action: new URL(attrs.get('action') ?? pageUrl, pageUrl).href,
      fields,
    })
  }
  return forms
}

function pageText(html: string): string {
  return decodeEntities(html.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim()
}

function loginError(html: string): string {
  const match = /<p class="error"[^>]*>([\s\S]*?)<\/p>/i.exec(html)
  return match ? pageText(match[1]!) : 'the login form was shown again'
}

/** The next request of a flow: a form POST when it has a body, else a GET. */
interface NextRequest {
  url: string
  body?: URLSearchParams
}

/**
 * One request to `url` with the jar's cookies for it, a form POST when `body` is given; its
 * Set-Cookie headers go into the jar, and a redirect is returned, not followed.
 */
async function send(jar: CookieJar, url: string, body?: URLSearchParams): Promise<Response> {
  const headers = new Headers()
  const cookie = jar.header(url)
  if (cookie !== undefined) headers.set('cookie', cookie)
  if (body) headers.set('content-type', 'application/x-www-form-urlencoded')
  const response = await fetch(url, {
    method: body ? 'POST' : 'GET',
    headers,
    redirect: 'manual',
    ...(body ? { body } : {}),
  })
  jar.store(url, response)
  return response
}

function post(url: string, fields: [string, string][]): NextRequest {
  return { url, body: new URLSearchParams(fields) }
}

/**
 * Logs in at the development provider without a browser: requests `authorizationUrl`, follows
 * redirects by hand with a cookie jar, submits the login form with `credentials` (the demo user
 * by default), accepts the consent page if one is shown, and returns what the provider sends the
 * client. For `response_mode=form_post` that is the auto-submitting form's `action` and fields,
 * which a test then POSTs to its callback itself.
 *
 * An error the provider returns to the client (e.g. `access_denied`) is a normal result; an
 * error page that cannot reach the client, or wrong credentials, throw {@link LoginFlowError}.
 *
 * @example
 * ```ts
 * const { action, params } = await completeLogin(authorizationUrl)
 * const callback = await fetch(action, { method: 'POST', body: params, redirect: 'manual' })
 * ```
 * @see https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode
 */
export async function completeLogin(
  authorizationUrl: string,
  credentials: LoginCredentials = DEMO_CREDENTIALS,
  options: CompleteLoginOptions = {},
): Promise<AuthorizationResponse> {
  const providerOrigin = new URL(authorizationUrl).origin
  const jar = options.cookieJar ?? new CookieJar()
  let request: NextRequest = { url: authorizationUrl }
  let credentialsSubmitted = false

  for (let step = 0; step < MAX_STEPS; step++) {
    const response = await send(jar, request.url, request.body)
    const failure = { url: request.url, status: response.status }

    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      const location = response.headers.get('location')
      if (location === null) {
        throw new LoginFlowError(
          'LOGIN_UNEXPECTED_RESPONSE',
          'a redirect without a Location header',
          failure,
        )
      }
      const next = new URL(location, request.url)
      if (next.origin !== providerOrigin) {
        // query or fragment response mode: the response is on the redirect URI itself.
        const params = new URLSearchParams(next.hash ? next.hash.slice(1) : next.search)
        return { action: `${next.origin}${next.pathname}`, params }
      }
      request = { url: next.href }
      continue
    }

    const html = await response.text()
    const forms = parseForms(html, request.url)
    const login = forms.find((form) => form.id === 'login-form')
    if (login) {
      if (credentialsSubmitted) {
        throw new LoginFlowError(
          'LOGIN_FAILED',
          `login as ${credentials.email} failed: ${loginError(html)}`,
          failure,
        )
      }
      credentialsSubmitted = true
      const fields = login.fields.filter(([name]) => name !== 'email' && name !== 'password')
      const { acr, amr, authTime } = options
      request = post(login.action, [
        ...fields,
        ['email', credentials.email],
        ['password', credentials.password],
        ...(acr === undefined ? [] : [['acr', acr] as [string, string]]),
        ...(amr === undefined ? [] : [['amr', amr.join(' ')] as [string, string]]),
        ...(authTime === undefined ? [] : [['auth_time', String(authTime)] as [string, string]]),
      ])
      continue
    }
    const consent = forms.find((form) => form.id === 'consent-form')
    if (consent) {
      request = post(consent.action, consent.fields)
      continue
    }
    const [only] = forms
    if (forms.length === 1 && only?.method === 'post') {
      if (new URL(only.action).origin !== providerOrigin) {
        return { action: only.action, params: new URLSearchParams(only.fields) }
      }
      // The provider posting to itself, e.g. ending another user's session before this login.
      request = post(only.action, only.fields)
      continue
    }
    throw new LoginFlowError(
      'LOGIN_UNEXPECTED_RESPONSE',
      `the provider answered ${request.body ? 'POST' : 'GET'} ${request.url} with HTTP ${response.status} and no form to continue: ${pageText(html).slice(0, 300)}`,
      failure,
    )
  }
  throw new LoginFlowError(
    'LOGIN_TOO_MANY_STEPS',
    `the login did not finish within ${MAX_STEPS} requests; is the provider redirecting in a loop?`,
    { url: request.url, status: 0 },
  )
}

/**
 * Signs out at the development provider without a browser: requests `endSessionUrl` (the
 * `end_session_endpoint`, with `id_token_hint`, `client_id`, `post_logout_redirect_uri` as
 * wanted, or Auth0's `/v2/logout`) with the provider's cookies from `options.cookieJar`,
 * confirms the sign-out as the logout page's button does (`logout=yes`: the whole provider
 * session ends), and returns where the provider sends the browser next. Ending the session is
 * what makes the provider send Logout Tokens to clients with a `backchannel_logout_uri`; they
 * have been sent (and answered) when this resolves.
 *
 * A page without the logout form throws {@link LoginFlowError} (`LOGIN_UNEXPECTED_RESPONSE`).
 *
 * @example
 * ```ts
 * const jar = new CookieJar()
 * await completeLogin(authorizationUrl, undefined, { cookieJar: jar })
 * const { location } = await completeLogout(`${issuer}oidc/logout?client_id=app`, { cookieJar: jar })
 * ```
 * @see https://openid.net/specs/openid-connect-rpinitiated-1_0.html#RPLogout
 * @see https://openid.net/specs/openid-connect-backchannel-1_0.html#BCRequest
 */
export async function completeLogout(
  endSessionUrl: string,
  options: CompleteLoginOptions = {},
): Promise<{ location: string | null }> {
  const jar = options.cookieJar ?? new CookieJar()
  const providerOrigin = new URL(endSessionUrl).origin
  let url = endSessionUrl
  for (let step = 0; step < MAX_STEPS; step++) {
    const response = await send(jar, url)
    const location = response.headers.get('location')
    // Auth0's /v2/logout is a redirect to the end_session_endpoint.
    if (location !== null && new URL(location, url).origin === providerOrigin) {
      await response.body?.cancel()
      url = new URL(location, url).href
      continue
    }
    const html = await response.text()
    const form = parseForms(html, url).find((candidate) => candidate.id === 'op.logoutForm')
    if (!form) {
      throw new LoginFlowError(
        'LOGIN_UNEXPECTED_RESPONSE',
        `the provider answered GET ${url} with HTTP ${response.status} and no logout form: ${pageText(html).slice(0, 300)}`,
        { url, status: response.status },
      )
    }
    const confirmed = await send(
      jar,
      form.action,
      new URLSearchParams([...form.fields, ['logout', 'yes']]),
    )
    await confirmed.body?.cancel()
    return { location: confirmed.headers.get('location') }
  }
  throw new LoginFlowError(
    'LOGIN_TOO_MANY_STEPS',
    `the logout did not finish within ${MAX_STEPS} requests`,
    { url, status: 0 },
  )
}
