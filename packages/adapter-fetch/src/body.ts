/**
 * The raw form body of the callback, read from a Web `Request` with a size limit. The raw text is
 * what the core parses, so duplicated parameters stay visible (`request.formData()` would hide
 * them, and reads any size).
 */
import { ConfigurationError, OidcHybridError } from '@oidc-hybrid/core'

/** Bytes a callback body may have; form_post responses are a few KB. */
export const MAX_FORM_BYTES = 64 * 1024

function tooLarge(): OidcHybridError {
  return new OidcHybridError('BODY_TOO_LARGE', 'the callback body is too large', {
    details: { limit: MAX_FORM_BYTES },
  })
}

/**
 * Reads `request.body` as UTF-8, refusing more than {@link MAX_FORM_BYTES} (declared or sent)
 * without reading the rest.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 */
export async function readFormBody(request: Request): Promise<string> {
  if (request.bodyUsed) {
    throw new ConfigurationError('the callback body was already read; pass request.clone()')
  }
  const { body } = request
  if (Number(request.headers.get('content-length')) > MAX_FORM_BYTES) {
    await body?.cancel().catch(() => {})
    throw tooLarge()
  }
  if (!body) return ''
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      size += chunk.value.byteLength
      if (size > MAX_FORM_BYTES) {
        await reader.cancel().catch(() => {})
        throw tooLarge()
      }
      text += decoder.decode(chunk.value, { stream: true })
    }
  } catch (error) {
    if (error instanceof OidcHybridError) throw error
    // The client went away or the stream broke: nothing the protocol can check.
    throw new OidcHybridError('CALLBACK_PARAMETER_INVALID', 'the callback body was cut short', {
      cause: error,
    })
  }
  return text + decoder.decode()
}
