/**
 * The raw form body of the callback, whether or not a body parser ran before us. The raw text is
 * what the core parses, so duplicated parameters stay visible (a parsed object could hide them).
 *
 * On Fastify the adapter's route handler runs as a middleware in the `onRequest` hook, before any
 * content-type parser, so the stream is always unread there. On Express, Nest's body parsers run
 * first: `rawBody: true` keeps the bytes, otherwise the parsed object is encoded again.
 */
import { OidcHybridError } from '@oidc-hybrid/core'
import {
  callbackBodyTooLarge,
  encodeParsedForm,
  MAX_CALLBACK_BODY_BYTES,
  readCappedChunks,
} from '@oidc-hybrid/core/adapter'
import { headerOf, type PlatformRequest } from './http.js'

/** Bytes a callback body may have (the core's limit); form_post responses are a few KB. */
export const MAX_FORM_BYTES = MAX_CALLBACK_BODY_BYTES

/** A Node request as a body reader sees it, with what parsers may have left on it. */
export interface BodySource extends PlatformRequest, AsyncIterable<unknown> {
  /** Nest's `rawBody: true` (a Buffer), or another parser's raw text. */
  rawBody?: unknown
  /** A parser's result. */
  body?: unknown
  readableEnded?: boolean
}

/**
 * Reads the callback's form body as text: the raw bytes when a parser kept them, the parsed
 * object encoded again when it did not, or the unread stream.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 */
export async function readFormBody(request: BodySource): Promise<string> {
  const { rawBody, body } = request
  if (Buffer.isBuffer(rawBody)) return limited(rawBody.toString('utf8'))
  if (typeof rawBody === 'string') return limited(rawBody)
  if (request.readableEnded) {
    if (body === undefined || body === null) {
      throw new OidcHybridError(
        'CALLBACK_CONTENT_TYPE_INVALID',
        'a body parser consumed the callback body without keeping it; create the app with `rawBody: true`, or let the parser keep `req.body`',
      )
    }
    return limited(
      encodeParsedForm(body, 'create the app with `rawBody: true` so the form is read as sent'),
    )
  }
  return readStream(request)
}

function limited(text: string): string {
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) throw callbackBodyTooLarge()
  return text
}

async function readStream(request: BodySource): Promise<string> {
  const declared = Number(headerOf(request, 'content-length'))
  if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) throw callbackBodyTooLarge()
  // Not destroyed on refusal: the 413 must still reach the client; Node discards the rest.
  return readCappedChunks(request, MAX_FORM_BYTES, callbackBodyTooLarge)
}
