/**
 * What a new user meets when the demo cannot start: a busy port names the variable that moves
 * it, and every port is released again (nothing half-started is left listening).
 */
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { PortInUseError, startDemo } from '../src/demo.js'

const ports = { webPort: 3200, apiPort: 3201, providerPort: 4200 }
let blocker: Server | undefined

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(port, '127.0.0.1')
    server.once('listening', () => resolve(server))
    server.once('error', reject)
  })
}

afterEach(async () => {
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)))
  blocker = undefined
})

describe('the demo on busy ports', () => {
  for (const [option, variable] of [
    ['webPort', 'WEB_PORT'],
    ['apiPort', 'API_PORT'],
    ['providerPort', 'PROVIDER_PORT'],
  ] as const) {
    it(`a busy ${option} says to set ${variable}, and leaves no other port taken`, async () => {
      blocker = await occupy(ports[option])
      const failure = await startDemo(ports).then(
        (demo) => demo.close().then(() => undefined),
        (error: unknown) => error,
      )
      expect(failure).toBeInstanceOf(PortInUseError)
      expect((failure as Error).message).toContain(variable)
      expect((failure as Error).message).toContain(String(ports[option]))
      // Everything that did start was closed: the demo starts on these ports once freed.
      await new Promise((resolve) => blocker!.close(resolve))
      blocker = undefined
      const demo = await startDemo(ports)
      await demo.close()
    })
  }
})
