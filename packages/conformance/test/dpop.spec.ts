/**
 * DPoP-bound access tokens (RFC 9449) on every adapter's bearer-protected API, over HTTP: Koa,
 * fetch, Express and Hono `requireBearer`, NestJS `BearerAuthGuard` on Express and Fastify. Each accepts a valid
 * DPoP request and refuses each bad proof with the right status, challenge and code; a bound token
 * sent as Bearer is refused; `dpop: 'require'`, server nonces, and the external URL behind a proxy
 * (the framework's trusted proxy, or the verifier's `origin`) work the same on all of them.
 */
import type { BearerVerifierConfig } from '@oidc-hybrid/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type Answer,
  API_PATH,
  APIS,
  AUDIENCE,
  type ClientKey,
  clientKey,
  type ProofOptions,
  proof,
  type RunningApi,
  send,
  TokenIssuer,
} from '../src/dpop.js'

let issuer: TokenIssuer
let client: ClientKey
let other: ClientKey
beforeAll(async () => {
  issuer = await TokenIssuer.start()
  client = await clientKey()
  other = await clientKey()
})
afterAll(async () => {
  await issuer?.close()
})

const BOTH = /^DPoP error="invalid_dpop_proof", error_description="[^"]+", algs="ES256", Bearer$/

/** A DPoP request to `api` with `token` and a proof by `key` (changed by `change`). */
async function dpopCall(
  api: RunningApi,
  token: string,
  change: Partial<ProofOptions> & { key?: ClientKey; method?: string; proofs?: number } = {},
): Promise<Answer> {
  const method = change.method ?? 'GET'
  const url = `${api.url}${API_PATH}`
  const made = await proof(change.key ?? client, { method, url, accessToken: token, ...change })
  const dpop = change.proofs === 2 ? [made, made] : made
  return send(url, method, { authorization: `DPoP ${token}`, dpop })
}

function bearerCall(api: RunningApi, token?: string): Promise<Answer> {
  return send(`${api.url}${API_PATH}`, 'GET', token ? { authorization: `Bearer ${token}` } : {})
}

function expectRefused(answer: Answer, code: string, challenge: RegExp | string, status = 401) {
  expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error: code })
  const header = answer.headers['www-authenticate']
  if (typeof challenge === 'string') expect(header).toBe(challenge)
  else expect(header).toMatch(challenge)
  expect(answer.headers['cache-control']).toBe('no-store')
}

for (const adapter of APIS) {
  describe(adapter.name, () => {
    const running: RunningApi[] = []
    const start = async (config: Partial<BearerVerifierConfig> = {}, trustProxy = false) => {
      const api = await adapter.start(
        { issuerBaseURL: issuer.issuer, audience: AUDIENCE, ...config },
        { trustProxy },
      )
      running.push(api)
      return api
    }
    let api: RunningApi
    beforeAll(async () => {
      api = await start()
    })
    afterAll(async () => {
      await Promise.all(running.map((app) => app.close()))
    })

    it('a DPoP-bound token with a valid proof is accepted, GET and POST', async () => {
      const token = await issuer.token(client.jkt)
      for (const method of ['GET', 'POST']) {
        const answer = await dpopCall(api, token, { method })
        expect(answer.status, JSON.stringify(answer.body)).toBe(200)
        expect(answer.body).toEqual({ sub: 'user-1', jkt: client.jkt, scopes: ['read'] })
        expect(answer.headers['dpop-nonce']).toBeUndefined()
      }
    })

    it('an unbound token as Bearer is still accepted; no token is a bare challenge of both schemes', async () => {
      const answer = await bearerCall(api, await issuer.token())
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({ sub: 'user-1', jkt: null, scopes: ['read'] })
      expectRefused(await bearerCall(api), 'BEARER_TOKEN_MISSING', 'Bearer, DPoP algs="ES256"')
    })

    it('a DPoP-bound token sent as Bearer is refused (RFC 9449 7.2)', async () => {
      const answer = await bearerCall(api, await issuer.token(client.jkt))
      expectRefused(
        answer,
        'DPOP_BINDING_MISMATCH',
        /^Bearer error="invalid_token", error_description="[^"]+", DPoP algs="ES256"$/,
      )
    })

    it("a token bound to another key, or a thief's proof for a stolen token, is invalid_token", async () => {
      const stolen = await issuer.token(other.jkt)
      expectRefused(
        await dpopCall(api, stolen),
        'DPOP_BINDING_MISMATCH',
        /^DPoP error="invalid_token", .*, algs="ES256", Bearer$/,
      )
      const unbound = await issuer.token()
      expectRefused(
        await dpopCall(api, unbound),
        'DPOP_BINDING_MISMATCH',
        /^DPoP error="invalid_token"/,
      )
    })

    describe('each bad proof is 401 invalid_dpop_proof in the DPoP challenge', () => {
      const es384 = clientKey('ES384')
      const cases: Array<[string, (token: string) => Promise<Answer>]> = [
        [
          'no DPoP header',
          (token) => send(`${api.url}${API_PATH}`, 'GET', { authorization: `DPoP ${token}` }),
        ],
        ['two DPoP headers', (token) => dpopCall(api, token, { proofs: 2 })],
        ['htm of another method', (token) => dpopCall(api, token, { claims: { htm: 'POST' } })],
        ['htu of another path', (token) => dpopCall(api, token, { url: `${api.url}/api/other` })],
        [
          'htu of another origin',
          (token) => dpopCall(api, token, { url: `https://elsewhere.example${API_PATH}` }),
        ],
        [
          'iat ten minutes ago',
          (token) => dpopCall(api, token, { claims: { iat: Math.floor(Date.now() / 1000) - 600 } }),
        ],
        ['no jti', (token) => dpopCall(api, token, { claims: { jti: undefined } })],
        ['ath of another token', (token) => dpopCall(api, token, { accessToken: `${token}x` })],
        ['typ JWT', (token) => dpopCall(api, token, { header: { typ: 'JWT' } })],
        [
          'an alg not accepted (ES384)',
          async (token) => dpopCall(api, token, { key: await es384 }),
        ],
        [
          'a private key in jwk',
          (token) => dpopCall(api, token, { header: { jwk: { ...client.jwk, d: 'AAAA' } } }),
        ],
        ['signed by another key than its jwk', (token) => dpopCall(api, token, { signer: other })],
        [
          'a proof used twice',
          async (token) => {
            const url = `${api.url}${API_PATH}`
            const once = await proof(client, { method: 'GET', url, accessToken: token })
            const headers = { authorization: `DPoP ${token}`, dpop: once }
            expect((await send(url, 'GET', headers)).status).toBe(200)
            return send(url, 'GET', headers)
          },
        ],
      ]
      for (const [name, call] of cases) {
        it(name, async () => {
          expectRefused(await call(await issuer.token(client.jkt)), 'DPOP_PROOF_INVALID', BOTH)
        })
      }
    })

    it('htu ignores the query; a token without the scope is 403 in the DPoP challenge', async () => {
      const token = await issuer.token(client.jkt)
      const url = `${api.url}${API_PATH}?page=2`
      const made = await proof(client, {
        method: 'GET',
        url: `${api.url}${API_PATH}`,
        accessToken: token,
      })
      expect((await send(url, 'GET', { authorization: `DPoP ${token}`, dpop: made })).status).toBe(
        200,
      )
      const narrow = await issuer.token(client.jkt, { scope: 'write' })
      expectRefused(
        await dpopCall(api, narrow),
        'BEARER_INSUFFICIENT_SCOPE',
        /^DPoP error="insufficient_scope", error_description="[^"]+", scope="read", algs="ES256", Bearer$/,
        403,
      )
    })

    it("dpop: 'require': Bearer is refused with a DPoP-only challenge, DPoP passes", async () => {
      const strict = await start({ dpop: 'require' })
      expectRefused(
        await bearerCall(strict, await issuer.token()),
        'BEARER_TOKEN_MISSING',
        'DPoP algs="ES256"',
      )
      expect((await dpopCall(strict, await issuer.token(client.jkt))).status).toBe(200)
    })

    it("dpop: 'off': a DPoP request is no token at all, the challenge is Bearer only", async () => {
      const off = await start({ dpop: 'off' })
      expectRefused(
        await dpopCall(off, await issuer.token(client.jkt)),
        'BEARER_TOKEN_MISSING',
        'Bearer',
      )
    })

    it('server nonces: use_dpop_nonce with a DPoP-Nonce, then the retry with it passes', async () => {
      const withNonces = await start({ dpopNonce: true })
      const token = await issuer.token(client.jkt)
      const first = await dpopCall(withNonces, token)
      expectRefused(
        first,
        'DPOP_NONCE_REQUIRED',
        /^DPoP error="use_dpop_nonce", error_description="[^"]+", algs="ES256", Bearer$/,
      )
      const nonce = first.headers['dpop-nonce']
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/)
      const retry = await dpopCall(withNonces, token, { claims: { nonce } })
      expect(retry.status, JSON.stringify(retry.body)).toBe(200)
    })

    it('server nonces: past half its lifetime, a success answer carries the next nonce', async () => {
      // Lifetime 3 s: from its second second on, a nonce is still good but due for renewal.
      const withNonces = await start({ dpopNonce: { lifetime: 3 } })
      const token = await issuer.token(client.jkt)
      const nonce = (await dpopCall(withNonces, token)).headers['dpop-nonce']
      let renewed: unknown
      for (let attempt = 0; attempt < 12 && renewed === undefined; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        const answer = await dpopCall(withNonces, token, { claims: { nonce } })
        expect(answer.status, JSON.stringify(answer.body)).toBe(200)
        renewed = answer.headers['dpop-nonce']
      }
      expect(renewed).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(renewed).not.toBe(nonce)
      expect((await dpopCall(withNonces, token, { claims: { nonce: renewed } })).status).toBe(200)
    })

    it('origin: the public origin a proof names when the app sees another', async () => {
      const proxied = await start({ origin: 'https://api.example.com' })
      const token = await issuer.token(client.jkt)
      const answer = await dpopCall(proxied, token, { url: `https://api.example.com${API_PATH}` })
      expect(answer.status, JSON.stringify(answer.body)).toBe(200)
      expectRefused(await dpopCall(proxied, token), 'DPOP_PROOF_INVALID', BOTH)
    })

    if (adapter.proxyAware) {
      it('behind a proxy the framework trusts: https from X-Forwarded-Proto', async () => {
        const external = `https://api.example.com${API_PATH}`
        // A proxy that passes the Host on and says https (and the host) in X-Forwarded-*.
        const forwarded = {
          host: 'api.example.com',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'api.example.com',
        }
        const call = async (target: RunningApi) => {
          const token = await issuer.token(client.jkt)
          const made = await proof(client, { method: 'GET', url: external, accessToken: token })
          return send(`${target.url}${API_PATH}`, 'GET', {
            authorization: `DPoP ${token}`,
            dpop: made,
            ...forwarded,
          })
        }
        const trusting = await start({}, true)
        const answer = await call(trusting)
        expect(answer.status, JSON.stringify(answer.body)).toBe(200)
        // Not trusted: the forwarded headers are ignored, and the proof names another URL.
        expectRefused(await call(api), 'DPOP_PROOF_INVALID', BOTH)
      })
    }
  })
}
