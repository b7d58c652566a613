import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteDialect } from '../src/index.js';
import { MIGRATE, stateRow, useTempDatabase } from './sqlite-fixtures.js';

const tempDatabase = useTempDatabase();

/** Counts event-loop turns while `work` runs: a blocked loop counts none. */
async function withTicks<T>(work: () => Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    return { result: await work(), ticks };
  } finally {
    clearInterval(timer);
  }
}

describe('SQLite write lock', () => {
  it('makes a second session time out with STRATA_LOCK_TIMEOUT while the first holds it, then lets it in', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const first = await dialect.connect(MIGRATE);
    const second = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 300 });
    await first.acquireLock();
    await first.ensureStateTables();

    const started = performance.now();
    const { result: failure, ticks } = await withTicks(() => second.acquireLock().catch((error: unknown) => error));
    const waited = performance.now() - started;
    expect(failure).toMatchObject({
      code: 'STRATA_LOCK_TIMEOUT',
      message: expect.stringContaining(filename),
      hint: expect.stringMatching(/another strata run or an application holds the write lock/i),
      details: { holder: {}, lockTimeoutMs: 300 },
    });
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1000);
    // the wait polled asynchronously instead of blocking the event loop for 300 ms
    expect(ticks).toBeGreaterThanOrEqual(10);

    await first.commit();
    await first.releaseLock();
    await second.acquireLock();
    await second.writeState([{ kind: 'upsert', row: stateRow('1.0.0') }]);
    await second.commit();
    await second.releaseLock();
    expect(await first.readState()).toEqual([stateRow('1.0.0')]);
    await first.close();
    await second.close();
  });

  it('blocks begin() of another session too, and gives it the lock once the holder commits', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const first = await dialect.connect(MIGRATE);
    const second = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 3000 });
    await first.begin();
    const waiting = second.begin();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await first.execute('CREATE TABLE made_by_first (x)');
    await first.commit();
    await waiting;
    await second.execute('INSERT INTO made_by_first VALUES (1)');
    await second.commit();
    await first.close();
    await second.close();
  });

  it('holds the lock against a plain better-sqlite3 writer (it is the file lock, not a flag)', async () => {
    const filename = tempDatabase();
    const session = await createSqliteDialect({ filename }).connect(MIGRATE);
    await session.acquireLock();
    const other = new Database(filename, { timeout: 0 });
    expect(() => other.exec('CREATE TABLE intruder (x)')).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    await session.releaseLock();
    other.exec('CREATE TABLE intruder (x)');
    other.close();
    await session.close();
  });

  it('waits for an application transaction holding the write lock, up to lockTimeoutMs', async () => {
    const filename = tempDatabase();
    const app = new Database(filename);
    app.exec('BEGIN IMMEDIATE');
    const session = await createSqliteDialect({ filename }).connect({ purpose: 'migrate', lockTimeoutMs: 150 });
    await expect(session.begin()).rejects.toMatchObject({ code: 'STRATA_LOCK_TIMEOUT' });
    app.exec('COMMIT');
    await session.begin();
    await session.commit();
    app.close();
    await session.close();
  });

  it('waits for the database to be free before switching it to WAL', async () => {
    const filename = tempDatabase();
    const app = new Database(filename);
    app.exec('CREATE TABLE app_data (x); BEGIN IMMEDIATE');
    const dialect = createSqliteDialect({ filename, journalMode: 'wal' });
    await expect(dialect.connect({ purpose: 'migrate', lockTimeoutMs: 100 })).rejects.toMatchObject({ code: 'STRATA_LOCK_TIMEOUT' });
    const connecting = dialect.connect({ purpose: 'migrate', lockTimeoutMs: 3000 });
    setTimeout(() => app.exec('COMMIT'), 100);
    const session = await connecting;
    expect((await session.describe!()).journalMode).toBe('wal');
    await session.close();
    app.close();
  });

  it('stops waiting with STRATA_INTERRUPTED when the signal aborts', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const holder = await dialect.connect(MIGRATE);
    await holder.acquireLock();
    const controller = new AbortController();
    const waiter = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 60_000, signal: controller.signal });
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    await expect(waiter.acquireLock()).rejects.toMatchObject({ code: 'STRATA_INTERRUPTED' });
    // Stopped by the abort, not by the 60 s lock timeout (no tighter bound: a loaded machine is slow).
    expect(performance.now() - started).toBeLessThan(10_000);
    await holder.close();
    await waiter.close();
  });

  it('releaseLock rolls back a transaction still open and is idempotent', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const session = await dialect.connect(MIGRATE);
    await session.acquireLock();
    await session.execute('CREATE TABLE not_kept (x)');
    await session.releaseLock();
    await session.releaseLock();
    const other = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 100 });
    await other.acquireLock();
    await expect(other.query("SELECT name FROM sqlite_schema WHERE name = 'not_kept'")).resolves.toEqual([]);
    await other.close();
    await session.close();
  });

  it('lets the first step run in the transaction opened by acquireLock', async () => {
    const session = await createSqliteDialect({ filename: tempDatabase() }).connect(MIGRATE);
    await session.acquireLock();
    await session.begin();
    await session.execute('CREATE TABLE a (x)');
    await session.commit();
    await expect(session.begin().then(() => session.begin())).rejects.toMatchObject({ code: 'STRATA_INTERNAL' });
    await session.close();
  });

  it('frees the lock of a session that is closed without releasing it', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const crashed = await dialect.connect(MIGRATE);
    await crashed.acquireLock();
    await crashed.close();
    const next = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 100 });
    await next.acquireLock();
    await next.close();
  });
});

describe('hasForeignWrites', () => {
  it('is true after another connection committed, false after this session’s own commit', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const first = await dialect.connect(MIGRATE);
    const second = await dialect.connect(MIGRATE);

    await first.acquireLock();
    await first.ensureStateTables();
    await first.commit();
    await first.begin();
    await expect(first.hasForeignWrites!()).resolves.toBe(false);
    await first.writeState([{ kind: 'upsert', row: stateRow('1.0.0') }]);
    await first.commit();

    // the other runner commits in between
    await second.begin();
    await second.writeState([{ kind: 'upsert', row: stateRow('1.1.0') }]);
    await second.commit();

    await first.begin();
    await expect(first.hasForeignWrites!()).resolves.toBe(true);
    expect((await first.readState()).map((row) => row.version)).toEqual(['1.0.0', '1.1.0']);
    await first.commit();

    // only its own commits since: nothing foreign
    await first.begin();
    await expect(first.hasForeignWrites!()).resolves.toBe(false);
    await first.commit();
    await first.close();
    await second.close();
  });

  it('sees writes committed between connect and acquireLock as already read', async () => {
    const filename = tempDatabase();
    const dialect = createSqliteDialect({ filename });
    const runner = await dialect.connect(MIGRATE);
    const other = await dialect.connect(MIGRATE);
    await other.execute('CREATE TABLE x (y)');
    // core reads the state under the lock right after acquireLock
    await runner.acquireLock();
    await runner.commit();
    await runner.begin();
    await expect(runner.hasForeignWrites!()).resolves.toBe(false);
    await runner.commit();
    await runner.close();
    await other.close();
  });
});

describe(':memory: databases', () => {
  it('share one database across the sessions of a dialect until destroy()', async () => {
    const dialect = createSqliteDialect({ filename: ':memory:' });
    const first = await dialect.connect(MIGRATE);
    await first.acquireLock();
    await first.ensureStateTables();
    await first.writeState([{ kind: 'upsert', row: stateRow('1.0.0') }]);
    await first.commit();
    await first.releaseLock();
    await first.close();

    const second = await dialect.connect(MIGRATE);
    expect(await second.readState()).toEqual([stateRow('1.0.0')]);
    await second.close();

    await dialect.destroy!();
    await dialect.destroy!();
    const afterDestroy = await dialect.connect(MIGRATE);
    expect(await afterDestroy.readState()).toEqual([]);
    await afterDestroy.close();
    await dialect.destroy!();
  });

  it('serialises the transactions of two sessions and reports the other one’s commits as foreign', async () => {
    const dialect = createSqliteDialect({ filename: ':memory:' });
    const first = await dialect.connect(MIGRATE);
    const second = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 100 });
    await first.ensureStateTables();
    await first.begin();
    await expect(second.begin()).rejects.toMatchObject({ code: 'STRATA_LOCK_TIMEOUT' });
    await first.writeState([{ kind: 'upsert', row: stateRow('1.0.0') }]);
    await first.commit();

    await second.begin();
    await expect(second.hasForeignWrites!()).resolves.toBe(true);
    await second.writeState([{ kind: 'upsert', row: stateRow('1.1.0') }]);
    await second.commit();
    await second.begin();
    await expect(second.hasForeignWrites!()).resolves.toBe(false);
    await second.commit();

    await first.begin();
    await expect(first.hasForeignWrites!()).resolves.toBe(true);
    await first.rollback();
    await first.close();
    await second.close();
    await dialect.destroy!();
  });

  it('uses a caller-owned handle without closing it', async () => {
    const database = new Database(':memory:');
    database.exec('CREATE TABLE app_data (x)');
    const dialect = createSqliteDialect({ filename: ':memory:', database });
    const session = await dialect.connect(MIGRATE);
    await expect(session.query("SELECT name FROM sqlite_schema WHERE name = 'app_data'")).resolves.toEqual([{ name: 'app_data' }]);
    await session.close();
    await dialect.destroy!();
    expect(database.open).toBe(true);
    database.close();
  });
});
