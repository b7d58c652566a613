import { defineConfig } from 'tsup';

// ESM for applications, CommonJS for the strata bin (one CommonJS graph: see decision 007).
export default defineConfig({
  entry: { index: 'src/index.ts', backup: 'src/backup/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  shims: true,
  clean: true,
  target: 'node20',
});
