/**
 * The one transition table of the Hybrid Flow relying party: `(state, event) → {state, effects}`.
 *
 * Pure and deterministic: time, keys and randomness arrive in the context and the events; effects
 * are data that the caller performs, feeding the results back as events. A client authentication
 * signed at send time (`custom`: private_key_jwt) is left to the caller too: its `Http` effect's
 * request has `applyClientAuth` set. A pair not in the table is a typed
 * `ILLEGAL_TRANSITION` error, and `Failed` is final.
 *
 * ```
 * Idle ──LoginRequested──▶ LoginStarted ──CallbackReceived──▶ CallbackVerified
 *   CallbackVerified ──TokenResponseReceived──▶ Authenticated
 *   Authenticated ──RefreshRequested──▶ Refreshing ──TokenResponseReceived──▶ Authenticated
 *   Idle | Authenticated ──LogoutRequested──▶ LoggedOut
 *   (any verifying step) ──unknown kid──▶ AwaitingKeys ──KeysReceived──▶ (the step again)
 *   (any failing step) ──▶ Failed
 * ```
 */
import { isOidcHybridError, type OidcHybridError } from '../errors.js'
import {
  type AuthorizationOptions,
  type AuthorizationRandom,
  authorizationRequest,
  checkAuthorizationInputs,
} from './authorize.js'
import type { CallbackParameters } from './callback.js'
import { verifyFrontChannel } from './front-channel.js'
import { buildAuthorizationCodeGrantRequest, buildRefreshTokenGrantRequest } from './grant.js'
import { oidcError } from './http.js'
import { buildLogoutUrl, type LogoutOptions } from './logout.js'
import { processAuthorizationCodeResponse, processRefreshResponse } from './session.js'
import type {
  HttpRequest,
  HttpResponseData,
  IdTokenClaims,
  JsonWebKeySet,
  ProtocolContext,
  Session,
  Transaction,
  VerifiedCallback,
} from './types.js'

export type State =
  | { kind: 'Idle' }
  | { kind: 'LoginStarted'; transaction: Transaction }
  | {
      kind: 'CallbackVerified'
      transaction: Transaction
      callback: VerifiedCallback
      frontChannelClaims?: IdTokenClaims
    }
  | { kind: 'Authenticated'; session: Session }
  | { kind: 'Refreshing'; session: Session; scope?: string }
  | { kind: 'AwaitingKeys'; prior: ResumableState; event: KeyedEvent; kid?: string }
  | { kind: 'LoggedOut' }
  | { kind: 'Failed'; error: OidcHybridError }

/** States whose step may need fresh keys. */
type ResumableState = Extract<State, { kind: 'LoginStarted' | 'CallbackVerified' | 'Refreshing' }>
/** Events whose processing verifies a signature. */
type KeyedEvent = Extract<Event, { type: 'CallbackReceived' | 'TokenResponseReceived' }>

export type Event =
  | { type: 'LoginRequested'; options: AuthorizationOptions; random: AuthorizationRandom }
  | { type: 'CallbackReceived'; params: CallbackParameters }
  | { type: 'KeysReceived'; jwks: JsonWebKeySet }
  | { type: 'TokenResponseReceived'; response: HttpResponseData }
  | { type: 'RefreshRequested'; scope?: string; extra?: Record<string, string> }
  | { type: 'LogoutRequested'; returnTo: string; logout: Omit<LogoutOptions, 'idTokenHint'> }

export type Effect =
  | { type: 'Redirect'; url: string }
  | { type: 'Http'; purpose: 'authorization_code' | 'refresh_token'; request: HttpRequest }
  | { type: 'NeedKeys'; jwksUri: string; kid?: string }
  | { type: 'SetTransaction'; transaction: Transaction }
  | { type: 'ClearTransaction'; state: string }
  | { type: 'SetSession'; session: Session }
  | { type: 'ClearSession' }

export interface Transition {
  state: State
  effects: Effect[]
}

type Handler<S extends State['kind'], E extends Event['type']> = (
  context: ProtocolContext,
  state: Extract<State, { kind: S }>,
  event: Extract<Event, { type: E }>,
) => Promise<Transition>

type Table = {
  [S in State['kind']]?: { [E in Event['type']]?: Handler<S, E> }
}

/**
 * The transition table. Every legal `(state, event)` pair is listed here and nowhere else. A
 * handler throws when received data fails a check; {@link transition} turns that into `Failed`.
 */
const TABLE: Table = {
  Idle: {
    LoginRequested: async (context, _state, event) => {
      const { url, transaction } = await authorizationRequest(
        context.provider,
        context.client,
        event.options,
        event.random,
        context.now,
        context.crypto,
      )
      return to(
        { kind: 'LoginStarted', transaction },
        { type: 'SetTransaction', transaction },
        { type: 'Redirect', url: url.href },
      )
    },
    LogoutRequested: async (_context, _state, event) => loggedOut(event.returnTo),
  },
  LoginStarted: {
    CallbackReceived: async (context, state, event) => {
      const { transaction } = state
      const verified = await verifyFrontChannel(context, event.params, transaction)
      if (verified.kind === 'need-keys') return awaitKeys(context, state, event, verified.kid)
      const { callback, claims } = verified
      const request = await buildAuthorizationCodeGrantRequest(context, callback, transaction)
      // RFC 9449 5: the code exchange proves possession of the key the code is bound to.
      request.dpop = transaction.dpop
      return to(
        { kind: 'CallbackVerified', transaction, callback, frontChannelClaims: claims },
        { type: 'ClearTransaction', state: transaction.state },
        { type: 'Http', purpose: 'authorization_code', request },
      )
    },
  },
  CallbackVerified: {
    TokenResponseReceived: async (context, state, event) => {
      const { transaction } = state
      const result = await processAuthorizationCodeResponse(
        context,
        event.response,
        transaction,
        state.callback,
        state.frontChannelClaims,
      )
      return result.kind === 'need-keys'
        ? awaitKeys(context, state, event, result.kid)
        : authenticated(result.session, { type: 'Redirect', url: transaction.returnTo ?? '/' })
    },
  },
  Authenticated: {
    // Without a refresh token the grant refuses with REFRESH_TOKEN_MISSING: `Failed`, nothing sent.
    // `extra`: further parameters (Auth0's `audience`, RFC 8707 `resource`) for another API.
    RefreshRequested: async (context, { session }, event) => {
      const request = await buildRefreshTokenGrantRequest(
        context,
        session.refreshToken as string,
        event,
      )
      // RFC 9449 5: a DPoP session's refresh proves possession of its key too.
      request.dpop = session.dpop
      return to(
        { kind: 'Refreshing', session, scope: event.scope },
        { type: 'Http', purpose: 'refresh_token', request },
      )
    },
    LogoutRequested: async (context, state, event) =>
      loggedOut(
        buildLogoutUrl(context.provider, context.client, {
          ...event.logout,
          idTokenHint: state.session.idToken,
        })?.href ?? event.returnTo,
      ),
  },
  Refreshing: {
    TokenResponseReceived: async (context, state, event) => {
      const result = await processRefreshResponse(
        context,
        event.response,
        state.session,
        state.scope,
      )
      return result.kind === 'need-keys'
        ? awaitKeys(context, state, event, result.kid)
        : authenticated(result.session)
    },
  },
  AwaitingKeys: {
    KeysReceived: (context, state, event) =>
      step({ ...context, jwks: event.jwks, jwksRefreshed: true }, state.prior, state.event),
  },
}

/**
 * Applies one event. Throws `ILLEGAL_TRANSITION` for a pair that is not in the table (including
 * any event after `Failed`); every failure of received data becomes a `Failed` state instead,
 * with the effect that still applies: a failed callback clears its transaction, a logout whose
 * provider URL cannot be built (a configuration error too) still clears the local session. Any
 * other error (a bug, or a configuration error) is thrown again.
 */
export async function transition(
  context: ProtocolContext,
  state: State,
  event: Event,
): Promise<Transition> {
  // A login's randomness and client come from the caller: checked here (the engine, which
  // generates the one and checked the other at setup, calls `step`).
  // A login is checked also when it comes back through AwaitingKeys.
  const login = state.kind === 'AwaitingKeys' ? state.event : event
  if (login.type === 'LoginRequested') checkAuthorizationInputs(context.client, login.random)
  return step(context, state, event)
}

/**
 * {@link transition} without its check of a login's `random` and `client`, for the engine: it
 * generates 32 random bytes for each and checked the client when it was configured.
 *
 * @internal
 */
export async function step(
  context: ProtocolContext,
  state: State,
  event: Event,
): Promise<Transition> {
  const handler = TABLE[state.kind]?.[event.type] as
    | ((context: ProtocolContext, state: State, event: Event) => Promise<Transition>)
    | undefined
  if (handler === undefined) {
    throw oidcError('ILLEGAL_TRANSITION', `${event.type} is not allowed in ${state.kind}`, {
      state: state.kind,
      event: event.type,
    })
  }
  try {
    return await handler(context, state, event)
  } catch (error) {
    const logout = event.type === 'LogoutRequested'
    if (!isOidcHybridError(error) || (!logout && error.code === 'CONFIG_INVALID')) throw error
    const transaction = state.kind === 'LoginStarted' ? state.transaction : undefined
    // Silent login (`prompt=none`) the provider cannot do without showing a page: its
    // login_, interaction_, consent_ or account_selection_required (OIDC Core 3.1.2.6) is an
    // outcome, not a failure; back to returnTo, not logged in. The error was checked like any
    // other (state, iss) before it is believed.
    const silent = transaction?.prompt === 'none' && /_required$/.test(`${error.details.error}`)
    return {
      state: silent ? { kind: 'Idle' } : { kind: 'Failed', error },
      effects: logout
        ? [{ type: 'ClearSession' }]
        : transaction
          ? [
              { type: 'ClearTransaction', state: transaction.state },
              ...(silent ? [{ type: 'Redirect', url: transaction.returnTo ?? '/' } as const] : []),
            ]
          : [],
    }
  }
}

/** The legal `(state, event)` pairs, for docs and diagrams generated from the table itself. */
export function transitions(): Array<{ state: State['kind']; event: Event['type'] }> {
  return Object.entries(TABLE).flatMap(([state, events]) =>
    Object.keys(events).map((event) => ({
      state: state as State['kind'],
      event: event as Event['type'],
    })),
  )
}

function to(state: State, ...effects: Effect[]): Transition {
  return { state, effects }
}

function authenticated(session: Session, ...then: Effect[]): Transition {
  return to({ kind: 'Authenticated', session }, { type: 'SetSession', session }, ...then)
}

function loggedOut(url: string): Transition {
  return to({ kind: 'LoggedOut' }, { type: 'ClearSession' }, { type: 'Redirect', url })
}

function awaitKeys(
  context: ProtocolContext,
  prior: ResumableState,
  event: KeyedEvent,
  kid: string | undefined,
): Transition {
  return to(
    { kind: 'AwaitingKeys', prior, event, kid },
    { type: 'NeedKeys', jwksUri: context.provider.jwks_uri, kid },
  )
}
