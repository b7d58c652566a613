import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, type Dialect } from '@strata/core';
import { CORE_INDEXES_BY_DIALECT, CORE_TABLES, coreSchema } from '@strata/core-schema';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { createSqliteDialect } from '@strata/dialect-sqlite';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { EXPECTED_FOREIGN_KEYS, sorted } from './expected.js';
import { type SchemaSnapshot, snapshotPostgres, snapshotSqlite } from './introspect.js';

const STATE_TABLES = ['strata_events', 'strata_migrations'];

/** The catalogue without strata's own state tables. */
function userSchema(snapshot: SchemaSnapshot): Pick<SchemaSnapshot, 'tables' | 'indexes' | 'foreignKeys'> {
  return {
    tables: snapshot.tables.filter((table) => !STATE_TABLES.includes(table)),
    indexes: snapshot.indexes.filter((index) => index.startsWith('idx_')),
    foreignKeys: snapshot.foreignKeys,
  };
}

async function applyRevertReapply(dialect: Dialect, snapshot: () => Promise<SchemaSnapshot>, dialectName: 'postgres' | 'sqlite') {
  const migrator = createMigrator({ dialect, sources: [coreSchema] });
  const up = await migrator.up();
  expect(up.steps.map((step) => `${step.id} ${step.outcome}`)).toEqual(['core@1.0.0 applied', 'core@1.1.0 applied']);
  const applied = userSchema(await snapshot());
  expect(applied.tables).toEqual(sorted(CORE_TABLES));
  expect(applied.indexes).toEqual(sorted(CORE_INDEXES_BY_DIALECT[dialectName]));
  expect(applied.foreignKeys).toEqual(EXPECTED_FOREIGN_KEYS);

  const down = await migrator.down({ to: 'core@0.0.0' });
  expect(down.steps.map((step) => `${step.id} ${step.outcome}`)).toEqual(['core@1.1.0 reverted', 'core@1.0.0 reverted']);
  expect(userSchema(await snapshot()).tables).toEqual([]);
  expect((await migrator.status()).migrations.map((m) => m.state)).toEqual(['pending', 'pending']);

  await migrator.up({ to: 'core@1.0.0' });
  expect(userSchema(await snapshot())).toMatchObject({ tables: sorted(CORE_TABLES), indexes: [] });
  await migrator.up();
  expect(userSchema(await snapshot())).toEqual(applied);
  const history = await migrator.history({ limit: 20 });
  expect(history.filter((event) => event.outcome === 'ok').map((event) => `${event.action} ${event.migrationId}`)).toEqual([
    'apply core@1.1.0',
    'apply core@1.0.0',
    'revert core@1.0.0',
    'revert core@1.1.0',
    'apply core@1.1.0',
    'apply core@1.0.0',
  ]);
  await migrator.close();
}

describe('coreSchema through the migrator', () => {
  let directory: string;
  let database: TestDatabase;
  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'strata-core-schema-'));
    database = await createTestDatabase('strata_core_schema');
  });
  afterAll(async () => {
    rmSync(directory, { recursive: true, force: true });
    await database?.drop();
  });

  it('applies, reverts to nothing and re-applies on SQLite, with the expected catalogue', async () => {
    const filename = join(directory, 'core.db');
    await applyRevertReapply(
      createSqliteDialect({ filename }),
      async () => {
        const db = new Database(filename, { readonly: true });
        try {
          return snapshotSqlite(db);
        } finally {
          db.close();
        }
      },
      'sqlite',
    );
  });

  it('applies, reverts to nothing and re-applies on PostgreSQL, with the expected catalogue', async () => {
    await applyRevertReapply(
      createPostgresDialect({ connectionString: database.url }),
      async () => {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          return await snapshotPostgres(client);
        } finally {
          await client.end();
        }
      },
      'postgres',
    );
  });
});
