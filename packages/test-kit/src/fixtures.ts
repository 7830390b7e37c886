/** Small fixtures the specs of several packages share. */

/** The path of the Chromium that the browser specs drive: `CHROMIUM_PATH`, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Options for playwright-core's `chromium.launch()`: Debian's Chromium, headless, nothing
 * running in the background. `launch()` gives every run a new, empty profile of its own.
 */
export function chromiumLaunchOptions(options: { timeout?: number } = {}) {
  return {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  }
}

/**
 * A `fetch` for an app's config that answers every request with the discovery document of a
 * provider at https://op.example.com/ which lists only `code id_token` in
 * `response_types_supported` but answers `code token` too (Glewlwyd does): for
 * `ignoreDiscoveryFor`. Nothing else is served.
 */
export const unlistedCodeTokenDiscovery: typeof fetch = async () =>
  Response.json({
    issuer: 'https://op.example.com/',
    authorization_endpoint: 'https://op.example.com/authorize',
    token_endpoint: 'https://op.example.com/token',
    jwks_uri: 'https://op.example.com/jwks',
    response_types_supported: ['code id_token'],
  })

/** The payload of a compact JWS, decoded without any check (to look at what a token says). */
export function jwtPayload(jwt: string): Record<string, unknown> {
  const [, payload] = jwt.split('.')
  if (payload === undefined) throw new Error('not a compact JWS')
  return JSON.parse(new TextDecoder().decode(base64urlDecode(payload))) as Record<string, unknown>
}

function base64urlDecode(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='))
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}
