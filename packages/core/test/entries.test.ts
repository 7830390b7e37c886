/**
 * The three entries (package.json `exports`): the root is the application API only; the adapter
 * kit and the protocol steps have entries of their own. A name added to the wrong entry fails here.
 */
import { describe, expect, it } from 'vitest'
import * as adapter from '../src/adapter.js'
import * as root from '../src/index.js'
import * as protocol from '../src/protocol.js'

describe('entries', () => {
  it('the root has the application API and no adapter internals or protocol steps', () => {
    expect(Object.keys(root).sort()).toEqual(
      [
        'AuthorizationResponseError',
        'BearerVerifier',
        'ConfigurationError',
        'HybridAuth',
        'MIN_SECRET_LENGTH',
        'MemorySessionStore',
        'OidcHybridError',
        'RequestSession',
        'TokenEndpointError',
        'WebCryptoProvider',
        'apiTokens',
        'backchannelLogout',
        'checkProvider',
        'claimsFilter',
        'createBearerVerifier',
        'createHybridAuth',
        'DpopProofSigner',
        'dpop',
        'events',
        'generateDpopKey',
        'isOidcHybridError',
        'privateKeyJwt',
        'pushedAuthorization',
        'serverSessions',
        'signedRequests',
        'StepUp',
        'stepUp',
        'stepUpChallenge',
      ].sort(),
    )
  })

  it('the adapter kit has what adapters share, with the engine factory and the errors', () => {
    for (const name of [
      'CookieSealer',
      'SessionContext',
      'encodeParsedForm',
      'parseCookieHeader',
      'plainHttpProblem',
      'readCappedChunks',
      'readCappedText',
      'renderError',
      'serializeCookie',
      'statusForError',
      'wantsHtml',
    ]) {
      expect(adapter, name).toHaveProperty(name)
      expect(root, name).not.toHaveProperty(name)
    }
    expect(adapter.createHybridAuth).toBe(root.createHybridAuth)
    expect(adapter.OidcHybridError).toBe(root.OidcHybridError)
  })

  it('the protocol entry has the pure steps, none of which the root exports', () => {
    const steps = Object.keys(protocol)
    expect(steps).toEqual(
      expect.arrayContaining([
        'buildAuthorizationRequest',
        'parseCallbackRequest',
        'verifyFrontChannel',
        'verifyIdToken',
        'buildAuthorizationCodeGrantRequest',
        'processAuthorizationCodeResponse',
        'processRefreshResponse',
        'verifyAccessToken',
        'transition',
      ]),
    )
    for (const name of steps) expect(root, name).not.toHaveProperty(name)
  })
})
