/**
 * Every parser that reads outside input, fed arbitrary and near-valid input: each must return
 * or throw an OidcHybridError, never anything else (no TypeError, RangeError, URIError, ...).
 */
import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, it } from 'vitest'
import { CookieSealer, parseCookieHeader } from '../src/adapter.js'
import { isOidcHybridError, stepUpChallenge, WebCryptoProvider } from '../src/index.js'
import {
  BACKCHANNEL_LOGOUT_EVENT,
  extractBearerToken,
  logoutTokenOf,
  parseCallbackRequest,
  parsePushedAuthorizationResponse,
  parseTokenEndpointResponse,
  processDiscoveryResponse,
  processJwksResponse,
  processUserinfoResponse,
  stateOf,
  validateCallbackParameters,
  validateReturnTo,
  verifyAccessToken,
  verifyIdToken,
  verifyLogoutToken,
} from '../src/protocol.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 100_000)
const crypto = new WebCryptoProvider()

function onlyTyped(run: () => unknown): void {
  try {
    run()
  } catch (error) {
    if (!isOidcHybridError(error)) throw error
  }
}

async function onlyTypedAsync(run: () => Promise<unknown>): Promise<void> {
  try {
    await run()
  } catch (error) {
    if (!isOidcHybridError(error)) throw error
  }
}

const formChar = fc.constantFrom(
  '=',
  '&',
  '%',
  '+',
  '%zz',
  '%E0%A4',
  '\u0000',
  'code',
  'state',
  'id_token',
)
const formText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc
    .array(fc.oneof(formChar, fc.string({ maxLength: 8 })), { maxLength: 40 })
    .map((p) => p.join('')),
)
const anyJson = fc.oneof(fc.json(), fc.string({ maxLength: 200 }))
const headers = fc
  .dictionary(
    fc.constantFrom(
      'content-type',
      'retry-after',
      'x-ratelimit-limit',
      'www-authenticate',
      'x-other',
    ),
    // Headers itself refuses CR, LF and NUL: those values never reach a parser.
    fc.string({ maxLength: 60 }).map((v) =>
      v
        .replace(/[\r\n]/g, '')
        .split(String.fromCharCode(0))
        .join(''),
    ),
  )
  .map((record) => {
    const result = new Headers()
    for (const [k, v] of Object.entries(record)) {
      try {
        result.set(k, v)
      } catch {
        // header values Headers itself refuses never reach a parser
      }
    }
    return result
  })
const response = fc.record({
  status: fc.constantFrom(200, 201, 400, 401, 429, 500, 302),
  headers,
  body: anyJson,
})

const transaction = {
  state: 'x'.repeat(43),
  nonce: 'n'.repeat(43),
  codeVerifier: 'v'.repeat(43),
  responseType: 'code id_token' as const,
  responseMode: 'form_post' as const,
  redirectUri: 'https://app.example/callback',
  issuer: 'https://op.example/',
  scope: 'openid',
  createdAt: 0,
}
const provider = {
  issuer: 'https://op.example/',
  authorization_endpoint: 'https://op.example/authorize',
  token_endpoint: 'https://op.example/token',
  jwks_uri: 'https://op.example/jwks',
  authorization_response_iss_parameter_supported: true,
}

describe(`parsers (${RUNS} cases each)`, () => {
  it('parseCallbackRequest and stateOf', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('POST', 'GET', 'PUT', 'post', ''),
        fc.oneof(
          fc.constant('https://app.example/callback'),
          fc.string({ maxLength: 80 }),
          formText.map((q) => `https://app.example/callback?${q}`),
        ),
        fc.oneof(
          fc.constant('application/x-www-form-urlencoded'),
          fc.string({ maxLength: 40 }),
          fc.constant(null),
        ),
        fc.oneof(formText, fc.constant(null)),
        (method, url, contentType, body) => {
          onlyTyped(() => stateOf(parseCallbackRequest({ method, url, contentType, body })))
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('validateCallbackParameters', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'code',
            'state',
            'id_token',
            'access_token',
            'token_type',
            'expires_in',
            'iss',
            'error',
            'error_description',
          ),
          fc.oneof(
            fc.string({ maxLength: 50 }),
            fc.constant('x'.repeat(43)),
            fc.constant('https://op.example/'),
          ),
        ),
        (params) => onlyTyped(() => validateCallbackParameters(params, transaction, provider)),
      ),
      { numRuns: RUNS },
    )
  })

  it('parseTokenEndpointResponse, processUserinfoResponse, discovery, JWKS and PAR', () => {
    fc.assert(
      fc.property(response, fc.boolean(), (data, requireIdToken) => {
        onlyTyped(() => parseTokenEndpointResponse(data, { requireIdToken }))
        onlyTyped(() => processUserinfoResponse(data, 'sub'))
        onlyTyped(() => processDiscoveryResponse('https://op.example', data))
        onlyTyped(() => processJwksResponse(data))
        onlyTyped(() => parsePushedAuthorizationResponse(data))
      }),
      { numRuns: RUNS },
    )
  })

  it('parseCookieHeader never throws; extractBearerToken and validateReturnTo only typed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), formText), (text) => {
        parseCookieHeader(text)
        onlyTyped(() => extractBearerToken(text))
        onlyTyped(() => extractBearerToken(`Bearer ${text}`))
        onlyTyped(() => validateReturnTo(text, 'https://app.example'))
      }),
      { numRuns: RUNS },
    )
  })

  it('stepUpChallenge never throws on a WWW-Authenticate header (RFC 9470)', () => {
    const challengeText = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .array(
          fc.oneof(
            fc.constantFrom(
              'Bearer ',
              'DPoP ',
              'error="insufficient_user_authentication"',
              'acr_values="',
              'max_age=',
              '", ',
              ',',
              '=',
              '\\"',
            ),
            fc.string({ maxLength: 10 }),
          ),
          { maxLength: 30 },
        )
        .map((parts) => parts.join('')),
    )
    fc.assert(
      fc.property(challengeText, (text) => {
        const requirement = stepUpChallenge(text)
        if (requirement !== undefined && typeof requirement !== 'object') throw new Error('shape')
      }),
      { numRuns: RUNS },
    )
  })

  it('CookieSealer.unseal', async () => {
    const sealer = await CookieSealer.create(
      'a-cookie-secret-that-is-long-enough-0123456789',
      crypto,
    )
    const valid = await sealer.seal('appSession', { hello: 'world' }, 2_000_000_000)
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc
            .tuple(fc.nat(valid.length), fc.string({ maxLength: 4 }))
            .map(([at, s]) => valid.slice(0, at) + s + valid.slice(at + 1)),
        ),
        async (sealed) => onlyTypedAsync(() => sealer.unseal('appSession', sealed)),
      ),
      { numRuns: RUNS },
    )
  })

  it('verifyIdToken and verifyAccessToken on arbitrary compact strings', async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 40 }),
      anyJson.map((json) => Buffer.from(json).toString('base64url')),
    )
    const token = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
    )
    const jwks = {
      keys: [
        { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'k' },
        { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
      ],
    }
    await fc.assert(
      fc.asyncProperty(token, async (jwt) => {
        await onlyTypedAsync(() =>
          verifyIdToken(
            {
              provider,
              client: { client_id: 'c', redirect_uri: 'https://app.example/callback' },
              now: 0,
              clockTolerance: 0,
              jwks,
              jwksRefreshed: true,
              crypto,
            },
            jwt,
            { nonce: 'n' },
          ),
        )
        await onlyTypedAsync(() =>
          verifyAccessToken(jwt, {
            issuer: provider.issuer,
            audience: 'api',
            now: 0,
            clockTolerance: 0,
            jwks,
            jwksRefreshed: true,
            crypto,
          }),
        )
      }),
      { numRuns: RUNS },
    )
  })

  it('logoutTokenOf, and verifyLogoutToken on HS256-signed arbitrary claims', async () => {
    fc.assert(
      fc.property(
        fc.record({
          method: fc.constantFrom('POST', 'GET', 'post', ''),
          contentType: fc.oneof(
            fc.constant('application/x-www-form-urlencoded'),
            fc.string({ maxLength: 40 }),
            fc.constant(null),
          ),
          body: fc.oneof(formText, fc.constant(null)),
        }),
        (request) => onlyTyped(() => logoutTokenOf(request)),
      ),
      { numRuns: RUNS },
    )
    // Signed with the client secret (HS256 allowed for the fuzz), so every claim check is reached.
    const secret = 'a-client-secret-for-the-logout-token-fuzz-0123456789'
    const b64 = (value: string) => Buffer.from(value).toString('base64url')
    const claim = fc.oneof(
      anyJson.map((json) => JSON.parse(JSON.stringify(json))),
      fc.constant(undefined),
    )
    const claims = fc.record(
      {
        iss: fc.oneof(fc.constant(provider.issuer), claim),
        aud: fc.oneof(fc.constant('c'), fc.constant(['c', 'x']), claim),
        iat: fc.oneof(fc.constant(0), claim),
        exp: fc.oneof(fc.constant(100), claim),
        jti: fc.oneof(fc.string({ maxLength: 8 }), claim),
        sub: fc.oneof(fc.string({ maxLength: 8 }), claim),
        sid: fc.oneof(fc.string({ maxLength: 8 }), claim),
        nonce: claim,
        events: fc.oneof(
          fc.constant({ [BACKCHANNEL_LOGOUT_EVENT]: {} }),
          fc.dictionary(fc.constantFrom(BACKCHANNEL_LOGOUT_EVENT, 'x'), claim),
          claim,
        ),
      },
      { requiredKeys: [] },
    )
    const header = fc.record(
      { alg: fc.constant('HS256'), typ: fc.oneof(fc.constant('logout+jwt'), claim) },
      { requiredKeys: ['alg'] },
    )
    await fc.assert(
      fc.asyncProperty(header, claims, async (h, c) => {
        const input = `${b64(JSON.stringify(h))}.${b64(JSON.stringify(c))}`
        const signature = createHmac('sha256', secret).update(input).digest('base64url')
        await onlyTypedAsync(() =>
          verifyLogoutToken(
            {
              provider: { ...provider, id_token_signing_alg_values_supported: ['HS256'] },
              client: {
                client_id: 'c',
                redirect_uri: 'https://app.example/callback',
                id_token_signed_response_algs: ['HS256'],
                client_secret_for_hs: secret,
              },
              now: 50,
              clockTolerance: 0,
              jwks: { keys: [] },
              jwksRefreshed: true,
              crypto,
            },
            `${input}.${signature}`,
          ),
        )
      }),
      { numRuns: RUNS },
    )
  })
})
