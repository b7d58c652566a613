import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    clean: true,
    target: 'node20',
    // Each command is its own chunk, imported when it runs.
    splitting: true,
    external: [/^@strata\//, 'jiti', 'slugify'],
  },
  {
    // CommonJS for `require('strata-migrate')` (a CommonJS strata.config.js): one file, with types
    // of its own (`index.d.cts`). import.meta.url (config.ts) comes from tsup's shim.
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: true,
    clean: false,
    shims: true,
    target: 'node20',
    external: [/^@strata\//, 'jiti', 'slugify'],
  },
]);
