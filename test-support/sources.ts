/**
 * The one map from a workspace package's import name to its TypeScript entry point. Tests run
 * sibling packages from source (decision 005), so a change is exercised without a rebuild: vitest's
 * aliases, the esbuild bundle of core's child-process runner and the jiti loaders of child
 * processes all read this map. A package that adds an entry point adds it here once.
 */
import { fileURLToPath } from 'node:url';

const entry = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** Import name → absolute path of the source entry. Subpaths come before their package. */
export const SOURCE_ENTRIES: Readonly<Record<string, string>> = {
  '@strata/core/testing': entry('packages/core/src/testing/index.ts'),
  '@strata/core': entry('packages/core/src/index.ts'),
  '@strata/dialect-sqlite/backup': entry('packages/dialect-sqlite/src/backup/index.ts'),
  '@strata/dialect-sqlite': entry('packages/dialect-sqlite/src/index.ts'),
  '@strata/dialect-postgres/backup': entry('packages/dialect-postgres/src/backup/index.ts'),
  '@strata/dialect-postgres': entry('packages/dialect-postgres/src/index.ts'),
  '@strata/core-schema': entry('packages/core-schema/src/index.ts'),
  '@strata/backup': entry('packages/backup/src/index.ts'),
  '@strata/lint': entry('packages/lint/src/index.ts'),
  '@strata/cli': entry('packages/cli/src/index.ts'),
};

/** The map as exact-match aliases (vitest, esbuild): `@strata/core` never captures `@strata/core/testing`. */
export function exactAliases(names: readonly string[] = Object.keys(SOURCE_ENTRIES)): { find: RegExp; replacement: string }[] {
  return names.map((name) => ({ find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`), replacement: SOURCE_ENTRIES[name]! }));
}
