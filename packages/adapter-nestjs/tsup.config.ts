import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  // Every injection is an explicit @Inject(), so no design:paramtypes metadata (and no swc) is
  // needed; esbuild compiles the legacy decorators.
  tsconfig: 'tsconfig.build.json',
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  treeshake: true,
})
