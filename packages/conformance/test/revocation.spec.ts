/**
 * Logout revokes the session's refresh token (RFC 7009, `revokeOnLogout`, on by default) in every
 * adapter, against the real dev provider (oidc-provider): a copy of the session cookie taken
 * before the logout (a stolen cookie) can no longer get tokens; with `revokeOnLogout: false` it
 * still can.
 */
import { createBrowser } from '@oidc-hybrid/test-kit'
import { describe, expect, it } from 'vitest'
import { ADAPTERS } from '../src/adapters.js'
import { startApp } from '../src/start-app.js'

const JSON_ACCEPT = { accept: 'application/json' }

describe.each(ADAPTERS.map((adapter) => [adapter.name, adapter] as const))(
  'revocation at logout, %s',
  (_name, adapter) => {
    for (const revokeOnLogout of [true, false]) {
      it(`a cookie copied before the logout ${revokeOnLogout ? 'cannot' : 'can still'} refresh (revokeOnLogout: ${revokeOnLogout})`, async () => {
        const setup = await startApp(adapter, 'revocation', {
          authorizationParams: { scope: 'openid profile email offline_access' },
          revokeOnLogout,
        })
        try {
          const browser = createBrowser(setup.url, { headers: JSON_ACCEPT })
          expect((await browser.login()).status).toBe(302)
          const copied = browser.jar.header()
          expect((await browser.get('/logout')).status).toBe(302)
          const refresh = await fetch(`${setup.url}/refresh`, {
            headers: { cookie: copied, ...JSON_ACCEPT },
          })
          if (revokeOnLogout) {
            expect(refresh.status).toBe(502)
            const body = (await refresh.json()) as { error: string; message: string }
            expect(body.error).toBe('TOKEN_ENDPOINT_ERROR')
            expect(body.message).toContain('invalid_grant')
          } else {
            expect(refresh.status).toBe(200)
          }
        } finally {
          await setup.close()
        }
      })
    }
  },
)
