// Types of the `cloudflare:workers` module for this package's own type checks and .d.ts build,
// from the pinned @cloudflare/workers-types (a devDependency) in its importable form, so the
// package's sources do not need the global Workers types (which clash with the DOM and Node types
// of the tests). The published .d.ts imports `cloudflare:workers` as it is: a Worker project has
// its types from `wrangler types` or @cloudflare/workers-types.
declare module 'cloudflare:workers' {
  import type { CloudflareWorkersModule } from '@cloudflare/workers-types'
  export = CloudflareWorkersModule
}
