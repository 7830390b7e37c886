/**
 * A Worker that runs the store's methods for the contract tests: `POST /` with
 * `{ shards, name, method, args }` runs `store[method](...args)` on a
 * `DurableObjectSessionStore(env.SESSIONS, { shards, name })` and answers `{ result }` (or
 * `{ error }` with 500). `method: 'object'` calls a `SessionsObject` directly
 * (`args: [shard, method, ...args]`), past the store's own checks.
 *
 * The binding's class is `TestSessionsObject`: `SessionsObject` purging every second.
 */
import type { DurableObjectNamespace } from '@cloudflare/workers-types'
import { DurableObjectSessionStore, SessionsObject } from '../src/index.js'

/** The object with a purge every second instead of every minute, so the tests see it. */
export class TestSessionsObject extends SessionsObject {
  protected override purgeIntervalMs = 1000
}

interface Env {
  SESSIONS: DurableObjectNamespace<TestSessionsObject>
}

interface Call {
  shards?: number
  name?: string
  method: string
  args: unknown[]
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { shards, name, method, args } = (await request.json()) as Call
    try {
      let result: unknown
      if (method === 'object') {
        const [shard, objectMethod, ...rest] = args as [number, string, ...unknown[]]
        const stub = env.SESSIONS.get(env.SESSIONS.idFromName(`${name}/${shard}`))
        result = await (stub as unknown as Record<string, (...a: unknown[]) => unknown>)[
          objectMethod
        ]!(...rest)
      } else {
        const store = new DurableObjectSessionStore(env.SESSIONS, { shards, name })
        result = await (store as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(
          ...args,
        )
      }
      return Response.json({ result: result ?? null })
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 })
    }
  },
}
