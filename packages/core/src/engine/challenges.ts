/**
 * `WWW-Authenticate` challenges, read by the opt-in features that answer them (step-up, DPoP
 * nonces).
 */

/** One challenge: its scheme, lower-cased, and its parameters (names lower-cased, first kept). */
export interface Challenge {
  scheme: string
  params: Record<string, string>
}

/**
 * The challenges of a `WWW-Authenticate` value (RFC 9110 11.6.1), in order: a bare token starts a
 * challenge (its scheme); `name=value` pairs (quoted or not) are its parameters. A token68 (a
 * Basic or Negotiate credential) is left out.
 *
 * @see [RFC 9110 11.6.1](https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1)
 */
export function parseChallenges(header: string): Challenge[] {
  const found: Challenge[] = []
  const pattern = /([\w!#$%&'*+.^`|~-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?/g
  for (const [, name, quoted, plain] of header.matchAll(pattern)) {
    const value = quoted?.replace(/\\(.)/g, '$1') ?? plain
    const current = found.at(-1)?.params
    const lower = name!.toLowerCase()
    if (value === undefined) found.push({ scheme: lower, params: Object.create(null) })
    else if (current && !(lower in current)) current[lower] = value
  }
  return found
}
