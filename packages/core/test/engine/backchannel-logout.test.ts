// OpenID Connect Back-Channel Logout 1.0 through the engine: the provider's POST of a Logout
// Token ends the sessions it names in the store, and every malformed or replayed token is refused.
import { describe, expect, it } from 'vitest'
import { backchannelLogout } from '../../src/engine/backchannel-logout.js'
import { serverSessions } from '../../src/engine/server-sessions.js'
import { MemorySessionStore, type SessionStore } from '../../src/engine/session-store.js'
import { ConfigurationError } from '../../src/errors.js'
import { BACKCHANNEL_LOGOUT_EVENT } from '../../src/protocol/logout-token.js'
import { APP, setup } from '../support/harness.js'
import { unsignedJws } from '../support/jwt.js'

const ROUTE = '/backchannel-logout'

/** A MemorySessionStore whose deleteBy can be made to fail. */
class Store extends MemorySessionStore {
  failing = false
  readonly filters: unknown[] = []
  override deleteBy(filter: Parameters<MemorySessionStore['deleteBy']>[0]): void {
    if (this.failing) throw new Error('connection refused')
    this.filters.push(filter)
    super.deleteBy(filter)
  }
}

async function backchannelSetup() {
  let clock = () => 0
  const store = new Store({ now: () => clock() })
  const t = await setup({
    session: { store: serverSessions(store) },
    backchannelLogout: backchannelLogout(),
  })
  clock = () => t.clock.now
  t.provider.sid = 'sid-1'
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: t.provider.issuer,
    aud: t.provider.clientId,
    iat: t.clock.now,
    exp: t.clock.now + 120,
    jti: `jti-${Math.random()}`,
    sub: 'user-1',
    sid: 'sid-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...overrides,
  })
  /** The provider's POST, as oidc-provider sends it. */
  const post = (body: string, contentType = 'application/x-www-form-urlencoded') =>
    t.auth.handle({
      method: 'POST',
      url: `${APP}${ROUTE}`,
      headers: new Headers({ 'content-type': contentType }),
      body,
    })
  const send = async (token: string) =>
    (await post(new URLSearchParams({ logout_token: token }).toString()))!
  return { ...t, store, claims, post, send }
}

describe('back-channel logout (OpenID Connect Back-Channel Logout 1.0)', () => {
  it('a valid Logout Token ends the session it names: 200, no-store, the cookie opens nothing', async () => {
    const t = await backchannelSetup()
    await t.login()
    const cookie = t.jar.copy()
    expect((await t.session(cookie))?.claims.sid).toBe('sid-1')
    const response = await t.send(await t.provider.sign(t.claims(), { typ: 'logout+jwt' }))
    expect(response.error).toBeUndefined()
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(t.store.size).toBe(0)
    expect(await t.session(cookie)).toBeUndefined()
  })

  it('sid alone ends that provider session only; sub alone ends all of the user', async () => {
    const t = await backchannelSetup()
    await t.login()
    const first = t.jar.copy()
    t.jar.cookies.clear()
    t.provider.sid = 'sid-2'
    await t.login()
    const second = t.jar.copy()
    expect(t.store.size).toBe(2)
    const sidOnly = t.claims({ sid: 'sid-1' })
    delete (sidOnly as { sub?: string }).sub
    expect((await t.send(await t.provider.sign(sidOnly))).status).toBe(200)
    expect(await t.session(first)).toBeUndefined()
    expect((await t.session(second))?.sub).toBe('user-1')
    const subOnly = t.claims()
    delete (subOnly as { sid?: string }).sid
    expect((await t.send(await t.provider.sign(subOnly))).status).toBe(200)
    expect(await t.session(second)).toBeUndefined()
    // The store is told only the claims present (no `sub: undefined` to read as NULL).
    expect(t.store.filters).toStrictEqual([
      { iss: t.provider.issuer, sid: 'sid-1' },
      { iss: t.provider.issuer, sub: 'user-1' },
    ])
  })

  it('a token signed with a key the cache does not know yet: the JWKS is fetched again', async () => {
    const t = await backchannelSetup()
    await t.login()
    await t.provider.rotateKey(true)
    expect((await t.send(await t.provider.sign(t.claims()))).status).toBe(200)
    expect(t.store.size).toBe(0)
  })

  const rules: Array<
    [string, (t: Awaited<ReturnType<typeof backchannelSetup>>) => Promise<string>]
  > = [
    ['signature', (t) => t.provider.sign(t.claims(), { foreign: true })],
    ['alg none', async (t) => unsignedJws({ alg: 'none' }, t.claims())],
    ['typ', (t) => t.provider.sign(t.claims(), { typ: 'at+jwt' })],
    ['iss', (t) => t.provider.sign(t.claims({ iss: 'https://evil.example/' }))],
    ['aud', (t) => t.provider.sign(t.claims({ aud: 'another-client' }))],
    [
      'aud with an untrusted other audience',
      (t) => t.provider.sign(t.claims({ aud: [t.provider.clientId, 'another-client'] })),
    ],
    ['azp', (t) => t.provider.sign(t.claims({ azp: 'another-client' }))],
    ['iat missing', (t) => t.provider.sign(t.claims({ iat: undefined }))],
    ['iat in the future', (t) => t.provider.sign(t.claims({ iat: t.clock.now + 3600 }))],
    ['exp missing', (t) => t.provider.sign(t.claims({ exp: undefined }))],
    ['exp passed', (t) => t.provider.sign(t.claims({ exp: t.clock.now - 3600 }))],
    ['jti missing', (t) => t.provider.sign(t.claims({ jti: undefined }))],
    ['neither sub nor sid', (t) => t.provider.sign(t.claims({ sub: undefined, sid: undefined }))],
    ['sid not a string', (t) => t.provider.sign(t.claims({ sid: 42 }))],
    ['events missing', (t) => t.provider.sign(t.claims({ events: undefined }))],
    ['events without the logout member', (t) => t.provider.sign(t.claims({ events: { x: {} } }))],
    [
      'event value not an object',
      (t) => t.provider.sign(t.claims({ events: { [BACKCHANNEL_LOGOUT_EVENT]: true } })),
    ],
    // An ID token (it has a nonce) must never pass as a Logout Token (2.4).
    ['nonce present', (t) => t.provider.sign(t.claims({ nonce: 'n' }))],
  ]
  for (const [rule, token] of rules) {
    it(`refuses a Logout Token with bad ${rule}: 400 LOGOUT_TOKEN_INVALID, sessions kept`, async () => {
      const t = await backchannelSetup()
      await t.login()
      const response = await t.send(await token(t))
      expect(response.status).toBe(400)
      expect(response.error?.code).toBe('LOGOUT_TOKEN_INVALID')
      expect(t.store.size).toBe(1)
    })
  }

  it('refuses a replayed Logout Token (same jti)', async () => {
    const t = await backchannelSetup()
    await t.login()
    const token = await t.provider.sign(t.claims())
    expect((await t.send(token)).status).toBe(200)
    await t.login()
    const replay = await t.send(token)
    expect(replay.status).toBe(400)
    expect(replay.error?.details).toMatchObject({ reason: 'jti' })
    expect(t.store.size).toBe(1)
  })

  it('refuses a request that is not one form POST with one logout_token', async () => {
    const t = await backchannelSetup()
    await t.login()
    const token = await t.provider.sign(t.claims())
    for (const response of [
      await t.post(`logout_token=${token}`, 'application/json'),
      await t.post(''),
      await t.post(`logout_token=${token}&logout_token=${token}`),
    ]) {
      expect(response!.status).toBe(400)
      expect(response!.error?.details).toMatchObject({ reason: 'request' })
    }
    // Not a JWS: refused before discovery or keys are fetched (a fresh engine has neither).
    const fresh = await backchannelSetup()
    const garbage = await fresh.post('logout_token=not-a-jwt')
    expect(garbage!.error?.code).toBe('LOGOUT_TOKEN_INVALID')
    expect(fresh.provider.calls).toEqual([])
    expect(t.store.size).toBe(1)
    // Only POST is the route: a GET is left to the app.
    expect(t.auth.routeOf('GET', ROUTE)).toBeUndefined()
  })

  it('a failing store is a 400 (2.8) and the token is not spent: the provider may retry', async () => {
    const t = await backchannelSetup()
    await t.login()
    const token = await t.provider.sign(t.claims())
    t.store.failing = true
    const failed = await t.send(token)
    expect(failed.status).toBe(400)
    expect(failed.error?.code).toBe('SESSION_STORE_FAILED')
    t.store.failing = false
    expect((await t.send(token)).status).toBe(200)
    expect(t.store.size).toBe(0)
  })

  it('is off by default (no route), and needs a store with deleteBy', async () => {
    const off = await setup()
    expect(off.auth.routeOf('POST', ROUTE)).toBeUndefined()
    expect(off.auth.routeOf('POST', '/callback')).toBe('callback')
    const noDeleteBy: SessionStore = {
      get: () => undefined,
      set: () => {},
      update: () => {},
      delete: () => {},
    }
    // A flag is not the handler (the handler is opt-in code).
    await expect(
      setup({
        session: { store: serverSessions(new MemorySessionStore()) },
        backchannelLogout: true as unknown as ReturnType<typeof backchannelLogout>,
      }),
    ).rejects.toBeInstanceOf(ConfigurationError)
    for (const session of [undefined, { store: serverSessions(noDeleteBy) }]) {
      await expect(
        setup({ session, backchannelLogout: backchannelLogout() }),
      ).rejects.toBeInstanceOf(ConfigurationError)
    }
    const routed = await setup({
      session: { store: serverSessions(new MemorySessionStore()) },
      backchannelLogout: backchannelLogout(),
      routes: { backchannelLogout: '/oidc/bc' },
    })
    expect(routed.auth.routeOf('POST', '/oidc/bc')).toBe('backchannelLogout')
  })
})
