// Bundle size of core + fetch adapter for a Worker, as a user ships it: esbuild, minified, ESM,
// neutral platform with the worker/browser conditions (as wrangler bundles), gzip level 9.
// The bundles use the published entries (this package's dist and the core's dist, so run
// `npx tsup` in both first); the breakdown bundles the core from its sources, because its dist is
// one file.
//
// Three shapes of Worker, each with what it imports:
//   hybrid path  `createAuth`: login, form_post callback, session, refresh, logout, userinfo and
//                API calls with the access token (what openid-client's "hybrid path" figure
//                covers). The headline, against the 20 KB budget (new features are opt-in
//                imports, so a Worker pays only for what it uses).
//   API only     `requireBearer`: a Worker that only checks bearer tokens (RFC 9068).
//   everything   every export of the adapter (a Worker that is also its own API, and more).
// and the two Workers of examples/worker with their app code.
//
//   node scripts/size.mjs          # report
//   node scripts/size.mjs --json   # the same figures as JSON
//   node scripts/size.mjs --check  # one line; exit 1 when the hybrid path is over the budget
//                                  # (the test command runs this)
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const TARGET_GZ = 20 * 1024
const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const adapterDist = here('../dist/index.js')
const coreSrc = here('../../core/src/index.ts')
// The core's subpath entries, from their sources too.
const coreEntries = {
  '@oidc-hybrid/core': coreSrc,
  '@oidc-hybrid/core/adapter': here('../../core/src/adapter.ts'),
  '@oidc-hybrid/core/protocol': here('../../core/src/protocol.ts'),
}
const exampleApp = here('../../../examples/worker/src/index.ts')
const exampleApi = here('../../../examples/worker/src/api.ts')

if (!existsSync(adapterDist)) {
  console.error('dist/index.js is missing: run `npx tsup` in packages/adapter-fetch first')
  process.exit(1)
}

async function bundle({ contents, entry, alias = {}, resolveDir = here('..') }) {
  const result = await build({
    ...(entry ? { entryPoints: [entry] } : { stdin: { contents, resolveDir, loader: 'ts' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    alias: { '@oidc-hybrid/fetch': adapterDist, ...alias },
    metafile: true,
    write: false,
    logLevel: 'silent',
  })
  const bytes = result.outputFiles[0].contents
  const [output] = Object.values(result.metafile.outputs)
  return {
    text: result.outputFiles[0].text,
    min: bytes.byteLength,
    gz: gzipSync(bytes, { level: 9 }).byteLength,
    inputs: Object.entries(output.inputs).map(([path, { bytesInOutput }]) => ({
      path,
      bytes: bytesInOutput,
    })),
  }
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`

/** Where a bundled input comes from, for the breakdown. */
function origin(path) {
  if (path.includes('oauth4webapi')) return 'oauth4webapi'
  const core = path.match(/core\/(?:src|dist)\/(.*)$/)
  if (core) return `core/${core[1]}`
  if (/(^|adapter-fetch\/)dist\/index\.js$/.test(path)) return 'adapter-fetch (dist)'
  if (path.includes('examples/worker')) return 'examples/worker'
  return path
}

/**
 * The bundle's string and template literals of 40+ characters (in this library, almost only the
 * actionable error messages), found with the TypeScript parser, and the gzip size without them:
 * what those messages cost. `undefined` when TypeScript (a root devDependency) is not installed.
 */
async function longStrings(text) {
  let ts
  try {
    ts = (await import('typescript')).default
  } catch {
    return undefined
  }
  const file = ts.createSourceFile('bundle.js', text, ts.ScriptTarget.ES2022, false)
  const ranges = []
  const visit = (node) => {
    const isLiteral =
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateExpression(node)
    if (isLiteral) {
      const start = node.getStart(file)
      if (node.end - start >= 40) {
        ranges.push([start, node.end])
        return
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
  let stripped = ''
  let at = 0
  let removed = 0
  for (const [start, end] of ranges) {
    stripped += `${text.slice(at, start)}""`
    removed += end - start
    at = end
  }
  stripped += text.slice(at)
  return {
    count: ranges.length,
    removed,
    gz: gzipSync(Buffer.from(stripped), { level: 9 }).byteLength,
  }
}

const HYBRID = "export { createAuth } from '@oidc-hybrid/fetch'"
// createAuth's result holds the engine, whose methods (login, callback, load, refreshSession,
// logout, userinfo, fetchWithAccessToken, ...) a minifier keeps whole: this is the hybrid path.
const hybridPath = await bundle({ contents: HYBRID })
const apiOnly = await bundle({ contents: "export { requireBearer } from '@oidc-hybrid/fetch'" })
const everything = await bundle({ contents: "export * from '@oidc-hybrid/fetch'" })
const appWorker = await bundle({ entry: exampleApp })
const apiWorker = await bundle({ entry: exampleApi })
// Same bundle as `hybridPath`, the core taken from its sources so files can be told apart.
const breakdown = await bundle({ contents: HYBRID, alias: coreEntries })
// What the adapter imports from the core for the hybrid path, without the adapter: the adapter's
// own cost is the rest.
const coreOnly = await bundle({
  contents:
    "export { createHybridAuth, SessionContext, renderError, wantsHtml, isOidcHybridError, OidcHybridError } from '@oidc-hybrid/core/adapter'",
})
const strings = await longStrings(hybridPath.text)

// Like for like with the issue's reference figure: openid-client's hybrid path is discovery,
// authorization URL, callback validation, code grant, refresh and userinfo, with no sessions,
// cookies or routes. The core's sans-IO protocol functions doing the same steps, and
// openid-client itself bundled the same way (from bench/, where it is installed; skipped if not).
const protocolOnly = await bundle({
  contents: `export {
    discoveryUrl, processDiscoveryResponse, processJwksResponse, buildAuthorizationRequest,
    parseCallbackRequest, verifyFrontChannel, buildAuthorizationCodeGrantRequest,
    processAuthorizationCodeResponse, buildRefreshTokenGrantRequest, processRefreshResponse,
    buildUserinfoRequest, processUserinfoResponse,
  } from '@oidc-hybrid/core/protocol'
  export { WebCryptoProvider } from '@oidc-hybrid/core'`,
})
const benchDir = here('../../../bench')
const openidClient = existsSync(`${benchDir}/node_modules/openid-client`)
  ? await bundle({
      contents: `export {
        discovery, buildAuthorizationUrl, randomPKCECodeVerifier, calculatePKCECodeChallenge,
        randomNonce, randomState, useCodeIdTokenResponseType, authorizationCodeGrant,
        refreshTokenGrant, fetchUserInfo,
      } from 'openid-client'`,
      resolveDir: benchDir,
    })
  : undefined

const byOrigin = new Map()
for (const { path, bytes } of breakdown.inputs) {
  byOrigin.set(origin(path), (byOrigin.get(origin(path)) ?? 0) + bytes)
}
const top = [...byOrigin].sort((a, b) => b[1] - a[1]).filter(([, bytes]) => bytes > 0)
const groups = new Map()
for (const [name, bytes] of top) {
  const group = name.startsWith('core/protocol')
    ? 'core protocol/'
    : name.startsWith('core/engine')
      ? 'core engine/'
      : name.startsWith('core/')
        ? 'core other (errors, crypto, lib)'
        : name
  groups.set(group, (groups.get(group) ?? 0) + bytes)
}

const report = {
  targetGz: TARGET_GZ,
  bundles: {
    'hybrid path: createAuth (login … API calls)': hybridPath,
    'API only: requireBearer': apiOnly,
    'core + adapter, every export': everything,
    'examples/worker app Worker (src/index.ts)': appWorker,
    'examples/worker API Worker (src/api.ts)': apiWorker,
  },
  likeForLike: {
    'core protocol only (sans-IO, the same steps)': protocolOnly,
    ...(openidClient && { 'openid-client 6 hybrid path': openidClient }),
  },
  adapterOwnGz: hybridPath.gz - coreOnly.gz,
  groups: Object.fromEntries(groups),
  top: top.slice(0, 15),
  longStrings: strings,
}

if (process.argv.includes('--check')) {
  const { gz } = hybridPath
  const over = gz > TARGET_GZ
  console.log(
    `size budget: @oidc-hybrid/fetch hybrid path ${gz} B min+gz of ${TARGET_GZ} B ${over ? `(OVER by ${gz - TARGET_GZ} B: make the new code an opt-in import)` : '(met)'}`,
  )
  process.exit(over ? 1 : 0)
} else if (process.argv.includes('--json')) {
  const bundles = Object.fromEntries(
    Object.entries(report.bundles).map(([name, { min, gz }]) => [name, { min, gz }]),
  )
  const likeForLike = Object.fromEntries(
    Object.entries(report.likeForLike).map(([name, { min, gz }]) => [name, { min, gz }]),
  )
  console.log(JSON.stringify({ ...report, bundles, likeForLike }, null, 2))
} else {
  console.log('Bundle size (esbuild --minify, ESM, platform neutral, gzip -9)\n')
  for (const [name, { min, gz }] of Object.entries(report.bundles)) {
    console.log(
      `  ${name.padEnd(46)} ${String(min).padStart(7)} B min  ${String(gz).padStart(6)} B min+gz (${kb(gz)})`,
    )
  }
  const headline = hybridPath.gz
  console.log(
    `\n  hybrid path ${kb(headline)} min+gz, budget ≤ ${kb(TARGET_GZ)} (${headline} of ${TARGET_GZ} B): ${headline <= TARGET_GZ ? 'met' : `OVER by ${headline - TARGET_GZ} B`}`,
  )
  console.log(
    '\n  Like for like with the reference (discovery, authorization URL, callback, code grant,\n  refresh, userinfo; no sessions, cookies or routes):\n',
  )
  for (const [name, { min, gz }] of Object.entries(report.likeForLike)) {
    console.log(
      `  ${name.padEnd(46)} ${String(min).padStart(7)} B min  ${String(gz).padStart(6)} B min+gz (${kb(gz)})`,
    )
  }
  console.log(
    '\nHybrid path: where the minified bytes come from (core from sources; shares of min, not gz):\n',
  )
  console.log(
    `  (the adapter's own share: ${report.adapterOwnGz} B min+gz over the core parts it imports, ${coreOnly.gz} B)\n`,
  )
  for (const [group, bytes] of [...groups].sort((a, b) => b[1] - a[1])) {
    console.log(
      `  ${group.padEnd(40)} ${String(bytes).padStart(7)} B  ${((100 * bytes) / breakdown.min).toFixed(0).padStart(3)} %`,
    )
  }
  console.log('\nTop files:\n')
  for (const [name, bytes] of report.top) {
    console.log(
      `  ${name.padEnd(40)} ${String(bytes).padStart(7)} B  ${((100 * bytes) / breakdown.min).toFixed(0).padStart(3)} %`,
    )
  }
  if (strings) {
    console.log(
      `\nHybrid path: ${strings.count} string/template literals of 40+ characters (mostly the actionable error messages):` +
        ` ${strings.removed} B min; without them ${strings.gz} B min+gz (${kb(strings.gz)}),` +
        ` so they cost ${kb(headline - strings.gz)} of the gzip size.`,
    )
  }
}
