/**
 * Many instances of one app behind a load balancer: two real app processes (one Koa, one the
 * fetch adapter on node:http; src/instance.ts) share their sessions in a real redis-server, against
 * the dev provider (oidc-provider) with refresh tokens rotated (its reuse detection revokes the
 * whole grant when a spent refresh token comes back) or kept.
 *
 * - 50 concurrent requests, split over the two instances, all carrying one session whose access
 *   token has expired: one token endpoint call, all 50 answered with the one new access token, and
 *   the user stays logged in on both.
 * - Redis killed: both instances answer 503 `SESSION_STORE_FAILED` and keep running; Redis back
 *   (the append-only file replayed): the session loads again, the user is still logged in.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import {
  createBrowser,
  freePort,
  type RedisServer,
  startRedis,
  startTestProvider,
  type TestProvider,
} from '@oidc-hybrid/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { InstanceSpec } from '../src/instance.js'

const CLIENT_ID = 'instances'
const CLIENT_SECRET = 'instances-client-secret-0123456789abcdef0123'
const SECRET = 'instances-test-cookie-secret-0123456789abcdef'
const JSON_ACCEPT = { accept: 'application/json' }
/** Access tokens live TTL s; the apps refresh LEEWAY s before (see lifecycle.spec.ts). */
const TTL = 3
const LEEWAY = 1
const INSTANCE = fileURLToPath(new URL('../src/instance.ts', import.meta.url))

/** Starts an instance process; resolves once it prints `ready` (bounded). */
async function startInstance(spec: InstanceSpec): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', INSTANCE], {
    env: { ...process.env, OIDC_INSTANCE: JSON.stringify(spec) },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stderr!.on('data', (chunk) => {
    output += chunk
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance did not start: ${output}`)), 20_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`instance exited (${code}): ${output}`))
    })
  })
  return child
}

function stopInstance(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

for (const rotate of [true, false]) {
  describe(`two app instances sharing Redis (refresh tokens ${rotate ? 'rotated' : 'kept'})`, () => {
    let redis: RedisServer
    let provider: TestProvider
    let urls: string[]
    const instances: ChildProcess[] = []

    beforeAll(async () => {
      redis = await startRedis()
      const ports = [await freePort(), await freePort()]
      urls = ports.map((port) => `http://localhost:${port}`)
      provider = await startTestProvider({
        accessTokenTTL: TTL,
        rotateRefreshTokens: rotate,
        client: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, appURLs: urls },
      })
      const config: InstanceSpec['config'] = {
        issuerBaseURL: provider.issuer,
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        secret: SECRET,
        refreshLeeway: LEEWAY,
        authorizationParams: {
          response_type: 'code id_token',
          scope: 'openid profile email offline_access',
        },
      }
      const adapters = ['koa', 'fetch'] as const
      for (const [i, port] of ports.entries()) {
        instances.push(
          await startInstance({ adapter: adapters[i]!, port, redisURL: redis.url, config }),
        )
      }
    }, 60_000)

    afterAll(async () => {
      await Promise.all(instances.map(stopInstance))
      await provider?.close()
      await redis?.stop()
    })

    it('50 concurrent requests on an expired session make one token call, and all succeed', async () => {
      const browser = createBrowser(urls[0]!, { headers: JSON_ACCEPT })
      expect((await browser.login()).status).toBe(302)
      const cookie = browser.jar.header()
      const get = (url: string, path: string) =>
        fetch(`${url}${path}`, { headers: { cookie, ...JSON_ACCEPT } })
      // Logged in on the first instance; the second has the same session.
      const me = await get(urls[1]!, '/me')
      expect(me.status).toBe(200)
      expect(((await me.json()) as { sub: string }).sub).toBe('auth0|demo-user')
      const first = (await (await get(urls[0]!, '/token')).json()) as { token: string }

      // The access token is stale for the apps after TTL - LEEWAY seconds.
      await sleep((TTL - LEEWAY) * 1000 + 300)
      const grants = provider.grants()
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => get(urls[i % 2]!, '/token')),
      )
      const bodies = (await Promise.all(answers.map((answer) => answer.json()))) as Array<{
        token: string
        expired: boolean
      }>
      expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200))
      expect(provider.grants() - grants).toBe(1)
      const tokens = new Set(bodies.map((body) => body.token))
      expect(tokens.size).toBe(1)
      expect(tokens.has(first.token)).toBe(false)
      expect(bodies.every((body) => !body.expired)).toBe(true)

      // Still logged in on both instances, and the grant is alive: a forced refresh works (a
      // reused refresh token would have made oidc-provider revoke it).
      for (const url of urls) expect((await get(url, '/me')).status).toBe(200)
      const forced = await get(urls[1]!, '/refresh')
      expect(forced.status).toBe(200)
      expect(provider.grants() - grants).toBe(2)
      const after = (await (await get(urls[0]!, '/token')).json()) as { token: string }
      expect(after.token).toBe(((await forced.json()) as { token: string }).token)
    }, 60_000)

    it('Redis down: 503 SESSION_STORE_FAILED on both instances; back up: the session loads again', async () => {
      const browser = createBrowser(urls[1]!, { headers: JSON_ACCEPT })
      expect((await browser.login()).status).toBe(302)
      const cookie = browser.jar.header()
      const get = (url: string) => fetch(`${url}/me`, { headers: { cookie, ...JSON_ACCEPT } })
      expect((await get(urls[0]!)).status).toBe(200)

      await redis.kill()
      for (const url of urls) {
        const down = await get(url)
        expect(down.status).toBe(503)
        expect(((await down.json()) as { error: string }).error).toBe('SESSION_STORE_FAILED')
      }
      expect(instances.every((child) => child.exitCode === null)).toBe(true)

      // Back with its append-only file: the instances reconnect by themselves (bounded wait).
      await redis.restart()
      const statuses: number[] = []
      for (const url of urls) {
        let status = 0
        for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
          if (attempt) await sleep(200)
          status = (await get(url)).status
        }
        statuses.push(status)
      }
      expect(statuses).toEqual([200, 200])
    }, 60_000)
  })
}
