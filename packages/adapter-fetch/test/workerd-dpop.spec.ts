/**
 * DPoP-bound tokens (`dpop()`, RFC 9449) inside real workerd (through Miniflare), against the dev
 * provider demanding server nonces: the key is generated and the proofs signed with workerd's
 * WebCrypto; the worker calls its own `/api` (DPoP required, with nonces of its own) through the
 * adapter's `fetch`, and refreshes. Every request the worker sends out passes the outbound service,
 * which records it with its DPoP proof decoded; thumbprints are computed here (RFC 7638).
 */
import { createHash } from 'node:crypto'
import { createBrowser, jwtPayload, SESSION } from '@oidc-hybrid/test-kit'
import {
  Miniflare,
  type Request as MiniflareRequest,
  Response as MiniflareResponse,
} from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleWorker } from './bundle-worker.js'
import { startProvider, type TestProvider } from './provider.js'

/** The worker's origin: nothing listens there, requests reach it through dispatchFetch. */
const APP = 'http://localhost:8787'
const COMPATIBILITY_DATE = '2026-04-01'
const JSON_ACCEPT = { accept: 'application/json' }

interface JWK {
  kty: string
  crv: string
  x: string
  y: string
}

/** The RFC 7638 thumbprint of an EC public key: SHA-256 of its required members, in order. */
function thumbprint({ crv, kty, x, y }: JWK): string {
  const members = JSON.stringify({ crv, kty, x, y })
  return createHash('sha256').update(members).digest('base64url')
}

interface Sent {
  url: URL
  method: string
  authorization: string | null
  proof?: { jwk: JWK; claims: Record<string, unknown> }
  grantType?: string | null
  status: number
  nonce: string | null
}

const decode = (segment: string) =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>

let op: TestProvider
let mf: Miniflare | undefined
let script: string

beforeAll(async () => {
  op = await startProvider(APP, { dpopNonces: true })
  script = await bundleWorker('./worker.ts')
})
afterAll(async () => {
  await mf?.dispose()
  await op?.close()
})

describe('DPoP in workerd', () => {
  it('logs in with a DPoP-bound token, calls its API requiring DPoP and nonces, refreshes (provider nonces on)', async () => {
    const sent: Sent[] = []
    const worker = new Miniflare({
      host: '127.0.0.1',
      port: 0,
      modules: true,
      script,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { ...op.env(), RESPONSE_TYPE: 'code id_token', DPOP: 'nonces' },
      outboundService: async (request: MiniflareRequest, miniflare: Miniflare) => {
        const body = ['GET', 'HEAD'].includes(request.method)
          ? undefined
          : await request.arrayBuffer()
        const init = {
          method: request.method,
          headers: [...request.headers] as [string, string][],
          body,
          redirect: 'manual' as const,
        }
        const url = new URL(request.url)
        const proof = request.headers.get('dpop')?.split('.')
        const response =
          url.origin === APP
            ? ((await miniflare.dispatchFetch(request.url, init)) as unknown as Response)
            : await fetch(request.url, init)
        sent.push({
          url,
          method: request.method,
          authorization: request.headers.get('authorization'),
          proof: proof && {
            jwk: decode(proof[0]!).jwk as JWK,
            claims: decode(proof[1]!),
          },
          grantType:
            url.pathname === '/oauth/token'
              ? new URLSearchParams(new TextDecoder().decode(body)).get('grant_type')
              : undefined,
          status: response.status,
          nonce: response.headers.get('dpop-nonce'),
        })
        return new MiniflareResponse(
          response.status === 204 ? null : await response.arrayBuffer(),
          { status: response.status, headers: [...response.headers] },
        )
      },
    })
    mf = worker
    const w = createBrowser(APP, {
      send: async (url, init) =>
        (await worker.dispatchFetch(url, init as never)) as unknown as Response,
      headers: JSON_ACCEPT,
    })

    const authorizationUrl = new URL(await w.startLogin())
    const jkt = authorizationUrl.searchParams.get('dpop_jkt')
    expect(jkt).toMatch(/^[\w-]{43}$/)
    const { action, params } = await w.authorize(authorizationUrl.href)
    expect((await w.post(action, params)).status).toBe(302)
    expect(w.jar.has(SESSION)).toBe(true)

    // The code exchange: refused for want of the provider's nonce, then accepted with it.
    const exchange = sent.filter((s) => s.grantType === 'authorization_code')
    expect(exchange.map((s) => s.status)).toEqual([400, 200])
    expect(exchange[0]!.proof!.claims.nonce).toBeUndefined()
    expect(exchange[1]!.proof!.claims.nonce).toBe(exchange[0]!.nonce)
    for (const s of exchange) {
      // The public key only, never the private `d`.
      expect(Object.keys(s.proof!.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
      expect(thumbprint(s.proof!.jwk)).toBe(jkt)
    }

    const { token } = (await (await w.get('/token')).json()) as { token: string }
    expect(jwtPayload(token).cnf).toEqual({ jkt })

    // Through the adapter's fetch: refused for want of the API's nonce, then accepted with it.
    const call = await w.get('/call-api')
    expect(call.status).toBe(200)
    expect(await call.json()).toMatchObject({ sub: 'auth0|demo-user', scopes: ['read:messages'] })
    const api = sent.filter((s) => s.url.pathname === '/api')
    expect(api.map((s) => s.status)).toEqual([401, 200])
    expect(api[1]!.proof!.claims.nonce).toBe(api[0]!.nonce)
    const ath = createHash('sha256').update(token).digest('base64url')
    for (const s of api) {
      expect(s.authorization).toBe(`DPoP ${token}`)
      expect(s.proof!.claims).toMatchObject({ htm: 'GET', htu: `${APP}/api`, ath })
      expect(thumbprint(s.proof!.jwk)).toBe(jkt)
    }

    // A refresh: a new token bound to the same key; the provider's nonce was kept.
    expect((await w.get('/refresh')).status).toBe(200)
    const refreshes = sent.filter((s) => s.grantType === 'refresh_token')
    expect(refreshes.map((s) => s.status)).toEqual([200])
    expect(refreshes[0]!.proof!.claims.nonce).toEqual(expect.any(String))
    expect(thumbprint(refreshes[0]!.proof!.jwk)).toBe(jkt)
    const { token: refreshed } = (await (await w.get('/token')).json()) as { token: string }
    expect(refreshed).not.toBe(token)
    expect(jwtPayload(refreshed).cnf).toEqual({ jkt })

    // The API again, with the new token: its nonce was kept, accepted at once.
    expect((await w.get('/call-api')).status).toBe(200)
    const again = sent.filter((s) => s.url.pathname === '/api').slice(api.length)
    expect(again.map((s) => s.status)).toEqual([200])
    expect(again[0]!.authorization).toBe(`DPoP ${refreshed}`)
    expect(again[0]!.proof!.claims.ath).toBe(
      createHash('sha256').update(refreshed).digest('base64url'),
    )
  })
})
