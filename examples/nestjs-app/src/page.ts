/** A minimal HTML page for the demo (no assets, everything escaped). */
export const escapeHtml = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
pre{background:#f4f4f4;padding:1rem;overflow:auto}button,a.button{margin:.25rem .5rem .25rem 0}
nav a{margin-right:1rem}</style></head><body><nav><a href="/">Home</a><a href="/profile">Profile</a></nav>
<h1>${escapeHtml(title)}</h1>${body}</body></html>`
}

/** Decodes a JWT payload for display only; the library already verified what matters. */
export function peek(jwt: string | undefined): Record<string, unknown> | undefined {
  const payload = jwt?.split('.')[1]
  if (!payload) return undefined
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}
