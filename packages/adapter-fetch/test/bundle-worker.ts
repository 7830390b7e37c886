/**
 * A Worker script bundled as wrangler bundles it: esbuild, ESM, no Node built-ins (platform
 * neutral, so a node:* import in the adapter fails the build), the worker conditions, and the
 * adapter from its sources.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** The bundled script of `entry` (a path relative to this folder). */
export async function bundleWorker(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    alias: { '@oidc-hybrid/fetch': fileURLToPath(new URL('../src/index.ts', import.meta.url)) },
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}
