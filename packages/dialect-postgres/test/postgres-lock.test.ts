import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectSession, LockHolder, StrataError } from '@strata/core';
import { createPostgresDialect, postgresAdvisoryLockKey } from '../src/index.js';
import { createTestDatabase } from '../../../test-support/postgres.js';
import type { TestDatabase } from '../../../test-support/postgres.js';

let database: TestDatabase;
const open: DialectSession[] = [];

beforeAll(async () => {
  database = await createTestDatabase('strata_pg_lock');
});

afterAll(async () => {
  await Promise.all(open.map((session) => session.close()));
  await database?.drop();
});

async function connect(options: Parameters<typeof createPostgresDialect>[0] = {}, lockTimeoutMs = 5000): Promise<DialectSession> {
  const session = await createPostgresDialect({ connectionString: database.url, ...options }).connect({
    purpose: 'migrate',
    lockTimeoutMs,
  });
  open.push(session);
  return session;
}

async function pidOf(session: DialectSession): Promise<number> {
  const [row] = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return row!.pid;
}

async function rejection(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    return error as StrataError;
  }
  throw new Error('expected a rejection');
}

describe('postgresAdvisoryLockKey', () => {
  it('is stable and differs per database, schema and table', () => {
    const key = postgresAdvisoryLockKey('db', 'public', 'strata_migrations');
    expect(key).toBe(postgresAdvisoryLockKey('db', 'public', 'strata_migrations'));
    expect(key).not.toBe(postgresAdvisoryLockKey('db', 'other', 'strata_migrations'));
    expect(key).not.toBe(postgresAdvisoryLockKey('db2', 'public', 'strata_migrations'));
    expect(key).not.toBe(postgresAdvisoryLockKey('db', 'public', 'other_migrations'));
    expect(key >= -(2n ** 63n) && key < 2n ** 63n).toBe(true);
  });
});

describe('PostgreSQL migration lock', () => {
  it('times out naming the holder, then is acquired once the holder releases it', async () => {
    const holder = await connect({ applicationName: 'strata-holder' });
    await holder.acquireLock();
    const holderPid = await pidOf(holder);

    const waiter = await connect({ applicationName: 'strata-waiter' }, 500);
    const started = Date.now();
    const error = await rejection(waiter.acquireLock());
    const elapsed = Date.now() - started;
    expect(error.code).toBe('STRATA_LOCK_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(2_500); // 5x the 500 ms lock timeout: a loaded machine is slow
    expect(error.message).toContain(`pid ${holderPid}`);
    expect(error.message).toContain('strata-holder');
    const reported = error.details.holder as LockHolder;
    expect(reported).toMatchObject({ pid: holderPid, applicationName: 'strata-holder', clientAddress: '127.0.0.1' });
    expect(Number.isNaN(Date.parse(reported.since!))).toBe(false);

    // Waiting held no transaction.
    const [state] = await waiter.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()');
    expect(state!.state).toBe('active');

    await holder.releaseLock();
    await waiter.acquireLock();
    await waiter.releaseLock();
  });

  it('does not contend across schemas', async () => {
    const first = await connect({ schema: 'tenant_a' });
    const second = await connect({ schema: 'tenant_b' }, 200);
    await first.acquireLock();
    await second.acquireLock();
    await second.releaseLock();
    await first.releaseLock();
  });

  it('treats no schema as the current schema, so it contends with an explicit public', async () => {
    const implicit = await connect();
    const explicit = await connect({ schema: 'public' }, 200);
    await implicit.acquireLock();
    expect((await rejection(explicit.acquireLock())).code).toBe('STRATA_LOCK_TIMEOUT');
    await implicit.releaseLock();
  });

  it('dies with the holder session', async () => {
    const holder = await connect({ table: 'crash_state' });
    await holder.acquireLock();
    const holderPid = await pidOf(holder);
    const waiter = await connect({ table: 'crash_state' }, 3000);
    const waiting = waiter.acquireLock();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [holderPid]);
    await admin.end();
    await waiting;
    await waiter.releaseLock();
  });

  it('refuses to release a lock it does not hold', async () => {
    const session = await connect({ table: 'unheld_state' });
    await session.acquireLock();
    await session.query('SELECT pg_advisory_unlock_all()');
    expect((await rejection(session.releaseLock())).code).toBe('STRATA_LOCK_LOST');
  });

  it('stops waiting when the signal aborts', async () => {
    const holder = await connect({ table: 'abort_state' });
    await holder.acquireLock();
    const controller = new AbortController();
    const waiter = await createPostgresDialect({ connectionString: database.url, table: 'abort_state' }).connect({
      purpose: 'migrate',
      lockTimeoutMs: 10_000,
      signal: controller.signal,
    });
    open.push(waiter);
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    expect((await rejection(waiter.acquireLock())).code).toBe('STRATA_INTERRUPTED');
    expect(Date.now() - started).toBeLessThan(5_000); // stopped by the abort, not the 10 s lock timeout
    await holder.releaseLock();
  });
});

describe('PostgreSQL lock_timeout for DDL', () => {
  it('fails a blocked ALTER TABLE quickly, naming the blocking pid', async () => {
    const setup = await connect();
    await setup.execute('CREATE TABLE busy (a int)');
    const blocker = new pg.Client({ connectionString: database.url, application_name: 'long-transaction' });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const [{ pid: blockerPid }] = (await blocker.query('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];

      const migrator = await connect({ ddlLockTimeoutMs: 300 });
      const started = Date.now();
      const error = await rejection(migrator.execute('SELECT 1;\nALTER TABLE busy ADD COLUMN x int'));
      // The blocker never lets go: finishing at all (well within 5 s for a 300 ms timeout) is the point.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error.code).toBe('STRATA_DDL_LOCK_TIMEOUT');
      expect(error.details).toMatchObject({ statement: 2, line: 2, sqlState: '55P03' });
      expect(error.message).toContain(`pid ${blockerPid}`);
      expect(error.message).toContain('long-transaction');
      expect(error.hint).toContain(`pg_terminate_backend(${blockerPid})`);

      // Inside an open transaction too (the session is aborted; a side connection looks it up).
      await migrator.begin();
      const inTransaction = await rejection(migrator.execute('ALTER TABLE busy ADD COLUMN y int'));
      expect(inTransaction.code).toBe('STRATA_DDL_LOCK_TIMEOUT');
      expect((inTransaction.details.blockers as LockHolder[])[0]?.pid).toBe(blockerPid);
      await migrator.rollback();
    } finally {
      await blocker.end();
    }
  });
});
