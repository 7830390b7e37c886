/**
 * The bearer verifier's answers (`failure()`, what every adapter copies out) against a tiny
 * provider on 127.0.0.1: another scheme is a bare 401 without a provider call, a lowercase
 * `bearer` still verifies, and a provider outage (closed port, JWKS answering 500, no answer in
 * time) is a 503 with Retry-After and no `invalid_token`, never a 401. Then, against the provider
 * fixture: scopes that fail closed, a verifier sharing an engine's cache, and its edges.
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createBearerVerifier } from '../../src/engine/bearer-verifier.js'
import { ConfigurationError, OidcHybridError } from '../../src/errors.js'
import { setup } from '../support/harness.js'
import { generateTestKey, jwksOf, signWith, type TestKeyPair } from '../support/jwt.js'

const AUDIENCE = 'https://api.example.com'
let key: TestKeyPair
beforeAll(async () => {
  key = await generateTestKey('RS256', 'k1')
})

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

/** A provider whose JWKS answers with `jwks`: its key set, 500, or never. */
async function provider(jwks: 'ok' | '500' | 'hang') {
  const paths: string[] = []
  const server = createServer((request, response) => {
    paths.push(request.url ?? '')
    if (request.url === '/.well-known/openid-configuration') {
      response.setHeader('content-type', 'application/json')
      response.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}authorize`,
          token_endpoint: `${issuer}token`,
          jwks_uri: `${issuer}jwks`,
        }),
      )
    } else if (jwks === 'ok') {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify(jwksOf(key.publicJwk)))
    } else if (jwks === '500') {
      response.statusCode = 500
      response.end('internal error')
    }
  })
  servers.push(server)
  const issuer = `http://127.0.0.1:${await listen(server)}/`
  return { issuer, paths }
}

/** An issuer on a port where nothing listens (connection refused). */
async function closedIssuer(): Promise<string> {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}/`
}

/** The verifiers' clock: tokens are judged at this instant, whatever the machine's time. */
const NOW = 1_750_000_000
const now = () => NOW

async function accessToken(issuer: string): Promise<string> {
  return signWith(
    key,
    { iss: issuer, sub: 'user-1', aud: AUDIENCE, iat: NOW, exp: NOW + 600, scope: 'read' },
    { typ: 'at+jwt' },
  )
}

describe('another scheme on a bearer route (RFC 6750 3.1)', () => {
  it('is a 401 with the Bearer challenge and no error code, and calls no provider', async () => {
    const op = await provider('ok')
    const verifier = createBearerVerifier({
      issuerBaseURL: op.issuer,
      audience: AUDIENCE,
      realm: 'api',
      now,
    })
    const error = await verifier.verify('Basic dXNlcjpwYXNz').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'BEARER_TOKEN_MISSING' })
    const failure = verifier.failure(error, { scopes: ['read'] })
    expect(failure.status).toBe(401)
    // DPoP is accepted too by default (dpop: 'allow'): both schemes are offered (RFC 9449 7.2).
    const challenge = 'Bearer realm="api", DPoP realm="api", algs="ES256"'
    expect(failure.wwwAuthenticate).toBe(challenge)
    expect(verifier.failure(error, { dpop: 'off' }).wwwAuthenticate).toBe('Bearer realm="api"')
    expect(failure.headers).toEqual({
      'www-authenticate': challenge,
      'cache-control': 'no-store',
      'content-type': 'application/json',
    })
    expect(JSON.parse(failure.body)).toMatchObject({ error: 'BEARER_TOKEN_MISSING' })
    // The same body as an object, for frameworks that serialize it themselves (NestJS).
    expect(failure.json).toEqual(JSON.parse(failure.body))
    expect(op.paths).toEqual([])
  })

  it('a lowercase bearer scheme is still Bearer: the token verifies', async () => {
    const op = await provider('ok')
    const verifier = createBearerVerifier({ issuerBaseURL: op.issuer, audience: AUDIENCE, now })
    const verified = await verifier.verify(`bearer ${await accessToken(op.issuer)}`)
    expect(verified.claims.sub).toBe('user-1')
  })
})

describe('a provider outage on a bearer route', () => {
  const expected503 = {
    status: 503,
    wwwAuthenticate: 'Bearer realm="api", DPoP realm="api", algs="ES256"',
    headers: {
      'www-authenticate': 'Bearer realm="api", DPoP realm="api", algs="ES256"',
      'cache-control': 'no-store',
      'content-type': 'application/json',
      'retry-after': '30',
    },
  }

  async function outage(issuerBaseURL: string, code: string, httpTimeout?: number) {
    const verifier = createBearerVerifier({
      issuerBaseURL,
      audience: AUDIENCE,
      realm: 'api',
      httpTimeout,
      now,
    })
    const error = await verifier
      .verify(`Bearer ${await accessToken(issuerBaseURL)}`)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code })
    const failure = verifier.failure(error, { scopes: ['read'] })
    expect(failure).toMatchObject(expected503)
    expect(failure.wwwAuthenticate).not.toContain('error=')
    // The code, for the developer; nothing of the provider's address for the client.
    const body = JSON.parse(failure.body)
    expect(body.error).toBe(code)
    expect(body.message).not.toContain('127.0.0.1')
  }

  it('nothing listening at the issuer: 503 HTTP_REQUEST_FAILED with Retry-After', async () => {
    await outage(await closedIssuer(), 'HTTP_REQUEST_FAILED')
  })

  it('the JWKS answers 500: 503 JWKS_INVALID (the token was not judged)', async () => {
    const op = await provider('500')
    await outage(op.issuer, 'JWKS_INVALID')
    expect(op.paths).toEqual(['/.well-known/openid-configuration', '/jwks'])
  })

  it('the JWKS does not answer in time: 503 HTTP_TIMEOUT', async () => {
    const op = await provider('hang')
    await outage(op.issuer, 'HTTP_TIMEOUT', 200)
  })

  it('a misconfiguration is still thrown, neither a 401 nor a 503', async () => {
    const verifier = createBearerVerifier({
      issuerBaseURL: 'ftp://op.example.com/',
      audience: AUDIENCE,
    })
    const error = await verifier.verify('Bearer abc').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
    expect(() => verifier.failure(error)).toThrow(error as Error)
  })
})

describe('bearer scopes fail closed', () => {
  it('a route without scopes keeps the verifier-wide required scopes', async () => {
    const t = await setup()
    await t.login()
    const session = await t.session()
    const verifier = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: 'https://api.example.test',
      scopes: ['admin'],
      fetch: t.provider.fetch,
      now: () => t.clock.now,
    })
    await expect(
      verifier.verify(`Bearer ${session!.accessToken}`, { scopes: undefined }),
    ).rejects.toMatchObject({ code: 'BEARER_INSUFFICIENT_SCOPE' })
    const failure = verifier.failure(
      await verifier.verify(`Bearer ${session!.accessToken}`, {}).catch((e: unknown) => e),
    )
    expect(failure.status).toBe(403)
    expect(failure.wwwAuthenticate).toContain('scope="admin"')
  })
})

describe('a verifier that shares an engine', () => {
  it('a bearer verifier created with { engine } shares its cache and verifies the API token', async () => {
    const t = await setup()
    await t.login()
    const session = await t.session()
    const calls = t.provider.calls.length
    const bearer = createBearerVerifier({ engine: t.auth, audience: 'https://api.example.test' })
    const ok = await bearer.verify(`Bearer ${session!.accessToken}`, { scopes: ['openid'] })
    expect(ok.claims.sub).toBe('user-1')
    // Discovery and the JWKS came from the engine's cache.
    expect(t.provider.calls.length).toBe(calls)
    const denied = bearer.verify(`Bearer ${session!.accessToken}`, { scopes: ['admin'] })
    await expect(denied).rejects.toMatchObject({ code: 'BEARER_INSUFFICIENT_SCOPE' })
    const err = await denied.catch((e: unknown) => e)
    expect(bearer.failure(err, { scopes: ['admin'] })).toMatchObject({ status: 403 })
    await expect(
      bearer.verify(`Bearer ${session!.accessToken}`, { audience: 'https://other.example.test' }),
    ).rejects.toMatchObject({ code: 'BEARER_TOKEN_INVALID' })
    await expect(bearer.verify(undefined)).rejects.toMatchObject({ code: 'BEARER_TOKEN_MISSING' })
  })

  it("a route's claims check: true passes the claims it was given, names refuse with 403", async () => {
    const t = await setup()
    await t.login()
    const { accessToken } = (await t.session())!
    const bearer = createBearerVerifier({ engine: t.auth, audience: 'https://api.example.test' })
    const seen: unknown[] = []
    const ok = await bearer.verify(`Bearer ${accessToken}`, {
      claims: (claims) => {
        seen.push(claims.sub)
        return true
      },
    })
    expect(ok.claims.sub).toBe('user-1')
    expect(seen).toEqual(['user-1'])
    const denied = bearer.verify(`Bearer ${accessToken}`, { claims: () => ['org_id'] })
    await expect(denied).rejects.toMatchObject({
      code: 'BEARER_INSUFFICIENT_SCOPE',
      details: { claims: ['org_id'] },
    })
    const failure = bearer.failure(await denied.catch((e: unknown) => e))
    expect(failure).toMatchObject({ status: 403 })
    expect(failure.wwwAuthenticate).toMatch(/error="insufficient_scope"/)
  })

  it('a bearer failure answer is never made of a misconfiguration: it is thrown again', () => {
    const bearer = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: 'https://api.example.test',
    })
    const misconfigured = new ConfigurationError('the JWKS URL is not https')
    expect(() => bearer.failure(misconfigured)).toThrow(misconfigured)
    expect(bearer.failure(new OidcHybridError('BEARER_TOKEN_INVALID', 'bad'))).toMatchObject({
      status: 401,
    })
    // A verifier given where a configuration may be is used as it is (same JWKS cache).
    expect(createBearerVerifier(bearer)).toBe(bearer)
  })

  it('the engine does not carry the bearer check', async () => {
    const t = await setup()
    expect('verifyBearer' in t.auth).toBe(false)
    expect(() => createBearerVerifier({ audience: 'x' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })
})

describe('bearer verifier edges', () => {
  it('without an audience anywhere the check is a ConfigurationError', async () => {
    const t = await setup()
    const verifier = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: undefined as unknown as string,
      fetch: t.provider.fetch,
    })
    await expect(verifier.verify('Bearer abc')).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
  })

  it('a token signed by an unknown key refetches the JWKS once, then is refused', async () => {
    const t = await setup()
    const verifier = createBearerVerifier({
      issuerBaseURL: 'https://op.example.test',
      audience: 'https://api.example.test',
      fetch: t.provider.fetch,
      now: () => t.clock.now,
    })
    const stranger = await generateTestKey('RS256', 'not-published')
    const token = await signWith(
      stranger,
      {
        iss: 'https://op.example.test/',
        sub: 'user-1',
        aud: 'https://api.example.test',
        client_id: 'c',
        iat: t.clock.now,
        exp: t.clock.now + 60,
        jti: 'j',
      },
      { typ: 'at+jwt' },
    )
    await expect(verifier.verify(`Bearer ${token}`)).rejects.toMatchObject({
      code: 'BEARER_TOKEN_INVALID',
    })
    expect(t.provider.count('/.well-known/jwks.json')).toBe(2)
    const failure = verifier.failure(new Error('bug'))
    expect(failure.status).toBe(500)
    expect(JSON.parse(failure.body).error).toBe('INTERNAL_ERROR')
  })
})
