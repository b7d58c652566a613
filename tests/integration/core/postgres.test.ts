/**
 * PostgreSQL only: DDL lock timeouts, schemas migrating side by side, CREATE INDEX CONCURRENTLY
 * while another runner waits for the migration lock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileSource, createMigrator } from '@strata/core';
import { isStepStart, migratorFor, prepareRunner, startChild, strataError, targetFactory } from './fixtures/targets.js';

const factory = targetFactory();
beforeAll(() => prepareRunner());
afterAll(() => factory.cleanup());

describe('postgres: DDL behind a long transaction', () => {
  it('fails within ddlLockTimeoutMs with STRATA_DDL_LOCK_TIMEOUT naming the blocking pid; state unchanged', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_t.sql': '-- strata:up\nCREATE TABLE busy (id INTEGER);\n-- strata:down\nDROP TABLE busy;\n',
      '1.1.0_alter.sql':
        '-- strata:up\nCREATE TABLE side (id INTEGER);\nALTER TABLE busy ADD COLUMN note TEXT;\n-- strata:down\nALTER TABLE busy DROP COLUMN note;\nDROP TABLE side;\n',
    });
    // No retries here: this pins one attempt's bound (retries are covered end to end).
    const migrator = migratorFor(target.dialect({ ddlLockTimeoutMs: 500 }), dir, { lockRetries: 0 });
    try {
      await migrator.up({ to: '1.0.0' });
      // An application's long transaction, idle while holding a table lock.
      const blocker = await factory.client(target.location, 'app-long-transaction');
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE busy IN ACCESS EXCLUSIVE MODE');
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

      const started = performance.now();
      const error = await strataError(migrator.up());
      const elapsed = performance.now() - started;
      expect(error.code).toBe('STRATA_DDL_LOCK_TIMEOUT');
      expect(elapsed).toBeLessThan(4000);
      expect(error.message).toContain(`pid ${blockerPid}`);
      expect(error.message).toContain('app@1.1.0');
      expect(error.message).toContain('statement 2');
      expect(error.details.sqlState).toBe('55P03');
      expect(await target.tableExists('side')).toBe(false);
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied']);

      await blocker.query('COMMIT');
      expect((await migrator.up()).steps.map((s) => s.id)).toEqual(['app@1.1.0']);
    } finally {
      await migrator.close();
    }
  });
});

describe('postgres: schemas', () => {
  it('two schemas on one server migrate concurrently without waiting for each other', async () => {
    const target = await factory.create('postgres');
    const sleepy = (name: string) => `-- strata:up\nCREATE TABLE ${name} (id INTEGER);\nSELECT pg_sleep(1);\n`;
    const dir = factory.migrations({ '1.0.0_one.sql': sleepy('one'), '1.1.0_two.sql': sleepy('two') });
    // When each run's steps started and ended: the runs must overlap (a shared lock would make
    // one start only after the other ended). No wall-clock bound: a loaded machine is slow.
    const spans: Record<string, { firstStart?: number; lastEnd?: number }> = { schema_a: {}, schema_b: {} };
    const make = (schema: string) =>
      createMigrator({
        dialect: target.dialect({ schema }),
        sources: [createFileSource({ directory: dir })],
        lockTimeoutMs: 30_000,
        onEvent: (event) => {
          if (event.type === 'step-start') spans[schema]!.firstStart ??= performance.now();
          if (event.type === 'step-end') spans[schema]!.lastEnd = performance.now();
        },
      });
    const a = make('schema_a');
    const b = make('schema_b');
    try {
      const [ra, rb] = await Promise.all([a.up(), b.up()]);
      expect(ra.steps).toHaveLength(2);
      expect(rb.steps).toHaveLength(2);
      const [sa, sb] = [spans.schema_a!, spans.schema_b!];
      expect(sa.firstStart!).toBeLessThan(sb.lastEnd!);
      expect(sb.firstStart!).toBeLessThan(sa.lastEnd!);
      for (const schema of ['schema_a', 'schema_b']) {
        expect(await target.tableExists('one', schema)).toBe(true);
        expect(await target.tableExists('two', schema)).toBe(true);
        expect((await target.stateRows(schema)).map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);
      }
      expect(await target.tableExists('one', 'public')).toBe(false);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('postgres: CREATE INDEX CONCURRENTLY with a runner waiting for the lock', () => {
  it('does not deadlock: the index is built valid and the waiter then finds nothing to do', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_t.sql':
        '-- strata:up\nCREATE TABLE big (id INTEGER, v TEXT);\nINSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 100000) g;\n',
      '1.1.0_idx.sql':
        '-- strata:transaction off\n-- strata:up\nSELECT pg_sleep(0.5);\nCREATE INDEX CONCURRENTLY big_v ON big (v);\nSELECT pg_sleep(0.5);\n',
    });
    const gateFile = join(factory.tempDir('strata-gate-'), 'go');
    const waiter = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000, gateFile });
    await waiter.waitFor((l) => 'ready' in l);
    const holder = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000 });
    await holder.waitFor(isStepStart('app@1.1.0'));
    writeFileSync(gateFile, '');
    const [h, w] = await Promise.all([holder.done, waiter.done]);
    expect(h.code, JSON.stringify(h.result)).toBe(0);
    expect(w.code, JSON.stringify(w.result)).toBe(0);
    expect(h.result!.report.steps.map((s: { id: string }) => s.id)).toEqual(['app@1.0.0', 'app@1.1.0']);
    expect(w.result!.report.steps).toEqual([]);
    const waited = (
      w.lines.find((l) => (l.event as { type?: string } | undefined)?.type === 'lock-acquired')!.event as { waitedMs: number }
    ).waitedMs;
    expect(waited).toBeGreaterThan(200);
    expect(await target.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_v'::regclass")).toEqual([{ indisvalid: true }]);
  });
});
