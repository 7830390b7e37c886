import { createHash, randomBytes } from 'node:crypto'
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
} from 'jose'
import { type CookieJar, completeLogin, type LoginCredentials } from '../src/index.js'

export interface Discovery {
  issuer: string
  authorization_endpoint: string
  token_endpoint: string
  userinfo_endpoint: string
  jwks_uri: string
  end_session_endpoint: string
  [member: string]: unknown
}

export async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer}.well-known/openid-configuration`)
  if (!response.ok) throw new Error(`discovery failed: ${response.status}`)
  return (await response.json()) as Discovery
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

export interface AuthorizationRequest {
  url: string
  verifier: string
  nonce: string
  state: string
}

/** Builds an authorization request the way a hybrid relying party does (form_post, PKCE). */
export function authorizationRequest(
  discovery: Discovery,
  params: Record<string, string> & { client_id?: string },
): AuthorizationRequest {
  const { verifier, challenge } = pkce()
  const nonce = randomBytes(16).toString('base64url')
  const state = randomBytes(16).toString('base64url')
  const url = new URL(discovery.authorization_endpoint)
  const all: Record<string, string> = {
    client_id: 'demo-app',
    redirect_uri: 'http://localhost:3000/callback',
    response_type: 'code id_token',
    response_mode: 'form_post',
    scope: 'openid profile email',
    nonce,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  }
  for (const [key, value] of Object.entries(all)) {
    if (value !== '') url.searchParams.set(key, value)
  }
  return { url: url.href, verifier, nonce, state }
}

/** The left half of the SHA-256 of an ASCII value, base64url: OIDC Core 3.3.2.11 c_hash/at_hash. */
export function halfHash(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest().subarray(0, 16).toString('base64url')
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`
}

export const DEMO_SECRET = 'demo-app-secret-0123456789abcdef0123456789'

export interface TokenResponse {
  access_token?: string
  id_token?: string
  refresh_token?: string
  token_type?: string
  expires_in?: number
  scope?: string
  error?: string
  error_description?: string
}

export async function tokenRequest(
  discovery: Discovery,
  body: Record<string, string>,
  authorization?: string,
): Promise<{ status: number; json: TokenResponse }> {
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization ? { authorization } : {}),
    },
    body: new URLSearchParams(body),
  })
  return { status: response.status, json: (await response.json()) as TokenResponse }
}

/** Redeems a code as `demo-app` (client_secret_basic). */
export function redeemCode(
  discovery: Discovery,
  code: string,
  verifier: string,
): Promise<{ status: number; json: TokenResponse }> {
  return tokenRequest(
    discovery,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://localhost:3000/callback',
      code_verifier: verifier,
    },
    basicAuth('demo-app', DEMO_SECRET),
  )
}

/** Verifies a JWT against the provider's JWKS with jose, independently of the provider. */
export async function verifyJwt(
  discovery: Discovery,
  jwt: string,
  audience: string,
): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri))
  const { payload } = await jwtVerify(jwt, jwks, { issuer: discovery.issuer, audience })
  return payload
}

export { decodeJwt, decodeProtectedHeader }

/** Logs the demo user in and returns the form_post response, checked to be a success. */
export async function login(
  discovery: Discovery,
  params: Record<string, string> = {},
  options: { cookieJar?: CookieJar; credentials?: LoginCredentials } = {},
): Promise<AuthorizationRequest & { response: URLSearchParams; action: string }> {
  const request = authorizationRequest(discovery, params)
  const { action, params: response } = await completeLogin(
    request.url,
    options.credentials,
    options.cookieJar ? { cookieJar: options.cookieJar } : {},
  )
  return { ...request, action, response }
}
