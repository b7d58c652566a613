import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

// Native, WASM and optional pieces stay external and are imported only when a command needs them.
const external = ['@strata/dialect-sqlite', '@strata/dialect-postgres', 'better-sqlite3', 'pg', 'libpg-query', 'jiti'];

export default defineConfig([
  {
    // The bin: cli, core, backup and core-schema bundled in for start-up speed; `main` and each
    // command are split into chunks that `strata --version` never loads.
    entry: { strata: 'src/bin.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    splitting: true,
    clean: true,
    dts: false,
    noExternal: [/^@strata\/(cli|core|backup|core-schema)$/],
    external,
    define: { __STRATA_VERSION__: JSON.stringify(version) },
    // picocolors is CommonJS and calls require('tty'): ESM bundles need a real `require`.
    banner: { js: "#!/usr/bin/env node\nimport { createRequire as __strataCreateRequire } from 'node:module';\nconst require = __strataCreateRequire(import.meta.url);" },
  },
  {
    // The library entry (`import { defineConfig } from 'strata'`): thin, sibling packages external.
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    clean: false,
    dts: true,
    external: [/^@strata\//, ...external],
  },
]);
