// `pnpm fuzz`: the DPoP proof parser's properties (test/protocol/dpop.property.test.ts, where they
// run with few cases) with FUZZ_RUNS cases each, default 100 000 like the other parsers.
process.env.FUZZ_RUNS ??= '100000'
await import('../test/protocol/dpop.property.test.js')

export {}
