/**
 * DPoP for the relying party (RFC 9449, `dpop()`) in every adapter, against the real dev provider
 * (oidc-provider 9): the login binds the code to a new key (`dpop_jkt`), the code exchange, the
 * refreshes, UserInfo and the adapter's API-call helper carry proofs by it (`ath` with the access
 * token, sent as `Authorization: DPoP`), the session's token is bound to it (`cnf.jkt`), server
 * nonces are taken up (400 `use_dpop_nonce` at the token endpoint, 401 at UserInfo and at an API
 * requiring them) and remembered per origin; refresh tokens rotated or kept; a provider that does
 * not bind tokens (`token_type` `Bearer`) fails the login; the bound token is refused as a plain
 * Bearer token by an API requiring DPoP.
 *
 * Every request the app sends out (to the provider, and to the API through the adapter's `fetch`)
 * goes through the `fetch` option and is recorded with its DPoP proof decoded; the key's
 * thumbprint is computed with jose (in the test and in the apps' `/state`), not by the library.
 */
import { createHash } from 'node:crypto'
import { dpop, type HybridAuthConfig } from '@oidc-hybrid/core'
import {
  type Browser,
  createBrowser,
  jwtPayload,
  listen,
  SESSION,
  startTestProvider,
  type TestProvider,
} from '@oidc-hybrid/test-kit'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import type { AppUnderTest, RunningApp } from '../src/apps.js'

const CLIENT_ID = 'dpop-rp'
const CLIENT_SECRET = 'dpop-rp-client-secret-0123456789abcdef0123456789'
const SECRET = 'dpop-rp-test-cookie-secret-0123456789abcdef'
const AUDIENCE = 'https://api.example.com'
const SCOPE = 'openid profile email offline_access read:messages'
const JSON_ACCEPT = { accept: 'application/json' }
const SUB = 'auth0|demo-user'

// ---- what the app sends ---------------------------------------------------------------------

interface Proof {
  header: Record<string, unknown> & { jwk: JWK }
  claims: Record<string, unknown>
}

/** A request the app sent, and what came back. */
interface Sent {
  url: URL
  method: string
  authorization: string | null
  /** The DPoP proof, decoded (not verified: the provider and the API verify them). */
  proof?: Proof
  /** The form of a token endpoint request. */
  form?: URLSearchParams
  status: number
  /** The token endpoint's JSON answer. */
  answer?: Record<string, unknown>
  /** The answer's `DPoP-Nonce` and `WWW-Authenticate`. */
  nonce: string | null
  challenge: string | null
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** A `fetch` for the app's config that records every request (see {@link Sent}). */
function recorder() {
  const sent: Sent[] = []
  const spy: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const dpopHeader = request.headers.get('dpop')
    const [header, claims] = dpopHeader ? dpopHeader.split('.') : []
    const url = new URL(request.url)
    const form =
      request.method === 'POST' && url.pathname === '/oauth/token'
        ? new URLSearchParams(await request.clone().text())
        : undefined
    const response = await fetch(request)
    const record: Sent = {
      url,
      method: request.method,
      authorization: request.headers.get('authorization'),
      proof:
        header && claims
          ? { header: decodeSegment(header) as Proof['header'], claims: decodeSegment(claims) }
          : undefined,
      form,
      status: response.status,
      answer: form
        ? ((await response
            .clone()
            .json()
            .catch(() => undefined)) as Record<string, unknown> | undefined)
        : undefined,
      nonce: response.headers.get('dpop-nonce'),
      challenge: response.headers.get('www-authenticate'),
    }
    sent.push(record)
    return response
  }
  return {
    fetch: spy,
    sent,
    /** Token endpoint requests of a grant type. */
    grants: (grantType: string) => sent.filter((s) => s.form?.get('grant_type') === grantType),
    to: (pathname: string) => sent.filter((s) => s.url.pathname === pathname),
  }
}

/** base64url(SHA-256(access token)): a proof's `ath` (RFC 9449 4.2). */
function ath(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

/**
 * `sent` carries a proof by the key whose thumbprint is `jkt` (its public part only), naming the
 * request (`htm`, `htu` without query), with `ath` for `accessToken` (none without).
 */
async function expectProof(sent: Sent, jkt: string, accessToken?: string): Promise<Proof> {
  expect(sent.proof, `a DPoP proof on ${sent.method} ${sent.url}`).toBeDefined()
  const { header, claims } = sent.proof!
  expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' })
  expect(Object.keys(header.jwk).sort()).toEqual(['crv', 'kty', 'x', 'y'])
  expect(await calculateJwkThumbprint(header.jwk)).toBe(jkt)
  expect(claims).toMatchObject({ htm: sent.method, htu: `${sent.url.origin}${sent.url.pathname}` })
  expect(claims.jti).toEqual(expect.any(String))
  expect(claims.ath).toBe(accessToken === undefined ? undefined : ath(accessToken))
  return sent.proof!
}

/**
 * With `nonces`: the first attempt (no nonce) refused with a fresh nonce and the second with
 * that nonce accepted; without: one accepted attempt without a nonce.
 */
function expectNonceRetry(attempts: Sent[], nonces: boolean, refused: number): void {
  if (nonces) {
    expect(attempts.map((s) => s.status)).toEqual([refused, 200])
    const [first, second] = attempts as [Sent, Sent]
    expect(first.proof?.claims.nonce).toBeUndefined()
    expect(first.nonce).toEqual(expect.any(String))
    if (refused === 400) expect(first.answer?.error).toBe('use_dpop_nonce')
    else expect(first.challenge).toMatch(/^DPoP .*error="use_dpop_nonce"/)
    expect(second.proof?.claims.nonce).toBe(first.nonce)
  } else {
    expect(attempts.map((s) => s.status)).toEqual([200])
    expect(attempts[0]!.proof?.claims.nonce).toBeUndefined()
  }
}

/** Every proof the app sent has a `jti` of its own (RFC 9449 4.2: a new one per request). */
function expectFreshJtis(sent: Sent[]): void {
  const jtis = sent.flatMap((s) => (s.proof ? [s.proof.claims.jti] : []))
  expect(jtis.length).toBeGreaterThan(0)
  expect(new Set(jtis).size).toBe(jtis.length)
}

// ---- setup ----------------------------------------------------------------------------------

interface State {
  claims: { sub: string }
  token: string
  scope?: string
  tokenType: string
  jkt?: string
}

interface Variant {
  /** The provider demands DPoP server nonces (token endpoint, UserInfo); so does the API. */
  nonces?: boolean
  /** The provider rotates refresh tokens (default) or keeps them. */
  rotate?: boolean
  /** Ask for a JWT access token for the API (default) and serve the API requiring DPoP; or not. */
  api?: boolean
  /** The provider accepts DPoP (default) or has it off (it then answers Bearer tokens). */
  providerDpop?: boolean
}

interface Setup {
  app: RunningApp
  provider: TestProvider
  recorded: ReturnType<typeof recorder>
  userinfoPath: string
  /** Another instance of the app (same configuration, a new engine), on its own port. */
  startAnother(): Promise<RunningApp>
  close(): Promise<void>
}

async function setup(adapter: AppUnderTest, variant: Variant = {}): Promise<Setup> {
  const { nonces = false, rotate = true, api = true, providerDpop = true } = variant
  const web = await listen()
  const provider = await startTestProvider({
    client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appURLs: [web.url] },
    rotateRefreshTokens: rotate,
    dpopNonces: nonces,
    ...(providerDpop ? {} : { dpop: false }),
  })
  const apps: RunningApp[] = []
  const close = async () => {
    await Promise.all(apps.map((app) => app.close()))
    await provider.close()
  }
  try {
    const discovery = (await (
      await fetch(`${provider.issuer}.well-known/openid-configuration`)
    ).json()) as { userinfo_endpoint: string }
    const recorded = recorder()
    const config = (baseURL: string): HybridAuthConfig => ({
      issuerBaseURL: provider.issuer,
      baseURL,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      secret: SECRET,
      authorizationParams: api
        ? { scope: SCOPE, audience: AUDIENCE }
        : { scope: 'openid profile email offline_access' },
      extensions: [dpop()],
      fetch: recorded.fetch,
    })
    const options = api
      ? {
          api: {
            bearer: {
              issuerBaseURL: provider.issuer,
              audience: AUDIENCE,
              dpop: 'require' as const,
              dpopNonce: nonces,
            },
            scopes: ['read:messages'],
          },
        }
      : {}
    const app = await adapter.start(config, { server: web.server, ...options })
    apps.push(app)
    return {
      app,
      provider,
      recorded,
      userinfoPath: new URL(discovery.userinfo_endpoint).pathname,
      startAnother: async () => {
        const another = await adapter.start(config, options)
        apps.push(another)
        return another
      },
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

async function json<T>(browser: Browser, path: string): Promise<T> {
  const response = await browser.get(path)
  const text = await response.text()
  expect(response.status, `GET ${path}: ${text}`).toBe(200)
  return JSON.parse(text) as T
}

/** Logs in through the app: the authorization URL it sent the browser to, and the callback's answer. */
async function login(app: RunningApp) {
  const browser = createBrowser(app.url, { headers: JSON_ACCEPT })
  const authorizationUrl = new URL(await browser.startLogin())
  const { action, params } = await browser.authorize(authorizationUrl.href)
  const callback = await browser.post(action, params)
  return { browser, authorizationUrl, callback }
}

/** `/call-api`: the API's answer to the adapter's fetch helper. */
async function callApi(browser: Browser) {
  return json<{ status: number; body: { sub?: string; scopes?: string[] } }>(browser, '/call-api')
}

// ---- the specs ------------------------------------------------------------------------------

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))(
  'DPoP-bound tokens for the relying party, %s',
  (_name, adapter) => {
    for (const nonces of [false, true]) {
      it(`binds the session's token to its key, calls an API requiring DPoP, refreshes (server nonces ${nonces ? 'on' : 'off'})`, async () => {
        const { app, recorded, close } = await setup(adapter, { nonces })
        try {
          const { browser, authorizationUrl, callback } = await login(app)
          expect(callback.status).toBe(302)
          expect(browser.jar.has(SESSION)).toBe(true)

          const state = await json<State>(browser, '/state')
          expect(state.claims.sub).toBe(SUB)
          expect(state.tokenType).toBe('DPoP')
          const jkt = state.jkt!
          expect(jkt).toMatch(/^[\w-]{43}$/)
          // The code was bound to the session's key (RFC 9449 10), and so is the access token.
          expect(authorizationUrl.searchParams.get('dpop_jkt')).toBe(jkt)
          const payload = jwtPayload(state.token)
          expect(payload.aud).toContain(AUDIENCE)
          expect(payload.cnf).toEqual({ jkt })

          // The code exchange proved possession of that key (no access token yet: no ath).
          const exchange = recorded.grants('authorization_code')
          expectNonceRetry(exchange, nonces, 400)
          for (const sent of exchange) await expectProof(sent, jkt)
          expect(exchange.at(-1)!.answer?.token_type).toBe('DPoP')

          // The API requires DPoP (and its own nonces with `nonces`).
          const first = await callApi(browser)
          expect(first).toEqual({ status: 200, body: { sub: SUB, scopes: ['read:messages'] } })
          const apiCalls = recorded.to('/api')
          expectNonceRetry(apiCalls, nonces, 401)
          for (const sent of apiCalls) {
            expect(sent.authorization).toBe(`DPoP ${state.token}`)
            await expectProof(sent, jkt, state.token)
          }

          // A forced refresh: a new token, bound to the same key, which the session keeps.
          const refreshed = await json<{ token: string }>(browser, '/refresh')
          expect(refreshed.token).not.toBe(state.token)
          expect(jwtPayload(refreshed.token).cnf).toEqual({ jkt })
          const after = await json<State>(browser, '/state')
          expect(after).toMatchObject({ token: refreshed.token, tokenType: 'DPoP', jkt })
          const refreshes = recorded.grants('refresh_token')
          expect(refreshes.at(-1)!.status).toBe(200)
          expect(refreshes.at(-1)!.answer?.token_type).toBe('DPoP')
          for (const sent of refreshes) await expectProof(sent, jkt)
          // The provider's nonce from the code exchange was kept for the refresh.
          if (nonces) expect(refreshes[0]!.proof?.claims.nonce).toEqual(expect.any(String))

          const second = await callApi(browser)
          expect(second).toEqual(first)
          const secondCalls = recorded.to('/api').slice(apiCalls.length)
          // The API's nonce was kept: no second refusal.
          expect(secondCalls.map((s) => s.status)).toEqual([200])
          expect(secondCalls[0]!.proof?.claims.nonce).toBe(
            nonces ? apiCalls.at(-1)!.proof?.claims.nonce : undefined,
          )
          expect(secondCalls[0]!.authorization).toBe(`DPoP ${refreshed.token}`)
          await expectProof(secondCalls[0]!, jkt, refreshed.token)
          expectFreshJtis(recorded.sent)
        } finally {
          await close()
        }
      })
    }

    for (const rotate of [true, false]) {
      it(`refreshes with ${rotate ? 'rotating' : 'non-rotating'} refresh tokens: every new token bound to the session's key`, async () => {
        const { app, recorded, close } = await setup(adapter, { rotate })
        try {
          const { browser, callback } = await login(app)
          expect(callback.status).toBe(302)
          const { jkt, token } = await json<State>(browser, '/state')
          const issued = recorded.grants('authorization_code').at(-1)!.answer!.refresh_token
          expect(issued).toEqual(expect.any(String))
          const tokens = [token]
          for (let i = 0; i < 2; i++) {
            const { token: next } = await json<{ token: string }>(browser, '/refresh')
            expect(tokens).not.toContain(next)
            tokens.push(next)
            expect(jwtPayload(next).cnf).toEqual({ jkt })
            expect(await json<State>(browser, '/state')).toMatchObject({
              token: next,
              tokenType: 'DPoP',
              jkt,
            })
            expect(await callApi(browser)).toMatchObject({ status: 200, body: { sub: SUB } })
          }
          const refreshes = recorded.grants('refresh_token')
          expect(refreshes.map((s) => s.status)).toEqual([200, 200])
          for (const sent of refreshes) await expectProof(sent, jkt!)
          const used = refreshes.map((s) => s.form!.get('refresh_token'))
          if (rotate) {
            // Each refresh used the refresh token the previous answer gave.
            expect(used).toEqual([issued, refreshes[0]!.answer!.refresh_token])
            expect(used[1]).not.toBe(issued)
          } else {
            expect(refreshes.map((s) => s.answer!.refresh_token)).toEqual([undefined, undefined])
            expect(used).toEqual([issued, issued])
          }
        } finally {
          await close()
        }
      })
    }

    for (const nonces of [false, true]) {
      it(`fetches UserInfo with a DPoP-bound opaque token (server nonces ${nonces ? 'on' : 'off'}), also from another instance`, async () => {
        const { app, recorded, userinfoPath, startAnother, close } = await setup(adapter, {
          nonces,
          api: false,
        })
        try {
          const { browser, callback } = await login(app)
          expect(callback.status).toBe(302)
          const state = await json<State>(browser, '/state')
          expect(state.tokenType).toBe('DPoP')
          // No audience: an opaque token, which oidc-provider itself checks at UserInfo.
          expect(state.token.split('.')).toHaveLength(1)
          const jkt = state.jkt!

          expect(await json<{ sub: string }>(browser, '/userinfo')).toMatchObject({ sub: SUB })
          const calls = recorded.to(userinfoPath)
          // The provider's nonce from the code exchange was kept: accepted at once.
          expect(calls.map((s) => s.status)).toEqual([200])
          if (nonces) expect(calls[0]!.proof?.claims.nonce).toEqual(expect.any(String))
          expect(calls[0]!.authorization).toBe(`DPoP ${state.token}`)
          await expectProof(calls[0]!, jkt, state.token)

          // Another instance (no nonce known yet) with the same session cookie: the key is in it.
          const another = await startAnother()
          const elsewhere = createBrowser(another.url, { headers: JSON_ACCEPT, jar: browser.jar })
          expect(await json<{ sub: string }>(elsewhere, '/userinfo')).toMatchObject({ sub: SUB })
          const more = recorded.to(userinfoPath).slice(calls.length)
          expectNonceRetry(more, nonces, 401)
          for (const sent of more) await expectProof(sent, jkt, state.token)
        } finally {
          await close()
        }
      })
    }

    it('fails the login with TOKEN_RESPONSE_INVALID when the provider does not bind the token (Bearer), no session', async () => {
      const { app, recorded, close } = await setup(adapter, { providerDpop: false })
      try {
        const { browser, authorizationUrl, callback } = await login(app)
        const text = await callback.text()
        expect(callback.status, text).toBe(502)
        const { error, message } = JSON.parse(text) as { error: string; message: string }
        expect(error).toBe('TOKEN_RESPONSE_INVALID')
        expect(message).toContain('token_type')
        expect(browser.jar.has(SESSION)).toBe(false)
        expect(callback.headers.get('set-cookie') ?? '').not.toContain(`${SESSION}=`)
        // The app asked for a bound token; the provider answered a Bearer one all the same.
        const [exchange] = recorded.grants('authorization_code')
        expect(authorizationUrl.searchParams.get('dpop_jkt')).toMatch(/^[\w-]{43}$/)
        await expectProof(exchange!, authorizationUrl.searchParams.get('dpop_jkt')!)
        expect(exchange!.status).toBe(200)
        expect(exchange!.answer?.token_type).toBe('Bearer')
        expect((await browser.get('/me')).status).toBe(401)
      } finally {
        await close()
      }
    })

    it('the bound token presented as a plain Bearer token is refused by the API requiring DPoP', async () => {
      const { app, close } = await setup(adapter)
      try {
        const { browser } = await login(app)
        const { token } = await json<State>(browser, '/state')
        const api = `${app.apiURL}/api`
        const bearer = await fetch(api, { headers: { authorization: `Bearer ${token}` } })
        expect(bearer.status).toBe(401)
        expect(bearer.headers.get('www-authenticate')).toMatch(/DPoP/)
        // Nor as DPoP without a proof; through the adapter, with its proof, it is accepted.
        const unproven = await fetch(api, { headers: { authorization: `DPoP ${token}` } })
        expect(unproven.status).toBe(401)
        expect((await callApi(browser)).status).toBe(200)
      } finally {
        await close()
      }
    })
  },
)
