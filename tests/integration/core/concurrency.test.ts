/**
 * Several processes migrating one database at once: each migration applied exactly once, waiters
 * re-plan under the lock, a short lock wait times out naming the holder, status needs no lock.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isStepStart,
  prepareRunner,
  migratorFor,
  runChild,
  slowSql,
  startChild,
  targetFactory,
  type ChildResult,
  type Kind,
} from './fixtures/targets.js';

const factory = targetFactory();
beforeAll(() => prepareRunner());
afterAll(() => factory.cleanup());

/** Five migrations, some of which take a while. */
function fiveMigrations(kind: Kind): Record<string, string> {
  const fill = (table: string, rows: number) =>
    kind === 'postgres'
      ? `INSERT INTO ${table} (id) SELECT g FROM generate_series(1, ${rows}) AS g;`
      : `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows}) INSERT INTO ${table} (id) SELECT x FROM c;`;
  return {
    '1.0.0_a.sql': `-- strata:up\nCREATE TABLE a (id INTEGER PRIMARY KEY);\n${slowSql(kind, 50)};\n-- strata:down\nDROP TABLE a;\n`,
    '1.1.0_b.sql': `-- strata:up\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n${fill('b', 5000)}\n-- strata:down\nDROP TABLE b;\n`,
    '1.2.0_c.sql': `-- strata:up\nCREATE TABLE c (id INTEGER PRIMARY KEY);\n${slowSql(kind, 50)};\n-- strata:down\nDROP TABLE c;\n`,
    '1.3.0_d.sql': `-- strata:up\nCREATE TABLE d (id INTEGER PRIMARY KEY);\n${fill('d', 2000)}\n-- strata:down\nDROP TABLE d;\n`,
    '1.4.0_e.sql': `-- strata:up\nCREATE TABLE e (id INTEGER PRIMARY KEY);\n${slowSql(kind, 50)};\n-- strata:down\nDROP TABLE e;\n`,
  };
}

const IDS = ['app@1.0.0', 'app@1.1.0', 'app@1.2.0', 'app@1.3.0', 'app@1.4.0'];

function describeChildren(results: ChildResult[]): string {
  return results
    .filter((r) => r.code !== 0)
    .map((r) => `exit ${r.code} ${r.signal ?? ''}: ${JSON.stringify(r.result)} ${r.stderr.slice(0, 500)}`)
    .join('\n');
}

describe.each(['postgres', 'sqlite'] as const)('%s: concurrent runners', (kind) => {
  const counts = kind === 'postgres' ? [8, 32] : [8, 32];

  it.each(counts)(
    '%i processes running up at once apply every migration exactly once',
    async (processes) => {
      const target = await factory.create(kind);
      const dir = factory.migrations(fiveMigrations(kind));
      const results = await Promise.all(
        Array.from({ length: processes }, () => runChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 120_000 })),
      );

      expect(describeChildren(results)).toBe('');
      expect(results.map((r) => r.code)).toEqual(results.map(() => 0));

      // Each migration was run by exactly one process.
      const applied = results.flatMap((r) =>
        (r.result?.report?.steps ?? []).map((s: { id: string; outcome: string }) => `${s.id}:${s.outcome}`),
      );
      expect(applied.sort()).toEqual(IDS.map((id) => `${id}:applied`));

      const rows = await target.stateRows();
      expect(rows.map((r) => `${r.module}@${r.version}:${r.status}`)).toEqual(IDS.map((id) => `${id}:applied`));
      const events = await target.events();
      const applies = events.filter((e) => e.action === 'apply');
      expect(applies.map((e) => `${e.migration_id}:${e.outcome}`).sort()).toEqual(IDS.map((id) => `${id}:ok`));
      for (const table of ['a', 'b', 'c', 'd', 'e']) expect(await target.tableExists(table)).toBe(true);
      expect((await target.query<{ n: number | string }>('SELECT count(*) AS n FROM b'))[0]!.n).toEqual(
        kind === 'postgres' ? '5000' : 5000,
      );
      if (kind === 'postgres') {
        // One state table, in one schema.
        const tables = await target.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_catalog.pg_class WHERE relname = 'strata_migrations' AND relkind = 'r'",
        );
        expect(tables[0]!.n).toBe('1');
      }
      // 32 child processes each start Node and wait their turn: 22-60 s under load 20+ on 2 cores.
    },
    180_000,
  );

  it('a runner that waited for the lock re-reads the state and does nothing', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_slow.sql': `-- strata:up\nCREATE TABLE slow (id INTEGER);\n${slowSql(kind, 1500)};\n-- strata:down\nDROP TABLE slow;\n`,
    });
    // The second runner is loaded first and held at a gate, so it asks for the lock right away
    // once the first one is inside its migration.
    const gateFile = join(factory.tempDir('strata-gate-'), 'go');
    const second = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000, gateFile });
    await second.waitFor((l) => 'ready' in l);
    const first = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000 });
    await first.waitFor(isStepStart('app@1.0.0'));
    writeFileSync(gateFile, '');
    const [a, b] = await Promise.all([first.done, second.done]);
    expect(a.code, JSON.stringify(a.result)).toBe(0);
    expect(b.code, JSON.stringify(b.result)).toBe(0);
    expect(a.result!.report.steps.map((s: { id: string }) => s.id)).toEqual(['app@1.0.0']);
    expect(b.result!.report.steps).toEqual([]);
    // The second one really waited for the lock.
    const acquired = b.lines.find((l) => (l.event as { type?: string } | undefined)?.type === 'lock-acquired')?.event as {
      waitedMs: number;
    };
    expect(acquired.waitedMs).toBeGreaterThan(200);
    expect((await target.events()).filter((e) => e.action === 'apply')).toHaveLength(1);
  });

  it('a runner with a short lock wait times out while another holds the lock; status still works', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_slow.sql': `-- strata:up\nCREATE TABLE slow (id INTEGER);\n${slowSql(kind, 4000)};\n-- strata:down\nDROP TABLE slow;\n`,
    });
    const holder = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 30_000, applicationName: 'strata-holder' });
    await holder.waitFor(isStepStart('app@1.0.0'));

    const gateFile = join(factory.tempDir('strata-gate-'), 'go');
    const waiter = startChild({ ...target.childArgs, dir, command: 'up', lockTimeoutMs: 1000, gateFile });
    await waiter.waitFor((l) => 'ready' in l);
    const started = performance.now();
    writeFileSync(gateFile, '');
    // status needs no lock: it answers while the holder runs.
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const status = await migrator.status();
      expect(status.migrations.map((m) => m.id)).toEqual(['app@1.0.0']);
    } finally {
      await migrator.close();
    }
    const timedOut = await waiter.done;
    const waited = performance.now() - started;
    expect(timedOut.code, JSON.stringify(timedOut.result)).toBe(4);
    expect(timedOut.result!.code).toBe('STRATA_LOCK_TIMEOUT');
    // 1 s of waiting (the child is already loaded); well before the holder's 4 s end.
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(3500);
    expect(holder.lines.some((l) => 'result' in l)).toBe(false);
    expect(timedOut.result!.message).toMatch(/1000 ms/);
    if (kind === 'postgres') {
      // Names the holder: its backend pid and application name.
      const holderBackend = await target.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = 'strata-holder'",
      );
      expect(holderBackend.length).toBe(1);
      expect(timedOut.result!.message).toContain(`pid ${holderBackend[0]!.pid}`);
      expect(timedOut.result!.message).toContain('strata-holder');
      expect((timedOut.result!.details as { holder: { pid: number } }).holder.pid).toBe(holderBackend[0]!.pid);
      // The history records the failed wait and whom it waited for.
      const waits = await target.query<{ outcome: string; error_code: string; holder_pid: number }>(
        "SELECT outcome, error_code, (details->'holder'->>'pid')::int AS holder_pid FROM strata_events WHERE action = 'lock_timeout'",
      );
      expect(waits).toEqual([{ outcome: 'failed', error_code: 'STRATA_LOCK_TIMEOUT', holder_pid: holderBackend[0]!.pid }]);
    }
    const done = await holder.done;
    expect(done.code, JSON.stringify(done.result)).toBe(0);
    expect((await target.stateRows()).map((r) => r.status)).toEqual(['applied']);
  });
});
