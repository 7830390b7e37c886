// Single-flight refresh with a grace window for late requests that still carry a rotated token.
import { describe, expect, it } from 'vitest'
import { RefreshCoordinator } from '../../src/engine/refresh-coordinator.js'
import type { Session } from '../../src/protocol/types.js'

function session(accessToken: string): Session {
  return {
    issuer: 'https://op.example.test/',
    sub: 'user-1',
    claims: { iss: 'https://op.example.test/', sub: 'user-1', aud: 'client-1', exp: 0, iat: 0 },
    idToken: 'id-token',
    accessToken,
    tokenType: 'Bearer',
    createdAt: 0,
    updatedAt: 0,
  }
}

/** A refresh whose completion the test controls, counting how often it was started. */
function controlledRefresh() {
  const calls: Array<{ resolve: (s: Session) => void; reject: (e: unknown) => void }> = []
  const refresh = () =>
    new Promise<Session>((resolve, reject) => {
      calls.push({ resolve, reject })
    })
  return { refresh, calls }
}

/** The result rotated when its access token is not `same-*` (the test's stand-in for "no new refresh token"). */
const rotates = (result: Session) => !result.accessToken.startsWith('same-')

function setup(options: { grace?: number; maxEntries?: number } = {}) {
  const clock = { now: 1000 }
  const coordinator = new RefreshCoordinator<Session>(
    () => clock.now,
    options.grace ?? 60,
    options.maxEntries ?? 100,
  )
  let count = 0
  const counted = (key: string) =>
    coordinator.rotated(key) ??
    coordinator.run(key, async () => session(`${key}-${++count}`), rotates)
  return { clock, coordinator, counted, started: () => count }
}

describe('RefreshCoordinator', () => {
  it('concurrent calls with the same key share one refresh', async () => {
    const { coordinator } = setup()
    const { refresh, calls } = controlledRefresh()
    const first = coordinator.run('rt-1', refresh, rotates)
    const second = coordinator.run('rt-1', refresh, rotates)
    expect(calls).toHaveLength(1)
    expect(coordinator.size.inFlight).toBe(1)
    calls[0]!.resolve(session('new'))
    expect(await first).toBe(await second)
    expect(coordinator.size.inFlight).toBe(0)
  })

  it('different keys refresh independently', async () => {
    const { coordinator } = setup()
    const { refresh, calls } = controlledRefresh()
    const a = coordinator.run('rt-a', refresh, rotates)
    const b = coordinator.run('rt-b', refresh, rotates)
    expect(calls).toHaveLength(2)
    calls[0]!.resolve(session('a'))
    calls[1]!.resolve(session('b'))
    expect((await a).accessToken).toBe('a')
    expect((await b).accessToken).toBe('b')
  })

  it('within the grace window a rotation is remembered under the spent key', async () => {
    const { clock, coordinator, counted, started } = setup({ grace: 60 })
    const first = await counted('rt-1')
    clock.now += 59
    expect(coordinator.rotated('rt-1')).toBe(first)
    expect(await counted('rt-1')).toBe(first)
    expect(started()).toBe(1)
  })

  it('a result that did not rotate the token is not remembered: the next call runs again', async () => {
    const { coordinator } = setup()
    let count = 0
    const run = () => coordinator.run('rt-1', async () => session(`same-${++count}`), rotates)
    const first = await run()
    expect(coordinator.rotated('rt-1')).toBeUndefined()
    expect(coordinator.size.recent).toBe(0)
    const second = await run()
    expect(second).not.toBe(first)
    expect(count).toBe(2)
  })

  it('after the grace window the entry is forgotten and the refresh runs again', async () => {
    const { clock, coordinator, counted, started } = setup({ grace: 60 })
    const first = await counted('rt-1')
    clock.now += 60
    expect(coordinator.rotated('rt-1')).toBeUndefined()
    const second = await counted('rt-1')
    expect(second).not.toBe(first)
    expect(started()).toBe(2)
    expect(coordinator.size.recent).toBe(1)
  })

  it('expired entries are dropped when a new result is remembered', async () => {
    const { clock, coordinator, counted } = setup({ grace: 60 })
    await counted('rt-1')
    await counted('rt-2')
    expect(coordinator.size.recent).toBe(2)
    clock.now += 61
    await counted('rt-3')
    expect(coordinator.size.recent).toBe(1)
  })

  it('holds at most maxEntries results, dropping the oldest first', async () => {
    const { coordinator, counted, started } = setup({ maxEntries: 2 })
    const one = await counted('rt-1')
    const two = await counted('rt-2')
    await counted('rt-3')
    expect(coordinator.size.recent).toBe(2)
    expect(started()).toBe(3)
    // rt-2 is still remembered, rt-1 was dropped and refreshes again.
    expect(await counted('rt-2')).toBe(two)
    expect(started()).toBe(3)
    expect(await counted('rt-1')).not.toBe(one)
    expect(started()).toBe(4)
  })

  it('a failure is shared by the waiting calls and not remembered', async () => {
    const { coordinator } = setup()
    const { refresh, calls } = controlledRefresh()
    const first = coordinator.run('rt-1', refresh, rotates)
    const second = coordinator.run('rt-1', refresh, rotates)
    const failure = new Error('invalid_grant')
    calls[0]!.reject(failure)
    await expect(first).rejects.toBe(failure)
    await expect(second).rejects.toBe(failure)
    expect(coordinator.size).toEqual({ inFlight: 0, recent: 0 })
    const retry = coordinator.run('rt-1', refresh, rotates)
    expect(calls).toHaveLength(2)
    calls[1]!.resolve(session('recovered'))
    expect((await retry).accessToken).toBe('recovered')
  })
})
