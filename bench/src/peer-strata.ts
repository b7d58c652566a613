import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileSource, createMigrator, defineModule, type Dialect, type MigrationSource } from '@strata/core';
import { cachedFileSource } from '@strata/cli';
import coreSchema from '@strata/core-schema';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { createSqliteDialect } from '@strata/dialect-sqlite';
import type { MigrationSet, Peer, Target } from './peer-types.js';

export function strataDialect(target: Target): Dialect {
  return target.dialect === 'postgres'
    ? createPostgresDialect({ connectionString: target.url })
    : createSqliteDialect({ filename: target.filename });
}

/** strata's version for position i of a set: 1.i.0 (W1 keeps the core module's own 1.0.0 / 1.1.0). */
const version = (i: number) => `1.${i}.0`;

/** The set as strata migrations: W1 is the real `core` module, W2 an in-memory module `app`. */
export function strataModule(set: MigrationSet): MigrationSource {
  if (set.key === 'w1') return coreSchema;
  return defineModule({
    name: 'app',
    migrations: set.migrations.map((m, i) => ({ version: version(i), name: m.name, up: m.sql, down: m.down })),
  });
}

/** The set as a folder of strata SQL files (what the CLI reads). */
export function writeStrataFiles(set: MigrationSet, dir: string): void {
  mkdirSync(dir, { recursive: true });
  set.migrations.forEach((m, i) =>
    writeFileSync(join(dir, `${version(i)}_${m.name}.sql`), `-- strata:up\n${m.sql}\n-- strata:down\n${m.down}\n`),
  );
}

async function strataUp(target: Target, source: MigrationSource, singleTransaction: boolean): Promise<number> {
  const migrator = createMigrator({ dialect: strataDialect(target), sources: [source] });
  try {
    const report = await migrator.up({ singleTransaction });
    return report.steps.length;
  } finally {
    await migrator.close();
  }
}

/** `strata up` in-process (createMigrator + up + close): tx each with its state row and event, or `--single-transaction`. */
export function strataPeer(mode: 'tx-each' | 'single' | 'files' | 'files-cached'): Peer {
  const label = {
    'tx-each': 'strata up (in-memory module, tx each + state row + event)',
    single: 'strata up --single-transaction (in-memory module)',
    files: 'strata up (SQL files, tx each)',
    'files-cached': 'strata up (SQL files, checksum cache on as in the CLI)',
  }[mode];
  return {
    name: label,
    node: false,
    dialects: ['postgres', 'sqlite'],
    prepare(set, dir) {
      const files = (mode === 'files' || mode === 'files-cached') && set.key !== 'w1';
      if (files) writeStrataFiles(set, dir);
      // The CLI's cache folder for this set: the first W3 run fills it (the files have aged by then).
      const checksumCache = mode === 'files-cached' ? join(dir, '..', `.checksum-cache-${set.key}`) : false;
      // A fresh source per run, as a fresh process would have (a file source reads the folder on load).
      const fileSource = () =>
        checksumCache === false
          ? createFileSource({ directory: dir, module: 'app' })
          : cachedFileSource({ directory: dir, module: 'app' }, checksumCache);
      return (target) => strataUp(target, files ? fileSource() : strataModule(set), mode === 'single');
    },
  };
}
