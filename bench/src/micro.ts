// The in-process rows: each hot path, the raw crypto it cannot avoid (node:crypto and WebCrypto),
// our core with both providers, and the peers with their own network-free options.
import {
  createDecipheriv,
  createHash,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  type JsonWebKey as NodeJsonWebKey,
  verify,
} from 'node:crypto'
import { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { Socket } from 'node:net'
import {
  type CryptoProvider,
  createBearerVerifier,
  createHybridAuth,
  MemorySessionStore,
  type Session,
  serverSessions,
  WebCryptoProvider,
} from '@oidc-hybrid/core'
import { CookieSealer } from '@oidc-hybrid/core/adapter'
import {
  buildAuthorizationCodeGrantRequest,
  buildAuthorizationRequest,
  type ClientMetadata,
  type HttpRequest,
  type HttpResponseData,
  type Jwk,
  type ProtocolContext,
  parseCallbackRequest,
  parseTokenEndpointResponse,
  transition,
  verifyAccessToken,
  verifyFrontChannel,
  verifyIdToken,
} from '@oidc-hybrid/core/protocol'
import express from 'express'
import { CompactEncrypt, compactDecrypt, createLocalJWKSet, jwtVerify } from 'jose'
import * as o4w from 'oauth4webapi'
import * as oc from 'openid-client'
// The core's own decoder, not exported: measured from its source to show what it costs.
import * as base64url from '../../packages/core/src/lib/base64url.js'
import { NodeCryptoProvider } from './crypto-node.js'
import {
  type Alg,
  API,
  CLIENT_ID,
  CLIENT_SECRET,
  COOKIE_SECRET,
  cannedFetch,
  type Fixtures,
  ISSUER,
  METADATA,
  REDIRECT_URI,
} from './fixtures.js'
import type { Case } from './measure.js'

const require = createRequire(import.meta.url)
const subtle = globalThis.crypto.subtle
const epoch = () => Math.floor(Date.now() / 1000)
const FORM = 'application/x-www-form-urlencoded'

/** The callback's form_post request, parsed as the engine does. */
const parseFormPost = (body: string) =>
  parseCallbackRequest({ method: 'POST', url: REDIRECT_URI, contentType: FORM, body })
const SESSION_COOKIE = '__Host-appSession'

/** The signing input and signature of a compact JWS, decoded once (the floor does no parsing). */
function jwsParts(token: string) {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  return {
    input: Buffer.from(`${header}.${payload}`),
    signature: Buffer.from(signature, 'base64url'),
  }
}

function nodeVerifier(jwk: Jwk, alg: Alg) {
  const key: KeyObject = createPublicKey({ key: jwk as NodeJsonWebKey, format: 'jwk' })
  const options = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
  return (input: Buffer, signature: Buffer) => verify('sha256', input, options, signature)
}

async function webVerifier(jwk: Jwk, alg: Alg) {
  const params =
    alg === 'ES256'
      ? {
          import: { name: 'ECDSA', namedCurve: 'P-256' },
          verify: { name: 'ECDSA', hash: 'SHA-256' },
        }
      : {
          import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
          verify: { name: 'RSASSA-PKCS1-v1_5' },
        }
  const key = await subtle.importKey('jwk', jwk as JsonWebKey, params.import, false, ['verify'])
  return (input: Uint8Array, signature: Uint8Array) =>
    subtle.verify(params.verify, key, signature as BufferSource, input as BufferSource)
}

function fail(message: string): never {
  throw new Error(message)
}

export interface MicroSetup {
  cases: Case[]
  /** Sizes reported alongside the table. */
  sizes: { sessionJson: number; sealedCookie: number; eocSessionJson: number; eocCookie: number }
}

export async function microCases(fixtures: Fixtures): Promise<MicroSetup> {
  const providers: Array<['web' | 'node', CryptoProvider]> = [
    ['web', new WebCryptoProvider()],
    ['node', new NodeCryptoProvider()],
  ]
  const jwkOf = (alg: Alg) => fixtures.jwks.keys.find((key) => key.alg === alg)!
  const client: ClientMetadata = { client_id: CLIENT_ID, redirect_uri: REDIRECT_URI }
  const context = (crypto: CryptoProvider): ProtocolContext => ({
    provider: METADATA,
    client,
    now: epoch(),
    clockTolerance: 60,
    jwks: fixtures.jwks,
    crypto,
    clientAuth: { method: 'client_secret_basic', secret: CLIENT_SECRET },
  })
  const uat = epoch()
  const tokenBody = (alg: Alg) => () => fixtures.logins[alg].tokenResponseBody
  // oauth4webapi: its JWKS cache option, and its customFetch in case the cache ever ages out.
  const as = { ...METADATA } as o4w.AuthorizationServer
  const o4wClient: o4w.Client = { client_id: CLIENT_ID, [o4w.clockTolerance]: 60 }
  const o4wOptions = (alg: Alg) => ({
    [o4w.jwksCache]: { jwks: structuredClone(fixtures.jwks) as o4w.JWKS, uat },
    [o4w.customFetch]: cannedFetch(fixtures, tokenBody(alg)),
  })
  const localJwks = createLocalJWKSet(
    structuredClone(fixtures.jwks) as Parameters<typeof createLocalJWKSet>[0],
  )
  const cases: Case[] = []

  // 1. Front channel: the `code id_token` form_post, its ID token (signature, claims, c_hash).
  for (const alg of ['RS256', 'ES256'] as const) {
    const group = `1. front-channel ID token (${alg})`
    const login = fixtures.logins[alg]
    const { transaction } = login
    const parts = jwsParts(login.frontIdToken)
    const code = Buffer.from(login.code)
    const nodeVerify = nodeVerifier(jwkOf(alg), alg)
    const webVerify = await webVerifier(jwkOf(alg), alg)
    cases.push(
      {
        group,
        key: `front-${alg}-floor-node`,
        role: 'floor-node',
        name: 'floor: node:crypto verify + SHA-256',
        fn: () =>
          nodeVerify(parts.input, parts.signature) && createHash('sha256').update(code).digest(),
      },
      {
        group,
        key: `front-${alg}-floor-web`,
        role: 'floor-web',
        name: 'floor: WebCrypto verify + digest',
        fn: async () =>
          (await webVerify(parts.input, parts.signature)) && subtle.digest('SHA-256', code),
      },
    )
    for (const [kind, crypto] of providers) {
      cases.push({
        group,
        key: `front-${alg}-ours-${kind}`,
        role: kind === 'web' ? 'ours-web' : 'ours-node',
        name: `ours verifyFrontChannel (${kind === 'web' ? 'WebCrypto' : 'NodeCrypto'})`,
        fn: async () => {
          const params = parseFormPost(login.formBody)
          const result = await verifyFrontChannel(context(crypto), params, transaction)
          return result.kind === 'verified' ? result : fail('front channel not verified')
        },
      })
    }
    const options = o4wOptions(alg)
    cases.push(
      {
        group,
        key: `front-${alg}-o4w`,
        role: 'peer',
        name: 'oauth4webapi validateCodeIdTokenResponse',
        fn: () =>
          o4w.validateCodeIdTokenResponse(
            as,
            o4wClient,
            new URLSearchParams(login.formBody),
            transaction.nonce,
            transaction.state,
            undefined,
            options,
          ),
      },
      {
        group,
        key: `front-${alg}-jose`,
        role: 'peer',
        name: 'jose jwtVerify + nonce + c_hash (hand-rolled)',
        fn: async () => {
          const params = new URLSearchParams(login.formBody)
          if (params.get('state') !== transaction.state) fail('state')
          const { payload } = await jwtVerify(params.get('id_token')!, localJwks, {
            issuer: ISSUER,
            audience: CLIENT_ID,
            algorithms: [alg],
            clockTolerance: 60,
          })
          if (payload.nonce !== transaction.nonce) fail('nonce')
          const digest = createHash('sha256').update(params.get('code')!).digest()
          if (payload.c_hash !== digest.subarray(0, 16).toString('base64url')) fail('c_hash')
          return payload
        },
      },
    )
  }

  // 2. The whole callback without network: front channel, token request, token response.
  {
    const alg = 'RS256'
    const group = '2. callback without network (RS256)'
    const login = fixtures.logins[alg]
    const { transaction } = login
    const front = jwsParts(login.frontIdToken)
    const back = jwsParts(login.tokenIdToken)
    const code = Buffer.from(login.code)
    const accessToken = Buffer.from(login.accessToken)
    const nodeVerify = nodeVerifier(jwkOf(alg), alg)
    const webVerify = await webVerifier(jwkOf(alg), alg)
    const fetchToken = cannedFetch(fixtures, tokenBody(alg))
    const nodeFloor = () =>
      nodeVerify(front.input, front.signature) &&
      createHash('sha256').update(code).digest() &&
      nodeVerify(back.input, back.signature) &&
      createHash('sha256').update(accessToken).digest()
    const webFloor = async () =>
      (await webVerify(front.input, front.signature)) &&
      (await subtle.digest('SHA-256', code)) &&
      (await webVerify(back.input, back.signature)) &&
      subtle.digest('SHA-256', accessToken)
    // What an RP cannot avoid besides the crypto: reading the token endpoint's answer, one
    // Response, and parsing its JSON (the same body the callback rows receive).
    const readTokens = () => new Response(login.tokenResponseBody).json()
    cases.push(
      {
        group,
        key: 'callback-floor-node',
        role: 'floor-node',
        name: 'floor: 2× node:crypto verify + 2× SHA-256',
        fn: nodeFloor,
      },
      {
        group,
        key: 'callback-floor-web',
        role: 'floor-web',
        name: 'floor: 2× WebCrypto verify + 2× digest',
        fn: webFloor,
      },
      {
        group,
        key: 'callback-floor-node-rp',
        role: 'floor-node-rp',
        name: 'RP floor: the node:crypto floor + token Response.json()',
        fn: async () => {
          const verified = nodeFloor()
          const tokens = await readTokens()
          return verified && tokens
        },
      },
      {
        group,
        key: 'callback-floor-web-rp',
        role: 'floor-web-rp',
        name: 'RP floor: the WebCrypto floor + token Response.json()',
        fn: async () => {
          const verified = await webFloor()
          const tokens = await readTokens()
          return verified && tokens
        },
      },
    )
    // The whole callback through the state machine; `respond` turns the token request into the
    // data the engine's send() returns.
    const callback = async (
      crypto: CryptoProvider,
      respond: (request: HttpRequest) => Promise<HttpResponseData>,
    ) => {
      const ctx = context(crypto)
      const params = parseFormPost(login.formBody)
      const first = await transition(
        ctx,
        { kind: 'LoginStarted', transaction },
        { type: 'CallbackReceived', params },
      )
      const effect = first.effects.find((e) => e.type === 'Http')
      if (effect?.type !== 'Http') fail(`front channel: ${first.state.kind}`)
      const second = await transition(ctx, first.state, {
        type: 'TokenResponseReceived',
        response: await respond(effect.request),
      })
      return second.state.kind === 'Authenticated' ? second.state : fail(second.state.kind)
    }
    // What the engine's send() does: fetch(url, init), then status, headers, body as text.
    const overFetch = async ({ url, method, headers, body }: HttpRequest) => {
      const response = await fetchToken(url, { method, headers, body })
      return { status: response.status, headers: response.headers, body: await response.text() }
    }
    for (const [kind, crypto] of providers) {
      cases.push({
        group,
        key: `callback-ours-${kind}`,
        role: kind === 'web' ? 'ours-web' : 'ours-node',
        name: `ours machine: CallbackReceived → TokenResponseReceived (${kind === 'web' ? 'WebCrypto' : 'NodeCrypto'})`,
        fn: () => callback(crypto, overFetch),
      })
    }
    // The same with the transport left out: the token response handed over as the data send()
    // returns, without undici building a Response per call (no fetch, no Response, no stream).
    const tokenHeaders = new Headers({ 'content-type': 'application/json' })
    const asData = async () => ({
      status: 200,
      headers: tokenHeaders,
      body: login.tokenResponseBody,
    })
    cases.push({
      group,
      key: 'callback-ours-node-data',
      role: 'info',
      crypto: 'node',
      name: 'ours machine, token response as data, no Response object (NodeCrypto)',
      fn: () => callback(providers[1]![1], asData),
    })
    const options = o4wOptions(alg)
    const o4wCallback = async (signatureOfTokenResponse: boolean) => {
      const result = await o4w.validateCodeIdTokenResponse(
        as,
        o4wClient,
        new URLSearchParams(login.formBody),
        transaction.nonce,
        transaction.state,
        undefined,
        options,
      )
      const response = await o4w.authorizationCodeGrantRequest(
        as,
        o4wClient,
        o4w.ClientSecretBasic(CLIENT_SECRET),
        result,
        REDIRECT_URI,
        transaction.codeVerifier,
        options,
      )
      const tokens = await o4w.processAuthorizationCodeResponse(as, o4wClient, response, {
        expectedNonce: transaction.nonce,
        requireIdToken: true,
      })
      if (signatureOfTokenResponse)
        await o4w.validateApplicationLevelSignature(as, response, options)
      return tokens
    }
    const openidClient = (nonRepudiation: boolean) => {
      const config = new oc.Configuration(
        METADATA as oc.ServerMetadata,
        CLIENT_ID,
        CLIENT_SECRET,
        oc.ClientSecretBasic(CLIENT_SECRET),
      )
      oc.useCodeIdTokenResponseType(config)
      oc.setJwksCache(config, { jwks: structuredClone(fixtures.jwks) as oc.JWKS, uat })
      config[oc.customFetch] = cannedFetch(fixtures, tokenBody(alg)) as oc.CustomFetch
      if (nonRepudiation) oc.enableNonRepudiationChecks(config)
      // A form_post arrives as a Request; openid-client turns it into this fragment URL itself.
      const currentUrl = new URL(`${REDIRECT_URI}#${login.formBody}`)
      const checks = {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedNonce: transaction.nonce,
        expectedState: transaction.state,
      }
      return () => oc.authorizationCodeGrant(config, currentUrl, checks)
    }
    cases.push(
      {
        group,
        key: 'callback-o4w',
        role: 'peer',
        name: 'oauth4webapi validateCodeIdTokenResponse + code grant (1 signature)',
        fn: () => o4wCallback(false),
      },
      {
        group,
        key: 'callback-o4w-2sig',
        role: 'peer',
        name: '  … + validateApplicationLevelSignature (2 signatures, as ours)',
        fn: () => o4wCallback(true),
      },
      {
        group,
        key: 'callback-openid-client',
        role: 'peer',
        name: 'openid-client authorizationCodeGrant, code id_token (1 signature)',
        fn: openidClient(false),
      },
      {
        group,
        key: 'callback-openid-client-2sig',
        role: 'peer',
        name: '  … + enableNonRepudiationChecks (2 signatures, as ours)',
        fn: openidClient(true),
      },
      {
        group,
        key: 'callback-jose',
        role: 'peer',
        name: 'jose 2× jwtVerify + c_hash + at_hash (hand-rolled)',
        fn: async () => {
          const params = new URLSearchParams(login.formBody)
          if (params.get('state') !== transaction.state) fail('state')
          const verifyOptions = {
            issuer: ISSUER,
            audience: CLIENT_ID,
            algorithms: [alg],
            clockTolerance: 60,
          }
          const { payload: frontClaims } = await jwtVerify(
            params.get('id_token')!,
            localJwks,
            verifyOptions,
          )
          const half = (value: string) =>
            createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url')
          if (frontClaims.nonce !== transaction.nonce) fail('nonce')
          if (frontClaims.c_hash !== half(params.get('code')!)) fail('c_hash')
          const response = await fetchToken(METADATA.token_endpoint, {
            method: 'POST',
            body: new URLSearchParams({ grant_type: 'authorization_code', code: login.code }),
          })
          const tokens = (await response.json()) as { id_token: string; access_token: string }
          const { payload } = await jwtVerify(tokens.id_token, localJwks, verifyOptions)
          if (payload.sub !== frontClaims.sub || payload.nonce !== transaction.nonce) fail('sub')
          if (payload.at_hash !== half(tokens.access_token)) fail('at_hash')
          return payload
        },
      },
    )
  }

  // 3. Session on an authenticated request: unseal a ~1.5 KB session cookie.
  const sessionJson = JSON.stringify({ session: fixtures.session })
  let sizes: MicroSetup['sizes']
  {
    const group = '3. session unseal (authenticated request)'
    const now = epoch()
    const sealer = await CookieSealer.create(COOKIE_SECRET, new WebCryptoProvider())
    // As the engine writes it: expiry one rolling period (1 day) from now.
    const sealed = await sealer.seal(SESSION_COOKIE, { session: fixtures.session }, now + 86_400)
    const [, kid, ivText, bodyText] = sealed.split('.') as [string, string, string, string]
    const aesKey = Buffer.from(
      hkdfSync(
        'sha256',
        COOKIE_SECRET,
        'oidc-hybrid/cookie',
        'oidc-hybrid cookie encryption key v1',
        32,
      ),
    )
    const iv = Buffer.from(ivText, 'base64url')
    const body = Buffer.from(bodyText, 'base64url')
    const ciphertext = body.subarray(0, body.length - 16)
    const tag = body.subarray(body.length - 16)
    const aad = Buffer.from(`v1.${kid}.${SESSION_COOKIE}`)
    const webKey = await subtle.importKey('raw', aesKey, 'AES-GCM', false, ['decrypt'])
    const nodeDecrypt = () => {
      const decipher = createDecipheriv('aes-256-gcm', aesKey, iv)
      decipher.setAAD(aad)
      decipher.setAuthTag(tag)
      const plaintext = decipher.update(ciphertext)
      decipher.final()
      return plaintext
    }
    const webDecrypt = () =>
      subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, webKey, body)
    // What an RP cannot avoid besides the decrypt: parsing the session JSON it decrypted (the
    // plaintext of the cookie the unseal rows read: the session and its expiry).
    const utf8 = new TextDecoder()
    const opened = JSON.parse(nodeDecrypt().toString('utf8')) as { p?: { session?: Session } }
    if (opened.p?.session?.sub !== fixtures.session.sub) fail('the floor did not open the session')
    cases.push(
      {
        group,
        key: 'session-floor-node',
        role: 'floor-node',
        name: `floor: node:crypto AES-256-GCM decrypt (${ciphertext.length} B)`,
        fn: nodeDecrypt,
      },
      {
        group,
        key: 'session-floor-web',
        role: 'floor-web',
        name: 'floor: WebCrypto AES-GCM decrypt',
        fn: webDecrypt,
      },
      {
        group,
        key: 'session-floor-node-rp',
        role: 'floor-node-rp',
        name: 'RP floor: node:crypto decrypt + UTF-8 + JSON.parse of the session',
        fn: () => JSON.parse(nodeDecrypt().toString('utf8')),
      },
      {
        group,
        key: 'session-floor-web-rp',
        role: 'floor-web-rp',
        name: 'RP floor: WebCrypto decrypt + TextDecoder + JSON.parse of the session',
        fn: async () => JSON.parse(utf8.decode(await webDecrypt())),
      },
    )
    const cookieHeader = `${SESSION_COOKIE}=${sealed}; _ga=GA1.1.123456789.1700000000`
    /** The engine the session rows load with (optionally with a session store). */
    const sessionEngine = (crypto: CryptoProvider, store?: MemorySessionStore) =>
      createHybridAuth({
        issuerBaseURL: ISSUER,
        baseURL: 'https://app.example.com',
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        secret: COOKIE_SECRET,
        crypto,
        fetch: cannedFetch(fixtures, tokenBody('ES256')),
        // A fixed clock: the session stays inside its rolling minute, so no reseal is timed.
        now: () => now,
        session: { store: store && serverSessions(store) },
      })
    const profileRequest = (cookie: string) => ({
      method: 'GET',
      url: 'https://app.example.com/profile',
      headers: new Headers({ cookie, accept: 'text/html' }),
    })
    for (const [kind, crypto] of providers) {
      const name = kind === 'web' ? 'WebCrypto' : 'NodeCrypto'
      const ownSealer = await CookieSealer.create(COOKIE_SECRET, crypto)
      const engine = sessionEngine(crypto)
      const request = profileRequest(cookieHeader)
      cases.push(
        {
          group,
          key: `session-unseal-${kind}`,
          role: kind === 'web' ? 'ours-web' : 'ours-node',
          name: `ours CookieSealer.unseal (${name})`,
          fn: () => ownSealer.unseal(SESSION_COOKIE, sealed),
        },
        {
          group,
          key: `session-load-${kind}`,
          role: 'info',
          crypto: kind,
          name: `ours engine.load() from the Cookie header (${name})`,
          fn: async () => {
            const loaded = await engine.load(request)
            if (!loaded.isAuthenticated() || loaded.takeSetCookies().length > 0) fail('load')
            return loaded
          },
        },
      )
    }
    // The cookie as this version writes it: the claims are not sealed beside the raw ID token but
    // restored from it on load ("before": the rows above, a cookie holding both). And a session
    // whose ID token carries 150 groups: its JSON is over 2 KB, so it is sealed compressed (v2).
    {
      const { claims: _, ...rest } = fixtures.session
      const [header, payload, signature] = fixtures.session.idToken!.split('.') as [
        string,
        string,
        string,
      ]
      const groups = Array.from(
        { length: 150 },
        (_, i) => `engineering-team-${i}-members@corp.example`,
      )
      const grouped = Buffer.from(
        JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), groups }),
      ).toString('base64url')
      const variants = [
        ['packed', 'claims restored from the ID token', rest.idToken],
        [
          'groups',
          'ID token with 150 groups, sealed compressed (v2)',
          `${header}.${grouped}.${signature}`,
        ],
      ] as const
      const idSealer = await CookieSealer.create(COOKIE_SECRET, new WebCryptoProvider())
      for (const [variant, what, idToken] of variants) {
        const cookie = await idSealer.seal(
          SESSION_COOKIE,
          { session: { ...rest, idToken }, d: 1 },
          now + 86_400,
        )
        const engine = sessionEngine(new NodeCryptoProvider())
        const request = profileRequest(`${SESSION_COOKIE}=${cookie}`)
        cases.push({
          group,
          key: `session-load-${variant}-node`,
          role: 'info',
          crypto: 'node',
          name: `ours engine.load(), ${what}: ${cookie.length} B cookie (NodeCrypto)`,
          fn: async () => {
            const loaded = await engine.load(request)
            if (!loaded.user?.sub || loaded.takeSetCookies().length > 0) fail(`load (${variant})`)
            return loaded
          },
        })
      }
    }
    // The same session kept on the server (session.store, a MemorySessionStore): the cookie holds
    // a sealed id, the store a JSON copy. Not a target row: what a server-side session costs.
    {
      const store = new MemorySessionStore({ now: () => now })
      const id = 'a'.repeat(43)
      store.set(id, fixtures.session, now + 86_400)
      const idSealer = await CookieSealer.create(COOKIE_SECRET, new WebCryptoProvider())
      const idCookie = await idSealer.seal(SESSION_COOKIE, { id }, now + 86_400)
      const engine = sessionEngine(new NodeCryptoProvider(), store)
      const request = profileRequest(`${SESSION_COOKIE}=${idCookie}`)
      cases.push({
        group,
        key: 'session-load-store-node',
        role: 'info',
        crypto: 'node',
        name: `ours engine.load() with a MemorySessionStore, ${idCookie.length} B cookie (NodeCrypto)`,
        fn: async () => {
          const loaded = await engine.load(request)
          if (!loaded.isAuthenticated() || loaded.takeSetCookies().length > 0) fail('load (store)')
          return loaded
        },
      })
    }
    // express-openid-connect 3.4 stores { id_token, access_token, refresh_token, ... } as a JWE
    // (dir, A256GCM) under an HKDF key, decrypts it with jose on every request, and re-encrypts
    // it (rolling) when the response headers go out.
    const eocCrypto = require('express-openid-connect/lib/crypto.js') as {
      encryption(secret: string): Buffer
      encryptSync(payload: string, key: Buffer, headers: Record<string, number>): string
    }
    const eocKey = eocCrypto.encryption(COOKIE_SECRET)
    const eocSession = JSON.stringify({
      id_token: fixtures.session.idToken,
      access_token: fixtures.session.accessToken,
      refresh_token: fixtures.session.refreshToken,
      token_type: 'Bearer',
      expires_at: fixtures.session.expiresAt,
    })
    const eocCookie = eocCrypto.encryptSync(eocSession, eocKey, {
      iat: now,
      uat: now,
      exp: now + 86_400,
    })
    const sameJwe = await new CompactEncrypt(new TextEncoder().encode(sessionJson))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(eocKey)
    const joseOptions = {
      contentEncryptionAlgorithms: ['A256GCM'],
      keyManagementAlgorithms: ['dir'],
    }
    const eocMiddleware = eocAppSession(eocCookie)
    cases.push(
      {
        group,
        key: 'session-jose-same',
        role: 'peer',
        name: 'jose compactDecrypt of our session JSON (dir, A256GCM)',
        fn: () => compactDecrypt(sameJwe, eocKey, joseOptions),
      },
      {
        group,
        key: 'session-eoc-read',
        role: 'peer',
        name: 'express-openid-connect appSession read (compactDecrypt + JSON.parse)',
        fn: async () => {
          const { plaintext } = await compactDecrypt(eocCookie, eocKey, joseOptions)
          return JSON.parse(new TextDecoder().decode(plaintext))
        },
      },
      {
        group,
        key: 'session-eoc-middleware',
        role: 'peer',
        name: 'express-openid-connect appSession middleware (read + rolling re-seal)',
        fn: eocMiddleware,
      },
    )
    sizes = {
      sessionJson: sessionJson.length,
      sealedCookie: sealed.length,
      eocSessionJson: eocSession.length,
      eocCookie: eocCookie.length,
    }
  }

  // 4. Bearer access token (RFC 9068 JWT, RS256) on the API side.
  {
    const group = '4. bearer access token (RS256)'
    const token = fixtures.bearerToken
    const parts = jwsParts(token)
    const nodeVerify = nodeVerifier(jwkOf('RS256'), 'RS256')
    const webVerify = await webVerifier(jwkOf('RS256'), 'RS256')
    const authorization = `Bearer ${token}`
    cases.push(
      {
        group,
        key: 'bearer-floor-node',
        role: 'floor-node',
        name: 'floor: node:crypto verify',
        fn: () => nodeVerify(parts.input, parts.signature),
      },
      {
        group,
        key: 'bearer-floor-web',
        role: 'floor-web',
        name: 'floor: WebCrypto verify',
        fn: () => webVerify(parts.input, parts.signature),
      },
    )
    for (const [kind, crypto] of providers) {
      const name = kind === 'web' ? 'WebCrypto' : 'NodeCrypto'
      const verifier = createBearerVerifier({
        issuerBaseURL: ISSUER,
        audience: API,
        fetch: cannedFetch(fixtures, tokenBody('RS256')),
        crypto,
      })
      cases.push(
        {
          group,
          key: `bearer-verifier-${kind}`,
          role: kind === 'web' ? 'ours-web' : 'ours-node',
          name: `ours BearerVerifier.verify, cached JWKS (${name})`,
          fn: () => verifier.verify(authorization, { scopes: ['read:messages'] }),
        },
        {
          group,
          key: `bearer-pure-${kind}`,
          role: 'info',
          name: `ours verifyAccessToken, JWKS as data (${name})`,
          fn: async () => {
            const result = await verifyAccessToken(token, {
              issuer: ISSUER,
              audience: API,
              requiredScopes: ['read:messages'],
              now: epoch(),
              clockTolerance: 60,
              jwks: fixtures.jwks,
              crypto,
            })
            return result.kind === 'verified' ? result : fail('bearer')
          },
        },
      )
    }
    const request = new Request(`${API}/messages`, { headers: { authorization } })
    const options = o4wOptions('RS256')
    cases.push(
      {
        group,
        key: 'bearer-jose',
        role: 'peer',
        name: 'jose jwtVerify (local JWKS, typ at+jwt)',
        fn: () =>
          jwtVerify(token, localJwks, {
            issuer: ISSUER,
            audience: API,
            typ: 'at+jwt',
            algorithms: ['RS256'],
            clockTolerance: 60,
          }),
      },
      {
        group,
        key: 'bearer-o4w',
        role: 'peer',
        name: 'oauth4webapi validateJwtAccessToken',
        fn: () => o4w.validateJwtAccessToken(as, request, API, options),
      },
    )
  }

  // 5. Authorization URL (state, nonce, PKCE S256 from given random values).
  {
    const group = '5. authorization URL'
    const { transaction } = fixtures.logins.RS256
    const random = {
      state: transaction.state,
      nonce: transaction.nonce,
      codeVerifier: transaction.codeVerifier,
    }
    const verifier = Buffer.from(random.codeVerifier)
    const scope = 'openid profile email offline_access'
    cases.push(
      {
        group,
        key: 'authorize-floor-node',
        role: 'floor-node',
        name: 'floor: node:crypto SHA-256 of the code_verifier',
        fn: () => createHash('sha256').update(verifier).digest(),
      },
      {
        group,
        key: 'authorize-floor-web',
        role: 'floor-web',
        name: 'floor: WebCrypto digest of the code_verifier',
        fn: () => subtle.digest('SHA-256', verifier),
      },
    )
    for (const [kind, crypto] of providers) {
      const name = kind === 'web' ? 'WebCrypto' : 'NodeCrypto'
      const engine = createHybridAuth({
        issuerBaseURL: ISSUER,
        baseURL: 'https://app.example.com',
        clientID: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        secret: COOKIE_SECRET,
        crypto,
        fetch: cannedFetch(fixtures, tokenBody('RS256')),
        authorizationParams: { scope, audience: API },
      })
      const request = {
        method: 'GET',
        url: 'https://app.example.com/login?returnTo=%2Fprofile',
        headers: new Headers(),
      }
      cases.push(
        {
          group,
          key: `authorize-ours-${kind}`,
          role: kind === 'web' ? 'ours-web' : 'ours-node',
          name: `ours buildAuthorizationRequest (${name})`,
          fn: () =>
            buildAuthorizationRequest(
              METADATA,
              client,
              { scope, audience: API },
              random,
              epoch(),
              crypto,
            ),
        },
        {
          group,
          key: `authorize-login-${kind}`,
          role: 'info',
          name: `ours engine.login(): random + URL + sealed transaction cookie (${name})`,
          fn: async () => {
            const answer = await engine.login(request)
            return answer.status === 302 ? answer : fail(`login ${answer.status}`)
          },
        },
      )
    }
    const config = new oc.Configuration(METADATA as oc.ServerMetadata, CLIENT_ID, CLIENT_SECRET)
    oc.useCodeIdTokenResponseType(config)
    cases.push(
      {
        group,
        key: 'authorize-o4w',
        role: 'peer',
        name: 'oauth4webapi calculatePKCECodeChallenge + URL',
        fn: async () => {
          const url = new URL(as.authorization_endpoint!)
          url.searchParams.set('client_id', CLIENT_ID)
          url.searchParams.set('redirect_uri', REDIRECT_URI)
          url.searchParams.set('response_type', 'code id_token')
          url.searchParams.set('response_mode', 'form_post')
          url.searchParams.set('scope', scope)
          url.searchParams.set('state', random.state)
          url.searchParams.set('nonce', random.nonce)
          url.searchParams.set(
            'code_challenge',
            await o4w.calculatePKCECodeChallenge(random.codeVerifier),
          )
          url.searchParams.set('code_challenge_method', 'S256')
          url.searchParams.set('audience', API)
          return url
        },
      },
      {
        group,
        key: 'authorize-openid-client',
        role: 'peer',
        name: 'openid-client calculatePKCECodeChallenge + buildAuthorizationUrl',
        fn: async () =>
          oc.buildAuthorizationUrl(config, {
            redirect_uri: REDIRECT_URI,
            response_mode: 'form_post',
            scope,
            state: random.state,
            nonce: random.nonce,
            code_challenge: await oc.calculatePKCECodeChallenge(random.codeVerifier),
            code_challenge_method: 'S256',
            audience: API,
          }),
      },
    )
  }
  // 6. Where our time goes beyond the floor (NodeCrypto): the callback's steps and the unseal's.
  {
    const group = '6. breakdown of ours (NodeCrypto)'
    const crypto = providers[1]![1]
    const login = fixtures.logins.RS256
    const { transaction } = login
    const ctx = context(crypto)
    const params = parseFormPost(login.formBody)
    const front = await verifyFrontChannel(ctx, params, transaction)
    if (front.kind !== 'verified') fail('front channel')
    const tokenHeaders = new Headers({ 'content-type': 'application/json' })
    const sealer = await CookieSealer.create(COOKIE_SECRET, crypto)
    const sealed = await sealer.seal(SESSION_COOKIE, { session: fixtures.session }, epoch() + 60)
    const ciphertext = sealed.split('.')[3]!
    const plaintext = new TextEncoder().encode(
      JSON.stringify({ e: epoch(), p: { session: fixtures.session } }),
    )
    const utf8 = new TextDecoder('utf-8', { fatal: true })
    cases.push(
      {
        group,
        key: 'breakdown-parse-callback',
        role: 'info',
        name: 'callback: parseCallbackRequest (form_post body)',
        fn: () => parseFormPost(login.formBody),
      },
      {
        group,
        key: 'breakdown-front-id-token',
        role: 'info',
        name: 'callback: verifyIdToken, front channel (RS256 + c_hash)',
        fn: () =>
          verifyIdToken(context(crypto), login.frontIdToken, {
            nonce: transaction.nonce,
            code: { value: login.code, required: true },
          }),
      },
      {
        group,
        key: 'breakdown-grant-request',
        role: 'info',
        name: 'callback: buildAuthorizationCodeGrantRequest (plain data)',
        fn: () => buildAuthorizationCodeGrantRequest(ctx, front.callback, transaction),
      },
      {
        group,
        key: 'breakdown-response',
        role: 'info',
        name: 'callback: token Response + text() (what send() reads)',
        fn: () => new Response(login.tokenResponseBody, { headers: tokenHeaders }).text(),
      },
      {
        group,
        key: 'breakdown-token-response',
        role: 'info',
        name: 'callback: parseTokenEndpointResponse',
        fn: () =>
          parseTokenEndpointResponse(
            { status: 200, headers: tokenHeaders, body: login.tokenResponseBody },
            { requireIdToken: true },
          ),
      },
      {
        group,
        key: 'breakdown-back-id-token',
        role: 'info',
        name: 'callback: verifyIdToken, token endpoint (RS256 + at_hash)',
        fn: () =>
          verifyIdToken(context(crypto), login.tokenIdToken, {
            nonce: transaction.nonce,
            accessToken: { value: login.accessToken, required: false },
          }),
      },
      {
        group,
        key: 'breakdown-base64url-js',
        role: 'info',
        name: `unseal: core's base64url decode (JS, ${ciphertext.length} chars)`,
        fn: () => base64url.decode(ciphertext),
      },
      {
        group,
        key: 'breakdown-base64url-provider',
        role: 'info',
        name: "unseal: core's base64url decode through NodeCrypto (Buffer, strict)",
        fn: () => base64url.decode(ciphertext, crypto),
      },
      {
        group,
        key: 'breakdown-base64url-native',
        role: 'info',
        name: "unseal: Buffer.from(…, 'base64url') of the same (native)",
        fn: () => Buffer.from(ciphertext, 'base64url'),
      },
      {
        group,
        key: 'breakdown-json',
        role: 'info',
        name: 'unseal: UTF-8 decode + JSON.parse of the plaintext',
        fn: () => JSON.parse(utf8.decode(plaintext)),
      },
    )
  }
  return { cases, sizes }
}

/**
 * express-openid-connect's own appSession middleware, run in process on Express's real request
 * and response objects: it parses the Cookie header, decrypts, checks the expiry, and when the
 * headers are written re-encrypts the session into a Set-Cookie (it rolls on every response).
 */
function eocAppSession(cookie: string): () => Promise<unknown> {
  const getConfig = require('express-openid-connect/lib/config.js').get as (
    params: Record<string, unknown>,
  ) => Record<string, unknown>
  const appSession = require('express-openid-connect/lib/appSession.js') as (
    config: Record<string, unknown>,
  ) => (req: unknown, res: unknown, next: (error?: unknown) => void) => Promise<void>
  const config = getConfig({
    issuerBaseURL: ISSUER,
    baseURL: 'https://app.example.com',
    clientID: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    secret: COOKIE_SECRET,
    authorizationParams: { response_type: 'code id_token' },
  })
  const middleware = appSession(config)
  const app = express()
  const socket = new Socket()
  return async () => {
    const req = new IncomingMessage(socket)
    req.headers = { cookie: `appSession=${cookie}; _ga=GA1.1.123456789.1700000000` }
    req.method = 'GET'
    req.url = '/profile'
    const res = new ServerResponse(req)
    Object.setPrototypeOf(req, app.request)
    Object.setPrototypeOf(res, app.response)
    Object.assign(req, { res, app })
    Object.assign(res, { req, app, locals: {} })
    let failed: unknown
    await middleware(req, res, (error) => {
      failed = error
    })
    if (failed) throw failed
    const session = (req as unknown as { appSession?: { id_token?: string } }).appSession
    if (session?.id_token === undefined) fail('express-openid-connect did not open the session')
    res.writeHead(200)
    const setCookie = res.getHeader('set-cookie')
    if (setCookie === undefined) fail('express-openid-connect did not re-seal the session')
    return setCookie
  }
}
