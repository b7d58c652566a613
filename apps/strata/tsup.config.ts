import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// Loaded at run time from the project or this package's dependencies, never bundled: the sibling
// packages that dialects share (core) or that users install one by one (dialects), drivers, jiti.
const external = [
  '@strata/core',
  '@strata/backup',
  '@strata/core-schema',
  '@strata/dialect-sqlite',
  '@strata/dialect-postgres',
  '@strata/lint',
  'better-sqlite3',
  'pg',
  'libpg-query',
  'jiti',
  'slugify',
];

export default defineConfig([
  {
    // The bin is CommonJS (decision 007): `strata.cjs` answers `--version` and loads nothing else;
    // `main.cjs` holds the cli, and `require`s core, the dialect, backup and core-schema when a
    // command needs them; their CommonJS builds share one copy of core. No ESM loader on the way.
    entry: { strata: 'src/bin.ts', main: 'src/main.ts' },
    format: ['cjs'],
    target: 'node20',
    platform: 'node',
    splitting: false,
    clean: true,
    dts: false,
    noExternal: ['@strata/cli'],
    external: [...external, './main.cjs'],
    define: { __STRATA_VERSION__: JSON.stringify(version) },
    // The bundled cli reads import.meta.url (config.ts), which CommonJS lacks: tsup's shim supplies it.
    shims: true,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // The library entry (`import { defineConfig } from 'strata-migrate'`, or `require` it from a
    // CommonJS config): thin, sibling packages external; `.d.ts` and `.d.cts` types.
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    target: 'node20',
    platform: 'node',
    clean: false,
    dts: true,
    external: [/^@strata\//, ...external],
  },
]);
