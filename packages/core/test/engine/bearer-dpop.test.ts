/**
 * The bearer verifier with DPoP (RFC 9449): `verifyRequest` in each mode (allow, require, off), a
 * DPoP-bound token refused as Bearer, replayed proofs refused, the server-nonce flow, and the
 * answers `failure()` gives for each (status, challenge, `DPoP-Nonce`). The provider is a fetch
 * stub serving discovery and a JWKS; tokens and proofs are made with jose.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { WebCryptoProvider } from '../../src/crypto/webcrypto.js'
import {
  type BearerRequest,
  type BearerVerifierConfig,
  createBearerVerifier,
} from '../../src/engine/bearer-verifier.js'
import { OidcHybridError } from '../../src/errors.js'
import { type ProofInput, type ProofKey, proofKey, proofOf } from '../support/dpop.js'
import { setup } from '../support/harness.js'
import { generateTestKey, jwksOf, signWith, type TestKeyPair } from '../support/jwt.js'

const ISSUER = 'https://op.example.test/'
const AUDIENCE = 'https://api.example.test'
const API_URL = 'https://api.example.test/orders'
const NOW = 1_750_000_000

let issuerKey: TestKeyPair
let client: ProofKey
let thief: ProofKey
beforeAll(async () => {
  issuerKey = await generateTestKey('RS256', 'k1')
  client = await proofKey('ES256')
  thief = await proofKey('ES256')
})

/** Discovery and the JWKS, as the issuer serves them. */
const providerFetch: typeof fetch = async (input) => {
  const url = String(input instanceof Request ? input.url : input)
  if (url === `${ISSUER}.well-known/openid-configuration`) {
    return Response.json({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}authorize`,
      token_endpoint: `${ISSUER}token`,
      jwks_uri: `${ISSUER}jwks`,
    })
  }
  if (url === `${ISSUER}jwks`) return Response.json(jwksOf(issuerKey.publicJwk))
  return new Response('not found', { status: 404 })
}

function verifierWith(config: Partial<BearerVerifierConfig> = {}, clock = { now: NOW }) {
  const verifier = createBearerVerifier({
    issuerBaseURL: ISSUER,
    audience: AUDIENCE,
    fetch: providerFetch,
    now: () => clock.now,
    ...config,
  })
  return Object.assign(verifier, { clock })
}

/** An RFC 9068 access token; `jkt` binds it to a DPoP key (`cnf.jkt`). */
function accessToken(jkt?: string, claims: Record<string, unknown> = {}): Promise<string> {
  return signWith(
    issuerKey,
    {
      iss: ISSUER,
      sub: 'user-1',
      aud: AUDIENCE,
      iat: NOW,
      exp: NOW + 600,
      scope: 'read',
      ...(jkt && { cnf: { jkt } }),
      ...claims,
    },
    { typ: 'at+jwt' },
  )
}

interface Sent {
  scheme?: string
  key?: ProofKey
  method?: string
  url?: string
  /** The proof as sent (`null`: none); made with `key` for the request otherwise. */
  proof?: string | null
  proofInput?: Partial<ProofInput>
}

/** A request presenting `token`: `DPoP` with a proof by `key` (the client's) unless told. */
async function request(token: string, sent: Sent = {}): Promise<BearerRequest> {
  const { scheme = 'DPoP', key = client, method = 'GET', url = API_URL } = sent
  const headers = new Headers({ authorization: `${scheme} ${token}` })
  const proof =
    sent.proof !== undefined
      ? sent.proof
      : scheme === 'DPoP'
        ? await proofOf(key, {
            htm: method,
            htu: url,
            iat: NOW,
            accessToken: token,
            ...sent.proofInput,
          })
        : null
  if (proof !== null) headers.set('dpop', proof)
  return { method, url, headers }
}

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<OidcHybridError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, 'the request was accepted').toBeInstanceOf(Error)
  return error as OidcHybridError
}

describe("dpop: 'allow' (the default)", () => {
  it('a bound token with a valid proof is verified, with the key it proved', async () => {
    const verifier = verifierWith()
    const token = await accessToken(client.jkt)
    const verified = await verifier.verifyRequest(await request(token), { scopes: ['read'] })
    expect(verified).toEqual({
      claims: expect.objectContaining({ sub: 'user-1', cnf: { jkt: client.jkt } }),
      scopes: ['read'],
      jkt: client.jkt,
    })
  })

  it("a client's later proofs are verified with the key object of its first (the import is reused), another key with its own", async () => {
    const keys: unknown[] = []
    const crypto = new WebCryptoProvider()
    const verifySignature = crypto.verifySignature.bind(crypto)
    crypto.verifySignature = (alg, key, input, signature) => {
      if (alg === 'ES256') keys.push(key)
      return verifySignature(alg, key, input, signature)
    }
    const verifier = verifierWith({ crypto })
    const token = await accessToken(client.jkt)
    await verifier.verifyRequest(await request(token))
    await verifier.verifyRequest(await request(token))
    await expect(
      verifier.verifyRequest(await request(token, { key: thief })),
    ).rejects.toMatchObject({
      code: 'DPOP_BINDING_MISMATCH',
    })
    // Each proof carries its own jwk object; the second is verified with the first's.
    expect(keys).toHaveLength(3)
    expect(keys[1]).toBe(keys[0])
    expect(keys[2]).not.toBe(keys[0])
    expect(keys[2]).toMatchObject({ x: thief.jwk.x })
  })

  it('an unbound token as Bearer is verified as before, via verifyRequest and verify', async () => {
    const verifier = verifierWith()
    const token = await accessToken()
    const verified = await verifier.verifyRequest(await request(token, { scheme: 'Bearer' }))
    expect(verified).toEqual({
      claims: expect.objectContaining({ sub: 'user-1' }),
      scopes: ['read'],
    })
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ scopes: ['read'] })
  })

  it('a bound token as Bearer is refused (RFC 9449 7.2): invalid_token in the Bearer challenge', async () => {
    const verifier = verifierWith({ realm: 'api' })
    const token = await accessToken(client.jkt)
    for (const error of [
      await rejection(verifier.verifyRequest(await request(token, { scheme: 'Bearer' }))),
      await rejection(verifier.verify(`Bearer ${token}`)),
    ]) {
      expect(error).toMatchObject({ code: 'DPOP_BINDING_MISMATCH', details: { reason: 'bearer' } })
      const failure = verifier.failure(error)
      expect(failure.status).toBe(401)
      expect(failure.wwwAuthenticate).toBe(
        'Bearer realm="api", error="invalid_token", error_description="access token is DPoP-bound: send it as Authorization: DPoP <token> with a DPoP proof", DPoP realm="api", algs="ES256"',
      )
    }
  })

  it('a bound token with a stray DPoP header, sent as Bearer, is still refused', async () => {
    const verifier = verifierWith()
    const token = await accessToken(client.jkt)
    const proof = await proofOf(client, { htm: 'GET', htu: API_URL, iat: NOW, accessToken: token })
    const error = await rejection(
      verifier.verifyRequest(await request(token, { scheme: 'Bearer', proof })),
    )
    expect(error.code).toBe('DPOP_BINDING_MISMATCH')
  })

  it('an unbound token sent with DPoP, or one bound to another key: DPOP_BINDING_MISMATCH in the DPoP challenge', async () => {
    const verifier = verifierWith()
    for (const token of [await accessToken(), await accessToken(thief.jkt)]) {
      const error = await rejection(verifier.verifyRequest(await request(token)))
      expect(error).toMatchObject({ code: 'DPOP_BINDING_MISMATCH', details: { reason: 'cnf' } })
      expect(verifier.failure(error).wwwAuthenticate).toMatch(
        /^DPoP error="invalid_token", error_description="[^"]+", algs="ES256", Bearer$/,
      )
    }
  })

  it("a stolen token with a proof by the thief's own key is refused", async () => {
    const verifier = verifierWith()
    const token = await accessToken(client.jkt)
    const error = await rejection(verifier.verifyRequest(await request(token, { key: thief })))
    expect(error.code).toBe('DPOP_BINDING_MISMATCH')
  })

  it('a bad proof is 401 invalid_dpop_proof; the DPoP challenge comes first', async () => {
    const verifier = verifierWith()
    const token = await accessToken(client.jkt)
    const cases: Array<[Sent, string]> = [
      [{ proof: null }, 'missing'],
      [{ proofInput: { htm: 'POST' } }, 'htm'],
      [{ proofInput: { htu: 'https://api.example.test/other' } }, 'htu'],
      [{ proofInput: { iat: NOW - 3600 } }, 'iat'],
      [{ proofInput: { accessToken: 'another' } }, 'ath'],
      [{ proofInput: { header: { typ: 'JWT' } } }, 'typ'],
    ]
    for (const [sent, reason] of cases) {
      const error = await rejection(verifier.verifyRequest(await request(token, sent)))
      expect(error, reason).toMatchObject({ code: 'DPOP_PROOF_INVALID', details: { reason } })
      const failure = verifier.failure(error)
      expect(failure.status).toBe(401)
      expect(failure.wwwAuthenticate).toMatch(
        /^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="ES256", Bearer$/,
      )
      expect(failure.headers['cache-control']).toBe('no-store')
      expect(failure.json).toMatchObject({ error: 'DPOP_PROOF_INVALID' })
    }
  })

  it("the token's own failures with a valid proof are answered in the DPoP challenge", async () => {
    const verifier = verifierWith()
    const expired = await accessToken(client.jkt, { exp: NOW - 3600 })
    const error = await rejection(verifier.verifyRequest(await request(expired)))
    expect(error).toMatchObject({
      code: 'BEARER_TOKEN_INVALID',
      details: { reason: 'exp', scheme: 'DPoP' },
    })
    expect(error.cause).toMatchObject({ code: 'BEARER_TOKEN_INVALID' })
    expect(verifier.failure(error).wwwAuthenticate).toMatch(
      /^DPoP error="invalid_token", .*, algs="ES256", Bearer$/,
    )
    const token = await accessToken(client.jkt)
    const scope = await rejection(
      verifier.verifyRequest(await request(token), { scopes: ['write'] }),
    )
    const failure = verifier.failure(scope, { scopes: ['write'] })
    expect(failure.status).toBe(403)
    expect(failure.wwwAuthenticate).toMatch(
      /^DPoP error="insufficient_scope", error_description="[^"]+", scope="write", algs="ES256", Bearer$/,
    )
  })

  it('a malformed DPoP Authorization header is 400 invalid_request in the DPoP challenge', async () => {
    const verifier = verifierWith()
    const error = await rejection(
      verifier.verifyRequest({
        method: 'GET',
        url: API_URL,
        headers: new Headers({ authorization: 'DPoP a b' }),
      }),
    )
    const failure = verifier.failure(error)
    expect(failure.status).toBe(400)
    expect(failure.wwwAuthenticate).toMatch(
      /^DPoP error="invalid_request", .*, algs="ES256", Bearer$/,
    )
  })

  it('the accepted algorithms are configurable, and named in the challenge', async () => {
    const verifier = verifierWith({ dpopAlgorithms: ['ES256', 'EdDSA', 'PS256'] })
    const ed = await proofKey('EdDSA')
    const token = await accessToken(ed.jkt)
    await expect(verifier.verifyRequest(await request(token, { key: ed }))).resolves.toMatchObject({
      jkt: ed.jkt,
    })
    const failure = verifier.failure(
      await rejection(verifier.verifyRequest(await request(token, { proof: null }))),
    )
    expect(failure.wwwAuthenticate).toContain('algs="ES256 EdDSA PS256"')
    const es384 = await proofKey('ES384')
    const refused = await rejection(
      verifier.verifyRequest(await request(await accessToken(es384.jkt), { key: es384 })),
    )
    expect(refused).toMatchObject({ code: 'DPOP_PROOF_INVALID', details: { reason: 'alg' } })
  })

  it('the iat window is configurable (dpopWindow)', async () => {
    const verifier = verifierWith({ dpopWindow: 5 })
    const token = await accessToken(client.jkt)
    const old = await rejection(
      verifier.verifyRequest(await request(token, { proofInput: { iat: NOW - 6 } })),
    )
    expect(old).toMatchObject({ details: { reason: 'iat' } })
    await expect(
      verifier.verifyRequest(await request(token, { proofInput: { iat: NOW - 5 } })),
    ).resolves.toBeDefined()
  })
})

describe("dpop: 'require' and 'off'", () => {
  it("'require': a Bearer token is no token at all; the challenge offers DPoP only", async () => {
    const verifier = verifierWith({ dpop: 'require', realm: 'api' })
    const token = await accessToken()
    const error = await rejection(
      verifier.verifyRequest(await request(token, { scheme: 'Bearer' })),
    )
    expect(error.code).toBe('BEARER_TOKEN_MISSING')
    expect(verifier.failure(error)).toMatchObject({
      status: 401,
      wwwAuthenticate: 'DPoP realm="api", algs="ES256"',
    })
    const bound = await accessToken(client.jkt)
    await expect(verifier.verifyRequest(await request(bound))).resolves.toMatchObject({
      jkt: client.jkt,
    })
    const bad = await rejection(verifier.verifyRequest(await request(bound, { proof: null })))
    expect(verifier.failure(bad).wwwAuthenticate).toMatch(
      /^DPoP realm="api", error="invalid_dpop_proof", .*, algs="ES256"$/,
    )
  })

  it("'off': DPoP is another scheme, the challenge is Bearer only, a bound token is still refused", async () => {
    const verifier = verifierWith({ dpop: 'off' })
    const bound = await accessToken(client.jkt)
    const error = await rejection(verifier.verifyRequest(await request(bound)))
    expect(error.code).toBe('BEARER_TOKEN_MISSING')
    expect(verifier.failure(error).wwwAuthenticate).toBe('Bearer')
    const asBearer = await rejection(
      verifier.verifyRequest(await request(bound, { scheme: 'Bearer' })),
    )
    expect(asBearer.code).toBe('DPOP_BINDING_MISMATCH')
    expect(verifier.failure(asBearer).wwwAuthenticate).toMatch(
      /^Bearer error="invalid_token", [^,]+$/,
    )
    await expect(
      verifier.verifyRequest(await request(await accessToken(), { scheme: 'Bearer' })),
    ).resolves.toBeDefined()
  })

  it('a route overrides the mode, for the check and for its answer', async () => {
    const verifier = verifierWith()
    const token = await accessToken()
    const error = await rejection(
      verifier.verifyRequest(await request(token, { scheme: 'Bearer' }), { dpop: 'require' }),
    )
    expect(error.code).toBe('BEARER_TOKEN_MISSING')
    expect(verifier.failure(error, { dpop: 'require' }).wwwAuthenticate).toBe('DPoP algs="ES256"')
    expect(verifier.failure(error, { dpop: 'off' }).wwwAuthenticate).toBe('Bearer')
  })
})

describe('replayed proofs (RFC 9449 11.1)', () => {
  it('a proof is accepted once; the same jti with another key is another proof', async () => {
    const verifier = verifierWith()
    const token = await accessToken(client.jkt)
    const replayed = await request(token, { proofInput: { claims: { jti: 'once' } } })
    await expect(verifier.verifyRequest(replayed)).resolves.toBeDefined()
    const error = await rejection(verifier.verifyRequest(replayed))
    expect(error).toMatchObject({
      code: 'DPOP_PROOF_INVALID',
      details: { reason: 'replay', scheme: 'DPoP' },
    })
    expect(verifier.failure(error).wwwAuthenticate).toMatch(/^DPoP error="invalid_dpop_proof"/)
    const thiefToken = await accessToken(thief.jkt)
    await expect(
      verifier.verifyRequest(
        await request(thiefToken, { key: thief, proofInput: { claims: { jti: 'once' } } }),
      ),
    ).resolves.toBeDefined()
  })

  it('the memory forgets a proof only once it is too old to be accepted anyway', async () => {
    const verifier = verifierWith({ dpopWindow: 10 })
    const token = await accessToken(client.jkt, { exp: NOW + 3600 })
    const replayed = await request(token)
    await verifier.verifyRequest(replayed)
    verifier.clock.now = NOW + 10
    expect(await rejection(verifier.verifyRequest(replayed))).toMatchObject({
      details: { reason: 'replay' },
    })
    verifier.clock.now = NOW + 11
    expect(await rejection(verifier.verifyRequest(replayed))).toMatchObject({
      details: { reason: 'iat' },
    })
  })

  it('a shared replay memory (dpopReplay) is asked with the key and until when', async () => {
    const seen = new Map<string, number>()
    const verifier = verifierWith({
      dpopReplay: async (key, until) => {
        if (seen.has(key)) return false
        seen.set(key, until)
        return true
      },
    })
    const token = await accessToken(client.jkt)
    const replayed = await request(token, { proofInput: { claims: { jti: 'shared' } } })
    await verifier.verifyRequest(replayed)
    expect([...seen]).toEqual([[`${client.jkt} shared`, NOW + 61]])
    // Another verifier (another instance) with the same memory refuses it too.
    const second = verifierWith({ dpopReplay: async (key) => !seen.has(key) })
    expect(await rejection(second.verifyRequest(replayed))).toMatchObject({
      details: { reason: 'replay' },
    })
  })
})

describe('server nonces (RFC 9449 9)', () => {
  async function nonceOf(promise: Promise<unknown>, verifier: ReturnType<typeof verifierWith>) {
    const error = await rejection(promise)
    expect(error.code).toBe('DPOP_NONCE_REQUIRED')
    const failure = verifier.failure(error)
    expect(failure.status).toBe(401)
    expect(failure.wwwAuthenticate).toMatch(
      /^DPoP error="use_dpop_nonce", error_description="[^"]+", algs="ES256", Bearer$/,
    )
    const nonce = failure.headers['dpop-nonce']!
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
    return nonce
  }

  it('a proof without a nonce gets use_dpop_nonce and a DPoP-Nonce; the retry with it passes', async () => {
    const verifier = verifierWith({ dpopNonce: true })
    const token = await accessToken(client.jkt)
    const nonce = await nonceOf(verifier.verifyRequest(await request(token)), verifier)
    const verified = await verifier.verifyRequest(
      await request(token, { proofInput: { claims: { nonce } } }),
    )
    expect(verified.jkt).toBe(client.jkt)
    expect(verified.headers).toBeUndefined()
  })

  it('an unknown, altered or expired nonce gets a fresh one', async () => {
    const verifier = verifierWith({ dpopNonce: { lifetime: 100 } })
    const token = await accessToken(client.jkt, { exp: NOW + 3600 })
    const nonce = await nonceOf(verifier.verifyRequest(await request(token)), verifier)
    for (const wrong of ['made-up', `${nonce.slice(0, -1)}${nonce.endsWith('A') ? 'B' : 'A'}`]) {
      const fresh = await nonceOf(
        verifier.verifyRequest(await request(token, { proofInput: { claims: { nonce: wrong } } })),
        verifier,
      )
      expect(fresh).not.toBe(wrong)
    }
    verifier.clock.now = NOW + 100
    const late = await request(token, { proofInput: { iat: NOW + 100, claims: { nonce } } })
    await nonceOf(verifier.verifyRequest(late), verifier)
  })

  it('past half its lifetime, a success carries a fresh nonce for the next request', async () => {
    const verifier = verifierWith({ dpopNonce: { lifetime: 100 } })
    const token = await accessToken(client.jkt, { exp: NOW + 3600 })
    const nonce = await nonceOf(verifier.verifyRequest(await request(token)), verifier)
    verifier.clock.now = NOW + 49
    const early = await verifier.verifyRequest(
      await request(token, { proofInput: { iat: NOW + 49, claims: { nonce } } }),
    )
    expect(early.headers).toBeUndefined()
    verifier.clock.now = NOW + 51
    const late = await verifier.verifyRequest(
      await request(token, { proofInput: { iat: NOW + 51, claims: { nonce } } }),
    )
    const next = late.headers?.['dpop-nonce']
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/)
    verifier.clock.now = NOW + 120
    await expect(
      verifier.verifyRequest(
        await request(token, { proofInput: { iat: NOW + 120, claims: { nonce: next } } }),
      ),
    ).resolves.toBeDefined()
  })

  it("instances sharing dpopNonce.secret accept each other's nonces; random keys do not", async () => {
    const token = await accessToken(client.jkt)
    const a = verifierWith({ dpopNonce: { secret: 'a shared nonce secret' } })
    const b = verifierWith({ dpopNonce: { secret: 'a shared nonce secret' } })
    const nonce = await nonceOf(a.verifyRequest(await request(token)), a)
    await expect(
      b.verifyRequest(await request(token, { proofInput: { claims: { nonce } } })),
    ).resolves.toBeDefined()
    const c = verifierWith({ dpopNonce: true })
    const d = verifierWith({ dpopNonce: true })
    const own = await nonceOf(c.verifyRequest(await request(token)), c)
    await nonceOf(
      d.verifyRequest(await request(token, { proofInput: { claims: { nonce: own } } })),
      d,
    )
  })

  it('without dpopNonce, a nonce in a proof is not checked', async () => {
    const verifier = verifierWith()
    const token = await accessToken(client.jkt)
    await expect(
      verifier.verifyRequest(
        await request(token, { proofInput: { claims: { nonce: 'anything' } } }),
      ),
    ).resolves.toBeDefined()
  })
})

describe('the URL a proof names (htu)', () => {
  it('origin: behind a proxy the framework does not trust, the public origin and the path', async () => {
    const token = await accessToken(client.jkt)
    const proxied = await request(token, { proofInput: { htu: 'https://api.example.test/orders' } })
    const seen = { ...proxied, url: 'http://10.0.0.7:3000/orders?page=2' }
    const plain = verifierWith()
    expect(await rejection(plain.verifyRequest(seen))).toMatchObject({ details: { reason: 'htu' } })
    const behindProxy = verifierWith({ origin: 'https://api.example.test' })
    await expect(behindProxy.verifyRequest(seen)).resolves.toBeDefined()
  })
})

describe('configuration', () => {
  it('refuses symmetric or unknown proof algorithms, an unknown mode, an origin with a path, non-positive seconds', () => {
    for (const config of [
      { dpopAlgorithms: ['HS256'] },
      { dpopAlgorithms: [] },
      { dpopAlgorithms: ['none'] },
      { dpop: 'maybe' },
      { origin: 'https://api.example.test/v1' },
      { origin: 'https://api.example.test/?x' },
      { origin: 'api.example.test' },
      { origin: 'ftp://api.example.test' },
      { dpopWindow: 0 },
      { dpopNonce: { lifetime: -1 } },
    ]) {
      expect(
        () => verifierWith(config as Partial<BearerVerifierConfig>),
        JSON.stringify(config),
      ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    }
    expect(() => verifierWith({ origin: 'https://api.example.test:8443' })).not.toThrow()
  })

  it('a route with an unknown mode is a misconfiguration, thrown', async () => {
    const verifier = verifierWith()
    await expect(
      verifier.verifyRequest(await request('x'), { dpop: 'on' as never }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    expect(() =>
      verifier.failure(new OidcHybridError('BEARER_TOKEN_MISSING', 'x'), { dpop: 'on' as never }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('a verifier sharing an engine checks DPoP with the engine clock and crypto', async () => {
    const t = await setup()
    await t.login()
    const verifier = createBearerVerifier({ engine: t.auth, audience: 'https://api.example.test' })
    const session = await t.session()
    // The harness's access token is not bound: accepted as Bearer, refused with a DPoP proof.
    const token = session!.accessToken
    const asBearer = {
      method: 'GET',
      url: API_URL,
      headers: new Headers({ authorization: `Bearer ${token}` }),
    }
    await expect(verifier.verifyRequest(asBearer)).resolves.toMatchObject({
      claims: { sub: 'user-1' },
    })
    const proof = await proofOf(client, {
      htm: 'GET',
      htu: API_URL,
      iat: t.clock.now,
      accessToken: token,
    })
    const headers = new Headers({ authorization: `DPoP ${token}`, dpop: proof })
    const error = await rejection(verifier.verifyRequest({ method: 'GET', url: API_URL, headers }))
    expect(error).toMatchObject({ code: 'DPOP_BINDING_MISMATCH', details: { reason: 'cnf' } })
  })
})

describe('step-up with DPoP (RFC 9470 with RFC 9449)', () => {
  it('a DPoP-bound token without the required acr is challenged under the DPoP scheme', async () => {
    const verifier = verifierWith()
    const token = await accessToken(client.jkt)
    const error = await rejection(
      verifier.verifyRequest(await request(token), { acrValues: ['urn:example:mfa'] }),
    )
    expect(error.code).toBe('STEP_UP_REQUIRED')
    const { status, wwwAuthenticate } = verifier.failure(error)
    expect(status).toBe(401)
    expect(wwwAuthenticate).toMatch(/^DPoP /)
    expect(wwwAuthenticate).toContain('error="insufficient_user_authentication"')
    expect(wwwAuthenticate).toContain('acr_values="urn:example:mfa"')
  })
})
