import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { backupProgressLine, createOutput } from '../src/output.js';
import { runCli, type RunCliOptions } from '../src/run-cli.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');

async function run(argv: string[], cwd: string, options: Partial<RunCliOptions> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd,
    dialectLoaders: { sqlite: () => import('@strata/dialect-sqlite' as string) },
    ...options,
  });
  return { code, stdout, stderr };
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-backup-cmd-'));
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(join(dir, 'migrations/1.0.0_t.sql'), '-- strata:up\nCREATE TABLE t (id integer);\n-- strata:down\nDROP TABLE t;\n');
  return dir;
}

describe('strata backup restore confirmation', () => {
  it('asks on a terminal (y restores, anything else refuses with exit 2) and requires --yes otherwise', async () => {
    const dir = project();
    expect((await run(['up', '--no-backup'], dir)).code).toBe(0);
    const created = await run(['backup', 'create', '--json'], dir);
    expect(created.code, created.stderr).toBe(0);
    const { backup, recorded } = JSON.parse(created.stdout);
    expect(recorded).toBe(true);

    const piped = await run(['backup', 'restore', backup.id], dir);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toMatch(/^error STRATA_CONFIRMATION_REQUIRED: Refusing to restore/);

    const no = await run(['backup', 'restore', backup.id, '--no-color'], dir, { isTTY: true, stdin: Readable.from(['n\n']) });
    expect(no.code).toBe(2);
    expect(no.stderr).toContain(`Restore backup ${backup.id} over the live database`);
    expect(no.stderr).toContain('[y/N]');
    expect(no.stderr).toMatch(/STRATA_CONFIRMATION_REQUIRED: .*not confirmed/);

    const yes = await run(['backup', 'restore', backup.id, '--json'], dir, { isTTY: true, stdin: Readable.from(['y\n']) });
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ action: 'restore', recorded: true, result: { id: backup.id, replacedLive: true } });

    // Only the confirmed restore reached the history.
    const history = JSON.parse((await run(['history', '--json'], dir)).stdout);
    expect(history.events.filter((e: { action: string }) => e.action === 'restore')).toHaveLength(1);
  });
});

describe('backup progress on a terminal', () => {
  it('rewrites one progress line on a terminal stderr, clears it, and prints none when piped', async () => {
    const dir = project();
    // Something to back up: an empty database gets no pre-run backup.
    const db = new Database(join(dir, 'strata.db'));
    db.exec('CREATE TABLE seed (x integer)');
    db.close();
    const tty = await run(['up'], dir, { stderrIsTTY: true });
    expect(tty.code, tty.stderr).toBe(0);
    expect(tty.stderr).toMatch(/\r\x1b\[Kbackup: copy/);
    expect(tty.stderr).toMatch(/\r\x1b\[Kbackup: verify…/);
    // The line is cleared before the run's own output continues.
    expect(tty.stderr.endsWith('\r\x1b[K') || /\r\x1b\[K(?!backup)/.test(tty.stderr)).toBe(true);
    expect(tty.stdout).toMatch(/backup \S+ taken and verified/);

    const created = await run(['backup', 'create'], dir, { stderrIsTTY: true });
    expect(created.code, created.stderr).toBe(0);
    // A small SQLite database is copied in memory and hashed while it is written: copy, then verify
    // (a separate "hash" stage only appears on the backup-API path above the in-memory threshold).
    expect(created.stderr).toMatch(/\r\x1b\[Kbackup: copy/);
    expect(created.stderr).toMatch(/\r\x1b\[Kbackup: verify…/);

    const piped = await run(['backup', 'create'], dir);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toContain('\x1b[K');
    const quiet = await run(['backup', 'create', '--quiet'], dir, { stderrIsTTY: true });
    expect(quiet.stderr).not.toContain('\x1b[K');
  });
});

describe('backupProgressLine', () => {
  it('renders percentages of pages and megabytes, at most ten times a second', () => {
    let stderr = '';
    const out = createOutput({
      stdout: { write: () => {} },
      stderr: { write: (s: string) => (stderr += s) },
      json: false,
      quiet: false,
      verbose: false,
      color: false,
      progress: true,
    });
    const show = backupProgressLine(out);
    show({ stage: 'copy', done: 10, total: 200, unit: 'pages' });
    show({ stage: 'copy', done: 20, total: 200, unit: 'pages' }); // within 100 ms: skipped
    show({ stage: 'copy', done: 200, total: 200, unit: 'pages' }); // finished: always shown
    show({ stage: 'copy', done: 5 * 1048576, unit: 'bytes' }); // within 100 ms again: skipped
    backupProgressLine(out)({ stage: 'copy', done: 5 * 1048576, unit: 'bytes' });
    backupProgressLine(out)({ stage: 'copy', done: 4 * 1048576, total: 8 * 1048576, unit: 'bytes' });
    expect(stderr).toBe(
      '\r\x1b[Kbackup: copy 5% (10/200 pages)\r\x1b[Kbackup: copy 100% (200/200 pages)\r\x1b[Kbackup: copy 5.0 MB\r\x1b[Kbackup: copy 50% (4.0/8.0 MB)',
    );
  });
});
