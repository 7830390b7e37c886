// Bundle size of a Hono app Worker that logs in with this middleware, as a user ships it: esbuild,
// minified, ESM, neutral platform with the worker/browser conditions (as wrangler bundles), gzip
// level 9 — the way packages/adapter-fetch/scripts/size.mjs measures the fetch adapter. The
// bundles use the published entries (this package's dist, the fetch adapter's and the core's:
// run `npx tsup` in each first).
//
// The Worker: `new Hono()`, `auth((c) => config)` from env, `requireAuth()` on two pages, one of
// which calls an API with the access token. Beside it, to tell the shares apart:
//   bare Hono app      the same routes without the middleware: Hono's own share
//   fetch hybrid path  `createAuth` of @oidc-hybrid/fetch alone (the fetch adapter's headline)
//   Hono + createAuth  the bare app and the fetch hybrid path in one bundle, not wired together:
//                      the app Worker minus this is what this package adds
// and the app with a `requireBearer()` API route, and on `hono/tiny` (Hono's smallest preset).
//
//   node scripts/size.mjs          # report
//   node scripts/size.mjs --json   # the same figures as JSON
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const adapterDist = here('../dist/index.js')

if (!existsSync(adapterDist)) {
  console.error('dist/index.js is missing: run `npx tsup` in packages/adapter-hono first')
  process.exit(1)
}

async function bundle(contents) {
  const result = await build({
    stdin: { contents, resolveDir: here('..'), loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    alias: { '@oidc-hybrid/hono': adapterDist },
    metafile: true,
    write: false,
    logLevel: 'silent',
  })
  const bytes = result.outputFiles[0].contents
  const [output] = Object.values(result.metafile.outputs)
  return {
    min: bytes.byteLength,
    gz: gzipSync(bytes, { level: 9 }).byteLength,
    inputs: Object.entries(output.inputs).map(([path, { bytesInOutput }]) => ({
      path,
      bytes: bytesInOutput,
    })),
  }
}

/** Where a bundled input comes from, for the breakdown. */
function origin(path) {
  if (path.includes('node_modules/hono/')) return 'hono'
  if (path.includes('oauth4webapi')) return 'oauth4webapi'
  if (/core\/(src|dist)\//.test(path)) return '@oidc-hybrid/core'
  if (/adapter-fetch\/(src|dist)\//.test(path)) return '@oidc-hybrid/fetch'
  if (/(^|adapter-hono\/)dist\/index\.js$/.test(path)) return '@oidc-hybrid/hono (this package)'
  return 'the app'
}

const CONFIG = `(c) => ({
  issuerBaseURL: c.env.ISSUER_BASE_URL,
  baseURL: c.env.BASE_URL,
  clientID: c.env.CLIENT_ID,
  clientSecret: c.env.CLIENT_SECRET,
  secret: c.env.COOKIE_SECRET,
  authorizationParams: { scope: 'openid profile email offline_access read:messages', audience: c.env.AUDIENCE },
})`

const pages = (guard) => `
app.get('/', (c) => c.text('hello'))
app.get('/profile', ${guard}(c) => c.json(c.var.oidc.user))
app.get('/messages', ${guard}async (c) => c.json(await (await c.var.oidc.fetch(c.env.API_URL)).json()))
`

const appWorker = (hono = 'hono', extra = '') => `
import { Hono } from '${hono}'
import { auth, requireAuth, requireBearer } from '@oidc-hybrid/hono'
const app = new Hono()
app.use(auth(${CONFIG}))
${pages('requireAuth(), ')}
${extra}
export default app
`

const bareApp = `
import { Hono } from 'hono'
const app = new Hono()
${pages('')
  .replace(/c\.var\.oidc\.user/, '{}')
  .replace(/await \(await c\.var\.oidc\.fetch\(c\.env\.API_URL\)\)\.json\(\)/, '{}')}
export default app
`

const HYBRID = "export { createAuth } from '@oidc-hybrid/fetch'"
const withBearer = `app.get('/api/messages', requireBearer((c) => ({ issuerBaseURL: c.env.ISSUER_BASE_URL, audience: c.env.AUDIENCE }), { scopes: ['read:messages'] }), (c) => c.json({ for: c.var.auth.claims.sub }))`

const app = await bundle(appWorker())
const bare = await bundle(bareApp)
const hybrid = await bundle(HYBRID)
const unwired = await bundle(`${bareApp}\n${HYBRID}`)
const appWithApi = await bundle(appWorker('hono', withBearer))
const tiny = await bundle(appWorker('hono/tiny'))

const byOrigin = new Map()
for (const { path, bytes } of app.inputs) {
  byOrigin.set(origin(path), (byOrigin.get(origin(path)) ?? 0) + bytes)
}
const report = {
  bundles: {
    'Hono app Worker: auth() + requireAuth()': app,
    'the same app, + a requireBearer() API route': appWithApi,
    'the same app on hono/tiny': tiny,
    'bare Hono app (same routes, no login)': bare,
    '@oidc-hybrid/fetch hybrid path (createAuth)': hybrid,
    'bare Hono app + createAuth, not wired': unwired,
  },
  shares: {
    honoGz: bare.gz,
    fetchHybridPathGz: hybrid.gz,
    thisPackageGz: app.gz - unwired.gz,
  },
  breakdownMin: Object.fromEntries([...byOrigin].sort((a, b) => b[1] - a[1])),
}

if (process.argv.includes('--json')) {
  const bundles = Object.fromEntries(
    Object.entries(report.bundles).map(([name, { min, gz }]) => [name, { min, gz }]),
  )
  console.log(JSON.stringify({ ...report, bundles }, null, 2))
} else {
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
  console.log('Bundle size (esbuild --minify, ESM, platform neutral, gzip -9)\n')
  for (const [name, { min, gz }] of Object.entries(report.bundles)) {
    console.log(
      `  ${name.padEnd(46)} ${String(min).padStart(7)} B min  ${String(gz).padStart(6)} B min+gz (${kb(gz)})`,
    )
  }
  const { honoGz, fetchHybridPathGz, thisPackageGz } = report.shares
  console.log(
    `\n  The app Worker, ${kb(app.gz)} min+gz: Hono ~${kb(honoGz)} (the bare app), the fetch` +
      ` adapter's hybrid path ${kb(fetchHybridPathGz)}, this package ${thisPackageGz} B` +
      ' (the app minus the bare app and the hybrid path bundled together).',
  )
  console.log('\nThe app Worker: where the minified bytes come from:\n')
  for (const [name, bytes] of Object.entries(report.breakdownMin)) {
    console.log(
      `  ${name.padEnd(36)} ${String(bytes).padStart(7)} B  ${((100 * bytes) / app.min).toFixed(0).padStart(3)} %`,
    )
  }
}
