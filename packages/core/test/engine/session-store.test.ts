// The in-memory session store (`session.store` through serverSessions): copies in and out,
// expiry, a bound, and deleteBy for back-channel logout.
import { describe, expect, it } from 'vitest'
import { MemorySessionStore } from '../../src/engine/session-store.js'
import type { Session } from '../../src/protocol/types.js'

describe('MemorySessionStore', () => {
  const session = (sub: string) => ({ sub, createdAt: 1 }) as Session

  it('returns copies: changing a returned session does not change the stored one', () => {
    const store = new MemorySessionStore({ now: () => 0 })
    store.set('a', session('x'), 10)
    store.get('a')!.sub = 'changed'
    expect(store.get('a')?.sub).toBe('x')
  })

  it('an update writes only while the id exists; a new id is always written', () => {
    const store = new MemorySessionStore({ now: () => 0 })
    store.update('gone', session('x'), 10)
    expect(store.get('gone')).toBeUndefined()
    store.set('a', session('x'), 10)
    store.update('a', session('y'), 10)
    expect(store.get('a')?.sub).toBe('y')
  })

  it('forgets a session at its expiry', () => {
    let now = 0
    const store = new MemorySessionStore({ now: () => now })
    store.set('a', session('x'), 10)
    now = 9
    expect(store.get('a')?.sub).toBe('x')
    now = 10
    expect(store.get('a')).toBeUndefined()
    expect(store.size).toBe(0)
  })

  it('is bounded: beyond max the least recently written goes first', () => {
    const store = new MemorySessionStore({ max: 2, now: () => 0 })
    store.set('a', session('a'), 10)
    store.set('b', session('b'), 10)
    store.set('a', session('a2'), 10)
    store.set('c', session('c'), 10)
    expect(store.size).toBe(2)
    expect(store.get('b')).toBeUndefined()
    expect(store.get('a')?.sub).toBe('a2')
    expect(store.get('c')?.sub).toBe('c')
    store.delete('c')
    store.delete('unknown')
    expect(store.size).toBe(1)
  })

  describe('deleteBy', () => {
    const session = (sub: string, sid?: string, issuer = 'https://op/') =>
      ({ issuer, sub, claims: { sid }, createdAt: 1 }) as unknown as Session

    it('deletes by issuer and sub and/or sid, never everything', () => {
      const store = new MemorySessionStore({ now: () => 0 })
      store.set('a', session('u1', 's1'), 10)
      store.set('b', session('u1', 's2'), 10)
      store.set('c', session('u2', 's3'), 10)
      store.set('d', session('u1', 's1', 'https://other/'), 10)
      store.deleteBy({ iss: 'https://op/' })
      expect(store.size).toBe(4)
      store.deleteBy({ iss: 'https://op/', sub: 'u1', sid: 's2' })
      expect(store.get('b')).toBeUndefined()
      store.deleteBy({ iss: 'https://op/', sid: 's1' })
      expect(store.get('a')).toBeUndefined()
      // The same sid at another issuer is another provider's session: kept.
      expect(store.get('d')).toMatchObject({ issuer: 'https://other/', sub: 'u1' })
      store.deleteBy({ iss: 'https://op/', sub: 'u2' })
      expect(store.get('c')).toBeUndefined()
      expect(store.size).toBe(1)
    })
  })
})
