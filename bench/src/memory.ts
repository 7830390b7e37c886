// Memory under a bounded load, in process: 2 × 10k requests, each with its own session whose
// access token has expired, so every request refreshes (token endpoint answered from memory,
// after one turn of the event loop as real I/O) and reseals. If the engine kept per-session
// state (refresh results, in-flight promises, used states) without bound, the heap would grow by
// the number of sessions between the checkpoints.
import { createBearerVerifier, createHybridAuth, type Session } from '@oidc-hybrid/core'
import { CookieSealer } from '@oidc-hybrid/core/adapter'
import { NodeCryptoProvider } from './crypto-node.js'
import {
  API,
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  cannedFetch,
  type Fixtures,
  ISSUER,
} from './fixtures.js'

const SESSION_COOKIE = '__Host-appSession'
const MB = 1024 * 1024

export interface MemoryResult {
  requestsPerPhase: number
  concurrency: number
  heap: { label: string; heapUsedMB: number; rssMB: number }[]
  tokenEndpointCalls: number
  refreshedRequests: number
  singleFlight: { requests: number; sharedTokens: number; tokenEndpointCalls: number }
  unknownKid: { tokens: number; jwksFetches: number; rejected: number }
  seconds: number
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc
  if (collect === undefined) throw new Error('run with node --expose-gc (pnpm bench does)')
  collect()
  collect()
}

function snapshot(label: string) {
  gc()
  const usage = process.memoryUsage()
  return { label, heapUsedMB: usage.heapUsed / MB, rssMB: usage.rss / MB }
}

export async function memoryRun(
  fixtures: Fixtures,
  options: { requests: number; concurrency: number; onProgress: (message: string) => void },
): Promise<MemoryResult> {
  const started = performance.now()
  const crypto = new NodeCryptoProvider()
  const counters = { token: 0, jwks: 0, discovery: 0 }
  let rotation = 0
  const tokenBody = () =>
    JSON.stringify({
      access_token: fixtures.session.accessToken,
      id_token: fixtures.refreshIdToken,
      refresh_token: `rotated-${++rotation}`,
      token_type: 'Bearer',
      expires_in: 86_400,
    })
  const engine = createHybridAuth({
    issuerBaseURL: ISSUER,
    baseURL: 'https://app.example.com',
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    secret: COOKIE_SECRET,
    crypto,
    fetch: cannedFetch(fixtures, tokenBody, counters, true),
  })
  const sealer = await CookieSealer.create(COOKIE_SECRET, crypto)
  const now = Math.floor(Date.now() / 1000)

  async function request(refreshToken: string): Promise<boolean> {
    const session: Session = {
      ...fixtures.session,
      refreshToken,
      expiresAt: now - 10,
      createdAt: now,
    }
    const sealed = await sealer.seal(SESSION_COOKIE, { session }, now + 86_400)
    const loaded = await engine.load({
      method: 'GET',
      url: 'https://app.example.com/profile',
      headers: new Headers({ cookie: `${SESSION_COOKIE}=${sealed}` }),
    })
    const fresh = await loaded.getAccessToken()
    return fresh.refreshToken !== refreshToken && loaded.takeSetCookies().length > 0
  }

  /** Runs `count` requests, `concurrency` at a time; returns how many refreshed and resealed. */
  async function phase(prefix: string, count: number): Promise<number> {
    let refreshed = 0
    for (let start = 0; start < count; start += options.concurrency) {
      const batch = Array.from({ length: Math.min(options.concurrency, count - start) }, (_, i) =>
        request(`${prefix}-${start + i}`),
      )
      for (const ok of await Promise.all(batch)) if (ok) refreshed++
    }
    return refreshed
  }

  await phase('warm', 200)
  const heap = [snapshot('after 200 warm-up requests')]
  const before = counters.token
  options.onProgress(`memory: phase 1, ${options.requests} sessions`)
  let refreshed = await phase('one', options.requests)
  heap.push(snapshot(`after ${options.requests} more (distinct sessions, each refreshed)`))
  options.onProgress(`memory: phase 2, ${options.requests} sessions`)
  refreshed += await phase('two', options.requests)
  heap.push(snapshot(`after ${options.requests} more`))
  const tokenEndpointCalls = counters.token - before

  // Single flight: 10 concurrent requests per refresh token share one token endpoint call.
  const sharedBefore = counters.token
  const groups = 100
  for (let group = 0; group < groups; group += 10) {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => request(`shared-${group + Math.floor(i / 10)}`)),
    )
  }
  const singleFlight = {
    requests: groups * 10,
    sharedTokens: groups,
    tokenEndpointCalls: counters.token - sharedBefore,
  }

  // Unknown kids: a flood of tokens naming keys the JWKS does not have refetches it at most once
  // per cooldown, however many there are.
  const bearerCounters = { token: 0, jwks: 0, discovery: 0 }
  const bearer = createBearerVerifier({
    issuerBaseURL: ISSUER,
    audience: API,
    crypto,
    fetch: cannedFetch(fixtures, tokenBody, bearerCounters, true),
  })
  await bearer.verify(`Bearer ${fixtures.bearerToken}`)
  const claims = JSON.parse(
    Buffer.from(fixtures.bearerToken.split('.')[1]!, 'base64url').toString('utf8'),
  ) as Record<string, unknown>
  let rejected = 0
  const tokens = 300
  for (let i = 0; i < tokens; i++) {
    const token = await fixtures.sign('ES256', claims, 'at+jwt')
    const forged = `${Buffer.from(JSON.stringify({ alg: 'ES256', kid: `unknown-${i}`, typ: 'at+jwt' })).toString('base64url')}.${token.split('.').slice(1).join('.')}`
    await bearer.verify(`Bearer ${forged}`).catch(() => rejected++)
  }
  heap.push(snapshot('after the single-flight and unknown-kid runs'))
  // Each token request's AbortSignal.timeout(httpTimeout = 5 s) lives until its timer fires.
  await new Promise((resolve) => setTimeout(resolve, 6000))
  heap.push(snapshot('6 s later, idle (every request timeout has fired), engine still alive'))
  return {
    requestsPerPhase: options.requests,
    concurrency: options.concurrency,
    heap,
    tokenEndpointCalls,
    refreshedRequests: refreshed,
    singleFlight,
    unknownKid: { tokens, jwksFetches: bearerCounters.jwks, rejected },
    seconds: (performance.now() - started) / 1000,
  }
}
