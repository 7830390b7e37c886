import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  // ESM only: the Durable Object class imports `cloudflare:workers`, which only workerd provides,
  // to ES modules (a Worker bundle); a CommonJS build could not load it anywhere.
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  treeshake: true,
  external: ['cloudflare:workers'],
})
