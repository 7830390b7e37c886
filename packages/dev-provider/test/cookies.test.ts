import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevProvider, start } from '../src/index.js'
import { authorizationRequest, type Discovery, discover } from './helpers.js'

describe('provider cookies over plain http on 127.0.0.1', () => {
  let op: DevProvider
  let discovery: Discovery

  beforeAll(async () => {
    op = await start({ cookieKeys: ['test-cookie-key'] })
    discovery = await discover(op.issuer)
  })
  afterAll(() => op.close())

  async function interactionCookies(): Promise<string[]> {
    const response = await fetch(authorizationRequest(discovery, {}).url, { redirect: 'manual' })
    expect(response.status).toBe(303)
    return response.headers.getSetCookie()
  }

  it('are not Secure (the browser would drop them on http), but HttpOnly and SameSite=Lax', async () => {
    const cookies = await interactionCookies()
    expect(cookies.length).toBeGreaterThan(0)
    for (const cookie of cookies) {
      const attributes = cookie
        .toLowerCase()
        .split(';')
        .map((part) => part.trim())
      expect(attributes).not.toContain('secure')
      expect(attributes).toContain('httponly')
      expect(attributes).toContain('samesite=lax')
    }
  })

  it('are signed with the configured cookie keys', async () => {
    const cookies = await interactionCookies()
    const value = (name: string) =>
      cookies
        .find((cookie) => cookie.startsWith(`${name}=`))!
        .split(';')[0]!
        .slice(name.length + 1)
    const uid = value('_interaction')
    // Koa's cookie signature: HMAC-SHA1 over "name=value", base64url without padding.
    const expected = createHmac('sha1', 'test-cookie-key')
      .update(`_interaction=${uid}`)
      .digest('base64url')
    expect(value('_interaction.sig')).toBe(expected)
  })
})
