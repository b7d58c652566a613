// SIGINT/SIGTERM end to end (RELIABILITY.md rule 10): the built bin cancels the running
// statement, rolls back, releases the lock and exits 130/143, leaving nothing half-applied.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';

const BIN = fileURLToPath(new URL('../dist/strata.cjs', import.meta.url));
const require = createRequire(import.meta.url);

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const cleanEnv = (cwd: string): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd });

function strataSync(cwd: string, args: string[]): Ran {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: cleanEnv(cwd), timeout: 60_000 });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Spawns the bin without waiting; `done` resolves on exit with everything it printed. */
function strataAsync(cwd: string, args: string[]): { child: ChildProcess; output: () => string; done: Promise<Ran> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(cwd), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Ran>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, output: () => stdout + stderr, done };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-signals-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const sql = (up: string, down: string) => `-- strata:up\n${up}\n-- strata:down\n${down}\n`;

async function waitFor(what: string, check: () => Promise<boolean> | boolean, child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`strata exited before ${what}`);
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata-migrate...\` first (the root test script does)`);
});

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s during a running statement on PostgreSQL', (signal, exitCode) => {
  let database: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    database = await createTestDatabase('strata_sig');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end().catch(() => {});
    await database?.drop();
  });

  it(`cancels pg_sleep, rolls the migration back, releases the lock and exits ${exitCode}`, async () => {
    const sleeping = 'migrations/1.1.0_slow.sql';
    const dir = project({
      'migrations/1.0.0_first.sql': sql('CREATE TABLE first_table (id int);', 'DROP TABLE first_table;'),
      [sleeping]: sql('CREATE TABLE slow_table (id int);\nSELECT pg_sleep(20);', 'DROP TABLE slow_table;'),
    });
    const run = strataAsync(dir, ['up', '--url', database.url, '--no-backup']);
    try {
      await waitFor(
        'pg_sleep to run',
        async () => {
          const { rows } = await client.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(20)%' AND pid <> pg_backend_pid()",
          );
          return rows.length > 0;
        },
        run.child,
      );
      const sent = Date.now();
      run.child.kill(signal);
      const ran = await run.done;
      expect(ran.signal).toBeNull();
      expect(ran.code, ran.stdout + ran.stderr).toBe(exitCode);
      // The statement was cancelled, not waited for.
      expect(Date.now() - sent).toBeLessThan(10_000);
      expect(ran.stderr).toMatch(/STRATA_INTERRUPTED/);
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    }

    // First migration applied, second rolled back: no table, no state row, nothing running.
    const { rows: tables } = await client.query(
      "SELECT to_regclass('first_table')::text AS first, to_regclass('slow_table')::text AS slow",
    );
    expect(tables[0]).toEqual({ first: 'first_table', slow: null });
    const { rows: state } = await client.query('SELECT * FROM strata_migrations');
    expect(state.map((row) => `${row.module}@${row.version}`)).toEqual(['app@1.0.0']);
    const { rows: sessions } = await client.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    expect(sessions[0].n).toBe(0);
    const { rows: locks } = await client.query(
      "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    expect(locks[0].n).toBe(0);
    const status = strataSync(dir, ['status', '--url', database.url, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).migrations.map((m: any) => [m.id, m.state])).toEqual([
      ['app@1.0.0', 'applied'],
      ['app@1.1.0', 'pending'],
    ]);

    // The lock is free: a second run (the unapplied file edited to drop the sleep) applies it.
    writeFileSync(join(dir, sleeping), sql('CREATE TABLE slow_table (id int);', 'DROP TABLE slow_table;'));
    const again = strataSync(dir, ['up', '--url', database.url, '--no-backup', '--lock-timeout', '2s', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).steps.map((s: any) => [s.id, s.outcome])).toEqual([['app@1.1.0', 'applied']]);
    const { rows: after } = await client.query("SELECT to_regclass('slow_table')::text AS slow");
    expect(after[0].slow).toBe('slow_table');
  });
});

describe('SIGTERM between migrations on SQLite', () => {
  it('stops after the running migration, exits 143 and leaves nothing half-applied', async () => {
    // Heavy recursive CTE work: SQLite cannot cancel it, so the signal lands while it runs and the
    // run stops at the next step boundary.
    const heavy = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 12000000) SELECT count(*) AS n FROM c';
    const dir = project({
      'migrations/1.0.0_first.sql': sql('CREATE TABLE first_table (id integer);', 'DROP TABLE first_table;'),
      'migrations/1.1.0_heavy.sql': sql(`CREATE TABLE heavy AS ${heavy};`, 'DROP TABLE heavy;'),
      'migrations/1.2.0_after.sql': sql('CREATE TABLE after_table (id integer);', 'DROP TABLE after_table;'),
    });
    const run = strataAsync(dir, ['up', '--no-backup']);
    try {
      await waitFor('the first migration', () => /applied\s+app@1\.0\.0/.test(run.output()), run.child);
      run.child.kill('SIGTERM');
      const ran = await run.done;
      expect(ran.signal).toBeNull();
      expect(ran.code, ran.stdout + ran.stderr).toBe(143);
      expect(ran.stderr).toMatch(/STRATA_INTERRUPTED/);
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    }

    const Database = require(require.resolve('better-sqlite3', { paths: [fileURLToPath(new URL('..', import.meta.url))] }));
    const db = new Database(join(dir, 'strata.db'), { readonly: true });
    try {
      const tables = new Set(
        (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
      );
      const applied = (db.prepare('SELECT module, version FROM strata_migrations').all() as { module: string; version: string }[]).map(
        (r) => `${r.module}@${r.version}`,
      );
      expect(applied).toContain('app@1.0.0');
      expect(applied).not.toContain('app@1.2.0');
      expect(tables.has('after_table')).toBe(false);
      // The heavy migration is either wholly applied (it finished before the run stopped) or not at all.
      expect(tables.has('heavy')).toBe(applied.includes('app@1.1.0'));
      if (tables.has('heavy')) expect(db.prepare('SELECT n FROM heavy').get()).toEqual({ n: 12_000_000 });
    } finally {
      db.close();
    }
    const status = strataSync(dir, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).migrations.every((m: any) => m.state === 'applied' || m.state === 'pending')).toBe(true);
    // Not locked: the next run finishes the job.
    const again = strataSync(dir, ['up', '--no-backup', '--lock-timeout', '2s']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(strataSync(dir, ['status', '--json']).stdout).migrations.every((m: any) => m.state === 'applied')).toBe(true);
  });
});
