// The DPoP rows (RFC 9449, `--only=dpop`): what a proof costs the relying party per API call, and
// what checking one costs the API per request, against the raw ES256 floor and the peers.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey as NodeJsonWebKey,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto'
import {
  type CryptoProvider,
  createBearerVerifier,
  createHybridAuth,
  DpopProofSigner,
  dpop,
  generateDpopKey,
  WebCryptoProvider,
} from '@oidc-hybrid/core'
import { verifyDpopProof } from '@oidc-hybrid/core/protocol'
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  EmbeddedJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose'
import * as o4w from 'oauth4webapi'
import * as oc from 'openid-client'
import { NodeCryptoProvider } from './crypto-node.js'
import {
  API,
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  cannedFetch,
  type Fixtures,
  ISSUER,
  METADATA,
} from './fixtures.js'
import type { Case } from './measure.js'

const subtle = globalThis.crypto.subtle
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const
const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const
/** The API call the proofs are for (`htm`, `htu`), and a server nonce as a provider gives one. */
const METHOD = 'GET'
const URL_ = `${API}/messages`
const NONCE = 'eyJ7S_zG.eyJH0-Z.HX4w-7v'
/**
 * More proofs than the verifier's default replay memory keeps (10 000 `jkt jti` pairs): cycled,
 * each comes back after the memory has let it go, so our rows run the real replay check, never
 * a refusal.
 */
export const DPOP_POOL = 10_050

function fail(message: string): never {
  throw new Error(message)
}

const b64u = (bytes: ArrayBuffer | Uint8Array) =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64url')

/** The signing input and signature of a compact JWS, decoded once (the floor does no parsing). */
function jwsParts(token: string) {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  return {
    input: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature, 'base64url'),
  }
}

/** Cycles through `items`, one per call. */
function cycle<T>(items: readonly T[]): () => T {
  let next = 0
  return () => {
    const item = items[next]!
    next = (next + 1) % items.length
    return item
  }
}

export async function dpopCases(fixtures: Fixtures): Promise<Case[]> {
  const providers: Array<['web' | 'node', CryptoProvider]> = [
    ['web', new WebCryptoProvider()],
    ['node', new NodeCryptoProvider()],
  ]
  const cases: Case[] = []
  // One DPoP key for every row, generated as the `dpop()` extension generates a login's.
  const { key: privateJwk, jkt } = await generateDpopKey('ES256', new WebCryptoProvider())
  const { d: _, ...publicJwk } = privateJwk
  const keyPair: CryptoKeyPair = {
    privateKey: await subtle.importKey('jwk', privateJwk, ECDSA, false, ['sign']),
    // oauth4webapi exports the public key into the proof header: it must be extractable.
    publicKey: await subtle.importKey('jwk', publicJwk, ECDSA, true, ['verify']),
  }
  const nodePrivate = createPrivateKey({ key: privateJwk as NodeJsonWebKey, format: 'jwk' })
  const nodePublic = createPublicKey({ key: publicJwk as NodeJsonWebKey, format: 'jwk' })
  // The DPoP-bound access token (RFC 9068, RS256, `cnf.jkt`) and an unbound one for Bearer.
  const now = Math.floor(Date.now() / 1000)
  const bearerToken = fixtures.bearerToken
  const bearerClaims = JSON.parse(
    Buffer.from(bearerToken.split('.')[1]!, 'base64url').toString('utf8'),
  ) as Record<string, unknown>
  const boundToken = await fixtures.sign('RS256', { ...bearerClaims, cnf: { jkt } }, 'at+jwt')
  const tokenBytes = Buffer.from(boundToken)

  // 7. One proof per API call: `htm`, `htu`, `iat`, a random `jti`, `ath` and a nonce.
  {
    const group = '7. DPoP proof per API call (ES256, with ath and nonce)'
    const input = { method: METHOD, url: URL_, nonce: NONCE, accessToken: boundToken }
    const sample = await new DpopProofSigner(new WebCryptoProvider()).sign(privateJwk, {
      ...input,
      now,
    })
    // The floor signs an input of the same size: our proof's own signing input.
    const signingInput = jwsParts(sample).input
    const nodeSignOptions = { key: nodePrivate, dsaEncoding: 'ieee-p1363' as const }
    cases.push(
      {
        group,
        key: 'dpop-sign-floor-node',
        role: 'floor-node',
        name: `floor: node:crypto ES256 sign (${signingInput.length} B input)`,
        fn: () => nodeSign('sha256', signingInput, nodeSignOptions),
      },
      {
        group,
        key: 'dpop-sign-floor-web',
        role: 'floor-web',
        name: 'floor: WebCrypto ECDSA P-256 sign (imported key)',
        fn: () => subtle.sign(ES256, keyPair.privateKey, signingInput),
      },
      {
        group,
        key: 'dpop-sign-floor-node-rp',
        role: 'floor-node-rp',
        name: 'RP floor: node:crypto SHA-256 of the token (ath) + sign',
        fn: () =>
          createHash('sha256').update(tokenBytes).digest() &&
          nodeSign('sha256', signingInput, nodeSignOptions),
      },
      {
        group,
        key: 'dpop-sign-floor-web-rp',
        role: 'floor-web-rp',
        name: 'RP floor: WebCrypto digest of the token (ath) + sign',
        fn: async () =>
          (await subtle.digest('SHA-256', tokenBytes)) &&
          subtle.sign(ES256, keyPair.privateKey, signingInput),
      },
    )
    for (const [kind, crypto] of providers) {
      const signer = new DpopProofSigner(crypto)
      // The key's import is remembered by the signer: imported here once, as after a first call.
      await signer.sign(privateJwk, { ...input, now })
      cases.push({
        group,
        key: `dpop-sign-ours-${kind}`,
        role: kind === 'web' ? 'ours-web' : 'ours-node',
        name: `ours DpopProofSigner.sign (${kind === 'web' ? 'WebCryptoProvider' : 'NodeCryptoProvider: ath and signature by node:crypto'})`,
        fn: () => signer.sign(privateJwk, { ...input, now: Math.floor(Date.now() / 1000) }),
      })
    }
    const url = new URL(URL_)
    // oauth4webapi's handle (openid-client's getDPoPHandle returns the same class) makes its
    // proofs in addProof and keeps nonces with cacheNonce: methods it has at run time but does
    // not declare (its public way is a request function with `DPoP`: group 7b).
    const o4wHandle = o4w.DPoP({ client_id: CLIENT_ID } as o4w.Client, keyPair) as unknown as {
      addProof(url: URL, headers: Headers, htm: string, accessToken?: string): Promise<void>
      cacheNonce(response: Response, url: URL): void
    }
    o4wHandle.cacheNonce(new Response(null, { headers: { 'dpop-nonce': NONCE } }), url)
    const addProof = async () => {
      const headers = new Headers()
      await o4wHandle.addProof(url, headers, METHOD, boundToken)
      return headers.get('dpop') ?? fail('no proof')
    }
    const peerClaims = JSON.parse(
      Buffer.from((await addProof()).split('.')[1]!, 'base64url').toString(),
    )
    if (peerClaims.nonce !== NONCE || typeof peerClaims.ath !== 'string') fail('o4w: nonce/ath')
    const joseJwk = publicJwk as JWK
    cases.push(
      {
        group,
        key: 'dpop-sign-o4w',
        role: 'peer',
        name: 'oauth4webapi DPoP(client, keyPair) handle: addProof (nonce cached)',
        fn: addProof,
      },
      {
        group,
        key: 'dpop-sign-jose',
        role: 'peer',
        name: 'jose SignJWT, jwk in the header, ath by digest (hand-rolled)',
        fn: async () =>
          new SignJWT({
            jti: globalThis.crypto.randomUUID(),
            htm: METHOD,
            htu: URL_,
            nonce: NONCE,
            ath: b64u(await subtle.digest('SHA-256', tokenBytes)),
          })
            .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: joseJwk })
            .setIssuedAt()
            .sign(keyPair.privateKey),
      },
    )
  }

  // 7b. The same per API call through each library's public API-call helper, the fetch answered
  // from memory (200 with a DPoP-Nonce, which each keeps for its next proofs).
  {
    const group = '7b. DPoP API call through the public helper, in-memory fetch (ES256, ath, nonce)'
    const answer = () =>
      new Response('{}', {
        status: 200,
        headers: { 'content-type': 'application/json', 'dpop-nonce': NONCE },
      })
    const answerFetch = async () => answer()
    const authorization = `DPoP ${boundToken}`
    const signingInput = jwsParts(
      await new DpopProofSigner(new WebCryptoProvider()).sign(privateJwk, {
        method: METHOD,
        url: URL_,
        now,
        nonce: NONCE,
        accessToken: boundToken,
      }),
    ).input
    cases.push(
      {
        group,
        key: 'dpop-call-floor-node',
        role: 'floor-node',
        name: 'floor: node:crypto ES256 sign (same input)',
        fn: () => nodeSign('sha256', signingInput, { key: nodePrivate, dsaEncoding: 'ieee-p1363' }),
      },
      {
        group,
        key: 'dpop-call-floor-web',
        role: 'floor-web',
        name: 'floor: WebCrypto ECDSA P-256 sign',
        fn: () => subtle.sign(ES256, keyPair.privateKey, signingInput),
      },
      {
        group,
        key: 'dpop-call-fetch',
        role: 'info',
        crypto: 'web',
        name: 'the in-memory fetch alone: new Request + canned Response (in every row below)',
        fn: () => answerFetch(),
      },
    )
    for (const [kind, crypto] of providers) {
      const engine = createHybridAuth({
        issuerBaseURL: ISSUER,
        baseURL: 'https://app.example.com',
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        secret: COOKIE_SECRET,
        crypto,
        fetch: answerFetch,
        extensions: [dpop()],
      })
      const call = async () => {
        const response = await engine.fetchApi(
          new Request(URL_, { headers: { authorization } }),
          privateJwk,
        )
        return response.status === 200 ? response : fail(`ours ${response.status}`)
      }
      await call()
      cases.push({
        group,
        key: `dpop-call-ours-${kind}`,
        role: kind === 'web' ? 'ours-web' : 'ours-node',
        name: `ours engine.fetchApi with dpop() (what ctx.oidc.fetch sends through) (${kind === 'web' ? 'WebCrypto' : 'NodeCrypto'})`,
        fn: call,
      })
    }
    const o4wHandle = o4w.DPoP({ client_id: CLIENT_ID } as o4w.Client, keyPair)
    const url = new URL(URL_)
    const o4wOptions = { DPoP: o4wHandle, [o4w.customFetch]: answerFetch }
    const config = new oc.Configuration(
      METADATA as oc.ServerMetadata,
      CLIENT_ID,
      CLIENT_SECRET,
      oc.ClientSecretBasic(CLIENT_SECRET),
    )
    config[oc.customFetch] = answerFetch as oc.CustomFetch
    const ocHandle = oc.getDPoPHandle(config, keyPair)
    // The first call of each takes up the nonce, as ours did.
    await o4w.protectedResourceRequest(boundToken, METHOD, url, undefined, undefined, o4wOptions)
    await oc.fetchProtectedResource(config, boundToken, url, METHOD, undefined, undefined, {
      DPoP: ocHandle,
    })
    cases.push(
      {
        group,
        key: 'dpop-call-o4w',
        role: 'peer',
        name: 'oauth4webapi protectedResourceRequest with DPoP',
        fn: async () => {
          const response = await o4w.protectedResourceRequest(
            boundToken,
            METHOD,
            url,
            undefined,
            undefined,
            o4wOptions,
          )
          return response.status === 200 ? response : fail('o4w')
        },
      },
      {
        group,
        key: 'dpop-call-openid-client',
        role: 'peer',
        name: 'openid-client fetchProtectedResource with getDPoPHandle',
        fn: async () => {
          const response = await oc.fetchProtectedResource(
            config,
            boundToken,
            url,
            METHOD,
            undefined,
            undefined,
            { DPoP: ocHandle },
          )
          return response.status === 200 ? response : fail('openid-client')
        },
      },
    )
  }

  // Proofs for the verifying rows, each with its own `jti`, signed by our signer at `now`.
  const signer = new DpopProofSigner(new WebCryptoProvider())
  const proofs: string[] = []
  for (let i = 0; i < DPOP_POOL; i++) {
    proofs.push(
      await signer.sign(privateJwk, { method: METHOD, url: URL_, now, accessToken: boundToken }),
    )
  }
  const proof = proofs[0]!
  const proofParts = jwsParts(proof)
  const tokenParts = jwsParts(boundToken)
  const webProofKey = await subtle.importKey('jwk', publicJwk, ECDSA, false, ['verify'])
  const rsJwk = fixtures.jwks.keys.find((key) => key.alg === 'RS256')!
  const nodeRsKey = createPublicKey({ key: rsJwk as NodeJsonWebKey, format: 'jwk' })
  const webRsKey = await subtle.importKey(
    'jwk',
    rsJwk as JsonWebKey,
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['verify'],
  )
  const nodeEs = { key: nodePublic, dsaEncoding: 'ieee-p1363' as const }
  const nodeProofVerify = () =>
    nodeVerify('sha256', proofParts.input, nodeEs, proofParts.signature) || fail('floor')
  const webProofVerify = async () =>
    (await subtle.verify(ES256, webProofKey, proofParts.signature, proofParts.input)) ||
    fail('floor')
  /** What checking any proof needs besides the signature: its key imported, `ath` and `jkt`. */
  // jose checks the proofs' `iat` against this, as ours against its `now`: fixed for the run.
  const currentDate = new Date(now * 1000)
  const thumbprintInput = Buffer.from(
    JSON.stringify({ crv: publicJwk.crv, kty: publicJwk.kty, x: publicJwk.x, y: publicJwk.y }),
  )

  const nodeProofFloor = () => {
    const key = createPublicKey({ key: publicJwk as NodeJsonWebKey, format: 'jwk' })
    return (
      (nodeVerify(
        'sha256',
        proofParts.input,
        { key, dsaEncoding: 'ieee-p1363' },
        proofParts.signature,
      ) ||
        fail('floor')) &&
      createHash('sha256').update(tokenBytes).digest() &&
      createHash('sha256').update(thumbprintInput).digest()
    )
  }
  const webProofFloor = async () => {
    const key = await subtle.importKey('jwk', publicJwk, ECDSA, false, ['verify'])
    return (
      ((await subtle.verify(ES256, key, proofParts.signature, proofParts.input)) ||
        fail('floor')) &&
      (await subtle.digest('SHA-256', tokenBytes)) &&
      subtle.digest('SHA-256', thumbprintInput)
    )
  }

  // 8. The proof alone, as the API checks it (no token).
  {
    const group = '8. DPoP proof check (ES256, the proof alone)'
    cases.push(
      {
        group,
        key: 'dpop-proof-floor-node',
        role: 'floor-node',
        name: 'floor: node:crypto ES256 verify (KeyObject)',
        fn: nodeProofVerify,
      },
      {
        group,
        key: 'dpop-proof-floor-web',
        role: 'floor-web',
        name: 'floor: WebCrypto ECDSA P-256 verify (imported key)',
        fn: webProofVerify,
      },
      {
        group,
        key: 'dpop-proof-floor-node-rp',
        role: 'floor-node-rp',
        name: "RP floor: node:crypto key from the proof's jwk + verify + SHA-256 (ath) + SHA-256 (jkt)",
        fn: nodeProofFloor,
      },
      {
        group,
        key: 'dpop-proof-floor-web-rp',
        role: 'floor-web-rp',
        name: "RP floor: WebCrypto importKey of the proof's jwk + verify + digest (ath) + digest (jkt)",
        fn: webProofFloor,
      },
    )
    for (const [kind, crypto] of providers) {
      cases.push({
        group,
        key: `dpop-proof-ours-${kind}`,
        role: kind === 'web' ? 'ours-web' : 'ours-node',
        name: `ours verifyDpopProof (${kind === 'web' ? 'WebCrypto' : 'NodeCrypto'})`,
        fn: async () => {
          const verified = await verifyDpopProof(proof, {
            method: METHOD,
            url: URL_,
            accessToken: boundToken,
            now,
            crypto,
          })
          return verified.jkt === jkt ? verified : fail('jkt')
        },
      })
    }
    cases.push({
      group,
      key: 'dpop-proof-jose',
      role: 'peer',
      name: 'jose jwtVerify(EmbeddedJWK) + htm, htu, ath, jkt by hand (hand-rolled)',
      fn: async () => {
        const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
          typ: 'dpop+jwt',
          algorithms: ['ES256'],
          maxTokenAge: 60,
          clockTolerance: 60,
          currentDate,
        })
        if (payload.htm !== METHOD || payload.htu !== URL_ || typeof payload.jti !== 'string') {
          fail('htm/htu/jti')
        }
        if (payload.ath !== b64u(await subtle.digest('SHA-256', tokenBytes))) fail('ath')
        if ((await calculateJwkThumbprint(protectedHeader.jwk!)) !== jkt) fail('jkt')
        return payload
      },
    })
  }

  // 9. The whole API request: the RS256 access token and its ES256 proof, against Bearer.
  {
    const group = '9. API request with a DPoP-bound token (RS256 at+jwt + ES256 proof)'
    cases.push(
      {
        group,
        key: 'dpop-request-floor-node',
        role: 'floor-node',
        name: 'floor: node:crypto RS256 verify + ES256 verify',
        fn: () =>
          nodeVerify('sha256', tokenParts.input, nodeRsKey, tokenParts.signature) &&
          nodeProofVerify(),
      },
      {
        group,
        key: 'dpop-request-floor-web',
        role: 'floor-web',
        name: 'floor: WebCrypto RS256 verify + ES256 verify',
        fn: async () =>
          (await subtle.verify(
            'RSASSA-PKCS1-v1_5',
            webRsKey,
            tokenParts.signature,
            tokenParts.input,
          )) && webProofVerify(),
      },
      {
        group,
        key: 'dpop-request-floor-node-rp',
        role: 'floor-node-rp',
        name: "RP floor: node:crypto RS256 verify + the proof's RP floor (group 8)",
        fn: () =>
          nodeVerify('sha256', tokenParts.input, nodeRsKey, tokenParts.signature) &&
          nodeProofFloor(),
      },
      {
        group,
        key: 'dpop-request-floor-web-rp',
        role: 'floor-web-rp',
        name: "RP floor: WebCrypto RS256 verify + the proof's RP floor (group 8)",
        fn: async () =>
          (await subtle.verify(
            'RSASSA-PKCS1-v1_5',
            webRsKey,
            tokenParts.signature,
            tokenParts.input,
          )) && webProofFloor(),
      },
    )
    const dpopRequests = proofs.map((value) => ({
      method: METHOD,
      url: URL_,
      headers: new Headers({ authorization: `DPoP ${boundToken}`, dpop: value }),
    }))
    const bearerRequest = {
      method: METHOD,
      url: URL_,
      headers: new Headers({ authorization: `Bearer ${bearerToken}` }),
    }
    for (const [kind, crypto] of providers) {
      const name = kind === 'web' ? 'WebCrypto' : 'NodeCrypto'
      const verifier = (dpop: 'require' | 'allow') =>
        createBearerVerifier({
          issuerBaseURL: ISSUER,
          audience: API,
          fetch: cannedFetch(fixtures, () => ''),
          crypto,
          dpop,
          // The proofs' `iat`: they stay inside the window for the whole run.
          now: () => now,
        })
      const dpopVerifier = verifier('require')
      const bearerVerifier = verifier('allow')
      const next = cycle(dpopRequests)
      // Discovery and JWKS fetched once, as by a first request.
      await dpopVerifier.verifyRequest(next(), { scopes: ['read:messages'] })
      await bearerVerifier.verifyRequest(bearerRequest, { scopes: ['read:messages'] })
      cases.push(
        {
          group,
          key: `dpop-request-ours-${kind}`,
          role: kind === 'web' ? 'ours-web' : 'ours-node',
          name: `ours BearerVerifier.verifyRequest, DPoP, cached JWKS, replay memory (${name})`,
          fn: async () => {
            const verified = await dpopVerifier.verifyRequest(next(), { scopes: ['read:messages'] })
            return verified.jkt === jkt ? verified : fail('jkt')
          },
        },
        {
          group,
          key: `dpop-request-bearer-${kind}`,
          role: 'info',
          crypto: kind,
          name: `ours BearerVerifier.verifyRequest, Bearer (unbound token, no proof) (${name})`,
          fn: () => bearerVerifier.verifyRequest(bearerRequest, { scopes: ['read:messages'] }),
        },
      )
    }
    const as = { ...METADATA } as o4w.AuthorizationServer
    const o4wOptions = {
      [o4w.jwksCache]: {
        jwks: structuredClone(fixtures.jwks) as o4w.JWKS,
        uat: Math.floor(Date.now() / 1000),
      },
      requireDPoP: true,
    }
    const o4wRequests = proofs
      .slice(0, 64)
      .map(
        (value) =>
          new Request(URL_, { headers: { authorization: `DPoP ${boundToken}`, dpop: value } }),
      )
    const nextO4w = cycle(o4wRequests)
    const localJwks = createLocalJWKSet(
      structuredClone(fixtures.jwks) as Parameters<typeof createLocalJWKSet>[0],
    )
    cases.push(
      {
        group,
        key: 'dpop-request-o4w',
        role: 'peer',
        name: 'oauth4webapi validateJwtAccessToken, requireDPoP (no replay memory)',
        fn: async () => {
          const claims = await o4w.validateJwtAccessToken(as, nextO4w(), API, o4wOptions)
          return (claims.cnf as { jkt?: string }).jkt === jkt ? claims : fail('jkt')
        },
      },
      {
        group,
        key: 'dpop-request-jose',
        role: 'peer',
        name: 'jose 2× jwtVerify (local JWKS, EmbeddedJWK) + ath + jkt (hand-rolled, no replay memory)',
        fn: async () => {
          const { payload: claims } = await jwtVerify(boundToken, localJwks, {
            issuer: ISSUER,
            audience: API,
            typ: 'at+jwt',
            algorithms: ['RS256'],
            clockTolerance: 60,
            currentDate,
          })
          const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, {
            typ: 'dpop+jwt',
            algorithms: ['ES256'],
            maxTokenAge: 60,
            clockTolerance: 60,
            currentDate,
          })
          if (payload.htm !== METHOD || payload.htu !== URL_) fail('htm/htu')
          if (payload.ath !== b64u(await subtle.digest('SHA-256', tokenBytes))) fail('ath')
          const thumbprint = await calculateJwkThumbprint(protectedHeader.jwk!)
          if ((claims.cnf as { jkt?: string }).jkt !== thumbprint) fail('cnf.jkt')
          return claims
        },
      },
    )
  }
  return cases
}
