/**
 * The raw form body of the callback, read from a Web `Request` with a size limit. The raw text is
 * what the core parses, so duplicated parameters stay visible (`request.formData()` would hide
 * them, and reads any size).
 */
import {
  ConfigurationError,
  callbackBodyTooLarge,
  MAX_CALLBACK_BODY_BYTES,
  OidcHybridError,
  readCappedText,
} from '@oidc-hybrid/core/adapter'

/** Bytes a callback body may have (the core's limit); form_post responses are a few KB. */
export const MAX_FORM_BYTES = MAX_CALLBACK_BODY_BYTES

/**
 * Reads `request.body` as UTF-8, refusing more than {@link MAX_FORM_BYTES} (declared or sent)
 * without reading the rest.
 *
 * @see [OAuth 2.0 Form Post Response Mode 2](https://openid.net/specs/oauth-v2-form-post-response-mode-1_0.html#FormPostResponseMode)
 */
export async function readFormBody(request: Request): Promise<string> {
  if (request.bodyUsed) {
    throw new ConfigurationError('callback body already read; pass request.clone()')
  }
  try {
    return await readCappedText(request, MAX_FORM_BYTES, callbackBodyTooLarge)
  } catch (error) {
    if (error instanceof OidcHybridError) throw error
    // The client went away or the stream broke: nothing the protocol can check.
    throw new OidcHybridError('CALLBACK_PARAMETER_INVALID', 'callback body cut short', {
      cause: error,
    })
  }
}
