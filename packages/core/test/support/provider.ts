/**
 * A provider fixture for engine tests: signs real tokens with jose (not our code), serves
 * discovery, JWKS, token and userinfo through an injected fetch, and simulates the user at the
 * authorization endpoint by returning the form_post parameters. It can be told to misbehave.
 * The real provider (oidc-provider) is used by the adapter end-to-end tests.
 */
import { createHash, randomBytes } from 'node:crypto'
import { type CryptoKey, decodeJwt, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { type VerifiedProof, verifyProof } from './dpop.js'

type Claims = Record<string, unknown>

export interface IssuedCode {
  clientId: string
  redirectUri: string
  nonce: string
  codeChallenge: string
  scope: string
  audience?: string
  organization?: string
  sub: string
  /** When the user authenticated: stays the same across refreshes (OIDC Core 12.2). */
  authTime: number
  /** The authorization request's `dpop_jkt` (RFC 9449 10), when it had one. */
  dpopJkt?: string
}

/** A DPoP proof the fixture verified (with jose), where, and what it answered. */
export interface ReceivedProof extends VerifiedProof {
  path: string
  /** `ok`, or the error the fixture answered (`use_dpop_nonce`, `invalid_grant`, ...). */
  answer: string
}

export interface Tampering {
  /** Change front-channel ID token claims after normal construction. */
  frontChannelClaims?: (claims: Claims) => void
  /** Change token-endpoint ID token claims. */
  tokenEndpointClaims?: (claims: Claims) => void
  /** Change the form_post parameters. */
  params?: (params: URLSearchParams) => void
  /** Sign the front-channel ID token with a key the JWKS does not have. */
  foreignKey?: boolean
}

const hashes = { RS256: 'sha256', ES256: 'sha256', PS256: 'sha256', ES384: 'sha384' } as const

function halfHash(alg: keyof typeof hashes, value: string): string {
  const digest = createHash(hashes[alg]).update(value, 'ascii').digest()
  return digest.subarray(0, digest.length / 2).toString('base64url')
}

export class ProviderFixture {
  readonly issuer = 'https://op.example.test/'
  readonly clientId = 'client-1'
  readonly clientSecret = 'client-1-secret-with-enough-entropy-0123456789'
  /** The provider session id put in ID tokens as `sid` (back-channel logout), when set. */
  sid: string | undefined
  readonly alg: keyof typeof hashes
  /** The clock of the provider and (through the harness) the app: a fixed start, not the machine's. */
  now = 1_700_000_000
  /** Requests received, by path. */
  readonly calls: Array<{ path: string; body: URLSearchParams; headers: Headers }> = []
  readonly codes = new Map<string, IssuedCode>()
  readonly refreshTokens = new Map<
    string,
    {
      code: IssuedCode
      used: boolean
      scope?: string /** DPoP: bound to this key. */
      jkt?: string
    }
  >()
  tokenEndpointOverride?: () => Response
  accessTokenLifetime = 3600
  /** Providers differ (RFC 6749 6): false answers a refresh without a new refresh token. */
  rotateRefreshTokens = true
  /** `ignore`: a refresh's `scope` is ignored and the answer has no `scope` member. */
  refreshScope: 'honour' | 'ignore' = 'honour'
  /** `minimal`: token-endpoint ID tokens of refreshes carry no profile claims. */
  refreshIdTokenClaims: 'full' | 'minimal' = 'full'
  /** Claims every ID token carries besides the protocol's (the user's profile). */
  profileClaims: Record<string, unknown> = {
    name: 'Test User',
    email: 'u@example.test',
    'https://example.test/custom': 'claim',
  }
  /**
   * The APIs a refresh may get a token for (`audience`/`resource`); others are ignored and the
   * token is for the login's API, as Auth0 answers an API its refresh token policy does not
   * list. Default: any.
   */
  refreshApis?: string[]
  /** Audiences every ID token lists after the client's; `azp` is then the client. */
  extraAudiences: string[] = []
  userinfoSub?: string
  endSessionEndpoint = true
  /**
   * The revocation endpoint (RFC 7009): `on` revokes the refresh token it is given (the client
   * authenticated), `failing` answers 503, `off` is not advertised.
   */
  revocation: 'on' | 'failing' | 'off' = 'on'
  /**
   * Pushed authorization requests (RFC 9126): `on` advertises the endpoint, `required` also
   * `require_pushed_authorization_requests` and refuses any other authorization request.
   */
  par: 'off' | 'on' | 'required' = 'off'
  /** Answers the pushed authorization request endpoint instead (hostile answers). */
  parOverride?: () => Response
  /**
   * DPoP (RFC 9449), opt-in: `off` (default) knows nothing of it (a `DPoP` header and `dpop_jkt`
   * are ignored, tokens are Bearer); `on` verifies every proof with jose (tokens: `htm` POST,
   * `htu` the endpoint, no `ath`, the code's `dpop_jkt` and a refresh token's key; UserInfo: a
   * DPoP-bound token only as `Authorization: DPoP` with a proof by its key, `htm` GET and `ath`),
   * and answers `token_type` DPoP with JWT access tokens bound by `cnf.jkt`; `bearer` verifies the
   * proofs the same way but answers unbound Bearer tokens (a provider that does not bind).
   */
  dpop: 'off' | 'on' | 'bearer' = 'off'
  /** `dpop_signing_alg_values_supported`; with `dpop` `on` and unset: ES256 and EdDSA. */
  dpopSigningAlgs?: string[]
  /**
   * Server nonces (RFC 9449 8, 9), demanded at the token endpoint (400 `use_dpop_nonce`) and/or
   * UserInfo (401 `DPoP error="use_dpop_nonce"`), with `DPoP-Nonce`; `stubborn` answers every
   * proof so, with a new nonce each time.
   */
  dpopNonce: { token?: boolean; userinfo?: boolean; stubborn?: boolean } = {}
  /** The nonce a proof must carry where one is demanded. */
  currentDpopNonce = 'op-nonce-1'
  /** Every DPoP proof received whose signature verified, in order. */
  readonly dpopProofs: ReceivedProof[] = []
  /** The `jti`s seen (RFC 9449 11.1: a proof is used once). */
  private readonly dpopJtis = new Set<string>()
  /** Pushed requests by `request_uri`, each usable once. */
  readonly pushed = new Map<string, URLSearchParams>()
  private signing!: { privateKey: CryptoKey; kid: string }
  private published: JWK[] = []
  private foreign!: { privateKey: CryptoKey; kid: string }

  private constructor(alg: keyof typeof hashes) {
    this.alg = alg
  }

  static async create(alg: keyof typeof hashes = 'RS256'): Promise<ProviderFixture> {
    const fixture = new ProviderFixture(alg)
    await fixture.rotateKey()
    const foreign = await generateKeyPair(alg)
    fixture.foreign = { privateKey: foreign.privateKey, kid: 'foreign' }
    return fixture
  }

  /** Publishes a new signing key (the old one stays published unless `dropOld`). */
  async rotateKey(dropOld = false): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(this.alg, { extractable: true })
    const kid = `key-${this.published.length + 1}`
    const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: this.alg }
    this.published = dropOld ? [jwk] : [...this.published, jwk]
    this.signing = { privateKey, kid }
    return kid
  }

  metadata() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}authorize`,
      token_endpoint: `${this.issuer}oauth/token`,
      jwks_uri: `${this.issuer}.well-known/jwks.json`,
      userinfo_endpoint: `${this.issuer}userinfo`,
      ...(this.endSessionEndpoint ? { end_session_endpoint: `${this.issuer}oidc/logout` } : {}),
      ...(this.revocation === 'off' ? {} : { revocation_endpoint: `${this.issuer}oauth/revoke` }),
      ...(this.par === 'off'
        ? {}
        : {
            pushed_authorization_request_endpoint: `${this.issuer}oauth/par`,
            require_pushed_authorization_requests: this.par === 'required',
          }),
      response_types_supported: ['code', 'code id_token', 'code token', 'code id_token token'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      id_token_signing_alg_values_supported: [this.alg],
      code_challenge_methods_supported: ['S256'],
      ...(this.dpopSigningAlgs || this.dpop === 'on'
        ? { dpop_signing_alg_values_supported: this.dpopSigningAlgs ?? ['ES256', 'EdDSA'] }
        : {}),
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    }
  }

  async sign(claims: Claims, options: { foreign?: boolean; typ?: string } = {}): Promise<string> {
    const key = options.foreign ? this.foreign : this.signing
    return new SignJWT(claims)
      .setProtectedHeader({
        alg: this.alg,
        kid: key.kid,
        ...(options.typ ? { typ: options.typ } : {}),
      })
      .sign(key.privateKey)
  }

  private baseClaims(code: IssuedCode, profile = true): Claims {
    const extra = this.extraAudiences
    return {
      iss: this.issuer,
      sub: code.sub,
      aud: extra.length ? [code.clientId, ...extra] : code.clientId,
      ...(extra.length ? { azp: code.clientId } : {}),
      iat: this.now,
      exp: this.now + 600,
      nonce: code.nonce,
      auth_time: code.authTime,
      ...(code.organization ? { org_id: code.organization, org_name: 'acme' } : {}),
      ...(this.sid ? { sid: this.sid } : {}),
      ...(profile ? this.profileClaims : {}),
    }
  }

  private async accessToken(
    code: IssuedCode,
    scope: string,
    api?: string,
    jkt?: string,
  ): Promise<string> {
    return this.sign(
      {
        iss: this.issuer,
        sub: code.sub,
        aud: api ?? code.audience ?? `${this.issuer}userinfo`,
        client_id: code.clientId,
        scope,
        iat: this.now,
        exp: this.now + this.accessTokenLifetime,
        jti: randomBytes(8).toString('hex'),
        ...(jkt ? { cnf: { jkt } } : {}),
      },
      { typ: 'at+jwt' },
    )
  }

  /**
   * The user logs in at `authorizationUrl`: returns what the provider would POST to the
   * callback (form_post), built from the request's own parameters.
   */
  async authorize(
    authorizationUrl: string,
    options: { sub?: string; tamper?: Tampering } = {},
  ): Promise<URLSearchParams> {
    const url = new URL(authorizationUrl)
    let q = url.searchParams
    const requestUri = q.get('request_uri')
    if (requestUri !== null) {
      const pushed = this.pushed.get(requestUri)
      if (!pushed || q.get('client_id') !== pushed.get('client_id')) {
        throw new Error('unknown request_uri')
      }
      this.pushed.delete(requestUri)
      q = pushed
    } else if (this.par === 'required') {
      throw new Error('pushed authorization requests are required')
    }
    // A request object (RFC 9101): its claims are the request (its signature is the test's to check).
    const object = q.get('request')
    if (object !== null) {
      const claims = JSON.parse(Buffer.from(object.split('.')[1]!, 'base64url').toString())
      q = new URLSearchParams(
        Object.entries(claims).map(([name, value]) => [
          name,
          typeof value === 'string' ? value : JSON.stringify(value),
        ]),
      )
    }
    const responseType = q.get('response_type')!.split(' ').sort().join(' ')
    const code = randomBytes(16).toString('base64url')
    const issued: IssuedCode = {
      clientId: q.get('client_id')!,
      redirectUri: q.get('redirect_uri')!,
      nonce: q.get('nonce')!,
      codeChallenge: q.get('code_challenge')!,
      scope: q.get('scope')!,
      audience: q.get('audience') ?? undefined,
      organization: q.get('organization') ?? undefined,
      sub: options.sub ?? 'user-1',
      authTime: this.now - 5,
      dpopJkt: q.get('dpop_jkt') ?? undefined,
    }
    this.codes.set(code, issued)
    const params = new URLSearchParams({ code, state: q.get('state')!, iss: this.issuer })
    let frontChannelAccessToken: string | undefined
    if (responseType.includes('token')) {
      frontChannelAccessToken = await this.accessToken(issued, issued.scope)
      params.set('access_token', frontChannelAccessToken)
      params.set('token_type', 'Bearer')
      params.set('expires_in', '3600')
    }
    if (responseType.includes('id_token')) {
      const claims = this.baseClaims(issued)
      claims.c_hash = halfHash(this.alg, code)
      if (frontChannelAccessToken) claims.at_hash = halfHash(this.alg, frontChannelAccessToken)
      options.tamper?.frontChannelClaims?.(claims)
      params.set('id_token', await this.sign(claims, { foreign: options.tamper?.foreignKey }))
    }
    options.tamper?.params?.(params)
    return params
  }

  /** Tampering applied to the next token-endpoint ID token. */
  nextTokenEndpointTamper?: (claims: Claims) => void

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const body = new URLSearchParams(request.method === 'POST' ? await request.text() : '')
    this.calls.push({ path: url.pathname, body, headers: request.headers })
    const json = (value: unknown, status = 200, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(value), {
        status,
        headers: { 'content-type': 'application/json', ...headers },
      })
    switch (url.pathname) {
      case '/.well-known/openid-configuration':
        return json(this.metadata())
      case '/.well-known/jwks.json':
        return json({ keys: this.published })
      case '/oauth/token':
        if (this.tokenEndpointOverride) return this.tokenEndpointOverride()
        return this.token(request.headers, body, json)
      case '/oauth/par': {
        if (this.parOverride) return this.parOverride()
        if (this.authenticate(request.headers, body) !== this.clientId) {
          return json({ error: 'invalid_client' }, 401)
        }
        const requestUri = `urn:ietf:params:oauth:request_uri:${randomBytes(12).toString('hex')}`
        this.pushed.set(requestUri, body)
        return json({ request_uri: requestUri, expires_in: 60 }, 201)
      }
      case '/oauth/revoke':
        if (this.revocation === 'failing') return json({ error: 'temporarily_unavailable' }, 503)
        if (this.authenticate(request.headers, body) !== this.clientId) {
          return json({ error: 'invalid_client' }, 401)
        }
        this.refreshTokens.delete(body.get('token') ?? '')
        return new Response(null, { status: 200 })
      case '/userinfo': {
        const auth = request.headers.get('authorization') ?? ''
        // A DPoP-bound token is checked with its proof; any other is a Bearer token.
        const bound = await this.userinfoDpop(request.headers, auth)
        if (bound instanceof Response) return bound
        if (!bound && !auth.startsWith('Bearer ')) return json({ error: 'invalid_token' }, 401)
        return json({
          sub: this.userinfoSub ?? 'user-1',
          name: 'Test User',
          email: 'u@example.test',
        })
      }
      default:
        return new Response('not found', { status: 404 })
    }
  }

  private authenticate(headers: Headers, body: URLSearchParams): string | undefined {
    const basic = headers.get('authorization')
    if (basic?.startsWith('Basic ')) {
      const [id, secret] = atob(basic.slice(6)).split(':').map(decodeURIComponent)
      return secret === this.clientSecret ? id : undefined
    }
    if (body.get('client_secret') === this.clientSecret) return body.get('client_id') ?? undefined
    return undefined
  }

  /** The JWT access token's `cnf.jkt` (RFC 9449 6.1), when the fixture bound it. */
  private boundTo(accessToken: string): string | undefined {
    try {
      const cnf = decodeJwt(accessToken).cnf as { jkt?: unknown } | undefined
      return typeof cnf?.jkt === 'string' ? cnf.jkt : undefined
    } catch {
      return undefined
    }
  }

  /**
   * A proof at `path`, verified with jose; a used `jti` is refused, and so is a proof without the
   * demanded nonce. The proof's outcome is recorded; a string is the refusal's error.
   */
  private async checkProof(
    path: string,
    proof: string | null,
    expected: { method: string; accessToken?: string; nonce?: boolean; jkt?: string },
  ): Promise<VerifiedProof | string> {
    let verified: VerifiedProof
    try {
      verified = await verifyProof(proof, {
        method: expected.method,
        url: `${this.issuer}${path.slice(1)}`,
        now: this.now,
        accessToken: expected.accessToken,
      })
    } catch {
      return 'invalid_dpop_proof'
    }
    const jti = verified.claims.jti as string
    const record = (answer: string) => {
      this.dpopProofs.push({ ...verified, path, answer })
      return answer
    }
    if (this.dpopJtis.has(jti)) return record('invalid_dpop_proof')
    this.dpopJtis.add(jti)
    if (
      expected.nonce &&
      (this.dpopNonce.stubborn || verified.claims.nonce !== this.currentDpopNonce)
    ) {
      if (this.dpopNonce.stubborn) this.currentDpopNonce = `op-nonce-${this.dpopProofs.length + 2}`
      return record('use_dpop_nonce')
    }
    if (expected.jkt !== undefined && verified.jkt !== expected.jkt) return record('invalid_grant')
    record('ok')
    return verified
  }

  /**
   * UserInfo with a DPoP-bound token (RFC 9449 7): a refusal, true when its proof passed, false
   * when the token is not bound.
   */
  private async userinfoDpop(headers: Headers, auth: string): Promise<Response | boolean> {
    const [scheme, token = ''] = auth.split(' ')
    const jkt = this.boundTo(token)
    if (jkt === undefined) return false
    const challenge = (error: string, extra: Record<string, string> = {}) =>
      new Response(JSON.stringify({ error }), {
        status: 401,
        headers: {
          'content-type': 'application/json',
          'www-authenticate': `DPoP error="${error}", algs="ES256 EdDSA"`,
          ...extra,
        },
      })
    if (scheme !== 'DPoP') return challenge('invalid_token')
    const checked = await this.checkProof('/userinfo', headers.get('dpop'), {
      method: 'GET',
      accessToken: token,
      nonce: this.dpopNonce.userinfo,
      jkt,
    })
    if (checked === 'use_dpop_nonce') {
      return challenge(checked, { 'dpop-nonce': this.currentDpopNonce })
    }
    if (typeof checked === 'string') {
      return challenge(checked === 'invalid_grant' ? 'invalid_token' : checked)
    }
    return true
  }

  /**
   * DPoP at the token endpoint: the key the tokens are bound to (undefined: unbound), or the
   * refusal. `required`: the key the code (`dpop_jkt`) or refresh token is bound to.
   */
  private async tokenDpop(
    headers: Headers,
    required: string | undefined,
    json: (value: unknown, status?: number, headers?: Record<string, string>) => Response,
  ): Promise<{ jkt?: string } | Response> {
    if (this.dpop === 'off') return {}
    const proof = headers.get('dpop')
    if (proof === null) {
      // RFC 9449 10: a code bound by dpop_jkt is exchanged with a proof by that key only.
      return required === undefined
        ? {}
        : json({ error: 'invalid_grant', error_description: 'no DPoP proof' }, 400)
    }
    const checked = await this.checkProof('/oauth/token', proof, {
      method: 'POST',
      nonce: this.dpopNonce.token,
      jkt: required,
    })
    if (checked === 'use_dpop_nonce') {
      return json({ error: checked }, 400, { 'dpop-nonce': this.currentDpopNonce })
    }
    if (typeof checked === 'string') return json({ error: checked }, 400)
    return { jkt: this.dpop === 'on' ? checked.jkt : undefined }
  }

  private async token(
    headers: Headers,
    body: URLSearchParams,
    json: (value: unknown, status?: number, headers?: Record<string, string>) => Response,
  ): Promise<Response> {
    const clientId = this.authenticate(headers, body)
    if (clientId !== this.clientId) return json({ error: 'invalid_client' }, 401)
    let issued: IssuedCode
    let scope: string
    let refreshing: { code: IssuedCode; scope?: string } | undefined
    let dpop: { jkt?: string } | Response
    if (body.get('grant_type') === 'authorization_code') {
      const code = this.codes.get(body.get('code') ?? '')
      if (!code) return json({ error: 'invalid_grant', error_description: 'unknown code' }, 400)
      // Used at once (no await before: concurrent exchanges race for it), and given back when
      // the DPoP proof is refused: a nonce retry exchanges it again.
      this.codes.delete(body.get('code')!)
      dpop = await this.tokenDpop(headers, code.dpopJkt, json)
      if (dpop instanceof Response) {
        this.codes.set(body.get('code')!, code)
        return dpop
      }
      const challenge = createHash('sha256')
        .update(body.get('code_verifier') ?? '')
        .digest('base64url')
      if (challenge !== code.codeChallenge || body.get('redirect_uri') !== code.redirectUri) {
        return json({ error: 'invalid_grant', error_description: 'PKCE or redirect_uri' }, 400)
      }
      issued = code
      scope = code.scope
    } else if (body.get('grant_type') === 'refresh_token') {
      const entry = this.refreshTokens.get(body.get('refresh_token') ?? '')
      if (!entry || entry.used) {
        return json(
          { error: 'invalid_grant', error_description: 'refresh token reused or unknown' },
          400,
        )
      }
      // Used at once, as the code; unused again when the DPoP proof is refused.
      if (this.rotateRefreshTokens) entry.used = true
      dpop = await this.tokenDpop(headers, entry.jkt, json)
      if (dpop instanceof Response) {
        entry.used = false
        return dpop
      }
      issued = entry.code
      scope =
        (this.refreshScope === 'honour' && body.get('scope')) || entry.scope || entry.code.scope
      refreshing = entry
    } else {
      return json({ error: 'unsupported_grant_type' }, 400)
    }
    // A token for another API (Auth0's multi-resource refresh tokens, RFC 8707): `audience` or
    // `resource` on a refresh names it.
    const asked = refreshing
      ? (body.get('audience') ?? body.get('resource') ?? undefined)
      : undefined
    const api = asked && (this.refreshApis?.includes(asked) ?? true) ? asked : undefined
    const accessToken = await this.accessToken(issued, scope, api, dpop.jkt)
    const claims = this.baseClaims(issued, !refreshing || this.refreshIdTokenClaims === 'full')
    claims.at_hash = halfHash(this.alg, accessToken)
    this.nextTokenEndpointTamper?.(claims)
    this.nextTokenEndpointTamper = undefined
    const response: Record<string, unknown> = {
      access_token: accessToken,
      token_type: dpop.jkt ? 'DPoP' : 'Bearer',
      expires_in: this.accessTokenLifetime,
      ...(refreshing && this.refreshScope === 'ignore' ? {} : { scope }),
      id_token: await this.sign(claims),
    }
    if (refreshing && !this.rotateRefreshTokens) {
      // The old refresh token stays valid; the answer carries none (RFC 6749 6).
    } else if (issued.scope.split(' ').includes('offline_access')) {
      const refreshToken = randomBytes(16).toString('base64url')
      this.refreshTokens.set(refreshToken, { code: issued, used: false, jkt: dpop.jkt })
      response.refresh_token = refreshToken
    }
    return json(response)
  }

  /** How many calls reached `path`. */
  count(path: string): number {
    return this.calls.filter((call) => call.path === path).length
  }
}
