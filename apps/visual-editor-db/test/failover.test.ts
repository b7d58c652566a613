import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFailoverDialect, createMigrator, defineModule, isStrataError } from '@strata/core';
import { CORE_TABLES, coreSchema } from '@strata/core-schema';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { createSqliteDialect } from '@strata/dialect-sqlite';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { bootstrapDatabase } from '../src/bootstrap.js';

const CLOSED_PORT_URL = 'postgres://postgres:UniqueFailoverPw77@127.0.0.1:1/visual_editor';

let directory: string;
let database: TestDatabase;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'strata-failover-'));
  database = await createTestDatabase('strata_failover');
});

afterAll(async () => {
  await database?.drop();
  rmSync(directory, { recursive: true, force: true });
});

const sqliteTables = (file: string): string[] => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[];
  } finally {
    db.close();
  }
};

const postgresTables = async (url: string): Promise<string[]> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    );
    return result.rows.map((row) => row.tablename);
  } finally {
    await client.end();
  }
};

describe('bootstrapDatabase (PostgreSQL primary, SQLite fallback)', () => {
  it('uses the fallback and says so when the primary is on a closed port', async () => {
    const fallbackFile = join(directory, 'fallback.db');
    const result = await bootstrapDatabase({
      primaryUrl: CLOSED_PORT_URL,
      fallbackFile,
      connectTimeoutMs: 1000,
      backupDir: join(directory, 'backups'),
    });
    expect(result.database).toBe('fallback');
    expect(result.failover).toMatchObject({ used: true });
    expect(result.failover!.reason).toMatch(/cannot be reached|did not answer/);
    expect(JSON.stringify(result)).not.toContain('UniqueFailoverPw77');
    expect(result.report.steps.map((step) => step.id)).toEqual(['core@1.0.0', 'core@1.1.0']);
    expect(sqliteTables(fallbackFile)).toEqual(expect.arrayContaining([...CORE_TABLES]));
    // The fallback file was new and held nothing: no pre-run backup is taken of an empty database.
    const backups = join(directory, 'backups');
    expect(existsSync(backups) ? readdirSync(backups).filter((name) => name.endsWith('.json')) : []).toHaveLength(0);
    // The fallback keeps its own history, which records the failover.
    const history = await createMigrator({ dialect: createSqliteDialect({ filename: fallbackFile }), sources: [coreSchema] }).history();
    expect(history.some((event) => event.action === 'failover')).toBe(true);
    expect(JSON.stringify(history)).not.toContain('UniqueFailoverPw77');
  });

  it('brings the primary level once it is back, and keeps a separate history there', async () => {
    const fallbackFile = join(directory, 'fallback-2.db');
    const result = await bootstrapDatabase({ primaryUrl: database.url, fallbackFile, connectTimeoutMs: 3000 });
    expect(result.database).toBe('primary');
    expect(result.failover).toMatchObject({ used: false });
    expect(result.report.steps.map((step) => step.id)).toEqual(['core@1.0.0', 'core@1.1.0']);
    expect(await postgresTables(database.url)).toEqual(expect.arrayContaining([...CORE_TABLES]));
    const again = await bootstrapDatabase({ primaryUrl: database.url, fallbackFile, connectTimeoutMs: 3000 });
    expect(again.report.steps).toEqual([]);
  });
});

describe('createFailoverDialect', () => {
  it('fails cleanly when the primary is lost mid-run, without continuing on the fallback', async () => {
    const target = await createTestDatabase('strata_failover_kill');
    const fallbackFile = join(directory, 'never-used.db');
    try {
      const module = defineModule({
        name: 'app',
        migrations: [
          { version: '1.0.0', name: 'first', up: 'CREATE TABLE first_table (id integer)' },
          { version: '1.1.0', name: 'slow', up: 'CREATE TABLE slow_table (id integer); SELECT pg_sleep(5);' },
        ],
      });
      const dialect = createFailoverDialect({
        primary: createPostgresDialect({ connectionString: target.url, applicationName: 'strata-kill-me' }),
        fallback: createSqliteDialect({ filename: fallbackFile }),
        connectTimeoutMs: 2000,
      });
      const migrator = createMigrator({ dialect, sources: [module] });
      const run = migrator.up().catch((error: unknown) => error);
      // Wait until the slow migration is running, then terminate its backend.
      const admin = new pg.Client({ connectionString: target.url });
      await admin.connect();
      try {
        for (let i = 0; i < 100; i++) {
          const { rows } = await admin.query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'strata-kill-me' AND query LIKE '%pg_sleep%' AND state = 'active'",
          );
          if (rows.length) {
            await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await admin.end();
      }
      const error = await run;
      expect(isStrataError(error) && error.code).toBe('STRATA_CONNECTION_FAILED');
      const tables = await postgresTables(target.url);
      expect(tables).toContain('first_table');
      expect(tables).not.toContain('slow_table');
      const status = await migrator.status();
      expect(status.failover).toMatchObject({ used: false });
      expect(status.migrations.map((m) => [m.id, m.state])).toEqual([
        ['app@1.0.0', 'applied'],
        ['app@1.1.0', 'pending'],
      ]);
      // Nothing ran on the fallback.
      expect(() => sqliteTables(fallbackFile)).toThrow();
      await migrator.close();
    } finally {
      await target.drop();
    }
  });
});
