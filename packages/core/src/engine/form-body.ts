/**
 * For adapters whose framework may have parsed the callback body before them: the parsed object
 * encoded back into form text, repeated values included, so the core still sees duplicates.
 */
import { OidcHybridError } from '../errors.js'

/**
 * Encodes a body parser's result (`{ name: value | value[] }`) as
 * `application/x-www-form-urlencoded`. Nested values mean the original cannot be rebuilt:
 * CALLBACK_CONTENT_TYPE_INVALID, with `advice` on how to keep the raw body.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 */
export function encodeParsedForm(body: unknown, advice: string): string {
  if (typeof body === 'string') return body
  const params = new URLSearchParams()
  // `?? {}`: nothing parsed is an empty form; numbers and booleans have no entries.
  for (const [name, value] of Object.entries(body ?? {})) {
    for (const item of [value].flat()) {
      if (typeof item !== 'string') {
        throw new OidcHybridError(
          'CALLBACK_CONTENT_TYPE_INVALID',
          `callback body has nested values; ${advice}`,
        )
      }
      params.append(name, item)
    }
  }
  return params.toString()
}
