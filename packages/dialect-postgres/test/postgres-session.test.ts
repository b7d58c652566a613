import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectSession, StateRow, StrataError } from '@strata/core';
import { createPostgresDialect } from '../src/index.js';
import { createTestDatabase } from '../../../test-support/postgres.js';
import type { TestDatabase } from '../../../test-support/postgres.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('strata_pg_session');
});

afterAll(async () => {
  await database?.drop();
});

async function withSession<T>(
  work: (session: DialectSession) => Promise<T>,
  options: Parameters<typeof createPostgresDialect>[0] = {},
): Promise<T> {
  const dialect = createPostgresDialect({ connectionString: database.url, ...options });
  const session = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 2000 });
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    return error as StrataError;
  }
  throw new Error('expected a rejection');
}

const row = (version: string, overrides: Partial<StateRow> = {}): StateRow => ({
  module: 'app',
  version,
  name: `step_${version.replace(/\./g, '_')}`,
  checksum: 'a'.repeat(64),
  checksumAlgo: 'sha256-v1',
  status: 'applied',
  appliedAt: '2024-05-01T10:00:00.000Z',
  executionMs: 7,
  appliedBy: "o'brien\\ops",
  toolVersion: '0.1.0',
  ...overrides,
});

describe('createPostgresDialect', () => {
  it('describes itself with the password redacted', () => {
    const dialect = createPostgresDialect({ connectionString: 'postgres://app:s3cret@db.example:5432/prod' });
    expect(dialect.name).toBe('postgres');
    expect(dialect.target).toBe('postgres://app:***@db.example:5432/prod');
    expect(dialect.capabilities).toEqual({
      supportsTransactionalDdl: true,
      supportsSessionLock: true,
      supportsSchemas: true,
      supportsCancel: true,
      connectsEarly: true,
    });
  });

  it.each([
    ['schema', 'x"; DROP TABLE t; --'],
    ['table', 'a b'],
    ['eventsTable', '1events'],
    ['schema', 'a'.repeat(64)],
  ])('refuses a %s name %j before any SQL is built', (option, value) => {
    expect(() => createPostgresDialect({ connectionString: database.url, [option]: value })).toThrow(
      expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' }),
    );
  });

  it('refuses negative or fractional timeouts', () => {
    expect(() => createPostgresDialect({ ddlLockTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' }));
    expect(() => createPostgresDialect({ statementTimeoutMs: 1.5 })).toThrow(expect.objectContaining({ code: 'STRATA_CONFIG_INVALID' }));
  });
});

describe('PostgreSQL session state tables', () => {
  it('reads nothing before the tables exist', async () => {
    await withSession(
      async (session) => {
        expect(await session.readState()).toEqual([]);
        expect(await session.readEvents({})).toEqual([]);
      },
      { schema: 'not_there_yet' },
    );
  });

  it('round-trips state rows and events in a named schema', async () => {
    await withSession(
      async (session) => {
        await session.ensureStateTables();
        await session.ensureStateTables();
        await session.begin();
        await session.writeState([
          { kind: 'upsert', row: row('1.0.0') },
          { kind: 'upsert', row: row('1.1.0', { status: 'running' }) },
          {
            kind: 'event',
            event: {
              at: '2024-05-01T10:00:01.000Z',
              action: 'apply',
              migrationId: 'app@1.0.0',
              outcome: 'ok',
              durationMs: 7,
              actor: 'me',
              host: 'box',
              toolVersion: '0.1.0',
              backupId: null,
              errorCode: null,
              errorMessage: null,
              sqlState: null,
              details: { note: "quote ' and backslash \\" },
            },
          },
        ]);
        await session.commit();
        await session.writeState([{ kind: 'upsert', row: row('1.1.0', { status: 'applied', executionMs: 9 }) }]);
        expect(await session.readState()).toEqual([row('1.0.0'), row('1.1.0', { executionMs: 9 })]);
        const events = await session.readEvents({ module: 'app' });
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ action: 'apply', migrationId: 'app@1.0.0', details: { note: "quote ' and backslash \\" } });
        expect(typeof events[0]!.id).toBe('number');
        expect(await session.readEvents({ module: 'other' })).toEqual([]);
        await session.writeState([{ kind: 'delete', module: 'app', version: '1.1.0' }]);
        expect((await session.readState()).map((r) => r.version)).toEqual(['1.0.0']);
        const [where] = await session.query<{ n: string }>(
          "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'state_schema' AND table_name IN ('strata_migrations', 'strata_events')",
        );
        expect(where!.n).toBe('2');
      },
      { schema: 'state_schema' },
    );
  });

  it('survives many sessions creating the tables at once', async () => {
    await Promise.all(
      Array.from({ length: 6 }, () => withSession((session) => session.ensureStateTables(), { schema: 'raced', table: 'raced_state' })),
    );
    await withSession(async (session) => expect(await session.readState()).toEqual([]), { schema: 'raced', table: 'raced_state' });
  });
});

describe('PostgreSQL session execute', () => {
  it('names the statement, line and SQLSTATE of a syntax error', async () => {
    await withSession(async (session) => {
      const script = '-- first\nCREATE TABLE syn (a int);\n\nSELECT 1;\nSELEC 2;';
      const error = await rejection(session.execute(script));
      expect(error.code).toBe('STRATA_SQL_ERROR');
      expect(error.details).toMatchObject({ statement: 3, line: 5, sqlState: '42601' });
      expect(error.message).toMatch(/^Statement 3 \(line 5\) failed: syntax error at or near "SELEC" \[42601\]$/);
      // The whole script was rejected before anything ran.
      expect(await session.query("SELECT to_regclass('syn') AS t")).toEqual([{ t: null }]);
    });
  });

  it('names the statement of a runtime error without a position, after multi-byte text', async () => {
    await withSession(async (session) => {
      await session.execute('CREATE TABLE rt (a int PRIMARY KEY, note text)');
      const script =
        "INSERT INTO rt VALUES (1, 'données 🚀');\n/* two */\nINSERT INTO rt VALUES (2, '数据');\nINSERT INTO rt VALUES (1, 'dup');\nINSERT INTO rt VALUES (3, 'never')";
      const error = await rejection(session.execute(script));
      expect(error.details).toMatchObject({ statement: 3, line: 4, sqlState: '23505' });
      expect(error.message).toContain('Statement 3 (line 4) failed: duplicate key value violates unique constraint');
      // Outside a transaction the script runs as one implicit transaction: nothing stays.
      expect(await session.query('SELECT count(*)::int AS n FROM rt')).toEqual([{ n: 0 }]);
    });
  });

  it('maps a position after astral characters to the right line', async () => {
    await withSession(async (session) => {
      const script = "SELECT '🚀🚀🚀';\nSELECT '🚀', no_such_column\n  FROM (SELECT 1) s;";
      const error = await rejection(session.execute(script));
      expect(error.details).toMatchObject({ statement: 2, line: 2, sqlState: '42703' });
    });
  });

  it('runs a statement that cannot run in a transaction on its own, outside one', async () => {
    await withSession(async (session) => {
      await session.execute('CREATE TABLE conc (a int)');
      const [statement] = await createPostgresDialect({}).findNonTransactional('CREATE INDEX CONCURRENTLY conc_a ON conc (a);');
      await session.execute(statement!.text);
      expect(await session.query("SELECT to_regclass('conc_a') IS NOT NULL AS made")).toEqual([{ made: true }]);
    });
  });

  it('refuses to report a failed transaction as committed', async () => {
    await withSession(async (session) => {
      await session.begin();
      await rejection(session.execute('SELECT 1/0'));
      const error = await rejection(session.commit());
      expect(error.details.sqlState).toBe('25P02');
      await session.rollback();
    });
  });

  it('sets lock_timeout, statement_timeout and search_path on migrate sessions', async () => {
    const facts = await withSession((session) => session.describe!(), {
      schema: 'described',
      ddlLockTimeoutMs: 1234,
      statementTimeoutMs: 60000,
      applicationName: 'strata-test',
    });
    expect(facts).toMatchObject({
      lockTimeout: '1234ms',
      statementTimeout: '1min',
      searchPath: 'described',
      applicationName: 'strata-test',
    });
    expect(facts.server).toMatch(/^PostgreSQL \d+/);
  });

  it('reports a statement_timeout as a SQL error, and a cancel as an interruption', async () => {
    await withSession(
      async (session) => {
        const timeout = await rejection(session.execute('SELECT 1;\nSELECT pg_sleep(5)'));
        expect(timeout.code).toBe('STRATA_SQL_ERROR');
        expect(timeout.details).toMatchObject({ statement: 2, line: 2, sqlState: '57014' });
      },
      { statementTimeoutMs: 200 },
    );
    await withSession(async (session) => {
      const running = rejection(session.execute('SELECT pg_sleep(10)'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      await session.cancel!();
      const error = await running;
      expect(Date.now() - started).toBeLessThan(2000);
      expect(error.code).toBe('STRATA_INTERRUPTED');
      expect(await session.query('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    });
  });

  it('reports a terminated session as a lost connection', async () => {
    await withSession(async (session) => {
      const [{ pid }] = (await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')) as [{ pid: number }];
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await admin.end();
      const error = await rejection(session.execute('SELECT 1'));
      expect(error.code).toBe('STRATA_CONNECTION_FAILED');
      await session.rollback();
    });
  });
});

describe('PostgreSQL session applyScript', () => {
  const writes = (version: string) => [{ kind: 'upsert' as const, row: row(version, { name: "it's \\ fine" }) }];

  it('commits the script and its state row together', async () => {
    await withSession(
      async (session) => {
        await session.ensureStateTables();
        await session.applyScript!(
          'CREATE TABLE applied_ok (a int);\nINSERT INTO applied_ok VALUES (1) -- trailing comment',
          writes('2.0.0'),
          true,
        );
        expect(await session.query('SELECT a FROM applied_ok')).toEqual([{ a: 1 }]);
        expect((await session.readState()).map((r) => [r.version, r.name])).toEqual([['2.0.0', "it's \\ fine"]]);
      },
      { schema: 'apply_ok' },
    );
  });

  it('leaves neither the schema change nor the state row when the script fails', async () => {
    await withSession(
      async (session) => {
        await session.ensureStateTables();
        const error = await rejection(
          session.applyScript!(
            'CREATE TABLE applied_bad (a int);\nINSERT INTO applied_bad VALUES (1);\nINSERT INTO applied_bad VALUES (1/0);',
            writes('2.1.0'),
            true,
          ),
        );
        expect(error.code).toBe('STRATA_SQL_ERROR');
        expect(error.details).toMatchObject({ statement: 3, line: 3, sqlState: '22012' });
        expect(await session.query("SELECT to_regclass('applied_bad') AS t")).toEqual([{ t: null }]);
        expect(await session.readState()).toEqual([]);
        const syntax = await rejection(session.applyScript!('CREATE TABLE x2 (a int);\nCREATE TABLE x3 (a intt);', writes('2.1.0'), true));
        expect(syntax.details).toMatchObject({ statement: 2, line: 2, sqlState: '42704' });
      },
      { schema: 'apply_bad' },
    );
  });

  it('runs inside the open transaction when it does not own one', async () => {
    await withSession(
      async (session) => {
        await session.ensureStateTables();
        await session.begin();
        await session.applyScript!('CREATE TABLE in_outer (a int)', writes('3.0.0'), false);
        await session.rollback();
        expect(await session.query("SELECT to_regclass('in_outer') AS t")).toEqual([{ t: null }]);
        expect(await session.readState()).toEqual([]);
      },
      { schema: 'apply_outer' },
    );
  });

  it('reports a failing state write as such, rolling the migration back', async () => {
    await withSession(
      async (session) => {
        await session.ensureStateTables();
        await session.writeState(writes('4.0.0'));
        await session.query(`ALTER TABLE strata_migrations ADD CONSTRAINT no_dup_names EXCLUDE (name WITH =)`);
        const error = await rejection(session.applyScript!('CREATE TABLE before_state (a int)', writes('4.1.0'), true));
        expect(error.message).toMatch(/^Recording the migration in the state table failed/);
        expect(error.details.sqlState).toBe('23P01');
        expect(await session.query("SELECT to_regclass('before_state') AS t")).toEqual([{ t: null }]);
      },
      { schema: 'apply_state' },
    );
  });
});
