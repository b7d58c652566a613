import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DialectSession, StateRow } from '@strata/core';
import { createPostgresDialect } from '../src/index.js';
import { adminQuery, createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';

/**
 * How many round trips a run's start costs, and that the fewer round trips keep the guarantees:
 * the state is read with the lock held, nothing read before a statement in between is reused,
 * and the session is still set up as before. The database decides everything; the only stand-in
 * is a counter around pg's `Client.prototype.query`.
 */

let database: TestDatabase;
const open: DialectSession[] = [];
const sent: string[] = [];
const originalQuery = pg.Client.prototype.query;

beforeAll(async () => {
  database = await createTestDatabase('strata_pg_trips');
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [first] = args;
    sent.push(typeof first === 'string' ? first : String((first as { text?: string } | undefined)?.text ?? ''));
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((session) => session.close()));
});

afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  await database?.drop();
});

async function connect(
  options: Parameters<typeof createPostgresDialect>[0] = {},
  lockTimeoutMs = 5000,
  url = database.url,
): Promise<DialectSession> {
  const session = await createPostgresDialect({ connectionString: url, ...options }).connect({ purpose: 'migrate', lockTimeoutMs });
  open.push(session);
  return session;
}

/** Round trips sent by `work`. */
async function trips<T>(work: () => Promise<T>): Promise<{ result: T; count: number; texts: string[] }> {
  const from = sent.length;
  const result = await work();
  return { result, count: sent.length - from, texts: sent.slice(from) };
}

/** Creates the state tables (with `rows`) from a session of its own, closed after. */
async function seed(options: Parameters<typeof createPostgresDialect>[0], rows: StateRow[] = [], url = database.url): Promise<void> {
  const writer = await connect(options, 5000, url);
  await writer.ensureStateTables();
  if (rows.length) await writer.writeState(rows.map((row) => ({ kind: 'upsert' as const, row })));
  await writer.close();
}

/** One statement on the test database, outside any session under test. */
async function onTestDatabase(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const row = (version: string): StateRow => ({
  module: 'app',
  version,
  name: `step_${version.replace(/\./g, '_')}`,
  checksum: 'c'.repeat(64),
  checksumAlgo: 'sha256-v1',
  status: 'applied',
  appliedAt: '2024-05-01T10:00:00.000Z',
  executionMs: 3,
  appliedBy: 'me',
  toolVersion: '0.1.0',
});

describe('PostgreSQL session round trips', () => {
  it('on a fresh database: set-up, lock (with a look at the tables), creation with the state read, nothing more', async () => {
    const opened = await trips(() => connect({ schema: 'fresh_trips' }));
    expect(opened.count).toBe(1);
    const session = opened.result;
    expect((await trips(() => session.acquireLock())).count).toBe(1);
    const ensured = await trips(() => session.ensureStateTables());
    expect(ensured.count).toBe(1);
    expect(ensured.texts[0]).toContain('CREATE SCHEMA IF NOT EXISTS "fresh_trips"');
    const read = await trips(() => session.readState());
    expect(read).toMatchObject({ result: [], count: 0 });
    await session.releaseLock();
    // The tables (and the schema) were created and committed.
    const again = await connect({ schema: 'fresh_trips' });
    expect(
      await again.query(
        "SELECT to_regclass('fresh_trips.strata_migrations') IS NOT NULL AND to_regclass('fresh_trips.strata_events') IS NOT NULL AS made",
      ),
    ).toEqual([{ made: true }]);
  });

  it('with the tables there: the state comes with the lock, ensureStateTables and readState send nothing', async () => {
    await seed({ schema: 'warm_trips' }, [row('1.0.0'), row('1.1.0')]);

    const session = await connect({ schema: 'warm_trips' });
    expect((await trips(() => session.acquireLock())).count).toBe(1);
    expect((await trips(() => session.ensureStateTables())).count).toBe(0);
    const read = await trips(() => session.readState());
    expect(read.count).toBe(0);
    expect(read.result).toEqual([row('1.0.0'), row('1.1.0')]);
    // Read once: the next readState asks the database again.
    const reread = await trips(() => session.readState());
    expect(reread.count).toBe(1);
    expect(reread.result).toEqual([row('1.0.0'), row('1.1.0')]);
    await session.releaseLock();
  });

  it('does not reuse the state read with the lock once another statement ran', async () => {
    await seed({ schema: 'stale_trips' });
    const session = await connect({ schema: 'stale_trips' });
    await session.acquireLock();
    await session.writeState([{ kind: 'upsert', row: row('2.0.0') }]);
    expect(await session.readState()).toEqual([row('2.0.0')]);
    await session.releaseLock();
  });

  it('reads the state with the lock held: what the holder committed before releasing is seen', async () => {
    const holder = await connect({ schema: 'wait_trips' });
    await holder.acquireLock();
    await holder.ensureStateTables();
    const waiter = await connect({ schema: 'wait_trips' });
    const waiting = waiter.acquireLock();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await holder.begin();
    await holder.writeState([{ kind: 'upsert', row: row('3.0.0') }]);
    await holder.commit();
    await holder.releaseLock();
    await waiting;
    await waiter.ensureStateTables();
    expect(await waiter.readState()).toEqual([row('3.0.0')]);
    await waiter.releaseLock();
  });

  it('reads the state in a transaction of its own when the default isolation is repeatable read', async () => {
    const isolated = await createTestDatabase('strata_pg_rr');
    try {
      await adminQuery(`ALTER DATABASE "${isolated.name}" SET default_transaction_isolation = 'repeatable read'`);
      await seed({}, [row('4.0.0')], isolated.url);
      const session = await connect({}, 5000, isolated.url);
      const locked = await trips(() => session.acquireLock());
      expect(locked.count).toBe(1);
      // The lock is taken in a transaction committed before the state is read: the read's
      // snapshot is taken with the lock held, not when the lock was asked for.
      expect(locked.texts[0]).toMatch(
        /^BEGIN;\nSELECT CASE WHEN .* THEN pg_catalog\.pg_try_advisory_lock\([-\d]+::bigint\) END AS locked, .*;\nCOMMIT;\nSELECT /,
      );
      expect(await session.readState()).toEqual([row('4.0.0')]);
      expect(await session.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      await session.releaseLock();
      await session.close();
    } finally {
      await isolated.drop();
    }
  });

  it('takes the lock once when the state table was dropped between connecting and locking', async () => {
    await seed({ schema: 'dropped_trips' });
    const session = await connect({ schema: 'dropped_trips' });
    await onTestDatabase('DROP TABLE dropped_trips.strata_migrations');
    await session.acquireLock();
    await session.ensureStateTables();
    expect(await session.readState()).toEqual([]);
    await session.releaseLock();
    // Released for good: a lock taken twice would still be held once after one unlock.
    const other = await connect({ schema: 'dropped_trips' }, 200);
    await other.acquireLock();
    await other.releaseLock();
  });

  it('creates the tables inside an open transaction (dry runs), gone again after the rollback, and made again after', async () => {
    const session = await connect({ schema: 'dry_trips' });
    await session.acquireLock();
    await session.begin();
    await session.ensureStateTables();
    expect(await session.readState()).toEqual([]);
    await session.rollback();
    expect(await session.query("SELECT to_regclass('dry_trips.strata_migrations') AS t")).toEqual([{ t: null }]);
    await session.ensureStateTables();
    expect(await session.query("SELECT to_regclass('dry_trips.strata_migrations') IS NOT NULL AS t")).toEqual([{ t: true }]);
    await session.releaseLock();
  });

  it('reads without a catalogue check on a read session when the table was there at connect', async () => {
    await seed({ schema: 'read_trips' }, [row('5.0.0')]);
    const reader = await createPostgresDialect({ connectionString: database.url, schema: 'read_trips' }).connect({
      purpose: 'read',
      lockTimeoutMs: 1000,
    });
    open.push(reader);
    const read = await trips(() => reader.readState());
    expect(read).toMatchObject({ count: 1, result: [row('5.0.0')] });
  });

  it('reads rows whose values hold the packing separator (U+001F) column by column, with the lock and without', async () => {
    const odd = { ...row('6.0.0'), name: 'a\u001fb', appliedBy: 'me\u001f' };
    await seed({ schema: 'packed_trips' }, [row('5.9.0'), odd]);
    const session = await connect({ schema: 'packed_trips' });
    await session.acquireLock();
    await session.ensureStateTables();
    expect(await session.readState()).toEqual([row('5.9.0'), odd]);
    await session.releaseLock();
    const reader = await createPostgresDialect({ connectionString: database.url, schema: 'packed_trips' }).connect({
      purpose: 'read',
      lockTimeoutMs: 1000,
    });
    open.push(reader);
    expect(await reader.readState()).toEqual([row('5.9.0'), odd]);
  });

  it('still sets client_connection_check_interval (PostgreSQL 14+) and lock_timeout, without PL/pgSQL', async () => {
    const opened = await trips(() => connect({ ddlLockTimeoutMs: 4321 }));
    expect(opened.texts.join('\n')).not.toContain('DO $$');
    const [facts] = await opened.result.query<{ version: number; interval: string; lock: string }>(
      "SELECT current_setting('server_version_num')::int AS version, current_setting('lock_timeout') AS lock, " +
        "CASE WHEN current_setting('server_version_num')::int >= 140000 THEN current_setting('client_connection_check_interval') END AS interval",
    );
    expect(facts!.lock).toBe('4321ms');
    if (facts!.version >= 140000) expect(facts!.interval).toBe('1s');
  });
});
