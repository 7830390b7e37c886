/**
 * The raw form body of the callback, whether or not a body parser ran before us. The raw text is
 * what the core parses, so duplicated parameters stay visible (a parsed object would hide them).
 */
import {
  callbackBodyTooLarge,
  encodeParsedForm,
  MAX_CALLBACK_BODY_BYTES,
  readCappedChunks,
} from '@oidc-hybrid/core/adapter'
import type { Context } from 'koa'

/** Bytes a callback body may have (the core's limit); form_post responses are a few KB. */
export const MAX_FORM_BYTES = MAX_CALLBACK_BODY_BYTES

type ParsedRequest = { rawBody?: unknown; body?: unknown }

export async function readFormBody(ctx: Context): Promise<string> {
  const request = ctx.request as unknown as ParsedRequest
  // koa-bodyparser and @koa/bodyparser keep the raw text here.
  if (typeof request.rawBody === 'string') return request.rawBody
  if (request.body !== undefined && request.body !== null && ctx.req.readableEnded) {
    return encodeParsedForm(
      request.body,
      'mount the parser after auth() or enable its rawBody option',
    )
  }
  return readStream(ctx)
}

async function readStream(ctx: Context): Promise<string> {
  const declared = Number(ctx.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) throw callbackBodyTooLarge()
  return readCappedChunks(ctx.req, MAX_FORM_BYTES, callbackBodyTooLarge)
}
