import { defineConfig } from 'tsup';

// ESM for applications; CommonJS too, for the strata bin: it is one CommonJS bundle that
// `require`s core and the dialects, so they share one copy and skip the ESM loader (decision 007).
// (`testing.cjs` is built as well but not exported: the conformance suite runs under vitest, ESM.)
export default defineConfig({
  entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  clean: true,
  target: 'node20',
  external: ['vitest', 'jiti'],
});
