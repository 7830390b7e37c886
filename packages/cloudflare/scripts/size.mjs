// Bundle size of @oidc-hybrid/cloudflare in a Worker, measured as adapter-fetch's size.mjs
// measures: esbuild, minified, ESM, neutral platform with the worker/browser conditions (as
// wrangler bundles), gzip level 9. It bundles this package's dist (run `npx tsup` first) and, for
// the Worker figures, the fetch adapter's and the core's dist (it never builds them).
//
//   store + object  what this package adds next to the core (`@oidc-hybrid/core` external: a
//                   Worker using the store has the core already); also each half alone (a second
//                   deployment bound by `script_name` imports the store only)
//   in a Worker     `createAuth` of @oidc-hybrid/fetch (its hybrid path) without and with
//                   `serverSessions(new DurableObjectSessionStore(env.SESSIONS))` + `SessionsObject`
//
//   node scripts/size.mjs          # report
//   node scripts/size.mjs --json   # the same figures as JSON
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const dist = here('../dist/index.js')
const fetchDist = here('../../adapter-fetch/dist/index.js')
if (!existsSync(dist)) {
  console.error('dist/index.js is missing: run `npx tsup` in packages/cloudflare first')
  process.exit(1)
}

async function bundle(contents, external = []) {
  const result = await build({
    stdin: { contents, resolveDir: here('..'), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:workers', ...external],
    alias: { '@oidc-hybrid/cloudflare': dist, '@oidc-hybrid/fetch': fetchDist },
    write: false,
    logLevel: 'silent',
  })
  const bytes = result.outputFiles[0].contents
  return { min: bytes.byteLength, gz: gzipSync(bytes, { level: 9 }).byteLength }
}

const core = ['@oidc-hybrid/core']
const figures = {
  'store + object': await bundle(
    `export { DurableObjectSessionStore, SessionsObject } from '@oidc-hybrid/cloudflare'`,
    core,
  ),
  'store only': await bundle(
    `export { DurableObjectSessionStore } from '@oidc-hybrid/cloudflare'`,
    core,
  ),
  'object only': await bundle(`export { SessionsObject } from '@oidc-hybrid/cloudflare'`, core),
}
if (existsSync(fetchDist)) {
  const config = `{ issuerBaseURL: env.I, baseURL: env.B, clientID: env.C, secret: env.S }`
  figures['Worker: hybrid path'] = await bundle(`
    import { createAuth } from '@oidc-hybrid/fetch'
    let auth
    export default { fetch: (request, env) => (auth ??= createAuth(${config})).wrap(() => new Response('ok'))(request) }`)
  figures['Worker: hybrid path + Durable Object sessions'] = await bundle(`
    import { createAuth, serverSessions } from '@oidc-hybrid/fetch'
    import { DurableObjectSessionStore, SessionsObject } from '@oidc-hybrid/cloudflare'
    export { SessionsObject }
    let auth
    export default { fetch: (request, env) => (auth ??= createAuth({ ...${config},
      session: { store: serverSessions(new DurableObjectSessionStore(env.SESSIONS)) } })).wrap(() => new Response('ok'))(request) }`)
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify(figures, null, 2))
} else {
  for (const [name, { min, gz }] of Object.entries(figures)) {
    console.log(
      `${name.padEnd(48)} ${String(min).padStart(7)} B min  ${String(gz).padStart(6)} B min+gz`,
    )
  }
  const a = figures['Worker: hybrid path']
  const b = figures['Worker: hybrid path + Durable Object sessions']
  if (a && b) console.log(`Durable Object sessions add ${b.gz - a.gz} B min+gz to the Worker`)
  else console.log('(packages/adapter-fetch/dist is missing: no Worker figures)')
}
