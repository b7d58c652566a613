import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { appIds, fleetProject, run, sqliteState, sqliteTenants } from './fleet-support.js';

const applied = (count: number) => appIds(count).map((id) => `${id}:applied`);
const json = (text: string) =>
  JSON.parse(text) as {
    summary: { ok: number; failed: number; skipped: number; migrations: number };
    failed: string[];
    stoppedBy: string | null;
    tenants: { name: string; status: string; applied: number; error: { code: string } | null }[];
  };

/** Makes migration 1.2.0 fail on this tenant: its table already exists. */
function breakTenant(dir: string, name: string): void {
  const db = new Database(join(dir, 'tenants', `${name}.db`));
  db.exec('CREATE TABLE t2 (x INTEGER)');
  db.close();
}

describe('strata up --fleet over SQLite tenant files', () => {
  // Full size (issue 16): 1,000 tenant files. A loaded 2-core runner (fsync-bound) takes minutes.
  it('applies every migration to 1,000 tenant files, once each, and reports each tenant', { timeout: 600_000 }, async () => {
    const dir = fleetProject(3);
    const names = sqliteTenants(dir, 1000);
    const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '4', '--json'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    const document = json(ran.stdout);
    expect(document.summary).toMatchObject({ ok: 1000, failed: 0, skipped: 0, migrations: 3000 });
    expect(document.tenants.map((t) => t.name)).toEqual(names);
    expect(document.tenants.every((t) => t.applied === 3 && t.status === 'ok')).toBe(true);
    for (const name of names) {
      const state = await sqliteState(join(dir, 'tenants', `${name}.db`));
      expect(state).toEqual({ rows: applied(3), applyEvents: appIds(3) });
    }
    // The last run's report is on disk, and a rerun applies nothing.
    expect(JSON.parse(readFileSync(join(dir, '.strata-fleet', 'last-run.json'), 'utf8')).summary.ok).toBe(1000);
    const again = await run(['up', '--fleet', 'sqlite:tenants/*.db'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/1000 ok, 0 failed, 0 skipped of 1000 tenants/);
  });

  it('goes on past a failing tenant, reports it, exits 1, and --only-failed reruns just that one', async () => {
    const dir = fleetProject(3);
    sqliteTenants(dir, 12);
    breakTenant(dir, 't0005');
    const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '3'], dir);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toMatch(/^failed {2}t0005 {2}STRATA_MIGRATION_FAILED: .*\(1 migration applied before the failure\)$/m);
    expect(ran.stderr).toMatch(/11 ok, 1 failed, 0 skipped of 12 tenants/);
    expect(ran.stderr).toMatch(/failed tenants: t0005\n/);
    expect(await sqliteState(join(dir, 'tenants', 't0005.db'))).toEqual({ rows: ['app@1.1.0:applied'], applyEvents: ['app@1.1.0'] });
    expect(await sqliteState(join(dir, 'tenants', 't0011.db'))).toEqual({ rows: applied(3), applyEvents: appIds(3) });

    // Fix the tenant, then rerun only it.
    const db = new Database(join(dir, 'tenants', 't0005.db'));
    db.exec('DROP TABLE t2');
    db.close();
    const rerun = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--only-failed', '--json'], dir);
    expect(rerun.code, rerun.stderr).toBe(0);
    const document = json(rerun.stdout);
    expect(document.tenants.map((t) => [t.name, t.applied])).toEqual([['t0005', 2]]);
    expect(await sqliteState(join(dir, 'tenants', 't0005.db'))).toEqual({ rows: applied(3), applyEvents: appIds(3) });
  });

  it('records an unreachable tenant and migrates the others', async () => {
    const dir = fleetProject(2);
    sqliteTenants(dir, 3);
    writeFileSync(
      join(dir, 'tenants.txt'),
      ['sqlite:tenants/t0000.db', 'gone sqlite:/nonexistent-strata-dir/x/gone.db', 'sqlite:tenants/t0002.db'].join('\n'),
    );
    const ran = await run(['up', '--fleet', 'tenants.txt', '--json'], dir);
    expect(ran.code).toBe(1);
    const document = json(ran.stdout);
    expect(document.failed).toEqual(['gone']);
    expect(document.tenants.find((t) => t.name === 'gone')!.error!.code).toBe('STRATA_CONNECTION_FAILED');
    expect(document.tenants.filter((t) => t.status === 'ok').map((t) => t.name)).toEqual(['t0000', 't0002']);
    expect((await sqliteState(join(dir, 'tenants', 't0002.db'))).rows).toEqual(applied(2));
  });

  it('--canary n stops the fleet when a canary fails, touching no other tenant', async () => {
    const dir = fleetProject(2);
    const names = sqliteTenants(dir, 10);
    breakTenant(dir, 't0001');
    const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--canary', '3', '--json'], dir);
    expect(ran.code).toBe(1);
    const document = json(ran.stdout);
    expect(document.stoppedBy).toBe('canary');
    expect(document.summary).toMatchObject({ ok: 2, failed: 1, skipped: 7 });
    expect(ran.stderr).toMatch(/stopped: a canary tenant failed; 7 tenants were not run/);
    for (const name of names.slice(3)) {
      // Never opened: still the empty file the test made.
      expect(readFileSync(join(dir, 'tenants', `${name}.db`)).length).toBe(0);
    }
  });

  it('--canary n with healthy canaries goes on to the whole fleet; --fail-fast stops new starts', async () => {
    const dir = fleetProject(1);
    sqliteTenants(dir, 6);
    expect((await run(['up', '--fleet', 'sqlite:tenants/*.db', '--canary', '2'], dir)).code).toBe(0);

    const other = fleetProject(2);
    sqliteTenants(other, 6);
    breakTenant(other, 't0000');
    const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--fail-fast', '--concurrency', '1', '--json'], other);
    expect(ran.code).toBe(1);
    const document = json(ran.stdout);
    expect(document.stoppedBy).toBe('fail-fast');
    expect(document.summary).toMatchObject({ ok: 0, failed: 1, skipped: 5 });
  });

  it('--shard i/n: the shards are disjoint and together migrate the whole fleet', async () => {
    const dir = fleetProject(1);
    const names = sqliteTenants(dir, 40);
    const seen: string[] = [];
    for (const index of [1, 2, 3]) {
      const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--shard', `${index}/3`, '--json'], dir);
      expect(ran.code, ran.stderr).toBe(0);
      const document = json(ran.stdout);
      // Each shard applied its own tenants: none had been migrated by an earlier shard.
      expect(document.tenants.every((t) => t.applied === 1)).toBe(true);
      seen.push(...document.tenants.map((t) => t.name));
    }
    expect(seen.sort()).toEqual(names);
    const status = await run(['status', '--fleet', 'sqlite:tenants/*.db', '--json'], dir);
    expect(json(status.stdout).tenants.every((t) => t.applied === 1)).toBe(true);
  });

  it('status, validate, plan and down --to run over the fleet', async () => {
    const dir = fleetProject(3);
    sqliteTenants(dir, 4);
    expect((await run(['up', '--fleet', 'sqlite:tenants/*.db', '--to', '1.2.0'], dir)).code).toBe(0);
    const status = await run(['status', '--fleet', 'sqlite:tenants/*.db'], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^ok {6}t0000 {2}2 applied, 1 pending/m);
    const plan = await run(['plan', '--fleet', 'sqlite:tenants/*.db'], dir);
    expect(plan.stdout).toMatch(/^ok {6}t0003 {2}1 step planned/m);
    expect((await run(['validate', '--fleet', 'sqlite:tenants/*.db'], dir)).code).toBe(0);
    const refused = await run(['down', '--fleet', 'sqlite:tenants/*.db', '--to', '1.1.0'], dir);
    expect(refused.code).toBe(2);
    const down = await run(['down', '--fleet', 'sqlite:tenants/*.db', '--to', '1.1.0', '--yes'], dir);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/4 ok, 0 failed, 0 skipped of 4 tenants — 4 migrations/);
    expect((await sqliteState(join(dir, 'tenants', 't0002.db'))).rows).toEqual(['app@1.1.0:applied']);
  });

  it("down --steps n reverts each tenant's own last n; a bare down or --to with --steps is refused", async () => {
    const dir = fleetProject(3);
    sqliteTenants(dir, 3);
    // Tenants at different versions: t0000 at 1.1.0, t0001 at 1.2.0, t0002 at 1.3.0.
    for (const [index, to] of ['1.1.0', '1.2.0', '1.3.0'].entries()) {
      expect((await run(['up', '--url', `sqlite:tenants/t000${index}.db`, '--to', to, '--no-backup'], dir)).code).toBe(0);
    }
    const bare = await run(['down', '--fleet', 'sqlite:tenants/*.db', '--yes'], dir);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/strata down over a fleet needs --to or --steps/);
    const both = await run(['down', '--fleet', 'sqlite:tenants/*.db', '--to', '1.1.0', '--steps', '1', '--yes'], dir);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/Give --to or --steps, not both/);
    const unconfirmed = await run(['down', '--fleet', 'sqlite:tenants/*.db', '--steps', '1'], dir);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/Refusing to revert each tenant's last 1 migration on 3 tenants/);

    const down = await run(['down', '--fleet', 'sqlite:tenants/*.db', '--steps', '2', '--yes', '--json'], dir);
    expect(down.code, down.stderr).toBe(0);
    expect(json(down.stdout).tenants.map((t) => [t.name, t.status])).toEqual([
      ['t0000', 'ok'],
      ['t0001', 'ok'],
      ['t0002', 'ok'],
    ]);
    expect((JSON.parse(down.stdout) as { tenants: { reverted: number }[] }).tenants.map((t) => t.reverted)).toEqual([1, 2, 2]);
    expect((await sqliteState(join(dir, 'tenants', 't0000.db'))).rows).toEqual([]);
    expect((await sqliteState(join(dir, 'tenants', 't0001.db'))).rows).toEqual([]);
    expect((await sqliteState(join(dir, 'tenants', 't0002.db'))).rows).toEqual(['app@1.1.0:applied']);
  });

  it('takes the fleet from config fleet.targets, and --fleet off runs one target', async () => {
    const dir = fleetProject(1);
    sqliteTenants(dir, 3);
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ fleet: { targets: 'sqlite:tenants/*.db', concurrency: 2 } }));
    const ran = await run(['up'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/3 ok, 0 failed, 0 skipped of 3 tenants/);
    const single = await run(['status', '--fleet', 'off', '--url', 'sqlite:tenants/t0001.db', '--json'], dir);
    expect(JSON.parse(single.stdout).migrations[0].state).toBe('applied');
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ fleet: { target: 'x' } }));
    const bad = await run(['up'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/fleet\.target/);
  });

  it('draws a progress line on a terminal (done, failed, running, migrations/s) and plain lines on a pipe', async () => {
    const dir = fleetProject(2);
    sqliteTenants(dir, 5);
    const tty = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '1'], dir, { stderrIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/\r\x1b\[Kfleet up: \d+\/5 done, 0 failed, 1 running · \d+ migrations\/s/);
    const piped = await run(['status', '--fleet', 'sqlite:tenants/*.db'], dir);
    expect(piped.stderr).not.toContain('\r');
    expect(piped.stdout.split('\n').filter((line) => line.startsWith('ok '))).toHaveLength(5);
  });

  it('on SIGINT starts no new tenant, reports the rest as not run, and exits 130', async () => {
    const dir = fleetProject(2);
    sqliteTenants(dir, 30);
    const controller = new AbortController();
    let stderr = '';
    let finished = 0;
    const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--concurrency', '1', '--json'], dir, {
      signal: controller.signal,
      stderr: {
        write: (chunk: string) => {
          stderr += chunk;
          if (/^ok /m.test(chunk) && ++finished === 3) controller.abort(Object.assign(new Error('SIGINT'), { signal: 'SIGINT' }));
        },
      },
    });
    expect(ran.code, stderr).toBe(130);
    const document = json(ran.stdout);
    expect(document.stoppedBy).toBe('interrupted');
    expect(document.summary.ok).toBeGreaterThanOrEqual(3);
    expect(document.summary.skipped).toBeGreaterThan(0);
    expect(document.summary.ok + document.summary.failed + document.summary.skipped).toBe(30);
    // Whatever ran is whole: every tenant holds 0 or 2 applied rows, never a half.
    for (const tenant of document.tenants) {
      const state = await sqliteState(join(dir, 'tenants', `${tenant.name}.db`)).catch(() => ({
        rows: [] as string[],
        applyEvents: [] as string[],
      }));
      expect(state.rows.length === state.applyEvents.length).toBe(true);
    }
  });

  it('shows control characters in a tenant name escaped, never raw', async () => {
    const dir = fleetProject(1);
    sqliteTenants(dir, 1);
    writeFileSync(join(dir, 'tenants', 'evil\x1b[31m.db'), '');
    const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('ok      evil\\x1b[31m  1 migration applied');
    expect(ran.stdout + ran.stderr).not.toContain('\x1b');
  });

  it('refuses a fleet spec that matches no tenant (exit 2), and an empty shard or --only-failed is fine', async () => {
    const dir = fleetProject(1);
    const ran = await run(['up', '--fleet', 'sqlite:tenant/*.db', '--json'], dir);
    expect(ran.code).toBe(2);
    expect(JSON.parse(ran.stdout).error).toMatchObject({ code: 'STRATA_USAGE', message: 'The fleet "sqlite:tenant/*.db" has no tenant' });
    sqliteTenants(dir, 2);
    expect((await run(['up', '--fleet', 'sqlite:tenants/*.db'], dir)).code).toBe(0);
    const none = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--only-failed'], dir);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/0 ok, 0 failed, 0 skipped of 0 tenants/);
  });

  it('with backup.enabled: true takes one backup per tenant, each in its own folder naming its database', async () => {
    const dir = fleetProject(1);
    // Tenants that already hold data: a database that holds nothing yet is never backed up.
    for (const name of sqliteTenants(dir, 2)) {
      const db = new Database(join(dir, 'tenants', `${name}.db`));
      db.exec('CREATE TABLE existing (id integer)');
      db.close();
    }
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ backup: { enabled: true } }));
    const ran = await run(['up', '--fleet', 'sqlite:tenants/*.db'], dir, { backupLoader: () => import('@strata/backup' as string) });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).not.toMatch(/no backup/);
    const folders = readdirSync(join(dir, '.strata-backups', 'fleet')).sort();
    expect(folders).toEqual([expect.stringMatching(/^t0000-[0-9a-f]{8}$/), expect.stringMatching(/^t0001-[0-9a-f]{8}$/)]);
    for (const [index, folder] of folders.entries()) {
      const manifests = readdirSync(join(dir, '.strata-backups', 'fleet', folder)).filter((f) => f.endsWith('.json'));
      expect(manifests).toHaveLength(1);
      const manifest = JSON.parse(readFileSync(join(dir, '.strata-backups', 'fleet', folder, manifests[0]!), 'utf8')) as {
        database: string;
        tenant?: string;
      };
      expect(manifest.database).toContain(`t000${index}.db`);
      expect(manifest.tenant).toBe(`t000${index}`);
    }
    // list and restore name the tenant (the tenant's folder is its backup.dir).
    const tenantDir = join(dir, 'tenant-backups.json');
    writeFileSync(tenantDir, JSON.stringify({ backup: { dir: join('.strata-backups', 'fleet', folders[1]!) } }));
    const listed = await run(['backup', 'list', '--url', 'sqlite:tenants/t0001.db', '--config', tenantDir], dir, {
      backupLoader: () => import('@strata/backup' as string),
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/t0001\.db \(this one\) \[tenant t0001\]/);
    const listedJson = await run(['backup', 'list', '--url', 'sqlite:tenants/t0001.db', '--config', tenantDir, '--json'], dir, {
      backupLoader: () => import('@strata/backup' as string),
    });
    const backups = (JSON.parse(listedJson.stdout) as { backups: { id: string; tenant?: string }[] }).backups;
    expect(backups.map((b) => b.tenant)).toEqual(['t0001']);
    const restored = await run(
      ['backup', 'restore', backups[0]!.id, '--url', 'sqlite:tenants/t0001.db', '--config', tenantDir, '--yes'],
      dir,
      { backupLoader: () => import('@strata/backup' as string) },
    );
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/\(tenant t0001\) restored into/);
    const off = await run(['up', '--fleet', 'sqlite:tenants/*.db', '--no-backup'], dir);
    expect(off.stderr).toMatch(/^no backup: skipped by --no-backup$/m);
  });
});
