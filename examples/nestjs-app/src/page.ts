/** The demo's HTML: a minimal page (no assets, everything escaped) and what it shows of tokens. */
export const escapeHtml = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:.75rem 1rem;margin:.25rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
button,a.button{margin:.25rem .5rem .25rem 0}nav a{margin-right:1rem}form{display:inline}
.panel{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.did{background:#eef6ff;border-color:#b6d4fe}.did p{margin:.25rem 0}
.cols{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:1rem}
@media(max-width:44rem){.cols{grid-template-columns:minmax(0,1fr)}}h3{margin:.5rem 0 0}
#actions{margin:.75rem 0 .25rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
</style></head><body><nav><a href="/">Home</a><a href="/profile">Profile</a></nav>
<h1>${escapeHtml(title)}</h1>${body}</body></html>`
}

/** A JWT's header and payload for display only; the library already verified what matters. */
export function decodeJwt(jwt: string | undefined): {
  header?: Record<string, unknown>
  payload?: Record<string, unknown>
} {
  const [header, payload] = (jwt ?? '').split('.')
  const part = (text: string | undefined) => {
    try {
      return text ? JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) : undefined
    } catch {
      return undefined
    }
  }
  return { header: part(header), payload: part(payload) }
}

/** JSON for a `<pre>`, with `iat`, `exp`, `nbf` and `auth_time` as dates beside their numbers. */
export function withDates(value: unknown): string {
  return JSON.stringify(
    value,
    (key, item) =>
      /^(iat|exp|nbf|auth_time)$/.test(key) && typeof item === 'number'
        ? `${item} (${new Date(item * 1000).toISOString()})`
        : item,
    2,
  )
}

/**
 * What the button just pressed did: the request that went out (`request`, e.g. `GET <url>`) and
 * a line of detail (HTML) about it.
 */
export function didPanel(request: string, detail: string): string {
  return `<div class="panel did" id="did"><p><strong>Called:</strong> <code id="did-request">${escapeHtml(request)}</code></p><p>${detail}</p></div>`
}

/** A token's header and claims side by side. */
export function decodedToken(id: string, jwt: string | undefined, absent: string): string {
  const { header, payload } = decodeJwt(jwt)
  return `<div class="cols"><div><h3>Header</h3><pre id="${id}-header">${escapeHtml(header ? withDates(header) : absent)}</pre></div>
<div><h3>Claims</h3><pre id="${id}-claims">${escapeHtml(payload ? withDates(payload) : absent)}</pre></div></div>`
}
