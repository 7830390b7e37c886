/**
 * Typed errors. Every failure this package reports is a {@link DevProviderError} with a stable
 * string `code`, so `switch (err.code)` narrows.
 *
 * - {@link DevProviderConfigError}: local misuse (bad options). Fix the code or the config file.
 * - {@link LoginFlowError}: {@link completeLogin} or {@link completeLogout} met a response it
 *   cannot continue from.
 */

/** Every stable error code. */
export type DevProviderErrorCode =
  // local misuse
  | 'CONFIG_INVALID'
  // completeLogin
  | 'LOGIN_FAILED'
  | 'LOGIN_UNEXPECTED_RESPONSE'
  | 'LOGIN_TOO_MANY_STEPS'

/** Base class of every error thrown by this package. */
export class DevProviderError extends Error {
  readonly code: DevProviderErrorCode

  constructor(code: DevProviderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** The options given to {@link start} (or the CLI's config file) are not usable. */
export class DevProviderConfigError extends DevProviderError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', message, options)
  }
}

/** {@link completeLogin} could not finish the interaction. */
export class LoginFlowError extends DevProviderError {
  /** The URL of the response that could not be handled. */
  readonly url: string
  /** Its HTTP status. */
  readonly status: number

  constructor(
    code: Exclude<DevProviderErrorCode, 'CONFIG_INVALID'>,
    message: string,
    details: { url: string; status: number },
  ) {
    super(code, message)
    this.url = details.url
    this.status = details.status
  }
}
