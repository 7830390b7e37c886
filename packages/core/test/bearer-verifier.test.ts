/**
 * The bearer verifier's answers (`failure()`, what every adapter copies out) against a tiny
 * provider on 127.0.0.1: another scheme is a bare 401 without a provider call, a lowercase
 * `bearer` still verifies, and a provider outage (closed port, JWKS answering 500, no answer in
 * time) is a 503 with Retry-After and no `invalid_token`, never a 401.
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createBearerVerifier } from '../src/engine/bearer-verifier.js'
import { generateTestKey, jwksOf, signWith, type TestKeyPair } from './support/jwt.js'

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

async function accessToken(issuer: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return signWith(
    key,
    { iss: issuer, sub: 'user-1', aud: AUDIENCE, iat: now, exp: now + 600, scope: 'read' },
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
    })
    const error = await verifier.verify('Basic dXNlcjpwYXNz').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'BEARER_TOKEN_MISSING' })
    const failure = verifier.failure(error, { scopes: ['read'] })
    expect(failure.status).toBe(401)
    expect(failure.wwwAuthenticate).toBe('Bearer realm="api"')
    expect(failure.headers).toEqual({
      'www-authenticate': 'Bearer realm="api"',
      'cache-control': 'no-store',
      'content-type': 'application/json',
    })
    expect(JSON.parse(failure.body)).toMatchObject({ error: 'BEARER_TOKEN_MISSING' })
    expect(op.paths).toEqual([])
  })

  it('a lowercase bearer scheme is still Bearer: the token verifies', async () => {
    const op = await provider('ok')
    const verifier = createBearerVerifier({ issuerBaseURL: op.issuer, audience: AUDIENCE })
    const verified = await verifier.verify(`bearer ${await accessToken(op.issuer)}`)
    expect(verified.claims.sub).toBe('user-1')
  })
})

describe('a provider outage on a bearer route', () => {
  const expected503 = {
    status: 503,
    wwwAuthenticate: 'Bearer realm="api"',
    headers: {
      'www-authenticate': 'Bearer realm="api"',
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
