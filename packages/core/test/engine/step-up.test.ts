import { describe, expect, it } from 'vitest'
import { createBearerVerifier } from '../../src/engine/bearer-verifier.js'
import { StepUp, stepUp, stepUpChallenge } from '../../src/engine/step-up.js'
import type { AuthRequest } from '../../src/engine/types.js'
import { APP, type Harness, SESSION_COOKIE, setup } from '../support/harness.js'

const MFA = 'urn:example:mfa'
const PWD = 'urn:example:pwd'
const HTML = { accept: 'text/html,application/xhtml+xml' }

/** A request of the browser with the harness's cookies and `headers`. */
function navigation(t: Harness, path: string, headers: Record<string, string> = HTML): AuthRequest {
  const request = t.request('GET', path)
  for (const [name, value] of Object.entries(headers)) (request.headers as Headers).set(name, value)
  return request
}

/** What `requirement` answers the browser's request for `path` with its current session. */
async function answer(t: Harness, requirement: StepUp, path = '/transfer', headers = HTML) {
  const request = navigation(t, path, headers)
  return requirement.answer(t.auth, request, (await t.auth.load(request)).session)
}

/** Logs in with every ID token carrying `acr` (none: no acr claim). */
async function loginWithAcr(t: Harness, acr?: string) {
  const set = (claims: Record<string, unknown>) => {
    if (acr !== undefined) claims.acr = acr
  }
  t.provider.nextTokenEndpointTamper = set
  return t.login({ frontChannelClaims: set })
}

describe('stepUp(): what a route requires', () => {
  it.each([
    [{}, /acr.*maxAge/],
    [{ acr: [] }, /acr/],
    [{ acr: [''] }, /acr/],
    [{ acr: 'urn:x' }, /acr/],
    [{ maxAge: -1 }, /maxAge/],
    [{ maxAge: 1.5 }, /maxAge/],
  ])('refuses %j at setup (CONFIG_INVALID)', (options, message) => {
    expect(() => stepUp(options as never)).toThrow(message)
    expect(() => stepUp(options as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('acr: one of the values; maxAge: auth_time within it and the clock tolerance, as the callback checks', () => {
    const now = 1_000_000
    const both = stepUp({ acr: [MFA, 'urn:hwk'], maxAge: 300 })
    expect(both.isMetBy({ acr: 'urn:hwk', auth_time: now - 300 - 60 }, now, 60)).toBe(true)
    expect(both.isMetBy({ acr: 'urn:hwk', auth_time: now - 300 - 61 }, now, 60)).toBe(false)
    expect(both.isMetBy({ acr: PWD, auth_time: now }, now, 60)).toBe(false)
    expect(both.isMetBy({ acr: MFA }, now, 60)).toBe(false)
    expect(both.isMetBy({ acr: MFA, auth_time: String(now) }, now, 60)).toBe(false)
    expect(both.isMetBy(undefined, now, 60)).toBe(false)
    expect(stepUp({ acr: [MFA] }).isMetBy({ acr: `${MFA} x` }, now, 60)).toBe(false)
    expect(stepUp({ maxAge: 0 }).isMetBy({ auth_time: now - 60 }, now, 60)).toBe(true)
  })

  it('the login it asks for: acr_values (the hint), an essential acr added to the configured claims, the smaller max_age', () => {
    const options = stepUp({ acr: [MFA, 'urn:hwk'], maxAge: 300 }).loginOptions('/transfer', {
      claims: JSON.stringify({ userinfo: { email: null }, id_token: { name: null } }),
      maxAge: 60,
    })
    expect(options.returnTo).toBe('/transfer')
    expect(options.authorizationParams).toMatchObject({ acr_values: `${MFA} urn:hwk`, max_age: 60 })
    expect(JSON.parse(options.authorizationParams!.claims as string)).toEqual({
      userinfo: { email: null },
      id_token: { name: null, acr: { essential: true, values: [MFA, 'urn:hwk'] } },
    })
    expect(stepUp({ maxAge: 300 }).loginOptions()).toEqual({
      authorizationParams: { max_age: 300 },
    })
  })

  it('STEP_UP_REQUIRED says what is needed, for clients and logs', () => {
    const error = stepUp({ acr: [MFA], maxAge: 300 }).error()
    expect(error).toMatchObject({
      code: 'STEP_UP_REQUIRED',
      details: { acr_values: MFA, max_age: 300 },
    })
    expect(error.message).toContain(`acr_values ${MFA}`)
    expect(error.message).toContain('max_age 300')
  })
})

describe('StepUp.answer: a route that requires acr', () => {
  const mfa = stepUp({ acr: [MFA] })

  it('a browser without the acr is sent to log in with acr_values and an essential acr, back to the URL', async () => {
    const t = await setup()
    await loginWithAcr(t, PWD)
    const start = await answer(t, mfa, '/transfer?to=42')
    expect(start?.status).toBe(302)
    const location = new URL(start!.headers.get('location')!)
    expect(location.searchParams.get('acr_values')).toBe(MFA)
    expect(JSON.parse(location.searchParams.get('claims')!)).toEqual({
      id_token: { acr: { essential: true, values: [MFA] } },
    })
    t.jar.store(start!.headers.getSetCookie())
    const set = (claims: Record<string, unknown>) => {
      claims.acr = MFA
    }
    t.provider.nextTokenEndpointTamper = set
    const params = await t.provider.authorize(location.href, {
      tamper: { frontChannelClaims: set },
    })
    const callback = await t.postCallback(params)
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe(`${APP}/transfer?to=42`)
    // The new session meets it: the route goes on.
    expect(await answer(t, mfa, '/transfer?to=42')).toBeUndefined()
    expect((await t.session())?.claims.acr).toBe(MFA)
  })

  it('a provider that answers another acr ends the login with ACR_NOT_SATISFIED (403), no session, no loop', async () => {
    const t = await setup()
    await loginWithAcr(t, PWD)
    const before = await t.session()
    const start = await answer(t, mfa)
    t.jar.store(start!.headers.getSetCookie())
    const params = await t.provider.authorize(start!.headers.get('location')!, {
      tamper: {
        frontChannelClaims: (claims) => {
          claims.acr = PWD
        },
      },
    })
    const tokenCalls = t.provider.calls.filter((call) => call.path.endsWith('/token')).length
    const callback = await t.postCallback(params)
    expect(callback.status).toBe(403)
    expect(callback.error).toMatchObject({
      code: 'ACR_NOT_SATISFIED',
      details: { expected: [MFA] },
    })
    expect(callback.headers.get('location')).toBeNull()
    // Refused on the front channel: the code was not exchanged; the earlier session is kept.
    expect(t.provider.calls.filter((call) => call.path.endsWith('/token')).length).toBe(tokenCalls)
    expect(callback.headers.getSetCookie().some((line) => line.startsWith(SESSION_COOKIE))).toBe(
      false,
    )
    expect((await t.session())?.claims).toEqual(before?.claims)
  })

  it('the token endpoint ID token is checked too (code token has no other)', async () => {
    const t = await setup({ authorizationParams: { response_type: 'code token' } })
    const start = await answer(t, mfa)
    t.jar.store(start!.headers.getSetCookie())
    t.provider.nextTokenEndpointTamper = (claims) => {
      claims.acr = PWD
    }
    const params = await t.provider.authorize(start!.headers.get('location')!)
    const callback = await t.postCallback(params)
    expect(callback.error).toMatchObject({ code: 'ACR_NOT_SATISFIED' })
    expect(await t.session()).toBeUndefined()
  })

  it('acr_values alone (no requirement) is a hint: another acr is accepted', async () => {
    const t = await setup({ authorizationParams: { acr_values: MFA } })
    const { callback } = await loginWithAcr(t, PWD)
    expect(callback.status).toBe(302)
    expect((await t.session())?.claims.acr).toBe(PWD)
  })

  it('an API client gets 401 STEP_UP_REQUIRED with what is needed; no session: SESSION_MISSING', async () => {
    const t = await setup()
    const anonymous = await answer(t, mfa, '/transfer', { accept: 'application/json' })
    expect(anonymous).toMatchObject({ status: 401, error: { code: 'SESSION_MISSING' } })
    await loginWithAcr(t, PWD)
    const api = await answer(t, mfa, '/transfer', { accept: 'application/json' })
    expect(api?.status).toBe(401)
    expect(api?.error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { acr_values: MFA } })
    expect(api?.headers.get('location')).toBeNull()
    expect(api?.headers.get('cache-control')).toBe('no-store')
    // A form POST from a browser cannot follow a redirect either.
    const request = t.request('POST', '/transfer', 'amount=1')
    const headers = request.headers as Headers
    headers.set('accept', 'text/html')
    const post = await mfa.answer(t.auth, request, (await t.auth.load(request)).session)
    expect(post?.error).toMatchObject({ code: 'STEP_UP_REQUIRED' })
  })
})

describe('StepUp.answer: a route that requires a recent login (maxAge)', () => {
  it('after time has passed, a new login with max_age; a fresh one meets it', async () => {
    const t = await setup()
    await t.login()
    const recent = stepUp({ maxAge: 300 })
    expect(await answer(t, recent)).toBeUndefined()
    t.clock.now += 300 + 60 + 10
    const start = await answer(t, recent)
    expect(start?.status).toBe(302)
    const location = new URL(start!.headers.get('location')!)
    expect(location.searchParams.get('max_age')).toBe('300')
    expect(location.searchParams.get('claims')).toBeNull()
    t.jar.store(start!.headers.getSetCookie())
    const callback = await t.postCallback(await t.provider.authorize(location.href))
    expect(callback.status).toBe(302)
    expect(await answer(t, recent)).toBeUndefined()
  })

  it('a provider that answers an old auth_time ends the login with AUTH_TIME_INVALID, no loop', async () => {
    const t = await setup()
    await t.login()
    t.clock.now += 1000
    const start = await answer(t, stepUp({ maxAge: 300 }))
    t.jar.store(start!.headers.getSetCookie())
    const params = await t.provider.authorize(start!.headers.get('location')!, {
      tamper: {
        frontChannelClaims: (claims) => {
          claims.auth_time = t.clock.now - 1000
        },
      },
    })
    const callback = await t.postCallback(params)
    expect(callback.error).toMatchObject({ code: 'AUTH_TIME_INVALID' })
    expect(callback.headers.get('location')).toBeNull()
  })
})

describe('stepUpChallenge: the RFC 9470 challenge of an API', () => {
  const challenged = (header: string, status = 401) =>
    new Response(null, { status, headers: { 'www-authenticate': header } })

  it('reads acr_values and max_age from the insufficient_user_authentication challenge', () => {
    const needed = stepUpChallenge(
      challenged(
        `DPoP algs="ES256", Bearer realm="api", error="insufficient_user_authentication", error_description="A different \\"level\\", please", acr_values="${MFA} urn:hwk", max_age=5`,
      ),
    )
    expect(needed).toBeInstanceOf(StepUp)
    expect(needed).toMatchObject({ acr: [MFA, 'urn:hwk'], maxAge: 5, fromChallenge: true })
    expect(
      stepUpChallenge(`Bearer error="insufficient_user_authentication", max_age="60"`),
    ).toMatchObject({ acr: undefined, maxAge: 60 })
  })

  it('a challenge that names neither asks for a fresh login (max_age 0)', () => {
    expect(
      stepUpChallenge(challenged('Bearer error="insufficient_user_authentication"')),
    ).toMatchObject({
      acr: undefined,
      maxAge: 0,
    })
  })

  it.each([
    ['another error', challenged('Bearer error="invalid_token", acr_values="x"')],
    [
      'the error in another challenge than its own parameters',
      challenged('Bearer error="invalid_token", Basic error="insufficient_user_authentication"'),
    ],
    ['a 403', challenged('Bearer error="insufficient_user_authentication"', 403)],
    ['no header', new Response(null, { status: 401 })],
    ['a success', new Response('{}')],
  ])('is undefined for %s', (_, response) => {
    expect(stepUpChallenge(response)).toBeUndefined()
  })

  it('a session that meets it already gets STEP_UP_REQUIRED, not another login', async () => {
    const t = await setup()
    await loginWithAcr(t, MFA)
    const needed = stepUpChallenge(
      challenged(`Bearer error="insufficient_user_authentication", acr_values="${MFA}"`),
    )!
    const met = await answer(t, needed)
    expect(met).toMatchObject({ status: 401, error: { code: 'STEP_UP_REQUIRED' } })
    expect(met?.headers.get('location')).toBeNull()
    t.clock.now += 10
    const lacking = stepUpChallenge(
      challenged(`Bearer error="insufficient_user_authentication", acr_values="urn:hwk"`),
    )!
    expect((await answer(t, lacking))?.status).toBe(302)
  })
})

describe('requireBearer with acrValues / maxAge: the RFC 9470 challenge', () => {
  const AUDIENCE = 'https://api.example.test'

  /** A verifier sharing the harness engine, and an access token with `claims` added. */
  async function verifier(claims: Record<string, unknown>) {
    const t = await setup()
    const { issuer, now } = t.provider
    const token = await t.provider.sign(
      { iss: issuer, sub: 'user-1', aud: AUDIENCE, iat: now, exp: now + 600, ...claims },
      { typ: 'at+jwt' },
    )
    const bearer = createBearerVerifier({ engine: t.auth, audience: AUDIENCE })
    return { t, bearer, authorization: `Bearer ${token}` }
  }

  it('a token without a required acr: 401 insufficient_user_authentication with acr_values', async () => {
    const { bearer, authorization } = await verifier({ acr: PWD })
    await expect(bearer.verify(authorization)).resolves.toBeDefined()
    await expect(bearer.verify(authorization, { acrValues: [PWD, MFA] })).resolves.toBeDefined()
    const error = await bearer.verify(authorization, { acrValues: [MFA] }).catch((e) => e)
    expect(error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { acr_values: MFA } })
    const failure = bearer.failure(error)
    expect(failure.status).toBe(401)
    expect(failure.wwwAuthenticate).toMatch(
      new RegExp(
        `^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="${MFA}"`,
      ),
    )
    expect(failure.json.error).toBe('STEP_UP_REQUIRED')
    // What a client of the API reads back.
    expect(stepUpChallenge(failure.wwwAuthenticate)).toMatchObject({ acr: [MFA] })
  })

  it('a token whose auth_time is too old, or missing: 401 with max_age; a recent one passes', async () => {
    const { t, bearer, authorization } = await verifier({ auth_time: 0 })
    const error = await bearer.verify(authorization, { maxAge: 300 }).catch((e) => e)
    expect(error).toMatchObject({ code: 'STEP_UP_REQUIRED', details: { max_age: 300 } })
    expect(bearer.failure(error).wwwAuthenticate).toContain('max_age="300"')
    const recent = await verifier({ auth_time: t.provider.now - 10 })
    await expect(recent.bearer.verify(recent.authorization, { maxAge: 300 })).resolves.toBeDefined()
    const none = await verifier({})
    await expect(none.bearer.verify(none.authorization, { maxAge: 300 })).rejects.toMatchObject({
      code: 'STEP_UP_REQUIRED',
    })
  })

  it("the verifier's own acrValues apply to every route", async () => {
    const { t, authorization } = await verifier({ acr: PWD })
    const bearer = createBearerVerifier({ engine: t.auth, audience: AUDIENCE, acrValues: [MFA] })
    await expect(bearer.verify(authorization)).rejects.toMatchObject({ code: 'STEP_UP_REQUIRED' })
  })
})
