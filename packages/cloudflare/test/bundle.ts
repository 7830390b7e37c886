/**
 * The test Workers bundled as wrangler bundles a Worker: esbuild, ESM, no Node built-ins
 * (platform neutral with the workerd conditions, so a node:* import in the store would fail the
 * build), `cloudflare:workers` left to workerd. `@oidc-hybrid/fetch` is the adapter's source,
 * as adapter-fetch's workerd spec bundles it; `@oidc-hybrid/core` resolves to the core's dist.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

export const COMPATIBILITY_DATE = '2026-04-01'

/** Bundles the file `entry` (relative to this folder), or TypeScript `{ contents }`. */
export async function bundle(entry: string | { contents: string }): Promise<string> {
  const result = await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [fileURLToPath(new URL(entry, import.meta.url))] }
      : {
          stdin: {
            ...entry,
            loader: 'ts',
            resolveDir: fileURLToPath(new URL('.', import.meta.url)),
          },
        }),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:workers'],
    alias: {
      '@oidc-hybrid/cloudflare': fileURLToPath(new URL('../src/index.ts', import.meta.url)),
      '@oidc-hybrid/fetch': fileURLToPath(
        new URL('../../adapter-fetch/src/index.ts', import.meta.url),
      ),
    },
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
