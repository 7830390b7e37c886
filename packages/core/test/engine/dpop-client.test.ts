// DPoP for the relying party (RFC 9449) as the dpop() extension, against the provider fixture in
// its DPoP mode (every proof verified with jose) and a resource server written here: dpop_jkt on
// the login, proofs on the code exchange, refreshes, UserInfo and fetchWithAccessToken, the token
// type the provider must answer, server nonces (one retry, remembered per origin), the algorithms,
// sessions from before the extension, and the signer and nonce test on their own.
import { createPrivateKey, sign as nodeSign } from 'node:crypto'
import { decodeJwt, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import { apiTokens } from '../../src/engine/api-tokens.js'
import type { HybridAuthConfig } from '../../src/engine/config.js'
import {
  asksForNonce,
  DpopProofSigner,
  dpop,
  generateDpopKey,
} from '../../src/engine/dpop-client.js'
import { createHybridAuth } from '../../src/engine/hybrid-auth.js'
import { pushedAuthorization, signedRequests } from '../../src/engine/par.js'
import type { RequestSession } from '../../src/engine/request-session.js'
import { CookieSealer } from '../../src/engine/seal.js'
import type { Extension } from '../../src/engine/types.js'
import { ConfigurationError } from '../../src/errors.js'
import { athOf, thumbprintOf, type VerifiedProof, verifyProof } from '../support/dpop.js'
import {
  baseConfig,
  type Harness,
  SECRET,
  SESSION_COOKIE,
  setup,
  TX_COOKIE,
  withSession,
} from '../support/harness.js'

const API = 'https://api.example.test'
const TOKEN_ENDPOINT = 'https://op.example.test/oauth/token'
const USERINFO = 'https://op.example.test/userinfo'

interface ApiCall {
  method: string
  url: string
  headers: Headers
  body: string
  proof?: VerifiedProof
  /** Why the proof was refused, when it was. */
  refused?: string
}

/**
 * A resource server (RFC 9449 7): a `DPoP` token needs a proof (jose) by the key its `cnf.jkt`
 * names, with this request's `htm`, `htu` and `ath`; `nonce` `once` demands its nonce until a
 * proof carries it, `always` answers every DPoP request with a new one (401 `use_dpop_nonce`).
 */
class ResourceServer {
  readonly calls: ApiCall[] = []
  nonce: 'never' | 'once' | 'always' = 'never'
  current = 'api-nonce-1'

  constructor(private readonly now: () => number) {}

  readonly handle = async (request: Request): Promise<Response> => {
    const call: ApiCall = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: await request.text(),
    }
    this.calls.push(call)
    const [scheme, token = ''] = (request.headers.get('authorization') ?? '').split(' ')
    if (scheme === 'DPoP') {
      const challenge = (error: string, extra: Record<string, string> = {}) => {
        call.refused = error
        return new Response(null, {
          status: 401,
          headers: { 'www-authenticate': `DPoP error="${error}"`, ...extra },
        })
      }
      try {
        call.proof = await verifyProof(request.headers.get('dpop'), {
          method: request.method,
          url: request.url,
          now: this.now(),
          accessToken: token,
        })
      } catch (error) {
        return challenge(`invalid_dpop_proof: ${(error as Error).message}`)
      }
      const cnf = decodeJwt(token).cnf as { jkt?: string } | undefined
      if (cnf?.jkt !== call.proof.jkt) return challenge('invalid_token')
      if (
        this.nonce === 'always' ||
        (this.nonce === 'once' && call.proof.claims.nonce !== this.current)
      ) {
        if (this.nonce === 'always') this.current = `api-nonce-${this.calls.length + 1}`
        return challenge('use_dpop_nonce', { 'dpop-nonce': this.current })
      }
    } else if (scheme !== 'Bearer') {
      return new Response(null, { status: 401 })
    }
    return Response.json({ scheme, body: call.body })
  }
}

/**
 * The harness with `extensions` (dpop() by default), the provider fixture's DPoP `on`, and a
 * resource server at API behind the same configured `fetch`.
 */
async function dpopSetup(
  extensions: Extension[] = [dpop()],
  overrides: Partial<HybridAuthConfig> = {},
) {
  let t!: Harness
  const api = new ResourceServer(() => t.clock.now)
  const fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init)
    return new URL(request.url).origin === API ? api.handle(request) : t.provider.fetch(request)
  }
  t = await setup({ extensions, fetch, ...overrides })
  t.provider.dpop = 'on'
  return Object.assign(t, { api, fetch })
}

/** The DPoP proof a call to the provider carried, verified here with jose. */
function proofAt(
  call: { headers: Headers } | undefined,
  expected: { method: string; url: string; now: number; accessToken?: string },
): Promise<VerifiedProof> {
  return verifyProof(call?.headers.get('dpop'), expected)
}

const calls = (t: Harness, path: string) => t.provider.calls.filter((call) => call.path === path)

describe('dpop(): login', () => {
  it('sends dpop_jkt, the thumbprint of a new key per login, and no key material in the URL', async () => {
    const t = await dpopSetup()
    const { start, callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const url = new URL(start.headers.get('location')!)
    const session = (await t.session())!
    const key = session.dpop!
    expect(url.searchParams.get('dpop_jkt')).toBe(await thumbprintOf(key))
    // Only the thumbprint travels: no member of the key, in any parameter.
    for (const member of [key.d, key.x, key.y]) {
      expect(member).toBeTruthy()
      expect(start.headers.get('location')).not.toContain(member)
    }
    expect([...url.searchParams.keys()].filter((name) => /dpop/i.test(name))).toEqual(['dpop_jkt'])
    // Another login, another key.
    const again = new URL((await t.startLogin()).headers.get('location')!)
    expect(again.searchParams.get('dpop_jkt')).toMatch(/^[\w-]{43}$/)
    expect(again.searchParams.get('dpop_jkt')).not.toBe(url.searchParams.get('dpop_jkt'))
  })

  it('the transaction cookie keeps the private key, sealed: the callback proves possession of it', async () => {
    const t = await dpopSetup()
    const { start, params } = await t.beginLogin()
    const jkt = new URL(start.headers.get('location')!).searchParams.get('dpop_jkt')
    const [name] = t.jar.names(TX_COOKIE)
    const sealed = t.jar.cookies.get(name!)!
    // The key is inside, opened only with the cookie secret; no part of the raw value shows it.
    const sealer = await CookieSealer.create(SECRET, new WebCryptoProvider())
    const opened = await sealer.unseal<{ dpop?: JsonWebKey }>(name!, sealed)
    const transactionKey = opened.payload.dpop!
    expect(transactionKey.d).toMatch(/^[\w-]{43}$/)
    const raw = sealed
      .split('.')
      .map((part) => Buffer.from(part, 'base64url').toString('latin1'))
      .join('\n')
    expect(raw).not.toContain(transactionKey.d)
    expect(raw).not.toContain('"kty"')
    const callback = await t.postCallback(params)
    expect(callback.error).toBeUndefined()
    // The code exchange was signed by the key whose thumbprint the login sent.
    const [exchange] = t.provider.dpopProofs
    expect(exchange).toMatchObject({ path: '/oauth/token', answer: 'ok', jkt })
    // The session keeps that same key.
    expect((await t.session())!.dpop).toEqual(transactionKey)
  })

  it.each([
    ['dpop() first', () => [dpop(), pushedAuthorization()]],
    ['pushedAuthorization() first', () => [pushedAuthorization(), dpop()]],
  ])('with pushedAuthorization (%s) dpop_jkt is pushed', async (_order, extensions) => {
    const t = await dpopSetup(extensions())
    t.provider.par = 'on'
    const { start, callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const location = new URL(start.headers.get('location')!)
    expect([...location.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    const [push] = calls(t, '/oauth/par')
    const session = (await t.session())!
    expect(push!.body.get('dpop_jkt')).toBe(await thumbprintOf(session.dpop!))
    expect(session.tokenType).toBe('DPoP')
  })

  it('with signedRequests() dpop_jkt is a claim of the signed request object', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const key = { ...(await exportJWK(privateKey)), kid: 'rp-1' }
    const t = await dpopSetup([dpop(), signedRequests({ key })])
    const { start, callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const location = new URL(start.headers.get('location')!)
    expect(location.searchParams.get('dpop_jkt')).toBeNull()
    const claims = decodeJwt(location.searchParams.get('request')!)
    expect(claims.dpop_jkt).toBe(await thumbprintOf((await t.session())!.dpop!))
  })

  it('a silent login (prompt=none) and a step-up login carry dpop_jkt too', async () => {
    const t = await dpopSetup([dpop()])
    const silent = new URL((await t.startLogin('/login?prompt=none')).headers.get('location')!)
    expect(silent.searchParams.get('prompt')).toBe('none')
    expect(silent.searchParams.get('dpop_jkt')).toMatch(/^[\w-]{43}$/)
    const stepUp = await t.auth.login(t.request('GET', '/login'), {
      authorizationParams: { acr_values: 'urn:mace:incommon:iap:silver', max_age: 0 },
    })
    const location = new URL(stepUp.headers.get('location')!)
    expect(location.searchParams.get('acr_values')).toBe('urn:mace:incommon:iap:silver')
    expect(location.searchParams.get('dpop_jkt')).toMatch(/^[\w-]{43}$/)
  })
})

describe('dpop(): the callback', () => {
  it('exchanges the code with a proof (POST, the token endpoint, no ath); the session is DPoP with the private key', async () => {
    const t = await dpopSetup()
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const [exchange] = calls(t, '/oauth/token')
    const proof = await proofAt(exchange, { method: 'POST', url: TOKEN_ENDPOINT, now: t.clock.now })
    expect(proof.header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
    expect(proof.claims.nonce).toBeUndefined()
    expect(proof.claims.ath).toBeUndefined()
    const session = (await t.session())!
    expect(session.tokenType).toBe('DPoP')
    expect(session.dpop).toMatchObject({ kty: 'EC', crv: 'P-256' })
    expect(session.dpop!.d).toMatch(/^[\w-]{43}$/)
    expect(proof.jkt).toBe(await thumbprintOf(session.dpop!))
    // The access token is bound to that key (cnf.jkt).
    expect(decodeJwt(session.accessToken).cnf).toEqual({ jkt: proof.jkt })
    expect(t.jar.names(SESSION_COOKIE)).not.toEqual([])
  })

  it.each([
    ['ignores DPoP', 'off'],
    ['verifies the proof but does not bind', 'bearer'],
  ] as const)(
    'a provider that %s answers Bearer: TOKEN_RESPONSE_INVALID, no session',
    async (_name, mode) => {
      const t = await dpopSetup()
      t.provider.dpop = mode
      const { callback } = await t.login()
      expect(callback.error?.code).toBe('TOKEN_RESPONSE_INVALID')
      expect(callback.error?.message).toMatch(/DPoP/)
      expect(callback.status).toBe(502)
      expect(t.jar.names(SESSION_COOKIE)).toEqual([])
      expect(await t.session()).toBeUndefined()
    },
  )

  it('a nonce demanded by the token endpoint: one retry with it, the login completes', async () => {
    const t = await dpopSetup()
    t.provider.dpopNonce.token = true
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const exchanges = calls(t, '/oauth/token')
    expect(exchanges).toHaveLength(2)
    const expected = { method: 'POST', url: TOKEN_ENDPOINT, now: t.clock.now }
    const [first, second] = await Promise.all(exchanges.map((call) => proofAt(call, expected)))
    expect(first!.claims.nonce).toBeUndefined()
    expect(second!.claims.nonce).toBe('op-nonce-1')
    expect(second!.claims.jti).not.toBe(first!.claims.jti)
    expect(t.provider.dpopProofs.map((proof) => proof.answer)).toEqual(['use_dpop_nonce', 'ok'])
    expect((await t.session())?.tokenType).toBe('DPoP')
  })

  it('a provider that keeps asking for a nonce: no third call, TOKEN_ENDPOINT_ERROR use_dpop_nonce', async () => {
    const t = await dpopSetup()
    t.provider.dpopNonce = { token: true, stubborn: true }
    const { callback } = await t.login()
    expect(t.provider.count('/oauth/token')).toBe(2)
    expect(callback.error).toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR', error: 'use_dpop_nonce' })
    expect(t.jar.names(SESSION_COOKIE)).toEqual([])
  })
})

describe('dpop(): refresh', () => {
  it("proves possession of the session's key; the new token is DPoP-bound to it", async () => {
    const t = await dpopSetup()
    await t.login()
    const before = (await t.session())!
    t.clock.now += 60
    const refreshed = await t.inRequest((s) => s.refresh())
    const [, refresh] = calls(t, '/oauth/token')
    expect(refresh!.body.get('grant_type')).toBe('refresh_token')
    const proof = await proofAt(refresh, { method: 'POST', url: TOKEN_ENDPOINT, now: t.clock.now })
    expect(proof.jkt).toBe(await thumbprintOf(before.dpop!))
    expect(refreshed.tokenType).toBe('DPoP')
    expect(refreshed.accessToken).not.toBe(before.accessToken)
    expect(decodeJwt(refreshed.accessToken).cnf).toEqual({ jkt: proof.jkt })
    const stored = (await t.session())!
    expect(stored).toMatchObject({ tokenType: 'DPoP', accessToken: refreshed.accessToken })
    expect(stored.dpop).toEqual(before.dpop)
  })

  it("uses the code exchange's nonce at once (one call), and keeps nonces per origin", async () => {
    const t = await dpopSetup()
    t.provider.dpopNonce.token = true
    await t.login()
    expect(t.provider.count('/oauth/token')).toBe(2)
    await t.inRequest((s) => s.refresh())
    expect(t.provider.count('/oauth/token')).toBe(3)
    expect(t.provider.dpopProofs.at(-1)).toMatchObject({
      answer: 'ok',
      claims: { nonce: 'op-nonce-1' },
    })
    // The provider's nonce is not sent to the API, nor the API's to the provider.
    t.api.nonce = 'once'
    const answer = await t.inRequest((s) => s.fetchWithAccessToken(`${API}/orders`))
    expect(answer.status).toBe(200)
    expect(t.api.calls.map((call) => call.proof?.claims.nonce)).toEqual([undefined, 'api-nonce-1'])
    await t.inRequest((s) => s.refresh())
    expect(t.provider.count('/oauth/token')).toBe(4)
    expect(t.provider.dpopProofs.at(-1)).toMatchObject({
      answer: 'ok',
      claims: { nonce: 'op-nonce-1' },
    })
  })
})

describe('dpop(): UserInfo', () => {
  it('sends Authorization: DPoP with a proof (GET, the endpoint, ath) by the session key', async () => {
    const t = await dpopSetup()
    await t.login()
    const session = (await t.session())!
    const { value: claims } = await t.read((s) => s.fetchUserinfo())
    expect(claims.sub).toBe('user-1')
    const [call] = calls(t, '/userinfo')
    expect(call!.headers.get('authorization')).toBe(`DPoP ${session.accessToken}`)
    const proof = await proofAt(call, {
      method: 'GET',
      url: USERINFO,
      now: t.clock.now,
      accessToken: session.accessToken,
    })
    expect(proof.claims.ath).toBe(athOf(session.accessToken))
    expect(proof.jkt).toBe(await thumbprintOf(session.dpop!))
  })

  it('a 401 use_dpop_nonce challenge is retried once with the nonce', async () => {
    const t = await dpopSetup()
    t.provider.dpopNonce.userinfo = true
    await t.login()
    const { value: claims } = await t.read((s) => s.fetchUserinfo())
    expect(claims.sub).toBe('user-1')
    const userinfo = t.provider.dpopProofs.filter((proof) => proof.path === '/userinfo')
    expect(userinfo.map((proof) => [proof.answer, proof.claims.nonce])).toEqual([
      ['use_dpop_nonce', undefined],
      ['ok', 'op-nonce-1'],
    ])
    // A provider that asks every time gets one retry only.
    t.provider.dpopNonce.stubborn = true
    const before = t.provider.count('/userinfo')
    await expect(t.read((s) => s.fetchUserinfo())).rejects.toMatchObject({
      code: 'USERINFO_ERROR',
    })
    expect(t.provider.count('/userinfo')).toBe(before + 2)
  })
})

describe('dpop(): fetchWithAccessToken', () => {
  it('sends Authorization: DPoP with a proof of that request (htm, htu without the query, ath) through the configured fetch', async () => {
    const t = await dpopSetup()
    await t.login()
    const session = (await t.session())!
    const answer = await t.inRequest((s) =>
      s.fetchWithAccessToken(`${API}/orders?page=2&sort=asc`, { method: 'DELETE' }),
    )
    expect(answer.status).toBe(200)
    const [call] = t.api.calls
    expect(call!.refused).toBeUndefined()
    expect(call!.headers.get('authorization')).toBe(`DPoP ${session.accessToken}`)
    expect(call!.proof!.claims).toMatchObject({
      htm: 'DELETE',
      htu: `${API}/orders`,
      ath: athOf(session.accessToken),
    })
    expect(call!.proof!.jkt).toBe(await thumbprintOf(session.dpop!))
  })

  it('a 401 use_dpop_nonce is retried once, with the nonce and the same body', async () => {
    const t = await dpopSetup()
    await t.login()
    t.api.nonce = 'once'
    const body = JSON.stringify({ item: 'book', quantity: 2 })
    const answer = await t.inRequest((s) =>
      s.fetchWithAccessToken(`${API}/orders?draft=1`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      }),
    )
    expect(answer.status).toBe(200)
    expect(await answer.json()).toEqual({ scheme: 'DPoP', body })
    expect(t.api.calls.map((call) => [call.method, call.body, call.proof?.claims.nonce])).toEqual([
      ['POST', body, undefined],
      ['POST', body, 'api-nonce-1'],
    ])
    expect(t.api.calls[1]!.proof!.claims.htu).toBe(`${API}/orders`)
    expect(t.api.calls[1]!.headers.get('content-type')).toBe('application/json')
    // An API that asks every time: one retry, then its answer.
    t.api.nonce = 'always'
    const refused = await t.inRequest((s) => s.fetchWithAccessToken(`${API}/orders`))
    expect(refused.status).toBe(401)
    expect(t.api.calls).toHaveLength(4)
  })
})

/** One request of the browser's against `engine` (same provider and cookies): what `run` returns. */
async function viaEngine<T>(
  t: Harness,
  engine: ReturnType<typeof createHybridAuth>,
  run: (loaded: RequestSession) => Promise<T>,
): Promise<T> {
  return (await withSession(engine, t.request('GET', '/'), run)).value
}

describe('dpop(): API calls are not redirected', () => {
  it('a redirect is answered as it came, never followed with the proof (the fetch is told manual)', async () => {
    const t = await dpopSetup()
    await t.login()
    const modes: string[] = []
    const engine = createHybridAuth({
      ...baseConfig(t),
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init)
        if (new URL(request.url).origin !== API) return t.fetch(request)
        modes.push(request.redirect)
        return new Response(null, { status: 302, headers: { location: 'https://elsewhere.test/' } })
      },
      extensions: [dpop()],
    })
    const answer = await viaEngine(t, engine, (s) => s.fetchWithAccessToken(`${API}/moved`))
    expect(answer.status).toBe(302)
    expect(modes).toEqual(['manual'])
  })
})

describe('dpop(): server nonces kept', () => {
  it('a nonce that is not RFC 9449 8.1 text (or over 1 KB) is neither used nor a reason to retry', async () => {
    const t = await dpopSetup()
    await t.login()
    let calls = 0
    const proofs: Array<string | null> = []
    const engine = createHybridAuth({
      ...baseConfig(t),
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init)
        if (new URL(request.url).origin !== API) return t.fetch(request)
        calls++
        proofs.push(request.headers.get('dpop'))
        const nonce = calls === 1 ? 'a "quoted" nonce' : 'x'.repeat(1025)
        return new Response(null, {
          status: 401,
          headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': nonce },
        })
      },
      extensions: [dpop()],
    })
    await viaEngine(t, engine, (s) => s.fetchWithAccessToken(`${API}/a`))
    await viaEngine(t, engine, (s) => s.fetchWithAccessToken(`${API}/b`))
    // No retry for either, and no nonce in the second proof.
    expect(calls).toBe(2)
    expect(decodeJwt(proofs[1]!)).not.toHaveProperty('nonce')
  })

  it('the nonces of at most 1 000 origins are kept, the oldest forgotten first', async () => {
    const t = await dpopSetup()
    await t.login()
    const seen = new Map<string, unknown>()
    const engine = createHybridAuth({
      ...baseConfig(t),
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const request = new Request(input, init)
        const { origin, hostname } = new URL(request.url)
        if (!hostname.endsWith('.api.test')) return t.fetch(request)
        seen.set(origin, decodeJwt(request.headers.get('dpop')!).nonce)
        return new Response(null, { headers: { 'dpop-nonce': `nonce-of-${hostname}` } })
      },
      extensions: [dpop()],
    })
    const call = (i: number) =>
      viaEngine(t, engine, (s) => s.fetchWithAccessToken(`https://n${i}.api.test/`))
    for (let i = 0; i <= 1000; i++) await call(i)
    // 1 001 origins answered a nonce: the second one's is kept, the first one's forgotten.
    await call(1)
    expect(seen.get('https://n1.api.test')).toBe('nonce-of-n1.api.test')
    await call(0)
    expect(seen.get('https://n0.api.test')).toBeUndefined()
  })
})

describe('dpop(): tokens for other APIs (apiTokens)', () => {
  it("a token for another API is DPoP-bound to the session's key and sent with a proof", async () => {
    const t = await dpopSetup([dpop()], { apiTokens: apiTokens() })
    await t.login()
    const session = (await t.session())!
    const answer = await t.inRequest((s) =>
      s.fetchWithAccessToken(`${API}/orders`, undefined, {
        audience: 'https://orders.example.test',
      }),
    )
    expect(answer.status).toBe(200)
    const refresh = calls(t, '/oauth/token').at(-1)!
    expect(refresh.body.get('audience')).toBe('https://orders.example.test')
    const proof = await proofAt(refresh, { method: 'POST', url: TOKEN_ENDPOINT, now: t.clock.now })
    expect(proof.jkt).toBe(await thumbprintOf(session.dpop!))
    const [call] = t.api.calls
    const token = call!.headers.get('authorization')!.replace(/^DPoP /, '')
    expect(decodeJwt(token).aud).toBe('https://orders.example.test')
    expect(call!.refused).toBeUndefined()
    expect(call!.proof!.jkt).toBe(proof.jkt)
  })
})

describe('dpop(): algorithms', () => {
  it("dpop({ alg: 'EdDSA' }) works end to end with an Ed25519 key", async () => {
    const t = await dpopSetup([dpop({ alg: 'EdDSA' })])
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    const session = (await t.session())!
    expect(session).toMatchObject({ tokenType: 'DPoP', dpop: { kty: 'OKP', crv: 'Ed25519' } })
    const { value: claims } = await t.read((s) => s.fetchUserinfo())
    expect(claims.sub).toBe('user-1')
    await t.inRequest((s) => s.refresh())
    expect((await t.inRequest((s) => s.fetchWithAccessToken(`${API}/me`))).status).toBe(200)
    expect(t.api.calls[0]!.proof!.header.alg).toBe('EdDSA')
    const answers = t.provider.dpopProofs.map((proof) => [
      proof.path,
      proof.header.alg,
      proof.answer,
    ])
    expect(answers).toEqual([
      ['/oauth/token', 'EdDSA', 'ok'],
      ['/userinfo', 'EdDSA', 'ok'],
      ['/oauth/token', 'EdDSA', 'ok'],
    ])
  })

  it('dpop() twice in extensions is refused at setup (its retries would stack)', async () => {
    const t = await dpopSetup()
    expect(() =>
      createHybridAuth({ ...baseConfig(t), extensions: [dpop(), dpop()] } as HybridAuthConfig),
    ).toThrow(/dpop\(\) is there twice/)
  })

  it("a runtime whose WebCrypto cannot make the alg's keys: CONFIG_INVALID, no redirect", async () => {
    const t = await dpopSetup([dpop({ alg: 'EdDSA' })])
    const spy = vi
      .spyOn(globalThis.crypto.subtle, 'generateKey')
      .mockRejectedValueOnce(new DOMException('Unrecognized name', 'NotSupportedError'))
    try {
      const refused = await t.startLogin()
      expect(refused.status).toBe(500)
      expect(refused.error?.code).toBe('CONFIG_INVALID')
      expect(refused.error?.message).toMatch(/cannot make EdDSA keys/)
      expect(refused.headers.get('location')).toBeNull()
    } finally {
      spy.mockRestore()
    }
  })

  it('another alg is refused at setup', () => {
    expect(() => dpop({ alg: 'RS256' as never })).toThrow(ConfigurationError)
    expect(() => dpop({ alg: 'RS256' as never })).toThrow(/ES256/)
  })

  it('a provider that lists only other algorithms: CONFIG_INVALID, no redirect, no transaction', async () => {
    const t = await dpopSetup()
    t.provider.dpopSigningAlgs = ['EdDSA']
    const refused = await t.startLogin()
    expect(refused.status).toBe(500)
    expect(refused.error?.code).toBe('CONFIG_INVALID')
    expect(refused.error?.message).toMatch(/EdDSA/)
    expect(refused.headers.get('location')).toBeNull()
    expect(refused.headers.getSetCookie()).toEqual([])
    expect(t.jar.names(TX_COOKIE)).toEqual([])
  })
})

describe('dpop(): sessions from before it', () => {
  it('keep their Bearer token: UserInfo, refresh and API calls without DPoP', async () => {
    const t = await dpopSetup([])
    await t.login()
    expect((await t.session())?.tokenType).toBe('Bearer')
    const engine = createHybridAuth({ ...baseConfig(t), fetch: t.fetch, extensions: [dpop()] })
    const { value } = await withSession(engine, t.request('GET', '/'), async (s) => {
      const before = s.session!
      await s.fetchUserinfo()
      const api = await s.fetchWithAccessToken(`${API}/orders`)
      const refreshed = await s.refresh()
      return { before, api, refreshed }
    })
    expect(value.before.dpop).toBeUndefined()
    expect(value.api.status).toBe(200)
    const [api] = t.api.calls
    expect(api!.headers.get('authorization')).toBe(`Bearer ${value.before.accessToken}`)
    expect(api!.headers.has('dpop')).toBe(false)
    const [userinfo] = calls(t, '/userinfo')
    expect(userinfo!.headers.get('authorization')).toBe(`Bearer ${value.before.accessToken}`)
    expect(userinfo!.headers.has('dpop')).toBe(false)
    const refresh = calls(t, '/oauth/token').at(-1)!
    expect(refresh.body.get('grant_type')).toBe('refresh_token')
    expect(refresh.headers.has('dpop')).toBe(false)
    expect(value.refreshed.tokenType).toBe('Bearer')
    expect(value.refreshed.dpop).toBeUndefined()
  })
})

describe('generateDpopKey and DpopProofSigner', () => {
  const crypto = new WebCryptoProvider()
  const NOW = 1_750_000_000

  it.each(['ES256', 'EdDSA'] as const)(
    '%s: a private key, its thumbprint, and proofs jose verifies with only public members in the header',
    async (alg) => {
      const { key, jkt } = await generateDpopKey(alg, crypto)
      expect(key.d).toBeTruthy()
      expect(jkt).toBe(await thumbprintOf(key))
      const signer = new DpopProofSigner(crypto)
      const url = 'https://rs.example.test/a/b?q=1&r=2#frag'
      const proof = await signer.sign(key, { method: 'PATCH', url, now: NOW })
      const verified = await verifyProof(proof, { method: 'PATCH', url, now: NOW })
      expect(Object.keys(verified.header).sort()).toEqual(['alg', 'jwk', 'typ'])
      expect(verified.header).toMatchObject({ typ: 'dpop+jwt', alg })
      expect(verified.header.jwk).not.toHaveProperty('d')
      expect(Object.keys(verified.header.jwk).sort()).toEqual(
        alg === 'ES256' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'],
      )
      expect(verified.jkt).toBe(jkt)
      expect(Object.keys(verified.claims).sort()).toEqual(['htm', 'htu', 'iat', 'jti'])
      expect(verified.claims).toMatchObject({
        htm: 'PATCH',
        htu: 'https://rs.example.test/a/b',
        iat: NOW,
      })
      const again = await verifyProof(await signer.sign(key, { method: 'PATCH', url, now: NOW }), {
        method: 'PATCH',
        url,
        now: NOW,
      })
      expect(again.claims.jti).not.toBe(verified.claims.jti)
    },
  )

  it("signs with the crypto provider's signWithJwk when it has one (node:crypto), else WebCrypto", async () => {
    const { key } = await generateDpopKey('ES256', crypto)
    const used: string[] = []
    const native = Object.assign(new WebCryptoProvider(), {
      async signWithJwk(alg: 'ES256' | 'EdDSA', jwk: JsonWebKey, input: Uint8Array) {
        used.push(alg)
        const privateKey = createPrivateKey({ key: jwk as never, format: 'jwk' })
        return new Uint8Array(
          nodeSign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }),
        )
      },
    })
    const url = 'https://rs.example.test/x'
    const proof = await new DpopProofSigner(native).sign(key, { method: 'GET', url, now: NOW })
    expect(used).toEqual(['ES256'])
    expect((await verifyProof(proof, { method: 'GET', url, now: NOW })).jkt).toBe(
      await thumbprintOf(key),
    )
  })

  it('another d with the same public members is another key (the import cache is keyed by all of it)', async () => {
    const { key } = await generateDpopKey('ES256', crypto)
    const { key: other } = await generateDpopKey('ES256', crypto)
    const signer = new DpopProofSigner(crypto)
    const input = { method: 'GET', url: 'https://rs.example.test/', now: NOW }
    await signer.sign(key, input)
    // WebCrypto refuses a private key whose d does not match its x and y.
    await expect(signer.sign({ ...key, d: other.d }, input)).rejects.toThrow()
  })

  it('htu leaves out credentials in the URL as well as query and fragment', async () => {
    const { key } = await generateDpopKey('ES256', crypto)
    const proof = await new DpopProofSigner(crypto).sign(key, {
      method: 'GET',
      url: 'https://user:secret@rs.example.test/a?q=1#f',
      now: NOW,
    })
    expect(decodeJwt(proof).htu).toBe('https://rs.example.test/a')
  })

  it('nonce and ath only when given', async () => {
    const { key } = await generateDpopKey('ES256', crypto)
    const signer = new DpopProofSigner(crypto)
    const url = 'https://rs.example.test/x'
    const claimsOf = async (input: { nonce?: string; accessToken?: string }) =>
      (
        await verifyProof(await signer.sign(key, { method: 'GET', url, now: NOW, ...input }), {
          method: 'GET',
          url,
          now: NOW,
          accessToken: input.accessToken,
        })
      ).claims
    expect(await claimsOf({ nonce: 'n-1' })).toMatchObject({ nonce: 'n-1' })
    expect(await claimsOf({ nonce: 'n-1' })).not.toHaveProperty('ath')
    const withToken = await claimsOf({ accessToken: 'token.value' })
    expect(withToken.ath).toBe(athOf('token.value'))
    expect(withToken).not.toHaveProperty('nonce')
    expect(Object.keys(await claimsOf({ nonce: 'n', accessToken: 't' })).sort()).toEqual([
      'ath',
      'htm',
      'htu',
      'iat',
      'jti',
      'nonce',
    ])
  })
})

describe('asksForNonce', () => {
  const NONCE = { 'dpop-nonce': 'n-1' }
  const ASKS = JSON.stringify({ error: 'use_dpop_nonce' })
  it.each<[string, number, Record<string, string>, string | undefined, boolean]>([
    ['400 use_dpop_nonce with a nonce', 400, NONCE, ASKS, true],
    [
      '401 DPoP use_dpop_nonce with a nonce',
      401,
      { ...NONCE, 'www-authenticate': 'DPoP error="use_dpop_nonce"' },
      undefined,
      true,
    ],
    [
      '401 DPoP with other parameters first',
      401,
      { ...NONCE, 'www-authenticate': 'DPoP algs="ES256", error="use_dpop_nonce"' },
      '',
      true,
    ],
    ['400 use_dpop_nonce without a nonce', 400, {}, ASKS, false],
    [
      '401 DPoP use_dpop_nonce without a nonce',
      401,
      { 'www-authenticate': 'DPoP error="use_dpop_nonce"' },
      undefined,
      false,
    ],
    ['400 another error', 400, NONCE, JSON.stringify({ error: 'invalid_grant' }), false],
    ['400 without a body', 400, NONCE, undefined, false],
    ['400 not JSON', 400, NONCE, 'use_dpop_nonce', false],
    [
      '401 DPoP another error',
      401,
      { ...NONCE, 'www-authenticate': 'DPoP error="invalid_token"' },
      undefined,
      false,
    ],
    [
      '401 Bearer use_dpop_nonce',
      401,
      { ...NONCE, 'www-authenticate': 'Bearer error="use_dpop_nonce"' },
      undefined,
      false,
    ],
    ['401 without a challenge, a JSON error', 401, NONCE, ASKS, false],
    [
      '403 DPoP use_dpop_nonce',
      403,
      { ...NONCE, 'www-authenticate': 'DPoP error="use_dpop_nonce"' },
      undefined,
      false,
    ],
    [
      "401 use_dpop_nonce in the Bearer challenge after a DPoP one (not DPoP's)",
      401,
      { ...NONCE, 'www-authenticate': 'DPoP algs="ES256", Bearer error="use_dpop_nonce"' },
      undefined,
      false,
    ],
    [
      '401 DPoP use_dpop_nonce after a Bearer challenge',
      401,
      { ...NONCE, 'www-authenticate': 'Bearer realm="api", DPoP error="use_dpop_nonce"' },
      undefined,
      true,
    ],
    ['500 use_dpop_nonce', 500, NONCE, ASKS, false],
    ['400 use_dpop_nonce with a quoted nonce', 400, { 'dpop-nonce': 'a"b' }, ASKS, false],
    [
      '400 use_dpop_nonce with a 1 025-character nonce',
      400,
      { 'dpop-nonce': 'n'.repeat(1025) },
      ASKS,
      false,
    ],
    [
      '400 use_dpop_nonce with a 1 024-character nonce',
      400,
      { 'dpop-nonce': 'n'.repeat(1024) },
      ASKS,
      true,
    ],
    ['200 with a nonce', 200, NONCE, '{}', false],
  ])('%s', (_name, status, headers, body, expected) => {
    expect(asksForNonce(status, new Headers(headers), body)).toBe(expected)
  })
})
