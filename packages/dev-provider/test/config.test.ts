import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import {
  DevProviderConfigError,
  type DevProviderOptions,
  defaultClients,
  defaultUsers,
  start,
} from '../src/index.js'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

describe('start() options', () => {
  it('rejects an issuer with a path', async () => {
    await expect(start({ issuer: 'http://127.0.0.1:4000/tenant/' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/issuer/),
    })
  })

  it('rejects a user in an organization that is not configured', async () => {
    const users = [{ ...defaultUsers()[0]!, organizations: ['org_missing'] }]
    await expect(start({ users })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/org_missing/),
    })
  })

  it('rejects two users with the same email', async () => {
    const [user] = defaultUsers()
    await expect(
      start({ users: [user!, { ...user!, sub: 'auth0|other' }] }),
    ).rejects.toBeInstanceOf(DevProviderConfigError)
  })

  it('reports invalid client metadata with the client id, and releases the port', async () => {
    const port = await freePort()
    const failure = start({
      port,
      clients: [
        {
          client_id: 'broken',
          token_endpoint_auth_method: 'private_key_jwt',
          redirect_uris: ['http://localhost:3000/callback'],
        },
      ],
    })
    await expect(failure).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/client "broken" is invalid/),
    })
    const op = await start({ port })
    await op.close()
  })

  it('uses the issuer it is given verbatim', async () => {
    const op = await start({ issuer: 'http://127.0.0.1:1/' })
    try {
      const discovery = (await (
        await fetch(`${op.url}/.well-known/openid-configuration`)
      ).json()) as {
        issuer: string
      }
      expect(discovery.issuer).toBe('http://127.0.0.1:1/')
    } finally {
      await op.close()
    }
  })

  it.each([
    [{ rotateRefreshTokens: 'no' }, /rotateRefreshTokens must be true or false, got "no"/],
    [{ refreshScope: 'honor' }, /refreshScope must be "honour" or "ignore", got "honor"/],
    [{ refreshIdTokenClaims: 'none' }, /refreshIdTokenClaims must be "full" or "minimal"/],
    [{ codeIdTokenClaims: true }, /codeIdTokenClaims must be "full" or "minimal", got true/],
    [{ extraIdTokenAudiences: 'api' }, /extraIdTokenAudiences must be an array of non-empty/],
    [{ extraIdTokenAudiences: ['a', 'a'] }, /extraIdTokenAudiences entry "a" appears twice/],
    [{ idTokenAuthTime: 'zero' }, /idTokenAuthTime must be "real" or "zero-at-token-endpoint"/],
    [{ accessTokenTTL: 0 }, /accessTokenTTL must be a positive integer/],
    [{ accessTokenTTL: 2_592_000 }, /accessTokenTTL must be less than 2592000 seconds/],
    [
      { apis: [{ identifier: 'https://api.example.com', scopes: [], accessTokenTTL: 3_000_000 }] },
      /apis\[0\]\.accessTokenTTL must be less than 2592000 seconds/,
    ],
  ])('rejects %j with a message naming the option', async (options, message) => {
    await expect(start(options as DevProviderOptions)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(message),
    })
  })

  it('rejects ID token edits for a client whose ID tokens it cannot re-sign', async () => {
    const [client] = defaultClients()
    const clients = [{ ...client!, id_token_signed_response_alg: 'HS256' }]
    await expect(
      start({ clients, extraIdTokenAudiences: ['other'] } as DevProviderOptions),
    ).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/client "demo-app" has its ID tokens signed with HS256/),
    })
  })

  it('close() stops the server', async () => {
    const op = await start()
    await op.close()
    await op.close()
    await expect(fetch(`${op.issuer}.well-known/openid-configuration`)).rejects.toThrow()
  })
})
