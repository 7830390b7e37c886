/**
 * A default rendering of errors for adapters: JSON for API clients, a small escaped HTML page for
 * browsers. The message is the actionable one; no token or secret is ever part of an error.
 */
import { isOidcHybridError, type OidcHybridError } from '../errors.js'
import { statusForError } from './status.js'

export interface RenderedError {
  status: number
  contentType: string
  body: string
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

/** True when the client prefers HTML (a browser navigation). */
export function wantsHtml(accept: string | null | undefined): boolean {
  return typeof accept === 'string' && /\btext\/html\b/i.test(accept)
}

/** Renders `error` for a response; unknown errors become a generic 500 without details. */
export function renderError(error: unknown, accept?: string | null): RenderedError {
  const known: OidcHybridError | undefined = isOidcHybridError(error) ? error : undefined
  const status = known ? statusForError(known.code) : 500
  const code = known?.code ?? 'INTERNAL_ERROR'
  const message = known?.message ?? 'an unexpected error occurred'
  if (wantsHtml(accept)) {
    return {
      status,
      contentType: 'text/html; charset=utf-8',
      body: `<!doctype html><meta charset="utf-8"><title>Login failed</title><h1>Login failed</h1><p>${escapeHtml(message)}</p><p><code>${escapeHtml(code)}</code></p>`,
    }
  }
  return {
    status,
    contentType: 'application/json',
    body: JSON.stringify({ error: code, message }),
  }
}
