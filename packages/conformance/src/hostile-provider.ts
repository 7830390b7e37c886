/**
 * A hostile OpenID Provider for the conformance suite. It serves discovery, JWKS, token and
 * userinfo over HTTP on 127.0.0.1 and signs real tokens with jose (never with our code), and each
 * case can make it send what a certified provider never would: bad claims, bad hashes, foreign
 * keys, `alg: none`, broken token responses, slow answers. The real provider (oidc-provider) is
 * used by the adapters' own end-to-end tests; this one exists for the cases it will not produce.
 */
import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

export type Claims = Record<string, unknown>

export interface SigningOptions {
  /** Leave `kid` out of the header. */
  noKid?: boolean
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean
  /** `alg: none`, empty signature. */
  none?: boolean
  /** HS256 with the client secret. */
  hs256?: boolean
  /** Flip a byte of the signature. */
  badSignature?: boolean
  /** Extra protected header members. */
  header?: Record<string, unknown>
}

/** What a case changes; every hook is optional. */
export interface Misbehaviour {
  frontChannelClaims?: (claims: Claims) => void
  frontChannelSigning?: SigningOptions
  params?: (params: URLSearchParams, issuer: string) => void
  tokenEndpointClaims?: (claims: Claims) => void
  tokenEndpointSigning?: SigningOptions
  tokenResponse?: (body: Record<string, unknown>) => void
  /** Replace the token endpoint's answer entirely. */
  tokenEndpoint?: (request: {
    body: URLSearchParams
    headers: IncomingMessage['headers']
  }) => RawResponse | Promise<RawResponse>
  refreshClaims?: (claims: Claims) => void
  /** false: a refresh answers without a new refresh token and the old one stays valid (RFC 6749 6). */
  rotateRefreshTokens?: false
  userinfo?: (claims: Claims) => void
  /** Publish several keys, all without kid (rp-id_token-kid-absent-multiple-jwks). */
  extraJwksKeys?: number
  /** Rotate the signing key after the JWKS was first fetched (rp-key-rotation-op-sign-key). */
  rotateKeyBeforeCallback?: boolean
  /** Require client_secret_basic at the token endpoint (rp-token_endpoint-client_secret_basic). */
  requireBasicAuth?: boolean
  /** Refuse userinfo requests that carry the token anywhere but the header. */
  requireBearerHeader?: boolean
}

export interface RawResponse {
  status: number
  headers?: Record<string, string>
  body: string
  /** Milliseconds to wait before answering. */
  delay?: number
}

interface IssuedCode {
  clientId: string
  redirectUri: string
  nonce: string
  codeChallenge: string
  scope: string
  sub: string
  authTime: number
}

interface SigningKey {
  privateKey: CryptoKey
  jwk: JWK
  kid: string
}

const HASH = 'sha256'

function halfHash(value: string): string {
  const digest = createHash(HASH).update(value, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

export class HostileProvider {
  readonly clientId = 'conformance-client'
  readonly clientSecret = 'conformance-client-secret-0123456789abcdef'
  misbehaviour: Misbehaviour = {}
  /** Requests that reached each path, in order. */
  readonly calls: Array<{
    path: string
    method: string
    query: string
    body: string
    headers: IncomingMessage['headers']
  }> = []
  issuer = ''
  private server?: Server
  private signing!: SigningKey
  private base!: SigningKey
  private published: JWK[] = []
  private foreign!: SigningKey
  private readonly codes = new Map<string, IssuedCode>()
  private readonly refreshTokens = new Map<string, IssuedCode>()

  static async start(): Promise<HostileProvider> {
    const provider = new HostileProvider()
    provider.base = await provider.newKey('k1')
    provider.signing = provider.base
    provider.foreign = await provider.newKey('k1')
    provider.published = [provider.signing.jwk]
    provider.server = createServer((request, response) => {
      provider.handle(request, response).catch((error: unknown) => {
        response.statusCode = 500
        response.end(String(error))
      })
    })
    provider.server.listen(0, '127.0.0.1')
    await once(provider.server, 'listening')
    const { port } = provider.server.address() as AddressInfo
    provider.issuer = `http://127.0.0.1:${port}/`
    return provider
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  /** Starts a case: forgets earlier calls and misbehaviour, publishes the base key again. */
  async reset(misbehaviour: Misbehaviour = {}): Promise<void> {
    this.misbehaviour = misbehaviour
    this.calls.length = 0
    this.signing = this.base
    this.published = [this.signing.jwk]
    for (let i = 0; i < (misbehaviour.extraJwksKeys ?? 0); i++) {
      this.published.push((await this.newKey(`extra-${i}`)).jwk)
    }
    if (misbehaviour.extraJwksKeys !== undefined || misbehaviour.frontChannelSigning?.noKid) {
      // kid-absent cases: publish the keys without kid.
      this.published = this.published.map(({ kid: _kid, ...jwk }) => jwk)
    }
  }

  count(path: string, grantType?: string): number {
    return this.calls.filter(
      (call) =>
        call.path === path &&
        (grantType === undefined || new URLSearchParams(call.body).get('grant_type') === grantType),
    ).length
  }

  /** Rotates the signing key; the old one disappears from the JWKS. */
  async rotate(): Promise<void> {
    this.signing = await this.newKey(`rotated-${randomBytes(4).toString('hex')}`)
    this.published = [this.signing.jwk]
  }

  private async newKey(kid: string): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
    return {
      privateKey,
      kid,
      jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' },
    }
  }

  async sign(claims: Claims, options: SigningOptions = {}): Promise<string> {
    if (options.none) {
      const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
      return `${segment({ alg: 'none', ...options.header })}.${segment(claims)}.`
    }
    if (options.hs256) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', ...options.header })
        .sign(new TextEncoder().encode(this.clientSecret))
    }
    const key = options.foreignKey ? this.foreign : this.signing
    const header = { alg: 'RS256', ...(options.noKid ? {} : { kid: key.kid }), ...options.header }
    const token = await new SignJWT(claims).setProtectedHeader(header).sign(key.privateKey)
    if (!options.badSignature) return token
    const [h, p, s] = token.split('.')
    const bytes = Buffer.from(s!, 'base64url')
    bytes[10] = bytes[10]! ^ 0xff
    return `${h}.${p}.${bytes.toString('base64url')}`
  }

  private idTokenClaims(code: IssuedCode, now: number): Claims {
    return {
      iss: this.issuer,
      sub: code.sub,
      aud: code.clientId,
      iat: now,
      exp: now + 600,
      nonce: code.nonce,
      auth_time: code.authTime,
      name: 'Conformance User',
    }
  }

  /**
   * The user "logs in" at the authorization URL: returns what the provider would form_post to
   * the callback, after the case's misbehaviour.
   */
  async authorize(authorizationUrl: string, sub = 'conformance-user'): Promise<URLSearchParams> {
    const url = new URL(authorizationUrl)
    const q = url.searchParams
    this.calls.push({ path: url.pathname, method: 'GET', query: url.search, body: '', headers: {} })
    const now = Math.floor(Date.now() / 1000)
    const responseType = (q.get('response_type') ?? '').split(' ')
    const code = randomBytes(16).toString('base64url')
    const issued: IssuedCode = {
      clientId: q.get('client_id') ?? '',
      redirectUri: q.get('redirect_uri') ?? '',
      nonce: q.get('nonce') ?? '',
      codeChallenge: q.get('code_challenge') ?? '',
      scope: q.get('scope') ?? '',
      sub,
      authTime: now - 5,
    }
    this.codes.set(code, issued)
    const params = new URLSearchParams({ code, state: q.get('state') ?? '' })
    let accessToken: string | undefined
    if (responseType.includes('token')) {
      accessToken = randomBytes(24).toString('base64url')
      params.set('access_token', accessToken)
      params.set('token_type', 'Bearer')
      params.set('expires_in', '3600')
    }
    if (responseType.includes('id_token')) {
      const claims = this.idTokenClaims(issued, now)
      claims.c_hash = halfHash(code)
      if (accessToken) claims.at_hash = halfHash(accessToken)
      this.misbehaviour.frontChannelClaims?.(claims)
      params.set('id_token', await this.sign(claims, this.misbehaviour.frontChannelSigning))
    } else {
      // RFC 9207: without an ID token the issuer comes as a parameter.
      params.set('iss', this.issuer)
    }
    this.misbehaviour.params?.(params, this.issuer)
    if (this.misbehaviour.rotateKeyBeforeCallback) await this.rotate()
    return params
  }

  private metadata() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}authorize`,
      token_endpoint: `${this.issuer}token`,
      jwks_uri: `${this.issuer}jwks`,
      userinfo_endpoint: `${this.issuer}userinfo`,
      end_session_endpoint: `${this.issuer}logout`,
      response_types_supported: ['code id_token', 'code token', 'code id_token token'],
      response_modes_supported: ['form_post'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      authorization_response_iss_parameter_supported: true,
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.issuer)
    let body = ''
    for await (const chunk of request) body += chunk
    this.calls.push({
      path: url.pathname,
      method: request.method ?? '',
      query: url.search,
      body,
      headers: request.headers,
    })
    const answer = await this.route(url, new URLSearchParams(body), request.headers)
    if (answer.delay) await new Promise((resolve) => setTimeout(resolve, answer.delay))
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
    response.end(answer.body)
  }

  private json(value: unknown, status = 200): RawResponse {
    return { status, body: JSON.stringify(value) }
  }

  private async route(
    url: URL,
    body: URLSearchParams,
    headers: IncomingMessage['headers'],
  ): Promise<RawResponse> {
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return this.json(this.metadata())
      case '/jwks':
        return this.json({ keys: this.published })
      case '/token':
        if (this.misbehaviour.tokenEndpoint)
          return this.misbehaviour.tokenEndpoint({ body, headers })
        return this.token(body, headers)
      case '/userinfo': {
        const auth = headers.authorization ?? ''
        if (
          this.misbehaviour.requireBearerHeader &&
          (url.search.includes('access_token') || body.has('access_token'))
        ) {
          return this.json({ error: 'invalid_request' }, 400)
        }
        if (!auth.startsWith('Bearer ')) return this.json({ error: 'invalid_token' }, 401)
        const claims: Claims = {
          sub: 'conformance-user',
          name: 'Conformance User',
          email: 'c@example.test',
        }
        this.misbehaviour.userinfo?.(claims)
        return this.json(claims)
      }
      default:
        return this.json({ error: 'not_found' }, 404)
    }
  }

  private async token(
    body: URLSearchParams,
    headers: IncomingMessage['headers'],
  ): Promise<RawResponse> {
    const basic = headers.authorization?.startsWith('Basic ')
      ? Buffer.from(headers.authorization.slice(6), 'base64')
          .toString()
          .split(':')
          .map(decodeURIComponent)
      : undefined
    const authenticated = basic
      ? basic[0] === this.clientId && basic[1] === this.clientSecret
      : !this.misbehaviour.requireBasicAuth &&
        body.get('client_id') === this.clientId &&
        body.get('client_secret') === this.clientSecret
    if (!authenticated) return this.json({ error: 'invalid_client' }, 401)
    const now = Math.floor(Date.now() / 1000)
    let issued: IssuedCode | undefined
    let refreshing = false
    if (body.get('grant_type') === 'authorization_code') {
      issued = this.codes.get(body.get('code') ?? '')
      this.codes.delete(body.get('code') ?? '')
      const challenge = createHash('sha256')
        .update(body.get('code_verifier') ?? '')
        .digest('base64url')
      if (
        !issued ||
        challenge !== issued.codeChallenge ||
        body.get('redirect_uri') !== issued.redirectUri
      ) {
        return this.json({ error: 'invalid_grant' }, 400)
      }
    } else if (body.get('grant_type') === 'refresh_token') {
      issued = this.refreshTokens.get(body.get('refresh_token') ?? '')
      if (this.misbehaviour.rotateRefreshTokens !== false) {
        this.refreshTokens.delete(body.get('refresh_token') ?? '')
      }
      if (!issued) return this.json({ error: 'invalid_grant' }, 400)
      refreshing = true
    } else {
      return this.json({ error: 'unsupported_grant_type' }, 400)
    }
    const accessToken = randomBytes(24).toString('base64url')
    const rotate = !refreshing || this.misbehaviour.rotateRefreshTokens !== false
    const refreshToken = rotate ? randomBytes(24).toString('base64url') : undefined
    if (refreshToken) this.refreshTokens.set(refreshToken, issued)
    const claims = this.idTokenClaims(issued, now)
    claims.at_hash = halfHash(accessToken)
    if (refreshing) this.misbehaviour.refreshClaims?.(claims)
    else this.misbehaviour.tokenEndpointClaims?.(claims)
    const response: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: 3600,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      scope: issued.scope,
      id_token: await this.sign(
        claims,
        refreshing ? undefined : this.misbehaviour.tokenEndpointSigning,
      ),
    }
    this.misbehaviour.tokenResponse?.(response)
    return this.json(response)
  }
}
