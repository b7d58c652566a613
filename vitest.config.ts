import { defineConfig } from 'vitest/config';
import { exactAliases } from './test-support/sources.js';

// Three layers, each its own project (`pnpm test:unit`, `test:integration`, `test:e2e`; `pnpm test`
// builds and runs all three):
// - unit: the tests next to the code (packages/*/src); pure, no build and no database server.
// - integration: real PostgreSQL, SQLite files and MariaDB, packages from source (decision 005).
// - e2e: the built `strata` bin spawned in temp projects, and the packed tarballs.
export default defineConfig({
  resolve: {
    // Tests import sibling packages from source, so a change is tested without a rebuild. One map
    // for every runner: test-support/sources.ts.
    alias: exactAliases(),
  },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // .ci/run reads the JSON report to print its one-line summary (summed over all projects).
    ...(process.env.STRATA_VITEST_JSON ? { reporters: ['default', 'json'], outputFile: { json: process.env.STRATA_VITEST_JSON } } : {}),
    projects: [
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'packages/*/test/**/*.test.ts',
            'tests/*/**/*.test.ts',
            'apps/visual-editor-db/test/**/*.test.ts',
            'examples/*/test/**/*.test.ts',
          ],
          // PostgreSQL must be reachable (tests never skip).
          globalSetup: ['./test-support/global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['apps/strata/test/**/*.test.ts'],
          // PostgreSQL must be reachable, and the bin built (a missing build fails here, by name).
          globalSetup: ['./test-support/global-setup.ts', './test-support/e2e-setup.ts'],
        },
      },
    ],
  },
});
