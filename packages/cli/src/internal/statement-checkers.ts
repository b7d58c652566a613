import { readdirSync } from 'node:fs';
import type { Dialect } from '@strata/core';
import type { DialectLoaders } from '../dialect-loader.js';
import type { MigrationsFolder } from '../settings.js';

type Checker = Pick<Dialect, 'name' | 'splitStatements' | 'findNonTransactional'>;

const PACKAGES = { postgres: '@strata/dialect-postgres', sqlite: '@strata/dialect-sqlite' } as const;
const EXPORTS = {
  postgres: ['splitPostgresStatements', 'findPostgresNonTransactional'],
  sqlite: ['splitSqliteStatements', 'findSqliteNonTransactional'],
} as const;

/**
 * For `validate`: the splitters of the built-in dialects other than the target's that some
 * migrations folder has dialect files for (`1.2.0_x.postgres.sql` with a SQLite target), so those
 * files are checked as they run there. A dialect package that is not installed is skipped.
 */
export async function otherDialectCheckers(
  folders: readonly MigrationsFolder[],
  targetDialect: string,
  loaders: DialectLoaders = {},
): Promise<Checker[]> {
  const wanted = new Set<'postgres' | 'sqlite'>();
  for (const folder of folders) {
    let names: string[];
    try {
      names = readdirSync(folder.directory);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = /\.(postgres|sqlite)\.(sql|ts|mts|js|mjs)$/.exec(name);
      if (match && match[1] !== targetDialect) wanted.add(match[1] as 'postgres' | 'sqlite');
    }
  }
  const checkers: Checker[] = [];
  for (const name of wanted) {
    try {
      const loaded = (await (loaders[name] ?? (() => import(PACKAGES[name])))()) as Record<string, unknown>;
      const [split, find] = EXPORTS[name];
      const splitStatements = loaded[split];
      const findNonTransactional = loaded[find];
      if (typeof splitStatements === 'function' && typeof findNonTransactional === 'function') {
        checkers.push({
          name,
          splitStatements: splitStatements as Checker['splitStatements'],
          findNonTransactional: findNonTransactional as Checker['findNonTransactional'],
        });
      }
    } catch {
      // not installed: those files are checked when validate runs against that dialect
    }
  }
  return checkers;
}
