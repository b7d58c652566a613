import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { createMigrator, defineModule, isStrataError } from '@strata/core';
import type { DialectSession, StrataError } from '@strata/core';
import { createMariaDbDialect } from '../src/index.js';
import type { MariaDbLockHolder } from '../src/index.js';
import { assertMariaDbReachable, freshTarget } from './mariadb.js';

await assertMariaDbReachable();

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function target(options: Parameters<typeof freshTarget>[0] = {}) {
  const t = await freshTarget(options);
  cleanups.push(t.cleanup);
  return t;
}

async function open(dialect: ReturnType<typeof createMariaDbDialect>, lockTimeoutMs = 2000): Promise<DialectSession> {
  const session = await dialect.connect({ purpose: 'migrate', lockTimeoutMs });
  cleanups.push(() => session.close());
  return session;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.fail('should have failed'),
    (e: unknown) => e as StrataError,
  );

describe('mariadb dialect', () => {
  it('redacts the password from the target and from connection errors', async () => {
    const dialect = createMariaDbDialect({ uri: 'mariadb://app:s3cr%40t@127.0.0.1:1/prod', connectTimeoutMs: 2000 });
    expect(dialect.target).toBe('mariadb://app@127.0.0.1:1/prod');
    const error = await failure(dialect.connect({ purpose: 'read', lockTimeoutMs: 1000 }));
    expect(error.code).toBe('STRATA_CONNECTION_FAILED');
    expect(JSON.stringify({ m: error.message, c: String(error.cause), d: error.details })).not.toMatch(/s3cr/);
    expect(() => createMariaDbDialect({ uri: 'mariadb://u:pw@[bad' })).toThrow(/STRATA|Invalid MariaDB uri/);
  });

  it('names the lock holder: connection id, user, client, command', async () => {
    const { dialect, secondDialect, database } = await target();
    const first = await open(dialect);
    await first.acquireLock();
    const facts = await first.describe!();
    expect(facts.lockName).toBe(`strata:${database.name}.strata_migrations`);
    const second = await open(secondDialect, 300);
    const error = await failure(second.acquireLock());
    expect(error.code).toBe('STRATA_LOCK_TIMEOUT');
    const holder = error.details.holder as MariaDbLockHolder;
    expect(holder).toMatchObject({ pid: Number(facts.connectionId), user: 'root', command: 'Sleep', database: database.name });
    expect(holder.clientAddress).toBeTruthy();
    // Core's lock loop writes the message from the holder the dialect found.
    expect(error.message).toContain(`held by pid ${facts.connectionId}, from `);
    expect(error.hint).toContain(`KILL ${facts.connectionId}`);
    await first.releaseLock();
    // Released twice: RELEASE_LOCK says it was not ours any more, which is a lost lock (exit 4), as on PostgreSQL.
    await expect(first.releaseLock()).rejects.toMatchObject({ code: 'STRATA_LOCK_LOST' });
    await second.acquireLock();
    await second.releaseLock();
  });

  it('runs a module: applies 3 migrations, reverts one, records it all', async () => {
    const { dialect } = await target();
    const module = defineModule({
      name: 'shop',
      migrations: [
        {
          version: '1.0.0',
          name: 'customers',
          up: 'CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL)',
          down: 'DROP TABLE customers',
        },
        {
          version: '1.1.0',
          name: 'orders',
          up: "CREATE TABLE orders (\n  id INT AUTO_INCREMENT PRIMARY KEY,\n  customer_id INT NOT NULL, -- who; ordered\n  note TEXT\n) ENGINE=InnoDB;\nINSERT INTO customers VALUES (1, 'O''Neil; Ltd');",
          down: 'DROP TABLE orders; DELETE FROM customers WHERE id = 1;',
        },
        {
          version: '1.2.0',
          name: 'seed',
          up: async ({ query, dialect: name }) => {
            expect(name).toBe('mariadb');
            await query('INSERT INTO orders (customer_id, note) VALUES (?, ?)', [1, 'first']);
          },
          down: async ({ query }) => {
            await query('DELETE FROM orders WHERE note = ?', ['first']);
          },
        },
      ],
    });
    const migrator = createMigrator({ dialect, sources: [module], lockTimeoutMs: 5000 });
    const up = await migrator.up();
    expect(up.steps.map((s) => [s.id, s.outcome])).toEqual([
      ['shop@1.0.0', 'applied'],
      ['shop@1.1.0', 'applied'],
      ['shop@1.2.0', 'applied'],
    ]);
    const session = await open(dialect);
    expect(await session.query('SELECT c.name, o.note FROM orders o JOIN customers c ON c.id = o.customer_id')).toEqual([
      { name: "O'Neil; Ltd", note: 'first' },
    ]);

    const down = await migrator.down({ steps: 1 });
    expect(down.steps.map((s) => [s.id, s.outcome])).toEqual([['shop@1.2.0', 'reverted']]);
    expect(await session.query('SELECT COUNT(*) AS n FROM orders')).toEqual([{ n: 0 }]);
    expect((await migrator.status()).migrations.map((m) => [m.id, m.state])).toEqual([
      ['shop@1.0.0', 'applied'],
      ['shop@1.1.0', 'applied'],
      ['shop@1.2.0', 'pending'],
    ]);
    const history = await migrator.history({ module: 'shop' });
    expect(history.map((e) => [e.action, e.migrationId, e.outcome])).toEqual([
      ['revert', 'shop@1.2.0', 'ok'],
      ['apply', 'shop@1.2.0', 'ok'],
      ['apply', 'shop@1.1.0', 'ok'],
      ['apply', 'shop@1.0.0', 'ok'],
    ]);
    expect(history[0]!.details).toMatchObject({ runId: down.runId });
    // No transactional DDL: core refuses --dry-run and --single-transaction up front.
    await expect(migrator.up({ dryRun: true })).rejects.toMatchObject({ code: 'STRATA_USAGE' });
    await expect(migrator.up({ singleTransaction: true })).rejects.toMatchObject({ code: 'STRATA_USAGE' });
  });

  it('runs each statement on its own without transactional DDL: a failure is marked failed and asks for repair', async () => {
    const { dialect } = await target();
    const migrator = createMigrator({
      dialect,
      lockTimeoutMs: 5000,
      sources: [
        defineModule({
          name: 'app',
          migrations: [
            {
              version: '1.0.0',
              name: 'half',
              up: 'CREATE TABLE half (id INT);\nINSERT INTO half VALUES (1);\n\nINSERT INTO nowhere VALUES (1);',
            },
          ],
        }),
      ],
    });
    const error = await failure(migrator.up());
    expect(error.code).toBe('STRATA_MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migrationId: 'app@1.0.0', statement: 3, line: 4, sqlState: '42S02', errno: 1146 });
    expect(error.hint).toMatch(/marked failed/);
    // Statements 1 and 2 ran and stay; core says so instead of pretending a rollback.
    const session = await open(dialect);
    expect(await session.query('SELECT COUNT(*) AS n FROM half')).toEqual([{ n: 1 }]);
    expect((await migrator.status()).migrations.map((m) => m.state)).toEqual(['failed']);
    expect((await migrator.history({}))[0]).toMatchObject({ action: 'apply', outcome: 'failed', sqlState: '42S02' });
    expect((await failure(migrator.up())).code).toBe('STRATA_NEEDS_REPAIR');
  });

  it('refuses transaction control in a transactional migration before running anything', async () => {
    const { dialect } = await target();
    const migrator = createMigrator({
      dialect,
      sources: [defineModule({ name: 'app', migrations: [{ version: '1.0.0', name: 'tx', up: 'CREATE TABLE tx (id INT);\nCOMMIT;' }] })],
    });
    const error = await failure(migrator.up());
    expect(JSON.stringify(error)).toContain('STRATA_NON_TRANSACTIONAL_STATEMENT');
    const session = await open(dialect);
    await expect(session.query('SELECT * FROM tx')).rejects.toMatchObject({ details: { sqlState: '42S02' } });
  });

  it('reports the statement and line of a syntax error, and refuses DELIMITER', async () => {
    const { dialect } = await target();
    const session = await open(dialect);
    const error = await failure(session.execute('SELECT 1;\n\nSELECT\n  1 +\n  FROM;'));
    expect(error.code).toBe('STRATA_SQL_ERROR');
    expect(error.details).toMatchObject({ statement: 2, line: 5, sqlState: '42000', errno: 1064 });
    const delimiter = await failure(session.execute('CREATE TABLE d (id INT);\nDELIMITER $$\nSELECT 1$$'));
    expect(delimiter.details).toMatchObject({ statement: 2, line: 2 });
    expect(delimiter.hint).toMatch(/query\(\)/);
    await expect(session.query('SELECT * FROM d')).rejects.toThrow(/doesn't exist/);
    // A compound statement is split at its inner `;`: the hint says how to create it instead.
    const routine = await failure(session.execute('CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\nEND;'));
    expect(routine.details).toMatchObject({ statement: 1, errno: 1064 });
    expect(routine.hint).toMatch(/Compound statements/);
    await session.query('CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END');
    expect(
      await session.query("SELECT COUNT(*) AS n FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() AND ROUTINE_NAME = 'p'"),
    ).toEqual([{ n: 1 }]);
  });

  it('cancels a running statement with KILL QUERY and stops the script', async () => {
    const { dialect } = await target();
    const session = await open(dialect);
    const started = Date.now();
    const running = failure(session.execute('SELECT SLEEP(10);\nCREATE TABLE after_cancel (id INT);'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await session.cancel!();
    const error = await running;
    expect(error.code).toBe('STRATA_INTERRUPTED');
    expect(error.details).toMatchObject({ statement: expect.any(Number) });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(
      await session.query(
        "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'after_cancel'",
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('maps a metadata lock wait to STRATA_DDL_LOCK_TIMEOUT and names the open transaction', async () => {
    const { dialect, secondDialect } = await target({ ddlLockTimeoutMs: 1000 });
    const holder = await open(dialect);
    await holder.execute('CREATE TABLE busy (id INT PRIMARY KEY)');
    await holder.begin();
    await holder.query('SELECT * FROM busy');
    const holderId = (await holder.describe!()).connectionId;
    const migrating = await open(secondDialect);
    const error = await failure(migrating.execute('ALTER TABLE busy ADD COLUMN note TEXT'));
    expect(error.code).toBe('STRATA_DDL_LOCK_TIMEOUT');
    expect(error.details).toMatchObject({ statement: 1, line: 1, errno: 1205 });
    expect((error.details.blockers as MariaDbLockHolder[]).map((b) => b.pid)).toContain(Number(holderId));
    await holder.rollback();
  });

  it('marks a failed non-transactional migration `failed`, so the next run asks for repair', async () => {
    const { dialect } = await target();
    const module = defineModule({
      name: 'app',
      migrations: [
        {
          version: '1.0.0',
          name: 'steps',
          transaction: false,
          up: 'CREATE TABLE s1 (id INT);\nCREATE TABLE s2 (id INT);\nCREATE TABLE s1 (id INT);',
        },
      ],
    });
    const migrator = createMigrator({ dialect, sources: [module], lockTimeoutMs: 5000 });
    const error = await failure(migrator.up());
    expect(error.details).toMatchObject({ migrationId: 'app@1.0.0', statement: 3, line: 3, sqlState: '42S01', errno: 1050 });
    expect((await migrator.status()).migrations.map((m) => m.state)).toEqual(['failed']);
    await expect(migrator.up()).rejects.toSatisfy((e: unknown) => isStrataError(e) && JSON.stringify(e).includes('STRATA_NEEDS_REPAIR'));
  });

  it("runs migrations with the server's sql_mode and the configured lock timeouts", async () => {
    const { dialect } = await target({ ddlLockTimeoutMs: 2500, statementTimeoutMs: 60_000 });
    const facts = await (await open(dialect)).describe!();
    expect(facts.sqlMode).not.toMatch(/IGNORE_SPACE/);
    expect(facts).toMatchObject({ lockWaitTimeout: '3 s', innodbLockWaitTimeout: '3 s', maxStatementTime: '60 s' });
    const read = await dialect.connect({ purpose: 'read', lockTimeoutMs: 1000 });
    cleanups.push(() => read.close());
    expect((await read.describe!()).lockWaitTimeout).not.toBe('3 s');
  });

  it('closes idempotently and releases the lock with the connection', async () => {
    const { dialect, secondDialect } = await target();
    const first = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 1000 });
    await first.acquireLock();
    await first.close();
    await first.close();
    const second = await open(secondDialect, 500);
    await second.acquireLock();
    await second.releaseLock();
  });
});

describe('test prerequisites', () => {
  it('talks to MariaDB, not MySQL', async () => {
    const { database } = await target();
    const connection = await mysql.createConnection({ uri: database.uri.replace(/^mariadb:/, 'mysql:') });
    const [rows] = await connection.query('SELECT VERSION() AS v');
    await connection.end();
    expect(String((rows as { v: string }[])[0]!.v)).toMatch(/MariaDB/);
  });
});
