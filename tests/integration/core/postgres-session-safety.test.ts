/**
 * PostgreSQL: what holds between two migrations of one run (issue 10). The lock is checked before
 * each step and a run that lost it stops; an apply never overwrites a row another run recorded;
 * settings one migration changed never reach the next; `statementTimeout: 0` clears an inherited
 * timeout; a COMMIT whose reply is lost is read back, not assumed.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as netConnect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { adminQuery } from '../../../test-support/postgres.js';
import { migratorFor, strataError, targetFactory, until } from './fixtures/targets.js';

const factory = targetFactory();
const roles: string[] = [];
afterAll(async () => {
  await factory.cleanup();
  for (const role of roles) await adminQuery(`DROP ROLE IF EXISTS "${role}"`).catch(() => {});
});

describe('postgres: lock ownership before each step', () => {
  it('stops before the next step when a migration released the lock', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_log.sql': '-- strata:up\nCREATE TABLE applied_log (version text);\n',
      '1.1.0_unlock.sql': "-- strata:up\nINSERT INTO applied_log VALUES ('1.1.0');\nSELECT pg_advisory_unlock_all();\n",
      '1.2.0_next.sql': "-- strata:up\nINSERT INTO applied_log VALUES ('1.2.0');\n",
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_LOCK_LOST');
      expect(error.message).toContain('no longer held by this run');
      expect(error.hint).toContain('pg_advisory_unlock_all()');
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);
      expect(await target.query('SELECT version FROM applied_log ORDER BY version')).toEqual([{ version: '1.1.0' }]);
    } finally {
      await migrator.close();
    }
  });

  it('lets no second runner apply a migration twice while the first lost its lock', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_log.sql': '-- strata:up\nCREATE TABLE applied_log (version text);\n',
      '1.1.0_unlock.sql':
        "-- strata:up\nINSERT INTO applied_log VALUES ('1.1.0');\nSELECT pg_advisory_unlock_all();\nSELECT pg_sleep(2);\n",
      '1.2.0_next.sql': "-- strata:up\nINSERT INTO applied_log VALUES ('1.2.0');\n",
    });
    const first = migratorFor(target.dialect(), dir);
    const second = migratorFor(target.dialect(), dir, { lockTimeoutMs: 20_000 });
    try {
      const firstRun = strataError(first.up());
      // The first runner sleeps in 1.1.0 with the lock released: the second one takes it now.
      await until(
        async () =>
          (
            await target.query(
              "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(2)%' AND pid <> pg_backend_pid()",
            )
          ).length > 0,
      );
      const secondRun = strataError(second.up());
      const [a, b] = await Promise.all([firstRun, secondRun]);
      expect(a.code).toBe('STRATA_LOCK_LOST');
      expect(b.code).toBe('STRATA_LOCK_LOST');
      const log = await target.query<{ version: string; n: string }>(
        'SELECT version, count(*)::text AS n FROM applied_log GROUP BY version ORDER BY version',
      );
      expect(log).toEqual([{ version: '1.1.0', n: '1' }]);
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:applied']);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('postgres: session state between migrations', () => {
  const settingsProbe =
    "-- strata:up\nCREATE TABLE public.probe AS SELECT current_user::text AS who, current_setting('search_path') AS path, current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout;\nCREATE TABLE where_am_i (id int);\n";

  for (const transactional of [true, false]) {
    it(`starts each migration from strata's settings after a ${transactional ? 'transactional' : 'non-transactional'} one changed them`, async () => {
      const target = await factory.create('postgres');
      const role = `strata_t_role_${randomBytes(4).toString('hex')}`;
      roles.push(role);
      // A superuser role, so that the migration's own state row can still be written under it.
      await adminQuery(`CREATE ROLE "${role}" SUPERUSER`);
      const dir = factory.migrations({
        '1.0.0_change.sql':
          `${transactional ? '' : '-- strata:transaction off\n'}-- strata:up\nCREATE SCHEMA elsewhere;\nGRANT ALL ON SCHEMA elsewhere TO "${role}";\n` +
          `SET search_path = elsewhere;\nSET lock_timeout = '1min';\nSET statement_timeout = '42s';\nSET ROLE "${role}";\n`,
        '1.1.0_probe.sql': settingsProbe,
      });
      const migrator = migratorFor(target.dialect({ statementTimeoutMs: 0 }), dir);
      try {
        await migrator.up();
        const [probe] = await target.query<Record<string, string>>('SELECT * FROM public.probe');
        expect(probe).toEqual({ who: 'postgres', path: '"$user", public', lock_timeout: '5s', statement_timeout: '0' });
        expect(await target.tableExists('where_am_i', 'public')).toBe(true);
        expect(await target.tableExists('where_am_i', 'elsewhere')).toBe(false);
      } finally {
        await migrator.close();
      }
    });
  }
});

describe('postgres: statementTimeout 0', () => {
  it('clears a statement_timeout set on the database and the role', async () => {
    const target = await factory.create('postgres');
    const database = new URL(target.location).pathname.slice(1);
    await adminQuery(`ALTER DATABASE "${database}" SET statement_timeout = '300ms'`);
    await adminQuery(`ALTER ROLE postgres IN DATABASE "${database}" SET statement_timeout = '300ms'`);
    try {
      const dir = factory.migrations({ '1.0.0_slow.sql': '-- strata:up\nSELECT pg_sleep(1);\nCREATE TABLE slow_done (id int);\n' });
      // Left alone, the inherited timeout applies (and cancels the slow migration).
      const inherited = migratorFor(target.dialect(), dir);
      try {
        const error = await strataError(inherited.up());
        expect(error.details.sqlState).toBe('57014');
      } finally {
        await inherited.close();
      }
      const cleared = migratorFor(target.dialect({ statementTimeoutMs: 0 }), dir);
      try {
        expect((await cleared.up()).steps.map((s) => s.outcome)).toEqual(['applied']);
        expect(await target.tableExists('slow_done')).toBe(true);
      } finally {
        await cleared.close();
      }
    } finally {
      await adminQuery(`ALTER ROLE postgres IN DATABASE "${database}" RESET statement_timeout`).catch(() => {});
    }
  });
});

/**
 * A TCP proxy on loopback in front of the real server. It forwards everything, except that the
 * connection whose client sends `marker` is cut: right after the server's first reply to it
 * (`after-reply`: the server has committed), or right after forwarding it (`after-send`).
 */
async function startCuttingProxy(
  upstreamPort: number,
  marker: string,
  mode: 'after-reply' | 'after-send',
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = netConnect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let seen = '';
    let armed = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => {
      if (!armed) {
        seen = (seen + chunk.toString('latin1')).slice(-65_536);
        armed = seen.includes(marker);
        if (armed && mode === 'after-send') return void upstream.write(chunk, () => setTimeout(cut, 50));
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (armed && mode === 'after-reply') return cut();
      client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('postgres: a COMMIT whose reply was lost', () => {
  it('reads the state back and reports a migration that committed as applied', async () => {
    const target = await factory.create('postgres');
    const url = new URL(target.location);
    const proxy = await startCuttingProxy(Number(url.port || 5432), 'lost_reply_marker', 'after-reply');
    const dir = factory.migrations({
      '1.0.0_first.sql': '-- strata:up\nCREATE TABLE first_one (id int);\n',
      '1.1.0_cut.sql': '-- strata:up\nCREATE TABLE lost_reply_marker (id int);\n',
      '1.2.0_after.sql': '-- strata:up\nCREATE TABLE after_it (id int);\n',
    });
    url.port = String(proxy.port);
    const migrator = migratorFor(createPostgresDialect({ connectionString: url.toString() }), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_CONNECTION_FAILED');
      expect(error.details.commitOutcome).toBe('committed');
      expect(error.message).toContain('app@1.1.0 committed');
      expect(error.message).not.toMatch(/rolled back/);
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:applied']);
      expect(await target.tableExists('lost_reply_marker')).toBe(true);
      expect(await target.tableExists('after_it')).toBe(false);
    } finally {
      await migrator.close();
      await proxy.close();
    }
  });

  it('reports a migration whose transaction the server rolled back as not applied, after seeing it', async () => {
    const target = await factory.create('postgres');
    const url = new URL(target.location);
    const proxy = await startCuttingProxy(Number(url.port || 5432), 'cut_before_commit', 'after-send');
    const dir = factory.migrations({
      '1.0.0_cut.sql': '-- strata:up\nCREATE TABLE cut_before_commit (id int);\nSELECT pg_sleep(3);\n',
    });
    url.port = String(proxy.port);
    const migrator = migratorFor(createPostgresDialect({ connectionString: url.toString() }), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_CONNECTION_FAILED');
      expect(error.details.commitOutcome).toBe('rolled-back');
      expect(error.message).toContain('read back from the state table: it did not commit');
      expect(await target.stateRows()).toEqual([]);
      expect(await target.tableExists('cut_before_commit')).toBe(false);
    } finally {
      await migrator.close();
      await proxy.close();
    }
  });
});

describe('postgres: non-transactional index builds', () => {
  it('wait under their own lock timeout, name the old transaction, report the INVALID index, and a retry after repair builds it', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_t.sql': '-- strata:up\nCREATE TABLE t (a int);\nCREATE TABLE other (b int);\n',
      '1.1.0_index.sql': '-- strata:transaction off\n-- strata:up\nCREATE INDEX CONCURRENTLY idx_t_a ON t (a);\n',
    });
    const migrator = migratorFor(target.dialect({ ddlLockTimeoutMs: 200, concurrentLockTimeoutMs: 2000 }), dir);
    try {
      await migrator.up({ to: '1.0.0' });
      // An application transaction older than the build, on another table: the build waits for it.
      const blocker = await factory.client(target.location, 'app-old-transaction');
      await blocker.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await blocker.query('SELECT count(*) FROM other');
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

      const started = performance.now();
      const error = await strataError(migrator.up());
      const elapsed = performance.now() - started;
      expect(error.code).toBe('STRATA_DDL_LOCK_TIMEOUT');
      // Its own policy (2 s), not the 200 ms of DDL.
      expect(elapsed).toBeGreaterThan(1500);
      expect(error.message).toContain(`pid ${blockerPid}`);
      expect(error.message).toContain('application "app-old-transaction"');
      expect(error.message).toContain('INVALID index public.idx_t_a behind');
      expect(error.details.invalidIndexes).toEqual(['public.idx_t_a']);
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:failed']);

      await blocker.query('COMMIT');
      await migrator.repair({ dropFailed: 'all' });
      expect((await migrator.up()).steps.map((s) => `${s.id}:${s.outcome}`)).toEqual(['app@1.1.0:applied']);
      expect(await target.query("SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = 'idx_t_a'::regclass")).toEqual([
        { valid: true },
      ]);
    } finally {
      await migrator.close();
    }
  });
});

describe('postgres: status of a running migration', () => {
  it('says where a running migration runs while its run holds the lock, and suggests repair only for a dead one', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_slow.sql': '-- strata:transaction off\n-- strata:up\nCREATE TABLE slow_one (id int);\nSELECT pg_sleep(3);\n',
    });
    const runner = migratorFor(target.dialect(), dir);
    const reader = migratorFor(target.dialect(), dir);
    try {
      const running = runner.up();
      await until(async () => (await target.stateRows()).some((row) => row.status === 'running'));
      const [holder] = await target.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(3)%' AND pid <> pg_backend_pid()",
      );
      const report = await reader.status();
      expect(report.migrations.map((m) => m.state)).toEqual(['running']);
      expect(report.problems.map((p) => p.code)).toEqual(['STRATA_MIGRATION_RUNNING']);
      expect(report.problems[0]!.message).toContain(`is running in pid ${holder!.pid} on host `);
      expect(report.problems[0]!.message).toMatch(/since \d{4}-\d\d-\d\dT/);
      expect(report.problems[0]!.hint).not.toContain('repair`');
      await running;
      expect((await reader.status()).problems).toEqual([]);

      // A `running` row nobody works on (its run crashed): repair is the next step.
      await target.query("UPDATE strata_migrations SET status = 'running'");
      expect((await reader.status()).problems.map((p) => p.code)).toEqual(['STRATA_NEEDS_REPAIR']);
    } finally {
      await runner.close();
      await reader.close();
    }
  });
});

describe('postgres: single-transaction runs', () => {
  it('check the lock once before COMMIT: a migration that released it rolls the whole run back', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_log.sql': '-- strata:up\nCREATE TABLE applied_log (version text);\n',
      '1.1.0_unlock.sql':
        "-- strata:up\nINSERT INTO applied_log VALUES ('1.1.0');\nSELECT pg_advisory_unlock_all();\nSET search_path = pg_catalog;\n",
      '1.2.0_next.sql': '-- strata:up\nCREATE TABLE where_am_i (id int);\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up({ singleTransaction: true }));
      expect(error.code).toBe('STRATA_LOCK_LOST');
      expect(await target.stateRows()).toEqual([]);
      expect(await target.tableExists('applied_log')).toBe(false);
    } finally {
      await migrator.close();
    }
  });
});
