/**
 * A runner that dies (kill -9), is interrupted (SIGINT/SIGTERM) or loses its connection in the
 * middle of a migration: nothing is half-applied and the next run proceeds without a manual unlock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isStepStart,
  migratorFor,
  prepareRunner,
  runChild,
  sleep,
  slowSql,
  startChild,
  strataError,
  targetFactory,
  until,
  writeFiles,
  type Kind,
  type Target,
} from './fixtures/targets.js';

const factory = targetFactory();
beforeAll(() => prepareRunner());
afterAll(() => factory.cleanup());

/** 1.0.0 fast; 1.1.0 creates a table then works for `slowMs`; its down drops it then works for `slowMs`. */
function migrations(kind: Kind, slowMs: number): Record<string, string> {
  return {
    '1.0.0_base.sql': '-- strata:up\nCREATE TABLE base (id INTEGER);\n-- strata:down\nDROP TABLE base;\n',
    '1.1.0_half.sql':
      `-- strata:up\nCREATE TABLE half (id INTEGER);\nINSERT INTO half VALUES (1);\n${slowSql(kind, slowMs)};\n` +
      `-- strata:down\nDROP TABLE half;\n${slowSql(kind, slowMs)};\n`,
    '1.2.0_after.sql': '-- strata:up\nCREATE TABLE after_half (id INTEGER);\n-- strata:down\nDROP TABLE after_half;\n',
  };
}

const QUICK_HALF = '-- strata:up\nCREATE TABLE half (id INTEGER);\n-- strata:down\nDROP TABLE half;\n';

/** Waits until the child's migration statement is really running in the database. */
async function waitUntilRunning(
  target: Target,
  step: { waitFor: (m: (l: Record<string, unknown>) => boolean) => Promise<unknown> },
  id: string,
) {
  await step.waitFor(isStepStart(id));
  if (target.kind === 'postgres') {
    await until(
      async () =>
        (
          await target.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
          )
        )[0]!.n === '1',
    );
  } else {
    // The CREATE TABLE and INSERT take microseconds; the CTE seconds.
    await sleep(300);
  }
}

/**
 * One consistent snapshot: does the table of 1.1.0 exist, and is 1.1.0 recorded? (A single
 * statement on PostgreSQL, so a commit cannot fall between the two reads.)
 */
async function halfAndRow(target: Target): Promise<{ table: boolean; row: boolean }> {
  if (target.kind === 'postgres') {
    const [row] = await target.query<{ table: boolean; row: boolean }>(
      `SELECT to_regclass('public.half') IS NOT NULL AS table,
              EXISTS (SELECT 1 FROM public.strata_migrations WHERE version = '1.1.0' AND status = 'applied') AS row`,
    );
    return row!;
  }
  return { table: await target.tableExists('half'), row: (await target.stateRows()).some((r) => r.version === '1.1.0') };
}

describe.each(['postgres', 'sqlite'] as const)('%s: crashes', (kind) => {
  it('kill -9 during a transactional migration leaves nothing half-applied and the next run proceeds', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations(migrations(kind, 2500));
    const child = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000 });
    await waitUntilRunning(target, child, 'app@1.1.0');
    child.child.kill('SIGKILL');
    const killed = await child.done;
    expect(killed.signal).toBe('SIGKILL');

    // Right after the kill: the migration's table and its state row go together (all or nothing).
    const after = await halfAndRow(target);
    expect(after.table).toBe(after.row);
    if (kind === 'sqlite') {
      // The process died inside the statement: SQLite rolls the hot journal back.
      expect(after).toEqual({ table: false, row: false });
      const migrator = migratorFor(target.dialect(), dir);
      try {
        const status = await migrator.status();
        expect(status.migrations.map((m) => `${m.id}:${m.state}`)).toEqual(['app@1.0.0:applied', 'app@1.1.0:pending', 'app@1.2.0:pending']);
      } finally {
        await migrator.close();
      }
    }

    // The next run needs no manual unlock. (On PostgreSQL it may wait for the orphaned backend:
    // see the PostgreSQL-only test below.)
    const next = await runChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000 });
    expect(next.code, JSON.stringify(next.result)).toBe(0);
    expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:applied', '1.2.0:applied']);
    // Exactly one complete application of 1.1.0: one row in its table, one `apply ok` event.
    expect(await target.query('SELECT id FROM half')).toEqual([{ id: 1 }]);
    const applies = (await target.events()).filter((e) => e.action === 'apply');
    expect(applies.map((e) => `${e.migration_id}:${e.outcome}`).sort()).toEqual(['app@1.0.0:ok', 'app@1.1.0:ok', 'app@1.2.0:ok']);
  });

  it('kill -9 during a down keeps the migration applied and intact (or fully reverted); the next down finishes it', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations(migrations(kind, 2500));
    const setup = migratorFor(target.dialect(), dir);
    try {
      await setup.up({ to: '1.1.0' });
    } finally {
      await setup.close();
    }
    const child = startChild({ ...target.childArgs, dir, command: 'down', lockTimeoutMs: 30_000 });
    await waitUntilRunning(target, child, 'app@1.1.0');
    child.child.kill('SIGKILL');
    await child.done;

    const after = await halfAndRow(target);
    expect(after.table).toBe(after.row);
    if (kind === 'sqlite') {
      expect(after).toEqual({ table: true, row: true });
      expect(await target.query('SELECT id FROM half')).toEqual([{ id: 1 }]);
    }

    const next = await runChild({ ...target.childArgs, dir, command: 'down', to: '1.0.0', lockTimeoutMs: 30_000 });
    expect(next.code, JSON.stringify(next.result)).toBe(0);
    expect(await target.tableExists('half')).toBe(false);
    expect(await target.tableExists('base')).toBe(true);
    expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0']);
    const reverts = (await target.events()).filter((e) => e.action === 'revert');
    expect(reverts.map((e) => `${e.migration_id}:${e.outcome}`)).toEqual(['app@1.1.0:ok']);
  });
});

describe('postgres: a killed client', () => {
  it('the orphaned backend holds the advisory lock only until its statement ends; the next run then proceeds', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations(migrations('postgres', 2000));
    const child = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000 });
    await waitUntilRunning(target, child, 'app@1.1.0');
    child.child.kill('SIGKILL');
    await child.done;
    // A run with a wait shorter than the orphan's remaining sleep times out, naming the holder...
    const short = migratorFor(target.dialect(), dir, { lockTimeoutMs: 200 });
    try {
      const error = await strataError(short.up());
      expect(error.code).toBe('STRATA_LOCK_TIMEOUT');
      expect(error.message).toMatch(/pid \d+/);
    } finally {
      await short.close();
    }
    // ...and one with a longer wait proceeds, without anyone unlocking by hand.
    const long = migratorFor(target.dialect(), dir, { lockTimeoutMs: 30_000 });
    try {
      await long.up();
    } finally {
      await long.close();
    }
    expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0']);
  });
});

describe('postgres: interruptions', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s during a migration cancels it, rolls back, releases the lock and exits %i', async (signal, exitCode) => {
    const target = await factory.create('postgres');
    const dir = factory.migrations(migrations('postgres', 20_000));
    const child = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000 });
    await waitUntilRunning(target, child, 'app@1.1.0');
    const sent = performance.now();
    child.child.kill(signal);
    const result = await child.done;
    // Cancelled, not waited out: far less than the 20 s sleep.
    expect(performance.now() - sent).toBeLessThan(8000);
    expect(result.code, JSON.stringify(result.result) + result.stderr).toBe(exitCode);
    expect(result.result!.code).toBe('STRATA_INTERRUPTED');
    expect(await target.tableExists('half')).toBe(false);
    expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0']);
    // The lock is free at once: a run with a short wait gets it and applies the rest.
    // 1.1.0 is pending, so it may change: make the next run quick.
    writeFiles(dir, { '1.1.0_half.sql': QUICK_HALF });
    const migrator = migratorFor(target.dialect(), dir, { lockTimeoutMs: 2000 });
    try {
      const report = await migrator.up();
      expect(report.steps.map((s) => s.id)).toEqual(['app@1.1.0', 'app@1.2.0']);
    } finally {
      await migrator.close();
    }
  });

  it('pg_terminate_backend of the migrating session fails the run with STRATA_CONNECTION_FAILED, nothing half-applied', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations(migrations('postgres', 10_000));
    const migrator = migratorFor(target.dialect({ applicationName: 'strata-victim' }), dir);
    try {
      const running = strataError(migrator.up());
      await until(
        async () =>
          (
            await target.query<{ n: string }>(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'strata-victim' AND state = 'active' AND query LIKE '%pg_sleep%'",
            )
          )[0]!.n === '1',
      );
      await target.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'strata-victim'");
      const error = await running;
      expect(error.code).toBe('STRATA_CONNECTION_FAILED');
      expect(await target.tableExists('half')).toBe(false);
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0']);
    } finally {
      await migrator.close();
    }
    // The next run (a new session) applies it; no manual unlock.
    writeFiles(dir, { '1.1.0_half.sql': QUICK_HALF });
    const again = migratorFor(target.dialect(), dir, { lockTimeoutMs: 2000 });
    try {
      expect((await again.up()).steps.map((s) => s.id)).toEqual(['app@1.1.0', 'app@1.2.0']);
    } finally {
      await again.close();
    }
  });
});

describe('sqlite: interruptions', () => {
  it('SIGTERM during a migration stops the run before the next migration and exits 143', async () => {
    // better-sqlite3 cannot cancel a running statement (supportsCancel: false): the migration that
    // runs when the signal arrives completes, but no further one may start.
    const target = await factory.create('sqlite');
    const slow = slowSql('sqlite', 1000);
    const dir = factory.migrations({
      '1.0.0_one.sql': `-- strata:up\nCREATE TABLE one (id INTEGER);\n${slow};\n-- strata:down\nDROP TABLE one;\n`,
      '1.1.0_two.sql': `-- strata:up\nCREATE TABLE two (id INTEGER);\n${slow};\n-- strata:down\nDROP TABLE two;\n`,
      '1.2.0_three.sql': `-- strata:up\nCREATE TABLE three (id INTEGER);\n${slow};\n-- strata:down\nDROP TABLE three;\n`,
    });
    const child = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000 });
    await child.waitFor(isStepStart('app@1.0.0'));
    await sleep(300);
    child.child.kill('SIGTERM');
    const result = await child.done;
    const rows = (await target.stateRows()).map((r) => r.version);
    expect({ code: result.code, error: result.result?.code, applied: rows }).toEqual({
      code: 143,
      error: 'STRATA_INTERRUPTED',
      applied: ['1.0.0'],
    });
    expect(await target.tableExists('two')).toBe(false);
  });
});
