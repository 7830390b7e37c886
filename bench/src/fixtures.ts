// Keys, tokens and protocol data generated once with jose, shared by every implementation so
// that all of them verify exactly the same bytes.
import { createHash, randomBytes } from 'node:crypto'
import type { Session } from '@oidc-hybrid/core'
import type { JsonWebKeySet, Jwk, ProviderMetadata, Transaction } from '@oidc-hybrid/core/protocol'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'

export const ISSUER = 'https://tenant.example.com/'
export const CLIENT_ID = 'bench-client'
export const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef0123456789'
export const REDIRECT_URI = 'https://app.example.com/callback'
export const API = 'https://api.example.com'
export const COOKIE_SECRET = 'bench-cookie-secret-0123456789abcdef0123456789'
/** The secret of the HTTP load apps' clients at the dev provider. */
export const APP_CLIENT_SECRET = 'bench-app-secret-0123456789abcdef0123456789'

export const METADATA: ProviderMetadata = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}authorize`,
  token_endpoint: `${ISSUER}oauth/token`,
  jwks_uri: `${ISSUER}.well-known/jwks.json`,
  userinfo_endpoint: `${ISSUER}userinfo`,
  response_types_supported: ['code', 'code id_token', 'code token', 'code id_token token'],
  response_modes_supported: ['query', 'fragment', 'form_post'],
  id_token_signing_alg_values_supported: ['RS256', 'ES256'],
  code_challenge_methods_supported: ['S256'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
}

const b64u = (bytes: Buffer) => bytes.toString('base64url')
const leftHalf = (value: string) =>
  b64u(createHash('sha256').update(value).digest().subarray(0, 16))

export type Alg = 'RS256' | 'ES256'

/** One login's worth of signed material for one algorithm. */
export interface LoginFixture {
  alg: Alg
  transaction: Transaction
  code: string
  /** Front-channel ID token (with `c_hash`). */
  frontIdToken: string
  /** The form_post body the browser posts to the callback. */
  formBody: string
  /** Token endpoint response JSON (ID token with `at_hash`, JWT access token, refresh token). */
  tokenResponseBody: string
  tokenIdToken: string
  accessToken: string
}

export interface Fixtures {
  jwks: JsonWebKeySet
  /** The same public keys as separate objects, for libraries that clone or import their own. */
  publicKeys: Record<Alg, CryptoKey>
  logins: Record<Alg, LoginFixture>
  /** RFC 9068 access token for the API (RS256), for the bearer rows. */
  bearerToken: string
  /** A realistic session (ES256 tokens, name and email claims), about 1.5 KB of JSON. */
  session: Session
  /** What a token endpoint answers to a refresh: new access token, rotated refresh token, ID token. */
  refreshIdToken: string
  sign: (alg: Alg, claims: Record<string, unknown>, typ?: string) => Promise<string>
}

function random(bytes = 32): string {
  return b64u(randomBytes(bytes))
}

export async function createFixtures(): Promise<Fixtures> {
  const now = Math.floor(Date.now() / 1000)
  const rsa = await generateKeyPair('RS256', { extractable: true })
  const ec = await generateKeyPair('ES256', { extractable: true })
  const rsJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' }
  const esJwk = { ...(await exportJWK(ec.publicKey)), kid: 'es-1', alg: 'ES256', use: 'sig' }
  const jwks: JsonWebKeySet = { keys: [rsJwk as Jwk, esJwk as Jwk] }
  const privateKeys = { RS256: rsa.privateKey, ES256: ec.privateKey }
  const kids = { RS256: 'rs-1', ES256: 'es-1' }

  const sign = (alg: Alg, claims: Record<string, unknown>, typ?: string) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid: kids[alg], ...(typ ? { typ } : {}) })
      .sign(privateKeys[alg])

  const profile = {
    name: 'Bench User',
    nickname: 'bench',
    picture: 'https://s.gravatar.com/avatar/0123456789abcdef0123456789abcdef?s=480&r=pg',
    email: 'bench.user@example.com',
    email_verified: true,
    updated_at: '2026-01-01T00:00:00.000Z',
  }
  const sub = 'auth0|65a1b2c3d4e5f60718293a4b'
  const sid = random(16)

  async function login(alg: Alg): Promise<LoginFixture> {
    const transaction: Transaction = {
      state: random(),
      nonce: random(),
      codeVerifier: random(),
      responseType: 'code id_token',
      responseMode: 'form_post',
      redirectUri: REDIRECT_URI,
      issuer: ISSUER,
      scope: 'openid profile email offline_access',
      audience: API,
      createdAt: now,
    }
    const code = random(24)
    const base = { iss: ISSUER, sub, aud: CLIENT_ID, iat: now, exp: now + 36_000, sid, ...profile }
    const frontIdToken = await sign(alg, {
      ...base,
      nonce: transaction.nonce,
      c_hash: leftHalf(code),
    })
    const accessToken = await sign(
      alg,
      {
        iss: ISSUER,
        sub,
        aud: [API, `${ISSUER}userinfo`],
        azp: CLIENT_ID,
        client_id: CLIENT_ID,
        iat: now,
        exp: now + 86_400,
        scope: 'openid profile email offline_access read:messages',
        jti: random(12),
      },
      'at+jwt',
    )
    const tokenIdToken = await sign(alg, {
      ...base,
      nonce: transaction.nonce,
      at_hash: leftHalf(accessToken),
    })
    const tokenResponseBody = JSON.stringify({
      access_token: accessToken,
      id_token: tokenIdToken,
      refresh_token: random(36),
      token_type: 'Bearer',
      expires_in: 86_400,
      scope: 'openid profile email offline_access read:messages',
    })
    const formBody = new URLSearchParams({
      code,
      id_token: frontIdToken,
      state: transaction.state,
    }).toString()
    return {
      alg,
      transaction,
      code,
      frontIdToken,
      formBody,
      tokenResponseBody,
      tokenIdToken,
      accessToken,
    }
  }

  const logins = { RS256: await login('RS256'), ES256: await login('ES256') }
  // The session a login leaves in the cookie: ES256 tokens with the claims an Auth0 tenant puts
  // in by default for `openid profile email` (name, email), about 1.5 KB as JSON.
  const sessionIdToken = await sign('ES256', {
    iss: ISSUER,
    sub,
    aud: CLIENT_ID,
    iat: now,
    exp: now + 36_000,
    sid,
    name: profile.name,
    email: profile.email,
    email_verified: true,
    nonce: random(),
  })
  const sessionAccessToken = await sign(
    'ES256',
    {
      iss: ISSUER,
      sub,
      aud: [API, `${ISSUER}userinfo`],
      azp: CLIENT_ID,
      iat: now,
      exp: now + 86_400,
      scope: 'openid profile email offline_access read:messages',
    },
    'at+jwt',
  )
  const claims = JSON.parse(
    Buffer.from(sessionIdToken.split('.')[1]!, 'base64url').toString('utf8'),
  ) as Session['claims']
  const session: Session = {
    issuer: ISSUER,
    sub,
    claims,
    idToken: sessionIdToken,
    accessToken: sessionAccessToken,
    tokenType: 'Bearer',
    expiresAt: now + 86_400,
    scope: 'openid profile email offline_access read:messages',
    refreshToken: random(36),
    audience: API,
    createdAt: now,
    updatedAt: now,
  }
  const refreshIdToken = await sign('ES256', {
    iss: ISSUER,
    sub,
    aud: CLIENT_ID,
    iat: now,
    exp: now + 36_000,
    sid,
    name: profile.name,
    email: profile.email,
    email_verified: true,
  })
  return {
    jwks,
    publicKeys: { RS256: rsa.publicKey, ES256: ec.publicKey },
    logins,
    bearerToken: logins.RS256.accessToken,
    session,
    refreshIdToken,
    sign,
  }
}

/**
 * A fetch that answers discovery, JWKS and the token endpoint from memory: no network in the
 * micro benchmarks. Every call builds a new Response, as a real fetch would. With `yieldToLoop`
 * each call first lets the event loop turn, as real I/O does (timers then fire on time).
 */
export function cannedFetch(
  fixtures: Fixtures,
  tokenResponseBody: () => string,
  counters: { token: number; jwks: number; discovery: number } = {
    token: 0,
    jwks: 0,
    discovery: 0,
  },
  yieldToLoop = false,
): typeof fetch {
  const json = (body: string) =>
    new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  const discovery = JSON.stringify(METADATA)
  const jwks = JSON.stringify(fixtures.jwks)
  return async (input: RequestInfo | URL) => {
    if (yieldToLoop) await new Promise((resolve) => setImmediate(resolve))
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    if (url === METADATA.token_endpoint) {
      counters.token++
      return json(tokenResponseBody())
    }
    if (url === METADATA.jwks_uri) {
      counters.jwks++
      return json(jwks)
    }
    if (url.startsWith(`${ISSUER}.well-known/openid-configuration`)) {
      counters.discovery++
      return json(discovery)
    }
    return new Response('not found', { status: 404 })
  }
}
