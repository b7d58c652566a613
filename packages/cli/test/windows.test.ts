import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type RunCliOptions } from '../src/run-cli.js';

// Maintenance windows through the whole CLI, on real SQLite files, with the clock set by
// STRATA_TEST_NOW (it starts at that instant and runs): no test waits for a real window.

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cwd: string, argv: string[], now: string, options: Partial<RunCliOptions> = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { STRATA_TEST_NOW: now },
    cwd,
    dialectLoaders: { sqlite: () => import('@strata/dialect-sqlite' as string) },
    ...options,
  });
  return { code, stdout, stderr };
}

/** Berlin nightly 22:00–04:00 on weekdays; 1.1.0 opts in; 1.0.0 and 1.2.0 do not. */
function project(
  window = 'nightly',
  windows: object = { nightly: { days: 'mon-fri', from: '22:00', to: '04:00', timezone: 'Europe/Berlin' } },
): string {
  const cwd = mkdtempSync(join(tmpdir(), 'strata-windows-'));
  mkdirSync(join(cwd, 'migrations'));
  writeFileSync(join(cwd, 'strata.config.json'), JSON.stringify({ url: 'sqlite:./app.db', windows }));
  writeFileSync(join(cwd, 'migrations', '1.0.0_users.sql'), 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n');
  writeFileSync(join(cwd, 'migrations', '1.1.0_big_index.sql'), `-- strata:window ${window}\nCREATE INDEX users_id ON users (id);\n`);
  writeFileSync(join(cwd, 'migrations', '1.2.0_posts.sql'), 'CREATE TABLE posts (id INTEGER PRIMARY KEY);\n');
  return cwd;
}

// Wednesday 2026-03-25, 19:00 CET: the window opens at 22:00 CET (21:00Z), in 3 h.
const CLOSED = '2026-03-25T18:00:00Z';
const OPEN = '2026-03-25T21:30:00Z';

describe('maintenance windows', () => {
  it('up stops before the first migration whose window is closed: exit 8, a deferred event, JSON saying which and when', async () => {
    const cwd = project();
    const ran = await run(cwd, ['up', '--json'], CLOSED);
    expect(ran.code).toBe(8);
    const report = JSON.parse(ran.stdout);
    expect(report.steps.map((s: { id: string; outcome: string }) => `${s.id} ${s.outcome}`)).toEqual(['app@1.0.0 applied']);
    expect(report.deferred).toMatchObject({
      code: 'STRATA_DEFERRED',
      migrationId: 'app@1.1.0',
      window: 'nightly',
      opensAt: '2026-03-25T21:00:00.000Z',
    });
    expect(report.deferred.message).toContain('opens 2026-03-25 22:00 Europe/Berlin, in 3 h');

    const history = JSON.parse((await run(cwd, ['history', '--json'], CLOSED)).stdout);
    const deferred = history.events.filter((e: { action: string }) => e.action === 'deferred');
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toMatchObject({ migrationId: 'app@1.1.0', outcome: 'skipped', errorCode: 'STRATA_DEFERRED' });
    expect(deferred[0].details).toMatchObject({ window: 'nightly', opensAt: '2026-03-25T21:00:00.000Z' });

    const status = await run(cwd, ['status'], CLOSED);
    expect(status.code).toBe(0);
    expect(status.stdout + status.stderr).toContain('app@1.1.0: waiting for window nightly (opens 2026-03-25 22:00 Europe/Berlin, in 3 h)');
    const statusJson = JSON.parse((await run(cwd, ['status', '--json'], CLOSED)).stdout);
    expect(statusJson.windows).toEqual([
      expect.objectContaining({ migrationId: 'app@1.1.0', window: 'nightly', open: false, opensAt: '2026-03-25T21:00:00.000Z' }),
    ]);

    // Text output says it too, and exits 8.
    const again = await run(cwd, ['up'], CLOSED);
    expect(again.code).toBe(8);
    expect(again.stderr).toContain('deferred: app@1.1.0 waits for window nightly');

    const open = await run(cwd, ['up', '--json'], OPEN);
    expect(open.code).toBe(0);
    expect(JSON.parse(open.stdout).steps.map((s: { id: string }) => s.id)).toEqual(['app@1.1.0', 'app@1.2.0']);
  });

  it('checks the window before every step: a run that reaches a closed window after midnight stops there', async () => {
    // Saturday 00:30 Berlin: Friday's window is open until 04:00; Saturday starts none.
    const cwd = project('weekend', { weekend: { days: 'sat', from: '01:00', to: '05:00', timezone: 'Europe/Berlin' } });
    const ran = await run(cwd, ['up', '--json'], '2026-03-27T23:30:00Z');
    expect(ran.code).toBe(8);
    expect(JSON.parse(ran.stdout).deferred).toMatchObject({ migrationId: 'app@1.1.0', opensAt: '2026-03-28T00:00:00.000Z' });
  });

  it('an unknown window name is a validation problem (exit 3) naming the file and the configured windows, before anything runs', async () => {
    const cwd = project('nighlty');
    const ran = await run(cwd, ['up', '--json'], OPEN);
    expect(ran.code).toBe(3);
    const { error } = JSON.parse(ran.stdout);
    expect(error.code).toBe('STRATA_INVALID_MIGRATION');
    expect(error.message).toContain('1.1.0_big_index.sql');
    expect(error.message).toContain('"nighlty" is not configured (configured: nightly)');
    const status = JSON.parse((await run(cwd, ['status', '--json'], OPEN)).stdout);
    expect(status.migrations.filter((m: { state: string }) => m.state === 'applied')).toEqual([]);
  });

  it('a config window with a bad field is a config error (exit 2) naming the key', async () => {
    const cwd = project('nightly', { nightly: { from: '22:00', to: '4am' } });
    const ran = await run(cwd, ['up'], OPEN);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('windows.nightly');
    expect(ran.stderr).toContain('to must be a local time');
  });

  it('--wait-for-window: a window that opens after the limit still defers (exit 8) at once', async () => {
    const cwd = project();
    const started = Date.now();
    const ran = await run(cwd, ['up', '--json', '--wait-for-window', '1h'], CLOSED);
    expect(ran.code).toBe(8);
    expect(JSON.parse(ran.stdout).deferred.message).toContain('--wait-for-window');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('--wait-for-window waits for a window that opens within the limit, then applies the rest', async () => {
    const cwd = project();
    // Half a second before 22:00 CET.
    const ran = await run(cwd, ['up', '--json', '--wait-for-window', '10m'], '2026-03-25T20:59:59.500Z');
    expect(ran.code).toBe(0);
    expect(JSON.parse(ran.stdout).steps.map((s: { id: string }) => s.id)).toEqual(['app@1.0.0', 'app@1.1.0', 'app@1.2.0']);
    expect(ran.stderr).toContain('waiting for window nightly before app@1.1.0');
  });

  it('--wait-for-window is interruptible: SIGINT exits 130 with the steps before kept and nothing failed', async () => {
    const cwd = project();
    const controller = new AbortController();
    const pending = run(cwd, ['up', '--json', '--wait-for-window', '5h'], CLOSED, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('SIGINT')), 1_000);
    const ran = await pending;
    expect(ran.code).toBe(130);
    const status = JSON.parse((await run(cwd, ['status', '--json'], CLOSED)).stdout);
    expect(status.migrations.map((m: { id: string; state: string }) => `${m.id} ${m.state}`)).toEqual([
      'app@1.0.0 applied',
      'app@1.1.0 pending',
      'app@1.2.0 pending',
    ]);
    expect(status.problems).toEqual([]);
  });

  it('--wait-for-window with --single-transaction is a usage error', async () => {
    const ran = await run(project(), ['up', '--single-transaction', '--wait-for-window', '1h'], CLOSED);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('--single-transaction');
  });
});
