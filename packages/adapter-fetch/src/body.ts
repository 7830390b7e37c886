/**
 * The raw form body of the callback, read from a Web `Request` with a size limit. The raw text is
 * what the core parses, so duplicated parameters stay visible (`request.formData()` would hide
 * them, and reads any size).
 */
import { ConfigurationError, OidcHybridError } from '@oidc-hybrid/core'

/** Bytes a callback body may have; form_post responses are a few KB. */
export const MAX_FORM_BYTES = 64 * 1024

function tooLarge(): OidcHybridError {
  return new OidcHybridError(
    'BODY_TOO_LARGE',
    `the callback body is larger than ${MAX_FORM_BYTES} bytes; a form_post response is never that large`,
  )
}

/**
 * Reads `request.body` as UTF-8, refusing more than {@link MAX_FORM_BYTES} (declared or sent)
 * without reading the rest.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 */
export async function readFormBody(request: Request): Promise<string> {
  if (request.bodyUsed) {
    throw new ConfigurationError(
      'the callback request body was already read; call auth.handle(request) before reading the body, or pass request.clone()',
    )
  }
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_FORM_BYTES) {
    await request.body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (request.body === null) return ''
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > MAX_FORM_BYTES) {
        await reader.cancel().catch(() => {})
        throw tooLarge()
      }
      chunks.push(value)
    }
  } catch (error) {
    if (error instanceof OidcHybridError) throw error
    // The client went away or the stream broke: nothing the protocol can check.
    throw new OidcHybridError(
      'CALLBACK_PARAMETER_INVALID',
      'the callback body could not be read completely; start the login again',
      { cause: error },
    )
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}
