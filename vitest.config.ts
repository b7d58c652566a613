import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests import sibling packages from source, so a change is tested without a rebuild. The CLI's
// end-to-end and packaging tests spawn the built binaries instead (the root `test` script builds).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@strata\/core\/testing$/, replacement: src('./packages/core/src/testing/index.ts') },
      { find: /^@strata\/core$/, replacement: src('./packages/core/src/index.ts') },
      { find: /^@strata\/dialect-sqlite$/, replacement: src('./packages/dialect-sqlite/src/index.ts') },
      { find: /^@strata\/dialect-postgres$/, replacement: src('./packages/dialect-postgres/src/index.ts') },
      { find: /^@strata\/core-schema$/, replacement: src('./packages/core-schema/src/index.ts') },
      { find: /^@strata\/backup$/, replacement: src('./packages/backup/src/index.ts') },
      { find: /^@strata\/lint$/, replacement: src('./packages/lint/src/index.ts') },
      { find: /^@strata\/cli$/, replacement: src('./packages/cli/src/index.ts') },
    ],
  },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // .ci/run reads the JSON report to print its one-line summary (summed over both projects).
    ...(process.env.STRATA_VITEST_JSON
      ? { reporters: ['default', 'json'], outputFile: { json: process.env.STRATA_VITEST_JSON } }
      : {}),
    projects: [
      // `pnpm test:unit`: the tests next to the code; pure, no build and no database server.
      { extends: true, test: { name: 'unit', include: ['packages/*/src/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'tests/*/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          // PostgreSQL must be reachable (tests never skip); the CLI's tests need the build.
          globalSetup: ['./test-support/global-setup.ts'],
        },
      },
    ],
  },
});
