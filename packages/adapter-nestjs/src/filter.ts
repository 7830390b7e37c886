/**
 * Library errors as HTTP answers: the status from the core's one table, a readable page for
 * browsers or JSON `{ error, message }` for everything else.
 */
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
} from '@nestjs/common'
import { OidcHybridError } from '@oidc-hybrid/core'
import {
  headerOf,
  isSent,
  type PlatformRequest,
  type PlatformResponse,
  send,
  sendError,
} from './http.js'

/**
 * Thrown by {@link HybridAuthGuard} after it wrote the login redirect's headers (Location and the
 * transaction cookie) onto the response: ends the request with the redirect. Any exception filter
 * answers it usefully, since the headers are already in place; this package's filter sends the
 * bare 302.
 *
 * @see [RFC 9110 15.4.3](https://www.rfc-editor.org/rfc/rfc9110#section-15.4.3)
 */
export class LoginRedirectException extends HttpException {
  constructor(readonly location: string) {
    super({ statusCode: HttpStatus.FOUND, message: 'log in first', location }, HttpStatus.FOUND)
  }
}

/**
 * Renders this library's errors (registered globally by `HybridAuthModule` unless
 * `exceptionFilter: false`). Set-Cookie lines written before the error stay on the response.
 *
 * @see [RFC 9110 15](https://www.rfc-editor.org/rfc/rfc9110#section-15)
 */
@Catch(OidcHybridError, LoginRedirectException)
export class HybridAuthExceptionFilter implements ExceptionFilter {
  catch(exception: OidcHybridError | LoginRedirectException, host: ArgumentsHost): void {
    // RPC, WebSocket and GraphQL contexts have their own error conventions.
    if (host.getType() !== 'http') throw exception
    const http = host.switchToHttp()
    const request = http.getRequest<PlatformRequest>()
    const response = http.getResponse<PlatformResponse>()
    if (isSent(response)) return
    if (exception instanceof LoginRedirectException) {
      send(response, exception.getStatus())
      return
    }
    sendError(response, exception, headerOf(request, 'accept'))
  }
}
