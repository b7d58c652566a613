import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineModule, type MigrationModule } from '@strata/core';

/** W2's migration i: a table with three columns and an index. */
export function smallMigrationSql(i: number): string {
  return `CREATE TABLE t_${i} (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b INTEGER);\nCREATE INDEX idx_t_${i}_a ON t_${i} (a);`;
}

export function smallVersion(i: number): string {
  return `1.${i}.0`;
}

/** W2 as an in-memory module. */
export function smallModule(count: number): MigrationModule {
  return defineModule({
    name: 'app',
    migrations: Array.from({ length: count }, (_, i) => ({
      version: smallVersion(i),
      name: `create_t_${i}`,
      up: smallMigrationSql(i),
      down: `DROP TABLE t_${i};`,
    })),
  });
}

/** W2 as a folder of SQL files (what the CLI reads). */
export function writeSmallMigrations(directory: string, count: number): void {
  mkdirSync(directory, { recursive: true });
  for (let i = 0; i < count; i++) {
    writeFileSync(
      join(directory, `${smallVersion(i)}_create_t_${i}.sql`),
      `-- strata:up\n${smallMigrationSql(i)}\n-- strata:down\nDROP TABLE t_${i};\n`,
    );
  }
}
