import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  clean: true,
  target: 'node20',
  // Drivers are the user's optional peers, loaded with dynamic import only when a backup needs them.
  external: ['better-sqlite3', 'pg'],
});
