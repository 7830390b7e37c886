/**
 * A real redis-server for the specs: on a free port of 127.0.0.1, with an append-only file in a
 * directory of its own (so a restart replays what was written), killed when the process exits.
 * `bash scripts/test.sh` installs Debian's redis-server when it is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './server.js'

export interface StartRedisOptions {
  /** The binary (default {@link REDIS_SERVER}). */
  bin?: string
  /** More arguments for redis-server (e.g. `['--enable-debug-command', 'local']`). */
  args?: string[]
  /** How long to wait for it to answer PING, in milliseconds (default 10 000). */
  startTimeoutMs?: number
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string
  port: number
  /** Its working directory (the append-only file is under it). */
  dir: string
  /** Stops it (SIGTERM, then SIGKILL after 10 s) and removes its directory: the end. */
  stop(): Promise<void>
  /** SIGKILL, no shutdown: a crash. `restart()` brings it back. */
  kill(): Promise<void>
  /** Stops it if it runs (SIGTERM), then starts it again on the same port and directory. */
  restart(): Promise<void>
}

/** The redis-server binary: `REDIS_SERVER`, else `redis-server` on PATH. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

const running = new Set<ChildProcess>()
let exitHookInstalled = false

/** Starts a redis-server (see {@link RedisServer}); rejects, bounded, when it cannot. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-hybrid-redis-'))
  let port = 0
  let child: ChildProcess | undefined
  // A port free a moment ago can be taken before redis-server binds it: try another.
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    try {
      child = await launch(port, dir, options)
      break
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test(String(error))) {
        rmSync(dir, { recursive: true, force: true })
        throw error
      }
    }
  }
  let stopped = false
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (stopped) return
      stopped = true
      if (child) await end(child, 'SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
    async kill() {
      if (child) await end(child, 'SIGKILL')
      child = undefined
    },
    async restart() {
      if (stopped) throw new Error('startRedis: restart() after stop()')
      if (child) await end(child, 'SIGTERM')
      child = await launch(port, dir, options)
    },
  }
  return server
}

async function launch(port: number, dir: string, options: StartRedisOptions) {
  const bin = options.bin ?? REDIS_SERVER
  const child = spawn(
    bin,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
      '--daemonize',
      'no',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  running.add(child)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.on('exit', () => {
      for (const each of running) each.kill('SIGKILL')
    })
  }
  // The last few KB of its output, for the error message.
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let failure: Error | undefined
  child.once('error', (error: NodeJS.ErrnoException) => {
    failure =
      error.code === 'ENOENT'
        ? new Error(
            `${bin} not found: run bash scripts/test.sh, which installs redis-server (or set REDIS_SERVER)`,
          )
        : error
  })
  child.once('exit', () => {
    running.delete(child)
    failure ??= new Error(`redis-server exited at start:\n${output}`)
  })
  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000)
  while (!failure) {
    if (await ping(port)) return child
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not answer PING on port ${port} in time:\n${output}`)
    }
    await sleep(50)
  }
  throw failure
}

/** Whether something on `port` answers a PING with PONG, within a second. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let reply = ''
    const done = (answer: boolean) => {
      socket.destroy()
      resolve(answer)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/** Sends `signal` and waits for the exit; SIGKILL after 10 s. */
async function end(child: ChildProcess, signal: NodeJS.Signals) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}
