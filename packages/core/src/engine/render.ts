/**
 * A default rendering of errors for adapters: JSON for API clients, a small escaped HTML page for
 * browsers. The message is the actionable one; no token or secret is ever part of an error.
 */
import { isOidcHybridError } from '../errors.js'
import { statusForError } from './status.js'

export interface RenderedError {
  status: number
  contentType: string
  body: string
}

/** Escapes as numeric character references: `<` becomes `&#60;`. */
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** True when the client prefers HTML (a browser navigation). */
export function wantsHtml(accept: string | null | undefined): boolean {
  return typeof accept === 'string' && /\btext\/html\b/i.test(accept)
}

/**
 * Renders `error` for a response, with the status of {@link statusForError} (or `status`, the
 * one an engine answer already carries: back-channel logout answers every failure 400); unknown
 * errors become a generic 500 without details. The codes are explained in `docs/errors.md`.
 */
export function renderError(
  error: unknown,
  accept?: string | null,
  status?: number,
): RenderedError {
  const known = isOidcHybridError(error)
  status ??= known ? statusForError(error.code) : 500
  const code = known ? error.code : 'INTERNAL_ERROR'
  const message = known ? error.message : 'an unexpected error occurred'
  return wantsHtml(accept)
    ? {
        status,
        contentType: 'text/html; charset=utf-8',
        body: `<!doctype html><meta charset=utf-8><title>Login failed</title><h1>Login failed</h1><p>${escapeHtml(message)}</p><p><code>${escapeHtml(code)}</code>`,
      }
    : { status, contentType: 'application/json', body: JSON.stringify({ error: code, message }) }
}
