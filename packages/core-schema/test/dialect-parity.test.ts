import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { POSTGRES_ONLY_INDEXES } from '../src/indexes.js';
import { CORE_MIGRATIONS } from '../src/migrations.js';
import { snapshotPostgres, snapshotSqlite, type SchemaSnapshot } from './introspect.js';

// Both dialects get the full `core` schema; then every dialect-neutral fact must agree.
let database: TestDatabase;
let postgres: SchemaSnapshot;
let sqlite: SchemaSnapshot;

beforeAll(async () => {
  database = await createTestDatabase('strata_core_parity');
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    for (const migration of CORE_MIGRATIONS) {
      await client.query('BEGIN');
      await client.query(migration.up.postgres);
      await client.query('COMMIT');
    }
    postgres = await snapshotPostgres(client);
  } finally {
    await client.end();
  }

  const db = new Database(':memory:');
  try {
    db.pragma('foreign_keys = ON');
    for (const migration of CORE_MIGRATIONS) db.transaction(() => db.exec(migration.up.sqlite))();
    sqlite = snapshotSqlite(db);
  } finally {
    db.close();
  }
});

afterAll(async () => {
  await database?.drop();
});

describe('core schema on PostgreSQL and SQLite', () => {
  it('creates the same tables', () => {
    expect(sqlite.tables).toEqual(postgres.tables);
  });

  it('gives each table the same columns in the same order', () => {
    expect(sqlite.columns).toEqual(postgres.columns);
  });

  it('declares the same foreign keys with the same ON DELETE actions', () => {
    expect(sqlite.foreignKeys).toEqual(postgres.foreignKeys);
  });

  it('declares the same primary keys and UNIQUE constraints', () => {
    expect(sqlite.keys).toEqual(postgres.keys);
  });

  it('creates the same index names, apart from the PostgreSQL-only GIN indexes', () => {
    const gin = new Set<string>(POSTGRES_ONLY_INDEXES);
    expect(sqlite.indexes).toEqual(postgres.indexes.filter((name) => !gin.has(name)));
    expect(postgres.indexes.filter((name) => gin.has(name))).toHaveLength(POSTGRES_ONLY_INDEXES.length);
  });
});
