/** Minimal self-contained pages: no external assets, inline CSS only. */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;')
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;background:#f4f4f6;margin:0;padding:40px 16px;color:#222}',
  'main{max-width:360px;margin:0 auto;background:#fff;padding:24px 28px;border-radius:8px;',
  'box-shadow:0 1px 4px rgba(0,0,0,.15)}',
  'h1{font-size:1.3em;margin:0 0 16px}',
  'label{display:block;font-size:.9em;margin:12px 0 4px}',
  'input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:8px;font-size:1em}',
  'button{margin-top:16px;width:100%;padding:10px;font-size:1em;background:#3b5bdb;color:#fff;',
  'border:0;border-radius:4px;cursor:pointer}',
  '.hint{background:#fff8db;border:1px solid #f0d86e;padding:8px 10px;font-size:.85em;margin:12px 0}',
  '.error{background:#ffe3e3;border:1px solid #ffa8a8;padding:8px 10px;font-size:.9em}',
  'code{font-size:.95em}',
  'a{color:#3b5bdb;font-size:.9em}',
].join('')

/** Wraps a body in the shared page layout. */
export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>`
}

/** The login form; `hints` are the configured users' credentials (it is a development tool). */
export function loginPage(input: {
  action: string
  abortUrl: string
  clientName: string
  email?: string
  error?: string
  hints: { email: string; password: string }[]
  /** The `acr` values offered: a choice of how the user authenticates (none when empty). */
  acrValues?: string[]
  /** Selected first: the client's most preferred `acr_values`. */
  requestedAcr?: string
}): string {
  const error = input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''
  const acrValues = input.acrValues ?? []
  const acr = acrValues.length
    ? `<label for="acr">Authentication</label>
<select id="acr" name="acr">${acrValues
        .map(
          (value) =>
            `<option${value === input.requestedAcr ? ' selected' : ''}>${escapeHtml(value)}</option>`,
        )
        .join('')}</select>
`
    : ''
  const hints = input.hints
    .map(
      (hint) =>
        `<code>${escapeHtml(hint.email)}</code> / <code>${escapeHtml(hint.password)}</code>`,
    )
    .join('<br>')
  return page(
    'Sign in',
    `<p>to continue to <strong>${escapeHtml(input.clientName)}</strong></p>
${error}
<div class="hint">Development provider. Demo credentials:<br>${hints}</div>
<form id="login-form" method="post" action="${escapeHtml(input.action)}" autocomplete="off">
<label for="email">Email</label>
<input id="email" type="email" name="email" required autofocus value="${escapeHtml(input.email ?? '')}">
<label for="password">Password</label>
<input id="password" type="password" name="password" required>
${acr}<button type="submit">Continue</button>
</form>
<p><a href="${escapeHtml(input.abortUrl)}">Cancel</a></p>`,
  )
}

/** The consent form shown to third-party clients. */
export function consentPage(input: {
  action: string
  abortUrl: string
  clientName: string
  scopes: string[]
}): string {
  const items = input.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')
  return page(
    'Authorize application',
    `<p><strong>${escapeHtml(input.clientName)}</strong> is requesting access to your account:</p>
<ul>${items}</ul>
<form id="consent-form" method="post" action="${escapeHtml(input.action)}">
<button type="submit">Accept</button>
</form>
<p><a href="${escapeHtml(input.abortUrl)}">Decline</a></p>`,
  )
}

/** An error that cannot be sent back to the client (e.g. an unknown `redirect_uri`). */
export function errorPage(fields: Record<string, unknown>): string {
  const rows = Object.entries(fields)
    .map(
      ([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`,
    )
    .join('\n')
  return page('Something went wrong', rows)
}

/**
 * The RP-initiated logout confirmation. Like Auth0, the provider does not ask: the page submits
 * oidc-provider's form (id `op.logoutForm`) itself; the button is the no-JavaScript fallback.
 */
export function logoutPage(form: string, host: string): string {
  return page(
    'Sign out',
    `<p>Signing you out of ${escapeHtml(host)}…</p>
${form}
<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
<script>document.getElementById('logout-yes').click()</script>`,
  )
}

/** Shown after a logout that has no `post_logout_redirect_uri`. */
export function logoutSuccessPage(): string {
  return page('Signed out', '<p>You have been signed out.</p>')
}
