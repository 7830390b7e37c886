import { defineConfig } from 'vitest/config'

// `pnpm fuzz`: long property runs of every parser (FUZZ_RUNS each, default 100 000). Not part of
// the default test run; the same properties run with few cases in test/**/*.property.test.ts.
export default defineConfig({
  test: {
    include: ['fuzz/**/*.fuzz.ts'],
    testTimeout: 30 * 60_000,
  },
})
