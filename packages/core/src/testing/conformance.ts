import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dialect, type DialectSession, resolveCapabilities } from '../dialect.js';
import { isStrataError } from '../errors.js';
import { defineModule } from '../module-source.js';
import { createMigrator } from '../migrator.js';
import type { MigratorEvent } from '../migrator-types.js';
import { CHECKSUM_ALGORITHM, type EventRecord, type StateRow } from '../state.js';

/** A fresh, empty database for one conformance test, and how to throw it away. */
export interface ConformanceTarget {
  dialect: Dialect;
  /** A second dialect object on the same database (another "process"), for lock tests. */
  secondDialect?: Dialect;
  cleanup?: () => Promise<void>;
}

export interface DialectConformanceOptions {
  /** Shown in the describe block. */
  name: string;
  /** Called once per test: return a dialect on a fresh, empty database. */
  createTarget: () => Promise<ConformanceTarget>;
  /** Skip the lock contention test (single-connection in-memory databases). @default false */
  skipLockContention?: boolean;
  /**
   * The bind placeholder for the n-th (1-based) parameter in `query`.
   * @default `$n` for a dialect named postgres, `?` otherwise
   */
  placeholder?: (n: number) => string;
}

const row = (version: string, overrides: Partial<StateRow> = {}): StateRow => ({
  module: 'app',
  version,
  name: `m_${version.replace(/\./g, '_')}`,
  checksum: 'a'.repeat(64),
  checksumAlgo: CHECKSUM_ALGORITHM,
  status: 'applied',
  appliedAt: '2026-01-02T03:04:05.000Z',
  executionMs: 12,
  appliedBy: 'tester@host',
  toolVersion: '0.0.0-test',
  ...overrides,
});

const event = (overrides: Partial<EventRecord> = {}): EventRecord => ({
  at: '2026-01-02T03:04:05.000Z',
  action: 'apply',
  migrationId: 'app@1.0.0',
  outcome: 'ok',
  durationMs: 3,
  actor: 'tester@host',
  host: 'host',
  toolVersion: '0.0.0-test',
  backupId: null,
  errorCode: null,
  errorMessage: null,
  sqlState: null,
  details: { runId: 'r1', nested: { a: [1, 2] } },
  ...overrides,
});

/**
 * The dialect conformance suite: every built-in dialect runs it, and a third-party dialect should
 * too. Call it at the top level of a vitest test file.
 * @example
 * import { describeDialectConformance } from '@strata/core/testing';
 * describeDialectConformance({
 *   name: 'sqlite',
 *   createTarget: async () => ({ dialect: createSqliteDialect({ filename: tempFile() }) }),
 * });
 */
export function describeDialectConformance(options: DialectConformanceOptions): void {
  describe(`dialect conformance: ${options.name}`, () => {
    let target: ConformanceTarget;
    const sessions: DialectSession[] = [];
    const open = async (dialect = target.dialect, lockTimeoutMs = 2000) => {
      const session = await dialect.connect({ purpose: 'migrate', lockTimeoutMs });
      sessions.push(session);
      return session;
    };
    const fresh = async () => {
      for (const session of sessions.splice(0)) await session.close().catch(() => {});
      await target?.cleanup?.();
      target = await options.createTarget();
    };
    beforeAll(fresh);
    afterAll(async () => {
      for (const session of sessions.splice(0)) await session.close().catch(() => {});
      await target?.dialect.destroy?.();
      await target?.secondDialect?.destroy?.();
      await target?.cleanup?.();
    });

    it('has a name and a redacted target', () => {
      expect(target.dialect.name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(typeof target.dialect.target).toBe('string');
    });

    it('reads empty state before the tables exist, then creates them idempotently', async () => {
      await fresh();
      const session = await open();
      expect(await session.readState()).toEqual([]);
      expect(await session.readEvents({})).toEqual([]);
      await session.ensureStateTables();
      await session.ensureStateTables();
      expect(await session.readState()).toEqual([]);
    });

    it('round-trips state rows and events', async () => {
      await fresh();
      const session = await open();
      await session.ensureStateTables();
      await session.writeState([
        { kind: 'upsert', row: row('1.0.0') },
        { kind: 'upsert', row: row('1.1.0', { status: 'running' }) },
        { kind: 'event', event: event() },
        { kind: 'event', event: event({ migrationId: 'app@1.1.0', outcome: 'failed', errorCode: 'STRATA_SQL_ERROR', sqlState: '42P01' }) },
      ]);
      await session.writeState([{ kind: 'upsert', row: row('1.1.0', { status: 'applied', checksum: 'b'.repeat(64) }) }]);
      const state = (await session.readState()).sort((a, b) => a.version.localeCompare(b.version));
      expect(state).toHaveLength(2);
      expect(state[0]).toEqual(row('1.0.0'));
      expect(state[1]).toMatchObject({ version: '1.1.0', status: 'applied', checksum: 'b'.repeat(64) });
      await session.writeState([{ kind: 'delete', module: 'app', version: '1.0.0' }]);
      expect((await session.readState()).map((r) => r.version)).toEqual(['1.1.0']);
      const events = await session.readEvents({});
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ migrationId: 'app@1.1.0', outcome: 'failed', sqlState: '42P01' });
      expect(events[1]).toMatchObject({ migrationId: 'app@1.0.0', details: { runId: 'r1', nested: { a: [1, 2] } } });
      expect(typeof events[0]!.id).toBe('number');
      expect(await session.readEvents({ limit: 1 })).toHaveLength(1);
      expect(await session.readEvents({ migrationId: 'app@1.0.0' })).toHaveLength(1);
    });

    it('never lets an insert write replace a row that exists (an apply is never recorded twice)', async () => {
      await fresh();
      const session = await open();
      await session.ensureStateTables();
      await session.writeState([{ kind: 'insert', row: row('3.0.0') }]);
      await expect(session.writeState([{ kind: 'insert', row: row('3.0.0', { checksum: 'c'.repeat(64) }) }])).rejects.toThrow();
      const state = await session.readState();
      expect(state).toEqual([row('3.0.0')]);
    });

    it('rolls back state writes (and DDL, with transactional DDL) together', async () => {
      await fresh();
      const transactionalDdl = resolveCapabilities(target.dialect).supportsTransactionalDdl;
      const session = await open();
      await session.ensureStateTables();
      await session.begin();
      if (transactionalDdl) await session.execute('CREATE TABLE conformance_rollback (id INTEGER PRIMARY KEY, name TEXT)');
      await session.writeState([
        { kind: 'upsert', row: row('2.0.0') },
        { kind: 'event', event: event() },
      ]);
      await session.rollback();
      expect(await session.readState()).toEqual([]);
      expect(await session.readEvents({})).toEqual([]);
      if (transactionalDdl) await expect(session.query('SELECT * FROM conformance_rollback')).rejects.toThrow();
    });

    it('reports the failing statement of a script with a StrataError', async () => {
      await fresh();
      const session = await open();
      const error = await session
        .execute(
          'CREATE TABLE conformance_a (id INTEGER);\nINSERT INTO conformance_a VALUES (1);\nSELECT * FROM conformance_missing_table;',
        )
        .catch((e: unknown) => e);
      expect(isStrataError(error)).toBe(true);
      expect((error as { details: { statement?: number; line?: number } }).details).toMatchObject({ statement: 3, line: 3 });
    });

    it('runs queries with bound parameters', async () => {
      await fresh();
      const session = await open();
      await session.execute('CREATE TABLE conformance_q (id INTEGER PRIMARY KEY, name TEXT)');
      const mark = options.placeholder ?? ((n: number) => (target.dialect.name === 'postgres' ? `$${n}` : '?'));
      const placeholder = [mark(1), mark(2)];
      await session.query(`INSERT INTO conformance_q (id, name) VALUES (${placeholder[0]}, ${placeholder[1]})`, [
        1,
        "o'neil; DROP TABLE x",
      ]);
      const rows = await session.query<{ name: string }>('SELECT name FROM conformance_q');
      expect(rows).toEqual([{ name: "o'neil; DROP TABLE x" }]);
    });

    it('splits statements with 1-based indexes and lines', async () => {
      const statements = await target.dialect.splitStatements("SELECT 1;\n-- c;\nSELECT ';';\n\nSELECT 3");
      expect(statements.map((s) => [s.index, s.line])).toEqual([
        [1, 1],
        [2, 3],
        [3, 5],
      ]);
    });

    it.skipIf(options.skipLockContention ?? false)('lets one session hold the lock and times out the other', async () => {
      await fresh();
      const first = await open();
      await first.acquireLock();
      await first.ensureStateTables();
      const capabilities = target.dialect.capabilities ?? {};
      if (!capabilities.supportsSessionLock) await first.commit().catch(() => {});
      // A session lock is held across transactions; a write lock only inside one.
      if (!capabilities.supportsSessionLock) await first.begin();
      const second = await open(target.secondDialect ?? target.dialect, 300);
      const started = Date.now();
      const error = await second.acquireLock().catch((e: unknown) => e);
      expect(isStrataError(error) && error.code).toBe('STRATA_LOCK_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(5000);
      if (!capabilities.supportsSessionLock) await first.commit();
      await first.releaseLock();
      await second.acquireLock();
      await second.releaseLock();
    });

    it.skipIf(options.skipLockContention ?? false)(
      'while a run waits for a session lock, names the holder in lock-wait events and in the timeout',
      async () => {
        await fresh();
        if (!resolveCapabilities(target.dialect).supportsSessionLock) return; // a write lock: covered above
        const first = await open();
        await first.acquireLock();
        const events: MigratorEvent[] = [];
        const module = defineModule({
          name: 'app',
          migrations: [{ version: '1.0.0', name: 'one', up: 'CREATE TABLE conf_wait (id INTEGER PRIMARY KEY)' }],
        });
        const waiting = createMigrator({
          dialect: target.secondDialect ?? target.dialect,
          sources: [module],
          lockTimeoutMs: 1500,
          onEvent: (e) => events.push(e),
        });
        const error = await waiting.up().catch((e: unknown) => e);
        expect(isStrataError(error) && error.code).toBe('STRATA_LOCK_TIMEOUT');
        const waits = events.filter((e) => e.type === 'lock-wait');
        expect(waits[0]).toEqual({ type: 'lock-wait', target: (target.secondDialect ?? target.dialect).target });
        if (first.lockHolder) {
          const holder = await first.lockHolder();
          expect(holder).toBeDefined();
          const same = holder?.pid !== undefined ? { pid: holder.pid } : {};
          expect((error as { details: { holder?: unknown } }).details.holder).toMatchObject(same);
          // Core's loop reports the holder once it learns it, and again only when another session holds it.
          expect(waits.slice(1)).toEqual([
            { type: 'lock-wait', target: expect.any(String), holder: expect.objectContaining(same), waitedMs: expect.any(Number) },
          ]);
        }
        await first.releaseLock();
        expect((await waiting.up()).steps.map((step) => step.id)).toEqual(['app@1.0.0']);
      },
    );

    it.skipIf(options.skipLockContention ?? false)('a release that finds the lock gone is STRATA_LOCK_LOST', async () => {
      await fresh();
      if (!resolveCapabilities(target.dialect).supportsSessionLock) return;
      const session = await open();
      await session.acquireLock();
      await session.releaseLock();
      const error = await session.releaseLock().catch((e: unknown) => e);
      expect(isStrataError(error) && error.code).toBe('STRATA_LOCK_LOST');
    });

    it('closes idempotently', async () => {
      const session = await target.dialect.connect({ purpose: 'read', lockTimeoutMs: 1000 });
      await session.close();
      await session.close();
    });

    it('migrates up, reverts and stops at a failing migration with the engine', async () => {
      await fresh();
      const module = defineModule({
        name: 'app',
        migrations: [
          { version: '1.0.0', name: 'one', up: 'CREATE TABLE conf_one (id INTEGER PRIMARY KEY)', down: 'DROP TABLE conf_one' },
          {
            version: '1.1.0',
            name: 'two',
            up: 'CREATE TABLE conf_two (id INTEGER PRIMARY KEY);\nINSERT INTO conf_two VALUES (1);',
            down: 'DROP TABLE conf_two',
          },
          {
            version: '1.2.0',
            name: 'three',
            up: async ({ execute }) => execute('CREATE TABLE conf_three (id INTEGER PRIMARY KEY)'),
            down: 'DROP TABLE conf_three',
          },
        ],
      });
      const migrator = createMigrator({ dialect: target.dialect, sources: [module], lockTimeoutMs: 5000 });
      const report = await migrator.up();
      expect(report.steps.map((s) => s.id)).toEqual(['app@1.0.0', 'app@1.1.0', 'app@1.2.0']);
      expect((await migrator.up()).steps).toEqual([]);
      const status = await migrator.status();
      expect(status.problems).toEqual([]);
      expect(status.migrations.map((m) => m.state)).toEqual(['applied', 'applied', 'applied']);
      const down = await migrator.down({ steps: 2 });
      expect(down.steps.map((s) => s.id)).toEqual(['app@1.2.0', 'app@1.1.0']);
      expect((await migrator.status()).migrations.map((m) => m.state)).toEqual(['applied', 'pending', 'pending']);

      const broken = defineModule({
        name: 'app',
        migrations: [
          ...module.definitions.slice(0, 2),
          {
            version: '1.2.0',
            name: 'three',
            up: 'CREATE TABLE conf_three (id INTEGER PRIMARY KEY);\nINSERT INTO conf_nowhere VALUES (1);',
          },
        ],
      });
      const failing = createMigrator({ dialect: target.dialect, sources: [broken], lockTimeoutMs: 5000 });
      const error = await failing.up().catch((e: unknown) => e);
      expect(isStrataError(error) && error.code).toBe('STRATA_MIGRATION_FAILED');
      expect((error as { details: { migrationId: string; statement: number } }).details).toMatchObject({
        migrationId: 'app@1.2.0',
        statement: 2,
      });
      const after = await failing.status();
      // Without transactional DDL part of the migration may have run: it is marked failed, not pending.
      const transactionalDdl = resolveCapabilities(target.dialect).supportsTransactionalDdl;
      expect(after.migrations.map((m) => m.state)).toEqual(['applied', 'applied', transactionalDdl ? 'pending' : 'failed']);
      const session = await open();
      // With transactional DDL the failed migration left nothing behind.
      if (resolveCapabilities(target.dialect).supportsTransactionalDdl)
        await expect(session.query('SELECT * FROM conf_three')).rejects.toThrow();
      const history = await failing.history({});
      expect(history[0]).toMatchObject({ action: 'apply', outcome: 'failed', migrationId: 'app@1.2.0' });
    });
  });
}
