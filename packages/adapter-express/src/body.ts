/**
 * The raw form body of the callback (and of back-channel logout), whether or not a body parser
 * ran before `auth()`. The raw text is what the core parses, so duplicated parameters stay
 * visible (a parsed object could hide them).
 */
import { OidcHybridError } from '@oidc-hybrid/core'
import {
  callbackBodyTooLarge,
  encodeParsedForm,
  MAX_CALLBACK_BODY_BYTES,
  readCappedChunks,
} from '@oidc-hybrid/core/adapter'
import type { Request } from 'express'

/** Bytes a callback body may have (the core's limit); form_post responses are a few KB. */
const MAX_FORM_BYTES = MAX_CALLBACK_BODY_BYTES

/** What parsers may have left on the request. */
type ParsedRequest = Request & { rawBody?: unknown }

const ADVICE =
  'mount the parser after auth(), or keep the raw body: express.urlencoded({ verify: (req, res, buf) => { req.rawBody = buf } })'

/**
 * Reads the form body as text: the raw bytes when a parser kept them (`req.rawBody`), the parsed
 * object (`express.urlencoded()`, either `extended` mode) encoded again when it did not, or the
 * unread stream.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 */
export async function readFormBody(req: ParsedRequest): Promise<string> {
  const { rawBody, body } = req
  if (Buffer.isBuffer(rawBody)) return limited(rawBody.toString('utf8'))
  if (typeof rawBody === 'string') return limited(rawBody)
  // Express 4's parsers set `req.body = {}` even when they skip a request: only a consumed
  // stream says that a parser read this one.
  if (req.readableEnded) {
    if (body === undefined || body === null) {
      throw new OidcHybridError(
        'CALLBACK_CONTENT_TYPE_INVALID',
        `a body parser consumed the callback body without keeping it; ${ADVICE}`,
      )
    }
    return limited(encodeParsedForm(body, ADVICE))
  }
  const declared = Number(req.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) throw callbackBodyTooLarge()
  // Not destroyed on refusal: the 413 must still reach the client; Node discards the rest.
  return readCappedChunks(req, MAX_FORM_BYTES, callbackBodyTooLarge)
}

/** A body a parser already read is held to the same limit as one read here. */
function limited(text: string): string {
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) throw callbackBodyTooLarge()
  return text
}
