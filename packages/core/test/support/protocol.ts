/**
 * Fixtures for the pure protocol steps: the provider and client they are run for, the instant,
 * and the HTTP answers they read. The engine tests use the provider fixture (provider.ts) instead.
 */
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import type {
  HttpResponseData,
  ProtocolContext,
  ProviderMetadata,
} from '../../src/protocol/types.js'
import { jwksOf, type TestKeyPair } from './jwt.js'

export const NOW = 1_700_000_000
export const ISSUER = 'https://op.example.test/'
export const CLIENT_ID = 'client-1'
export const REDIRECT_URI = 'https://app.example.test/callback'

/** The endpoints every provider publishes, under `issuer` (which ends with a slash). */
export function providerMetadata(issuer = ISSUER): ProviderMetadata {
  return {
    issuer,
    authorization_endpoint: `${issuer}authorize`,
    token_endpoint: `${issuer}oauth/token`,
    jwks_uri: `${issuer}.well-known/jwks.json`,
  }
}

/** ID token claims: ISSUER about user-1 for CLIENT_ID, issued at NOW for ten minutes. */
export function idTokenClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISSUER, sub: 'user-1', aud: CLIENT_ID, iat: NOW, exp: NOW + 600, ...extra }
}

/**
 * A ProtocolContext: the provider at ISSUER, the confidential client CLIENT_ID, the time NOW
 * (60 s tolerance), and `key` as the provider's only published key.
 */
export function protocolContext(
  key: TestKeyPair,
  overrides: Partial<ProtocolContext> = {},
): ProtocolContext {
  return {
    provider: providerMetadata(),
    client: { client_id: CLIENT_ID, redirect_uri: REDIRECT_URI },
    now: NOW,
    clockTolerance: 60,
    jwks: jwksOf(key.publicJwk),
    crypto: new WebCryptoProvider(),
    clientAuth: { method: 'client_secret_basic', secret: 'secret' },
    ...overrides,
  }
}

/** The parameters of an authorization response (RFC 6749 4.1.2, OIDC Core 3.3.2.5, RFC 9207). */
export const RESPONSE_PARAMETERS = [
  'code',
  'id_token',
  'access_token',
  'token_type',
  'expires_in',
  'state',
  'iss',
  'error',
  'error_description',
  'error_uri',
  'session_state',
] as const

const JSON_TYPE = { 'content-type': 'application/json' }

/** An HTTP answer as the protocol steps read it; a body that is not a string is sent as JSON. */
export function httpResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = JSON_TYPE,
): HttpResponseData {
  return {
    status,
    headers: new Headers(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }
}
