/**
 * Where to send the user after login. Only paths on the application's own origin are accepted,
 * so the login route cannot be turned into an open redirector.
 */
import { ConfigurationError, OidcHybridError } from '../errors.js'

const MAX_RETURN_TO_LENGTH = 2048
// C0 controls, DEL and C1 controls: the URL parser silently drops tab, CR and LF, which turns
// `/\t/evil.com` into `//evil.com`; CR/LF would also split a Location header.
const CONTROL_CHARACTERS = /\p{Cc}/u
// `/%2F...` or `/%5C...` decodes to `//` or `/\`: a protocol-relative URL for any component
// that decodes the path before redirecting again.
const ENCODED_SLASH_AFTER_ROOT = /^\/%(2f|5c)/i

/**
 * Validates a post-login destination and returns it as a same-origin path (path, query and
 * fragment), or `undefined` when none was given. Accepts a path starting with a single `/`, or an
 * absolute URL on exactly the origin of `baseURL`. Everything else is a `RETURN_TO_INVALID`
 * error: other origins, protocol-relative `//host`, backslashes, control characters, non-HTTP
 * schemes, and values longer than 2048 characters.
 *
 * @see [RFC 9700 4.11](https://www.rfc-editor.org/rfc/rfc9700#section-4.11) (open redirection)
 * @see [OWASP Unvalidated Redirects and Forwards Cheat Sheet](https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html)
 * @example
 * validateReturnTo('/orders?page=2', 'https://app.example.com') // '/orders?page=2'
 * validateReturnTo('https://app.example.com/a#b', 'https://app.example.com') // '/a#b'
 * validateReturnTo('//evil.example', 'https://app.example.com') // throws RETURN_TO_INVALID
 */
export function validateReturnTo(
  returnTo: string | undefined | null,
  baseURL: string,
): string | undefined {
  const base = parseUrl(baseURL)
  if (base === undefined || base.origin === 'null') {
    throw new ConfigurationError(
      `baseURL ${typeof baseURL === 'string' ? JSON.stringify(baseURL) : typeof baseURL} must be an absolute http(s) URL, e.g. https://app.example.com`,
    )
  }
  if (returnTo === undefined || returnTo === null || returnTo === '') return undefined
  if (typeof returnTo !== 'string') throw invalid('it is not a string')
  if (returnTo.length > MAX_RETURN_TO_LENGTH) {
    throw invalid(`it is longer than ${MAX_RETURN_TO_LENGTH} characters`)
  }
  if (CONTROL_CHARACTERS.test(returnTo)) throw invalid('it contains control characters')
  // The URL parser reads `\` as `/` for http(s), so `/\evil.com` is `//evil.com`.
  if (returnTo.includes('\\')) throw invalid('it contains a backslash')

  let target: URL | undefined
  if (returnTo.startsWith('/')) {
    if (returnTo.startsWith('//')) throw invalid('it is a protocol-relative URL (//host)')
    if (ENCODED_SLASH_AFTER_ROOT.test(returnTo)) {
      throw invalid('it starts with an encoded slash or backslash')
    }
    target = parseUrl(returnTo, base.origin)
  } else {
    target = parseUrl(returnTo)
    if (target !== undefined && target.protocol !== 'http:' && target.protocol !== 'https:') {
      throw invalid('only http and https URLs are accepted')
    }
  }
  if (target === undefined)
    throw invalid('it is neither a path starting with / nor an absolute URL')
  if (target.origin !== base.origin) throw invalid(`it leaves the origin ${base.origin}`)

  const path = target.pathname + target.search + target.hash
  // Dot segments can collapse into `//`: `/.//evil.com` resolves to the path `//evil.com`.
  if (path.startsWith('//')) {
    throw invalid('it resolves to a protocol-relative path')
  }
  if (ENCODED_SLASH_AFTER_ROOT.test(path)) {
    throw invalid('it starts with an encoded slash or backslash')
  }
  return path
}

function invalid(reason: string): OidcHybridError {
  return new OidcHybridError(
    'RETURN_TO_INVALID',
    `returnTo was refused because ${reason}: only paths on this application's origin are allowed (e.g. /profile)`,
  )
}

function parseUrl(value: unknown, base?: string): URL | undefined {
  if (typeof value !== 'string') return undefined
  try {
    return new URL(value, base)
  } catch {
    return undefined
  }
}
