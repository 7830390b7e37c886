// events(): one hook for logins, callbacks, refreshes, logouts, back-channel logouts and bearer
// checks, with durations and error codes and without secrets; OpenTelemetry spans with a tracer.
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { backchannelLogout } from '../../src/engine/backchannel-logout.js'
import { createBearerVerifier } from '../../src/engine/bearer-verifier.js'
import {
  type AuthEvent,
  type EventsOptions,
  type EventsTracer,
  events,
} from '../../src/engine/events.js'
import { serverSessions } from '../../src/engine/server-sessions.js'
import { MemorySessionStore } from '../../src/engine/session-store.js'
import type { HybridAuthConfig, LogEntry } from '../../src/engine/types.js'
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/protocol/logout-token.js'
import { proofKey, proofOf } from '../support/dpop.js'
import { APP, SECRET, setup } from '../support/harness.js'

const AUDIENCE = 'https://api.example.test'

/** The harness with `events()` joined, the events it reported and what was logged. */
async function observed(options: EventsOptions = {}, config: Partial<HybridAuthConfig> = {}) {
  const seen: AuthEvent[] = []
  const logged: LogEntry[] = []
  const extension = events({ onEvent: (event) => void seen.push(event), ...options })
  const t = await setup({
    extensions: [extension],
    logger: (entry) => logged.push(entry),
    ...config,
  })
  /** The events since the last call, and forgets them. */
  const take = () => seen.splice(0)
  return { ...t, extension, seen, logged, take }
}

/** Every value no event may carry: tokens, cookies, the code, the state, the secrets. */
function secretsOf(t: Awaited<ReturnType<typeof observed>>, params: URLSearchParams) {
  return [
    // code, id_token, access_token (hybrid), state; not `iss`, `token_type` or `expires_in`,
    // which are no secrets (a `durationMs` such as 11.336001 contains "3600").
    ...[...params].flatMap(([name, value]) =>
      /^(iss|token_type|expires_in)$/.test(name) ? [] : [value],
    ),
    ...t.jar.cookies.values(),
    t.provider.clientSecret,
    SECRET,
  ]
}

function expectFreeOf(serialized: string, secrets: string[]) {
  expect(secrets.length).toBeGreaterThan(4)
  for (const secret of secrets) expect(serialized).not.toContain(secret)
}

describe('events(): the engine', () => {
  it('a login: login.started, then callback.succeeded with the user and the durations', async () => {
    const t = await observed()
    t.provider.sid = 'sid-1'
    const { start } = await t.beginLogin()
    expect(start.status).toBe(302)
    expect(t.take()).toEqual([
      { type: 'login.started', status: 302, durationMs: expect.any(Number) },
    ])
    t.provider.sid = 'sid-1'
    await t.login()
    const [, callback] = t.take()
    expect(callback).toEqual({
      type: 'callback.succeeded',
      status: 302,
      sub: 'user-1',
      sid: 'sid-1',
      durationMs: expect.any(Number),
    })
    expect(callback!.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('a tampered callback: callback.failed with its code and status, and no user', async () => {
    const t = await observed()
    const { params } = await t.beginLogin()
    params.set('state', `${params.get('state')}x`)
    const response = await t.postCallback(params)
    expect(response.error?.code).toBe('TRANSACTION_MISSING')
    expect(t.take().at(-1)).toEqual({
      type: 'callback.failed',
      code: 'TRANSACTION_MISSING',
      status: 400,
      durationMs: expect.any(Number),
    })
    // A token-endpoint ID token that fails its checks: the user it names is not reported.
    t.provider.nextTokenEndpointTamper = (claims) => {
      claims.nonce = 'another'
    }
    const login = await t.login()
    expect(login.callback.error?.code).toBe('NONCE_MISMATCH')
    const [, failed] = t.take()
    expect(failed).toEqual({
      type: 'callback.failed',
      code: 'NONCE_MISMATCH',
      status: 400,
      durationMs: expect.any(Number),
    })
  })

  it('a replayed callback in flight does not take the user from the one it copies', async () => {
    const t = await observed()
    const { params } = await t.beginLogin()
    t.take()
    const [first, replay] = await Promise.all([t.postCallback(params), t.postCallback(params)])
    expect(first.error).toBeUndefined()
    expect(replay.error?.code).toBe('TRANSACTION_MISSING')
    expect(t.take()).toEqual([
      expect.objectContaining({ type: 'callback.failed', code: 'TRANSACTION_MISSING' }),
      expect.objectContaining({ type: 'callback.succeeded', sub: 'user-1' }),
    ])
  })

  it('refreshes: refresh.succeeded with the user; refresh.failed with the code', async () => {
    const t = await observed()
    t.provider.sid = 'sid-1'
    await t.login()
    t.take()
    await t.inRequest((loaded) => loaded.getAccessToken({ refresh: 'force' }))
    expect(t.take()).toEqual([
      { type: 'refresh.succeeded', sub: 'user-1', sid: 'sid-1', durationMs: expect.any(Number) },
    ])
    t.provider.tokenEndpointOverride = () =>
      Response.json({ error: 'invalid_grant' }, { status: 400 })
    await expect(
      t.inRequest((loaded) => loaded.getAccessToken({ refresh: 'force' })),
    ).rejects.toMatchObject({ code: 'TOKEN_ENDPOINT_ERROR' })
    expect(t.take()).toEqual([
      {
        type: 'refresh.failed',
        code: 'TOKEN_ENDPOINT_ERROR',
        sub: 'user-1',
        sid: 'sid-1',
        durationMs: expect.any(Number),
      },
    ])
  })

  it('logout.succeeded; login.failed when the provider cannot be reached', async () => {
    const t = await observed()
    await t.login()
    t.take()
    const logout = (await t.auth.handle(t.request('GET', '/logout')))!
    expect(logout.status).toBe(302)
    expect(t.take()).toEqual([
      { type: 'logout.succeeded', status: 302, durationMs: expect.any(Number) },
    ])

    const down = await observed({}, { fetch: async () => new Response('down', { status: 503 }) })
    const login = await down.startLogin()
    expect(login.error?.code).toMatch(/^DISCOVERY_|^HTTP_/)
    expect(down.take()).toEqual([
      {
        type: 'login.failed',
        code: login.error!.code,
        status: login.status,
        durationMs: expect.any(Number),
      },
    ])
    const failedLogout = (await down.auth.handle(down.request('GET', '/logout')))!
    expect(failedLogout.error).toBeDefined()
    expect(down.take()).toMatchObject([{ type: 'logout.failed', code: failedLogout.error!.code }])
  })

  it('an unexpected error is reported without a code and thrown on as before', async () => {
    const t = await observed()
    const broken = new TypeError('headers went away')
    const request = {
      method: 'GET',
      url: `${APP}/login`,
      headers: {
        get(): string | null {
          throw broken
        },
      },
    }
    await expect(t.auth.login(request)).rejects.toBe(broken)
    expect(t.take()).toEqual([{ type: 'login.failed', durationMs: expect.any(Number) }])
  })

  it('back-channel logout: succeeded with the logout token’s user, failed with the code', async () => {
    const t = await observed(
      {},
      {
        session: { store: serverSessions(new MemorySessionStore()) },
        backchannelLogout: backchannelLogout(),
      },
    )
    const token = await t.provider.sign(
      {
        iss: t.provider.issuer,
        aud: t.provider.clientId,
        iat: t.clock.now,
        exp: t.clock.now + 120,
        jti: 'jti-1',
        sub: 'user-1',
        sid: 'sid-1',
        events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      },
      { typ: 'logout+jwt' },
    )
    const post = (body: string) =>
      t.auth.handle({
        method: 'POST',
        url: `${APP}/backchannel-logout`,
        headers: new Headers({ 'content-type': 'application/x-www-form-urlencoded' }),
        body,
      })
    expect((await post(`logout_token=${token}`))!.status).toBe(200)
    // The same token again is a replay.
    expect((await post(`logout_token=${token}`))!.error?.code).toBe('LOGOUT_TOKEN_INVALID')
    const [succeeded, failed] = t.take()
    expect(succeeded).toEqual({
      type: 'backchannel_logout.succeeded',
      status: 200,
      sub: 'user-1',
      sid: 'sid-1',
      durationMs: expect.any(Number),
    })
    expect(failed).toEqual({
      type: 'backchannel_logout.failed',
      code: 'LOGOUT_TOKEN_INVALID',
      status: 400,
      durationMs: expect.any(Number),
    })
    expect(JSON.stringify([succeeded, failed])).not.toContain(token)
  })

  it('no event carries a token, a cookie, the code, the state or a secret', async () => {
    const t = await observed()
    t.provider.sid = 'sid-1'
    const { params } = await t.login()
    await t.inRequest((loaded) => loaded.getAccessToken({ refresh: 'force' }))
    const session = (await t.session())!
    const secrets = [
      ...secretsOf(t, params),
      session.accessToken,
      session.refreshToken!,
      session.idToken!,
    ]
    expect(params.get('code')).toBeTruthy()
    expect(params.get('id_token')).toBeTruthy()
    await t.auth.handle(t.request('GET', '/logout'))
    const all = JSON.stringify(t.take())
    expect(all).toContain('callback.succeeded')
    expect(all).toContain('refresh.succeeded')
    expect(all).toContain('logout.succeeded')
    expectFreeOf(all, secrets)
  })

  it('a throwing or rejecting hook never breaks a login: it is logged', async () => {
    const throwing = await observed({
      onEvent() {
        throw new Error('the log pipe is full')
      },
    })
    const { callback } = await throwing.login()
    expect(callback.status).toBe(302)
    expect(callback.error).toBeUndefined()
    expect(await throwing.session()).toBeDefined()
    expect(throwing.logged.filter((entry) => entry.event === 'event_hook_failed')).toEqual([
      { level: 'warn', event: 'event_hook_failed', message: 'the log pipe is full' },
      { level: 'warn', event: 'event_hook_failed', message: 'the log pipe is full' },
    ])

    const rejecting = await observed({ onEvent: () => Promise.reject('no route to collector') })
    expect((await rejecting.login()).callback.error).toBeUndefined()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(rejecting.logged.filter((entry) => entry.event === 'event_hook_failed')).toEqual([
      { level: 'warn', event: 'event_hook_failed', message: 'no route to collector' },
      { level: 'warn', event: 'event_hook_failed', message: 'no route to collector' },
    ])
  })

  it('a tracer that throws does not break a login either: logged, and the span ended', async () => {
    let ended = 0
    const tracer: EventsTracer = {
      startActiveSpan: (_name, _options, fn) =>
        fn({
          setAttributes() {
            throw new Error('exporter misconfigured')
          },
          setStatus() {},
          end: () => void ended++,
        }) as never,
    }
    const t = await observed({ tracer })
    expect((await t.login()).callback.error).toBeUndefined()
    // login, the code exchange, callback: each logged, each ended.
    expect(t.logged.filter((entry) => entry.event === 'event_hook_failed')).toHaveLength(3)
    expect(ended).toBe(3)
  })

  it('a tracer whose startActiveSpan or end throws does not break a login: logged', async () => {
    for (const where of ['start', 'end'] as const) {
      const tracer: EventsTracer = {
        startActiveSpan: (_name, _options, fn) => {
          if (where === 'start') throw new Error('no context manager')
          return fn({
            setAttributes() {},
            setStatus() {},
            end() {
              throw new Error('exporter gone')
            },
          }) as never
        },
      }
      const t = await observed({ tracer })
      expect((await t.login()).callback.error).toBeUndefined()
      expect((await t.session())?.sub).toBe('user-1')
      // login, the code exchange, callback: each logged once, each step run once.
      expect(t.logged.filter((entry) => entry.event === 'event_hook_failed')).toHaveLength(3)
      expect(t.provider.count('/oauth/token')).toBe(1)
      expect(t.take().map((event) => event.type)).toEqual(['login.started', 'callback.succeeded'])
    }
  })

  it('a query-mode callback names its user too', async () => {
    const t = await observed(
      {},
      {
        authorizationParams: { response_type: 'code', response_mode: 'query' },
      },
    )
    const { params } = await t.beginLogin()
    const callback = await t.auth.handle(t.request('GET', `/callback?${params}`))
    expect(callback?.error).toBeUndefined()
    expect(t.take().at(-1)).toMatchObject({ type: 'callback.succeeded', sub: 'user-1' })
  })

  it('the events value works without onEvent (spans only) and without options', async () => {
    const t = await setup({ extensions: [events()] })
    expect((await t.login()).callback.error).toBeUndefined()
  })
})

describe('events(): bearer checks', () => {
  it('bearer.accepted with the subject; bearer.refused with the code and status, no token', async () => {
    const t = await observed()
    await t.login()
    t.take()
    const { accessToken } = (await t.session())!
    const bearer = createBearerVerifier({
      engine: t.auth,
      audience: AUDIENCE,
      extensions: [t.extension],
    })
    expect((await bearer.verify(`Bearer ${accessToken}`)).claims.sub).toBe('user-1')
    await expect(bearer.verify(`Bearer ${accessToken}`, { scopes: ['admin'] })).rejects.toThrow()
    await expect(bearer.verify(undefined)).rejects.toThrow()
    const request = (authorization: string) => ({
      method: 'GET',
      url: `${AUDIENCE}/messages`,
      headers: new Headers({ authorization }),
    })
    expect((await bearer.verifyRequest(request(`Bearer ${accessToken}`))).scopes).toBeDefined()
    await expect(bearer.verifyRequest(request(`DPoP ${accessToken}`))).rejects.toThrow()
    // A route's claims check (NestJS @RequiredClaims) is part of the verification: refused.
    await expect(
      bearer.verifyRequest(request(`Bearer ${accessToken}`), { claims: () => ['org_id'] }),
    ).rejects.toMatchObject({ code: 'BEARER_INSUFFICIENT_SCOPE', details: { claims: ['org_id'] } })
    const seen = t.take()
    expect(seen).toEqual([
      { type: 'bearer.accepted', sub: 'user-1', scheme: 'Bearer', durationMs: expect.any(Number) },
      {
        type: 'bearer.refused',
        code: 'BEARER_INSUFFICIENT_SCOPE',
        status: 403,
        durationMs: expect.any(Number),
      },
      {
        type: 'bearer.refused',
        code: 'BEARER_TOKEN_MISSING',
        status: 401,
        durationMs: expect.any(Number),
      },
      { type: 'bearer.accepted', sub: 'user-1', scheme: 'Bearer', durationMs: expect.any(Number) },
      {
        type: 'bearer.refused',
        code: 'DPOP_PROOF_INVALID',
        status: 401,
        scheme: 'DPoP',
        durationMs: expect.any(Number),
      },
      {
        type: 'bearer.refused',
        code: 'BEARER_INSUFFICIENT_SCOPE',
        status: 403,
        durationMs: expect.any(Number),
      },
    ])
    expect(JSON.stringify(seen)).not.toContain(accessToken)
  })

  it('bearer.accepted names the DPoP scheme of a DPoP-bound token', async () => {
    const t = await observed()
    const key = await proofKey('ES256')
    const token = await t.provider.sign(
      {
        iss: t.provider.issuer,
        sub: 'user-2',
        aud: AUDIENCE,
        iat: t.clock.now,
        exp: t.clock.now + 600,
        cnf: { jkt: key.jkt },
      },
      { typ: 'at+jwt' },
    )
    const url = `${AUDIENCE}/orders`
    const proof = await proofOf(key, { htm: 'GET', htu: url, iat: t.clock.now, accessToken: token })
    const bearer = createBearerVerifier({
      engine: t.auth,
      audience: AUDIENCE,
      extensions: [t.extension],
    })
    await bearer.verifyRequest({
      method: 'GET',
      url,
      headers: new Headers({ authorization: `DPoP ${token}`, dpop: proof }),
    })
    expect(t.take()).toEqual([
      { type: 'bearer.accepted', sub: 'user-2', scheme: 'DPoP', durationMs: expect.any(Number) },
    ])
  })

  it('a misconfigured check (no audience) is refused as the 500 it is, and thrown on', async () => {
    const t = await observed()
    const bearer = createBearerVerifier({ engine: t.auth, extensions: [t.extension] } as never)
    await expect(bearer.verify('Bearer x.y.z')).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    expect(t.take()).toEqual([
      {
        type: 'bearer.refused',
        code: 'CONFIG_INVALID',
        status: 500,
        durationMs: expect.any(Number),
      },
    ])
  })

  it('a verifier alone (no engine) reports too, and a throwing hook does not refuse the token', async () => {
    const t = await observed()
    await t.login()
    const { accessToken } = (await t.session())!
    const bearer = createBearerVerifier({
      issuerBaseURL: t.provider.issuer,
      audience: AUDIENCE,
      fetch: t.provider.fetch,
      now: () => t.clock.now,
      extensions: [
        events({
          onEvent() {
            throw new Error('broken hook')
          },
        }),
      ],
    })
    expect((await bearer.verify(`Bearer ${accessToken}`)).claims.sub).toBe('user-1')
  })
})

describe('events(): OpenTelemetry spans', () => {
  function tracing() {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    return { exporter, tracer: provider.getTracer('oidc-hybrid-test') }
  }
  const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name)

  it('an OpenTelemetry Tracer is an EventsTracer', () => {
    expectTypeOf<Tracer>().toExtend<EventsTracer>()
  })

  it('a login, a refresh and a logout are spans with the events’ attributes', async () => {
    const { exporter, tracer } = tracing()
    const t = await observed({ tracer })
    t.provider.sid = 'sid-1'
    const { params } = await t.login()
    await t.inRequest((loaded) => loaded.getAccessToken({ refresh: 'force' }))
    const { accessToken, refreshToken } = (await t.session())!
    const secrets = [...secretsOf(t, params), accessToken, refreshToken!]
    await t.auth.handle(t.request('GET', '/logout'))
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.name)).toEqual([
      'oidc.login',
      'oidc.provider_request',
      'oidc.callback',
      'oidc.provider_request',
      'oidc.refresh',
      'oidc.provider_request',
      'oidc.logout',
    ])
    const [callback] = named(spans, 'oidc.callback')
    expect(callback!.kind).toBe(SpanKind.INTERNAL)
    expect(callback!.status.code).toBe(SpanStatusCode.UNSET)
    expect(callback!.attributes).toEqual({
      'oidc.type': 'callback.succeeded',
      'oidc.status': 302,
      'oidc.sub': 'user-1',
      'oidc.sid': 'sid-1',
    })
    const [exchange] = named(spans, 'oidc.provider_request')
    expect(exchange!.kind).toBe(SpanKind.CLIENT)
    expect(exchange!.attributes).toEqual({
      'http.request.method': 'POST',
      'url.full': 'https://op.example.test/oauth/token',
      'server.address': 'op.example.test',
      'http.response.status_code': 200,
    })
    expect(named(spans, 'oidc.refresh')[0]!.attributes).toMatchObject({
      'oidc.type': 'refresh.succeeded',
      'oidc.sub': 'user-1',
    })
    expectFreeOf(JSON.stringify(spans.map((span) => [span.attributes, span.status])), secrets)
  })

  it('failures have an error status with the code; a failing provider request too', async () => {
    const { exporter, tracer } = tracing()
    const t = await observed({ tracer })
    const { params } = await t.beginLogin()
    t.provider.tokenEndpointOverride = () =>
      Response.json({ error: 'invalid_grant' }, { status: 400 })
    expect((await t.postCallback(params)).error?.code).toBe('TOKEN_ENDPOINT_ERROR')
    const [exchange] = named(exporter.getFinishedSpans(), 'oidc.provider_request')
    expect(exchange!.status).toEqual({ code: SpanStatusCode.ERROR, message: '400' })
    expect(exchange!.attributes['http.response.status_code']).toBe(400)
    const [callback] = named(exporter.getFinishedSpans(), 'oidc.callback')
    expect(callback!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'TOKEN_ENDPOINT_ERROR',
    })
    expect(callback!.attributes).toEqual({
      'oidc.type': 'callback.failed',
      'oidc.code': 'TOKEN_ENDPOINT_ERROR',
      'oidc.status': 502,
      'error.type': 'TOKEN_ENDPOINT_ERROR',
    })

    // A provider that cannot be reached at all: the request's span has the error's code.
    exporter.reset()
    let reach: typeof fetch = fetch
    const down = await observed(
      { tracer },
      {
        fetch: async (input, init) => {
          if (String(input).includes('/oauth/token')) throw new TypeError('fetch failed')
          return reach(input, init)
        },
      },
    )
    reach = down.provider.fetch
    const login = await down.beginLogin()
    const failed = await down.postCallback(login.params)
    expect(failed.error).toBeDefined()
    const [unreachable] = named(exporter.getFinishedSpans(), 'oidc.provider_request')
    expect(unreachable!.status).toEqual({ code: SpanStatusCode.ERROR, message: failed.error!.code })
    expect(unreachable!.attributes['http.response.status_code']).toBeUndefined()
  })

  it('a refused bearer token is a span with an error status', async () => {
    const { exporter, tracer } = tracing()
    const t = await observed({ tracer })
    const bearer = createBearerVerifier({
      engine: t.auth,
      audience: AUDIENCE,
      extensions: [t.extension],
    })
    await expect(bearer.verify('Bearer not-a-jwt')).rejects.toThrow()
    const [span] = named(exporter.getFinishedSpans(), 'oidc.bearer')
    expect(span!.status.code).toBe(SpanStatusCode.ERROR)
    expect(span!.attributes).toMatchObject({
      'oidc.type': 'bearer.refused',
      'oidc.status': 401,
    })
  })
})
