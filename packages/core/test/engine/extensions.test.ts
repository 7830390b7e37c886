// Extensions: opt-in modules that join the engine when createHybridAuth builds it, and wrap its
// routes, refresh or `send` (PAR, signed requests, events build on this).
import { describe, expect, it } from 'vitest'
import type { ExtensibleEngine, Extension } from '../../src/engine/types.js'
import { setup } from '../support/harness.js'

describe('extensions', () => {
  it('each joins the engine once, in order, after the configuration was checked', async () => {
    const seen: string[] = []
    const joined: ExtensibleEngine[] = []
    const extension = (name: string): Extension => ({
      engine(engine) {
        seen.push(name)
        joined.push(engine)
        // The configuration is resolved by then.
        expect(engine.config.clientID).toBeTypeOf('string')
      },
    })
    const t = await setup({ extensions: [extension('a'), {}, extension('b')] })
    expect(seen).toEqual(['a', 'b'])
    expect(joined).toEqual([t.auth, t.auth])
  })

  it('a wrapped route and a wrapped send are what the engine uses (handle, load, refresh)', async () => {
    const sent: string[] = []
    const routes: string[] = []
    const t = await setup({
      extensions: [
        {
          engine(engine) {
            const { login, callback, send } = engine
            engine.login = (request, options) => {
              routes.push('login')
              return login.call(engine, request, options)
            }
            engine.callback = (request) => {
              routes.push('callback')
              return callback.call(engine, request)
            }
            engine.send = (request) => {
              sent.push(new URL(request.url).pathname)
              return send.call(engine, request)
            }
          },
        },
      ],
    })
    const { callback } = await t.login()
    expect(callback.error).toBeUndefined()
    expect(routes).toEqual(['login', 'callback'])
    expect(sent).toEqual(['/oauth/token'])
    // A refresh through a loaded session goes out through the wrapped send too.
    await t.inRequest((loaded) => loaded.getAccessToken({ refresh: 'force' }))
    expect(sent).toEqual(['/oauth/token', '/oauth/token'])
  })
})
