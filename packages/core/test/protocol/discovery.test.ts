import fc from 'fast-check'
import { exportJWK, generateKeyPair, generateSecret } from 'jose'
import { describe, expect, it } from 'vitest'
import { isOidcHybridError } from '../../src/errors.js'
import {
  discoveryUrl,
  processDiscoveryResponse,
  processJwksResponse,
} from '../../src/protocol/discovery.js'
import type { HttpResponseData } from '../../src/protocol/types.js'

const ISSUER = 'https://tenant.auth0.com/'

function response(
  status: number,
  body: unknown,
  contentType: string | undefined = 'application/json',
): HttpResponseData {
  const headers = new Headers()
  if (contentType !== undefined) headers.set('content-type', contentType)
  return { status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) }
}

function metadata(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: ISSUER,
    authorization_endpoint: 'https://tenant.auth0.com/authorize',
    token_endpoint: 'https://tenant.auth0.com/oauth/token',
    jwks_uri: 'https://tenant.auth0.com/.well-known/jwks.json',
    userinfo_endpoint: 'https://tenant.auth0.com/userinfo',
    end_session_endpoint: 'https://tenant.auth0.com/oidc/logout',
    response_types_supported: ['code', 'code id_token', 'code token', 'code id_token token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    id_token_signing_alg_values_supported: ['RS256', 'HS256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    code_challenge_methods_supported: ['S256', 'plain'],
    authorization_response_iss_parameter_supported: false,
    ...overrides,
  }
}

function discover(document: unknown, issuerBaseURL = ISSUER) {
  return () => processDiscoveryResponse(issuerBaseURL, response(200, document))
}

describe('discoveryUrl', () => {
  it('appends the well-known path to an issuer without trailing slash', () => {
    expect(discoveryUrl('https://tenant.auth0.com').href).toBe(
      'https://tenant.auth0.com/.well-known/openid-configuration',
    )
  })

  it('does not double the slash of an issuer that ends with one', () => {
    expect(discoveryUrl('https://tenant.auth0.com/').href).toBe(
      'https://tenant.auth0.com/.well-known/openid-configuration',
    )
  })

  it('keeps the issuer path (OpenID Discovery 4.1)', () => {
    expect(discoveryUrl('https://idp.example.com/realms/main').href).toBe(
      'https://idp.example.com/realms/main/.well-known/openid-configuration',
    )
  })

  it('rejects a string that is not a URL', () => {
    expect(() => discoveryUrl('tenant.auth0.com')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects a non-http(s) scheme', () => {
    expect(() => discoveryUrl('ftp://tenant.auth0.com')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects a query', () => {
    expect(() => discoveryUrl('https://tenant.auth0.com/?tenant=a')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects an empty query, which URL parsing would drop silently', () => {
    expect(() => discoveryUrl('https://tenant.auth0.com/?')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects a fragment', () => {
    expect(() => discoveryUrl('https://tenant.auth0.com/#a')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects http on a non-loopback host', () => {
    expect(() => discoveryUrl('http://tenant.auth0.com')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it.each(['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000'])(
    'accepts http on the loopback host %s',
    (issuer) => {
      expect(discoveryUrl(issuer).href).toBe(`${issuer}/.well-known/openid-configuration`)
    },
  )
})

describe('processDiscoveryResponse', () => {
  it('returns the metadata of a valid document', () => {
    const result = discover(metadata())()
    expect(result).toEqual(metadata())
  })

  it("accepts an issuerBaseURL without the issuer's trailing slash and keeps the document's issuer", () => {
    const result = discover(metadata(), 'https://tenant.auth0.com')()
    expect(result.issuer).toBe('https://tenant.auth0.com/')
  })

  it('rp-discovery-issuer-not-matching-config: rejects another issuer', () => {
    expect(discover(metadata({ issuer: `${ISSUER}1` }))).toThrow(
      expect.objectContaining({ code: 'DISCOVERY_ISSUER_MISMATCH' }),
    )
  })

  it('does not drop a trailing slash from the configured issuer', () => {
    expect(discover(metadata({ issuer: 'https://tenant.auth0.com' }), ISSUER)).toThrow(
      expect.objectContaining({ code: 'DISCOVERY_ISSUER_MISMATCH' }),
    )
  })

  it('rejects a document without a string issuer', () => {
    expect(discover(metadata({ issuer: undefined }))).toThrow(
      expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field: 'issuer' } }),
    )
  })

  it('rejects an invalid issuerBaseURL as configuration', () => {
    expect(discover(metadata(), 'tenant.auth0.com')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })

  it('rejects a non-200 answer and reports the status', () => {
    expect(() => processDiscoveryResponse(ISSUER, response(404, metadata()))).toThrow(
      expect.objectContaining({
        code: 'DISCOVERY_INVALID',
        details: { status: 404 },
        message: expect.stringContaining('issuerBaseURL'),
      }),
    )
  })

  it('rejects a media type other than application/json', () => {
    expect(() => processDiscoveryResponse(ISSUER, response(200, metadata(), 'text/html'))).toThrow(
      expect.objectContaining({ code: 'DISCOVERY_INVALID' }),
    )
  })

  it('accepts application/json with parameters', () => {
    const result = processDiscoveryResponse(
      ISSUER,
      response(200, metadata(), 'Application/JSON; charset=utf-8'),
    )
    expect(result.issuer).toBe(ISSUER)
  })

  it('tolerates a missing Content-Type when the body is a JSON object', () => {
    const result = processDiscoveryResponse(ISSUER, response(200, metadata(), undefined))
    expect(result.issuer).toBe(ISSUER)
  })

  it('rejects a body that is not JSON', () => {
    expect(discover('<html>login</html>')).toThrow(
      expect.objectContaining({ code: 'DISCOVERY_INVALID' }),
    )
  })

  it('rejects a JSON body that is not an object', () => {
    expect(discover([metadata()])).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID' }))
  })

  describe.each(['authorization_endpoint', 'token_endpoint', 'jwks_uri'])(
    'required %s',
    (field) => {
      it('must be present', () => {
        expect(discover(metadata({ [field]: undefined }))).toThrow(
          expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field } }),
        )
      })
    },
  )

  describe.each([
    'authorization_endpoint',
    'token_endpoint',
    'jwks_uri',
    'userinfo_endpoint',
    'end_session_endpoint',
  ])('%s', (field) => {
    it('must be an absolute URL', () => {
      expect(discover(metadata({ [field]: '/relative' }))).toThrow(
        expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field } }),
      )
    })

    it('must be a string', () => {
      expect(discover(metadata({ [field]: 42 }))).toThrow(
        expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field } }),
      )
    })

    it('must not use http on a non-loopback host', () => {
      expect(discover(metadata({ [field]: 'http://tenant.auth0.com/endpoint' }))).toThrow(
        expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field } }),
      )
    })

    it('must not carry a fragment (RFC 6749 3.1)', () => {
      expect(discover(metadata({ [field]: 'https://tenant.auth0.com/endpoint#x' }))).toThrow(
        expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field } }),
      )
    })

    it('may use http on a loopback host', () => {
      const result = discover(metadata({ [field]: 'http://localhost:3000/endpoint' }))()
      expect(result[field]).toBe('http://localhost:3000/endpoint')
    })
  })

  it.each(['userinfo_endpoint', 'end_session_endpoint'])('%s is optional', (field) => {
    const result = discover(metadata({ [field]: undefined }))()
    expect(result[field]).toBeUndefined()
  })

  describe.each([
    'response_types_supported',
    'response_modes_supported',
    'id_token_signing_alg_values_supported',
    'token_endpoint_auth_methods_supported',
    'code_challenge_methods_supported',
  ])('%s', (field) => {
    it('must be an array', () => {
      expect(discover(metadata({ [field]: 'RS256' }))).toThrow(
        expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field } }),
      )
    })

    it('must hold only strings', () => {
      expect(discover(metadata({ [field]: ['RS256', 1] }))).toThrow(
        expect.objectContaining({ code: 'DISCOVERY_INVALID', details: { field } }),
      )
    })
  })

  it('authorization_response_iss_parameter_supported must be a boolean when present', () => {
    expect(discover(metadata({ authorization_response_iss_parameter_supported: 'true' }))).toThrow(
      expect.objectContaining({
        code: 'DISCOVERY_INVALID',
        details: { field: 'authorization_response_iss_parameter_supported' },
      }),
    )
  })

  it('throws only OidcHybridError, whatever the response', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 599 }),
        fc.oneof(fc.json(), fc.string()),
        fc.constantFrom(undefined, 'application/json', 'text/html', ''),
        (status, body, contentType) => {
          try {
            processDiscoveryResponse(ISSUER, response(status, body, contentType))
          } catch (error) {
            expect(isOidcHybridError(error)).toBe(true)
          }
        },
      ),
    )
  })
})

describe('processJwksResponse', () => {
  async function publicJwk(alg: 'ES256' | 'RS256' | 'EdDSA' = 'ES256') {
    const { publicKey } = await generateKeyPair(alg, { extractable: true })
    return { ...(await exportJWK(publicKey)), kid: `${alg}-key`, alg }
  }

  function jwks(body: unknown, contentType?: string) {
    return processJwksResponse(response(200, body, contentType))
  }

  it('returns the public keys', async () => {
    const keys = [await publicJwk('ES256'), await publicJwk('RS256'), await publicJwk('EdDSA')]
    expect(jwks({ keys })).toEqual({ keys })
  })

  it('rejects a non-200 answer', async () => {
    const body = { keys: [await publicJwk()] }
    expect(() => processJwksResponse(response(503, body))).toThrow(
      expect.objectContaining({ code: 'JWKS_INVALID', details: { status: 503 } }),
    )
  })

  it('rejects a media type that is not JSON', async () => {
    const body = { keys: [await publicJwk()] }
    expect(() => jwks(body, 'text/html')).toThrow(expect.objectContaining({ code: 'JWKS_INVALID' }))
  })

  it.each(['application/jwk-set+json', undefined])('accepts the media type %s', async (type) => {
    const keys = [await publicJwk()]
    expect(jwks({ keys }, type)).toEqual({ keys })
  })

  it('rejects a body that is not JSON', () => {
    expect(() => jwks('not json')).toThrow(expect.objectContaining({ code: 'JWKS_INVALID' }))
  })

  it('rejects an object without a keys array', async () => {
    const key = await publicJwk()
    expect(() => jwks({ keys: key })).toThrow(expect.objectContaining({ code: 'JWKS_INVALID' }))
  })

  it('drops entries that are not objects (RFC 7517 5)', async () => {
    const key = await publicJwk()
    expect(jwks({ keys: [null, 'key', [key], key] })).toEqual({ keys: [key] })
  })

  it('drops entries without a string kty (RFC 7517 5)', async () => {
    const key = await publicJwk()
    const { kty: _kty, ...withoutKty } = key
    expect(jwks({ keys: [withoutKty, { ...key, kty: 3 }, key] })).toEqual({ keys: [key] })
  })

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth'])(
    'drops a key carrying the private member %s',
    async (member) => {
      const key = await publicJwk('RS256')
      expect(jwks({ keys: [{ ...key, [member]: 'AQAB' }, key] })).toEqual({ keys: [key] })
    },
  )

  it('drops a real private key exported by mistake', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const key = await publicJwk()
    expect(jwks({ keys: [await exportJWK(privateKey), key] })).toEqual({ keys: [key] })
  })

  it('drops symmetric keys', async () => {
    const secret = await exportJWK(await generateSecret('HS256', { extractable: true }))
    const { k: _k, ...withoutSecret } = secret
    const key = await publicJwk()
    expect(jwks({ keys: [secret, withoutSecret, key] })).toEqual({ keys: [key] })
  })

  it('throws only OidcHybridError, whatever the response', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.oneof(fc.json(), fc.string()), (s, b) => {
        try {
          processJwksResponse(response(s, b))
        } catch (error) {
          expect(isOidcHybridError(error)).toBe(true)
        }
      }),
    )
  })
})
