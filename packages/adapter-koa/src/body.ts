/**
 * The raw form body of the callback, whether or not a body parser ran before us. The raw text is
 * what the core parses, so duplicated parameters stay visible (a parsed object would hide them).
 */
import { encodeParsedForm, OidcHybridError } from '@oidc-hybrid/core'
import type { Context } from 'koa'

/** Bytes a callback body may have; form_post responses are a few KB. */
export const MAX_FORM_BYTES = 64 * 1024

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
  if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
    size += bytes.byteLength
    if (size > MAX_FORM_BYTES) {
      ctx.req.destroy()
      throw tooLarge()
    }
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function tooLarge(): OidcHybridError {
  return new OidcHybridError(
    'BODY_TOO_LARGE',
    `the callback body is larger than ${MAX_FORM_BYTES} bytes; a form_post response is never that large`,
  )
}
