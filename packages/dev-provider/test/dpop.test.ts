// DPoP (RFC 9449) at the dev provider's token endpoint: sender-constrained tokens for a proof,
// and server nonces (RFC 9449 8) with `dpopNonces`.
import { randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { start } from '../src/index.js'
import { basicAuth, DEMO_SECRET, decodeJwt, discover, login } from './helpers.js'

const API = 'https://api.example.com'

async function proofKey() {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return {
    jkt: await calculateJwkThumbprint(jwk),
    proof: (htu: string, nonce?: string) =>
      new SignJWT({ htm: 'POST', htu, jti: randomUUID(), ...(nonce ? { nonce } : {}) })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey),
  }
}

async function redeemWithProof(
  tokenEndpoint: string,
  code: string,
  verifier: string,
  proof: string,
) {
  return fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basicAuth('demo-app', DEMO_SECRET),
      dpop: proof,
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://localhost:3000/callback',
      code_verifier: verifier,
    }),
  })
}

describe('DPoP at the token endpoint', () => {
  for (const dpopNonces of [false, true]) {
    it(`a proof gets a DPoP-bound token (dpopNonces: ${dpopNonces})`, async () => {
      const op = await start(dpopNonces ? { dpopNonces } : {})
      try {
        const discovery = await discover(op.issuer)
        const key = await proofKey()
        const { response, verifier } = await login(discovery, { audience: API, scope: 'openid' })
        const code = response.get('code')!
        let answer = await redeemWithProof(
          discovery.token_endpoint,
          code,
          verifier,
          await key.proof(discovery.token_endpoint),
        )
        if (dpopNonces) {
          // RFC 9449 8: the first proof has no nonce; the answer gives one to retry with.
          expect(answer.status).toBe(400)
          expect(((await answer.json()) as { error: string }).error).toBe('use_dpop_nonce')
          const nonce = answer.headers.get('dpop-nonce')
          expect(nonce).toBeTruthy()
          answer = await redeemWithProof(
            discovery.token_endpoint,
            code,
            verifier,
            await key.proof(discovery.token_endpoint, nonce!),
          )
        }
        expect(answer.status).toBe(200)
        const tokens = (await answer.json()) as { token_type: string; access_token: string }
        expect(tokens.token_type).toBe('DPoP')
        expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt })
      } finally {
        await op.close()
      }
    })
  }

  it('refuses a value other than true or false', async () => {
    await expect(start({ dpopNonces: 'yes' as never })).rejects.toThrow(/dpopNonces/)
  })
})

describe('dpop: false, a provider that does not bind tokens', () => {
  it('ignores dpop_jkt and the proof: the token is a Bearer token without cnf', async () => {
    const op = await start({ dpop: false })
    try {
      const discovery = await discover(op.issuer)
      expect(discovery).not.toHaveProperty('dpop_signing_alg_values_supported')
      const key = await proofKey()
      const { response, verifier } = await login(discovery, {
        audience: API,
        scope: 'openid',
        dpop_jkt: key.jkt,
      })
      const answer = await redeemWithProof(
        discovery.token_endpoint,
        response.get('code')!,
        verifier,
        await key.proof(discovery.token_endpoint),
      )
      expect(answer.status).toBe(200)
      const tokens = (await answer.json()) as { token_type: string; access_token: string }
      expect(tokens.token_type).toBe('Bearer')
      expect(decodeJwt(tokens.access_token)).not.toHaveProperty('cnf')
    } finally {
      await op.close()
    }
  })

  it('is on by default, and refuses dpopNonces without it or a value other than true or false', async () => {
    const op = await start()
    try {
      expect((await discover(op.issuer)).dpop_signing_alg_values_supported).toContain('ES256')
    } finally {
      await op.close()
    }
    await expect(start({ dpop: false, dpopNonces: true })).rejects.toThrow(/dpopNonces needs DPoP/)
    await expect(start({ dpop: 'no' as never })).rejects.toThrow(/dpop/)
  })
})
