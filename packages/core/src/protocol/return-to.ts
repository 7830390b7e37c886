/**
 * Where to send the user after login. Only paths on the application's own origin are accepted,
 * so the login route cannot be turned into an open redirector.
 */
import type { OidcHybridError } from '../errors.js'
import { configError, oidcError, parseUrl } from './http.js'

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
    throw configError('baseURL must be an absolute http(s) URL')
  }
  if (returnTo === undefined || returnTo === null || returnTo === '') return undefined
  if (typeof returnTo !== 'string') throw invalid('not a string')
  if (returnTo.length > 2048) throw invalid('over 2048 characters')
  // C0 and C1 controls and DEL: the URL parser silently drops tab, CR and LF, which turns
  // `/\t/evil.com` into `//evil.com`; CR/LF would also split a Location header. It also reads `\`
  // as `/` for http(s), so `/\evil.com` is `//evil.com`.
  if (/[\p{Cc}\\]/u.test(returnTo)) throw invalid('control character or backslash')

  // A path is appended to the origin, so that it can never name another host.
  const target = parseUrl(returnTo.startsWith('/') ? base.origin + returnTo : returnTo)
  if (target === undefined) throw invalid('not a path or absolute URL')
  // A blob: URL has the origin of the URL inside it: the scheme must match too.
  if (target.origin !== base.origin || target.protocol !== base.protocol) {
    throw invalid(`not on ${base.origin}`)
  }

  const path = target.pathname + target.search + target.hash
  // `//host` (also after dot segments: `/.//evil.com`), and `/%2F...` or `/%5C...`, which become
  // `//` or `/\` for any component that decodes the path before redirecting again.
  if (/^\/(\/|%2f|%5c)/i.test(path)) throw invalid('protocol-relative or encoded slash')
  return path
}

function invalid(reason: string): OidcHybridError {
  return oidcError('RETURN_TO_INVALID', `returnTo refused (${reason}); use a path such as /profile`)
}
