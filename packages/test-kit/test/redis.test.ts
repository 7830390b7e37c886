import { connect } from 'node:net'
import { afterAll, expect, it } from 'vitest'
import { type RedisServer, startRedis } from '../src/redis.js'

/** One command over a plain socket (RESP), its first reply line. */
function command(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port })
    let reply = ''
    socket.setTimeout(2000, () => socket.destroy(new Error('no reply')))
    socket.once('error', reject)
    socket.once('connect', () =>
      socket.write(
        `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
      ),
    )
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.endsWith('\r\n')) {
        socket.end()
        resolve(reply)
      }
    })
  })
}

const servers: RedisServer[] = []
afterAll(async () => {
  for (const server of servers) await server.stop()
})

it('starts redis-server on loopback, and a restart after a crash replays its append-only file', async () => {
  const redis = await startRedis()
  servers.push(redis)
  expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`)
  expect(await command(redis.port, 'CONFIG', 'GET', 'bind')).toContain('127.0.0.1')
  expect(await command(redis.port, 'SET', 'kept', 'yes')).toBe('+OK\r\n')
  await redis.kill()
  await expect(command(redis.port, 'PING')).rejects.toThrow()
  await redis.restart()
  expect(await command(redis.port, 'GET', 'kept')).toBe('$3\r\nyes\r\n')
  await redis.restart()
  expect(await command(redis.port, 'GET', 'kept')).toBe('$3\r\nyes\r\n')
})

it('says how to get redis-server when it is missing', async () => {
  await expect(startRedis({ bin: '/nonexistent/redis-server' })).rejects.toThrow(
    /not found: run bash scripts\/test.sh, which installs redis-server/,
  )
})
