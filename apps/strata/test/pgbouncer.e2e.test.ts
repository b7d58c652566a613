// strata through a real PgBouncer (issue 10, item 1): started by the test on a free port with a
// generated ini, stopped by pid. In transaction mode a session advisory lock protects nothing, so
// strata must refuse the pooled URL and never apply anything twice; in session mode it works as on
// a direct connection; `--direct-url` / config `directUrl` is the fix the error names.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, PG_ADMIN_URL, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project } from './bin.js';

function pgbouncerPath(): string {
  if (existsSync('/usr/sbin/pgbouncer')) return '/usr/sbin/pgbouncer';
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('pgbouncer is not installed (apt-get install -y pgbouncer); .ci/run installs it');
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Bouncer {
  port: number;
  url(database: string): string;
  stop(): Promise<void>;
}

/** Starts PgBouncer in front of the test server; `pool_size` server connections per database. */
async function startPgBouncer(mode: 'transaction' | 'session', poolSize: number): Promise<Bouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pgbouncer-'));
  // PgBouncer refuses to run as root: it switches to `nobody`, who must read the files.
  chmodSync(dir, 0o755);
  const server = new URL(PG_ADMIN_URL);
  const port = await freePort();
  const users = join(dir, 'users.txt');
  writeFileSync(users, `"${decodeURIComponent(server.username || 'postgres')}" ""\n`, { mode: 0o644 });
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      `pool_mode = ${mode}`,
      `default_pool_size = ${poolSize}`,
      'max_client_conn = 100',
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const args = process.getuid?.() === 0 ? ['-u', 'nobody', ini] : [ini];
  const child: ChildProcess = spawn(pgbouncerPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = netConnect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`pgbouncer did not start: ${log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url: (database) => `postgres://${server.username || 'postgres'}@127.0.0.1:${port}/${database}`,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `strata <args>` in `cwd`, asynchronously (several run at once). */
function strataAsync(cwd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, XDG_CACHE_HOME: join(tmpdir(), 'strata-e2e-xdg-cache') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function query<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Six migrations that each log themselves and take a while, so that concurrent runs overlap. */
function migrations(): Record<string, string> {
  const files: Record<string, string> = { 'migrations/1.0.0_log.sql': '-- strata:up\nCREATE TABLE applied_log (version text);\n' };
  for (let i = 1; i <= 6; i++) {
    files[`migrations/1.${i}.0_step.sql`] =
      `-- strata:up\nINSERT INTO applied_log VALUES ('1.${i}.0');\nCREATE TABLE t_${i} (id int);\nSELECT pg_sleep(0.4);\n`;
  }
  return files;
}

const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0', '1.6.0'];

describe('strata through PgBouncer', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_bouncer');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('transaction mode: three concurrent runs never apply anything twice, and the pooled URL is refused naming the fix', async () => {
    const bouncer = await startPgBouncer('transaction', 1);
    try {
      const dir = project(migrations());
      const pooled = bouncer.url(database.name);
      const args = ['up', '--url', pooled, '--no-backup', '--lock-timeout', '20s', '--json'];
      // The first run starts; the other two join once it has applied something, so that all
      // three overlap however slowly processes start on a loaded machine.
      const first = strataAsync(dir, args);
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const rows = await query<{ n: string }>(database.url, 'SELECT count(*)::text AS n FROM strata_migrations').catch(() => [
          { n: '0' },
        ]);
        if (Number(rows[0]!.n) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const runs = await Promise.all([first, strataAsync(dir, args), strataAsync(dir, args)]);
      const log = await query<{ version: string; n: string }>(
        database.url,
        'SELECT version, count(*)::text AS n FROM applied_log GROUP BY version ORDER BY version',
      ).catch(() => []);
      // Nothing twice.
      for (const row of log) expect(row, JSON.stringify(runs)).toMatchObject({ n: '1' });
      const state = await query<{ version: string; status: string }>(
        database.url,
        'SELECT version, status FROM strata_migrations ORDER BY version',
      ).catch(() => []);
      expect(state.every((row) => row.status === 'applied')).toBe(true);
      expect(log.map((row) => row.version)).toEqual(state.map((row) => row.version).filter((v) => v !== '1.0.0'));
      // Each run either finished or stopped with a clear error; at least one was refused for the pooler.
      const codes = runs.map((run) => (run.code === 0 ? 'ok' : (JSON.parse(run.stdout) as { error: { code: string } }).error.code));
      for (const code of codes) expect(['ok', 'STRATA_UNSTABLE_SESSION', 'STRATA_LOCK_LOST'], JSON.stringify(runs)).toContain(code);
      const refused = runs.filter((run) => run.stdout.includes('STRATA_UNSTABLE_SESSION'));
      expect(refused.length, JSON.stringify(runs)).toBeGreaterThanOrEqual(1);
      for (const run of refused) {
        expect(run.code).toBe(2);
        const { error } = JSON.parse(run.stdout) as { error: { message: string; hint: string } };
        expect(error.message).toContain('connection pooler in transaction mode');
        expect(error.hint).toContain('--direct-url');
        expect(error.hint).toContain('directUrl');
      }

      // The fix the error names: the same command with --direct-url finishes the job, once.
      const direct = await strataAsync(dir, ['up', '--url', pooled, '--direct-url', database.url, '--no-backup', '--json']);
      expect(direct.code, direct.stdout + direct.stderr).toBe(0);
      const after = await query<{ version: string; n: string }>(
        database.url,
        'SELECT version, count(*)::text AS n FROM applied_log GROUP BY version ORDER BY version',
      );
      expect(after).toEqual(VERSIONS.slice(1).map((version) => ({ version, n: '1' })));
    } finally {
      await bouncer.stop();
    }
  }, 120_000);

  it('session mode: three concurrent runs work as on a direct connection', async () => {
    const db = await createTestDatabase('strata_bouncer_s');
    const bouncer = await startPgBouncer('session', 5);
    try {
      const dir = project(migrations());
      const pooled = bouncer.url(db.name);
      const runs = await Promise.all(
        [0, 1, 2].map(() => strataAsync(dir, ['up', '--url', pooled, '--no-backup', '--lock-timeout', '30s', '--json'])),
      );
      for (const run of runs) expect(run.code, run.stdout + run.stderr).toBe(0);
      const applied = runs.flatMap((run) => (JSON.parse(run.stdout) as { steps: { id: string }[] }).steps.map((step) => step.id));
      expect(applied.sort()).toEqual(VERSIONS.map((v) => `app@${v}`));
      const log = await query<{ version: string; n: string }>(
        db.url,
        'SELECT version, count(*)::text AS n FROM applied_log GROUP BY version ORDER BY version',
      );
      expect(log).toEqual(VERSIONS.slice(1).map((version) => ({ version, n: '1' })));
    } finally {
      await bouncer.stop();
      await db.drop();
    }
  }, 120_000);

  it('config directUrl: migrations connect through it while url names the pooler', async () => {
    const db = await createTestDatabase('strata_bouncer_d');
    const bouncer = await startPgBouncer('transaction', 1);
    try {
      const dir = project({
        ...migrations(),
        'strata.config.json': JSON.stringify({ url: bouncer.url(db.name), directUrl: db.url }),
      });
      const runs = await Promise.all([0, 1, 2].map(() => strataAsync(dir, ['up', '--no-backup', '--lock-timeout', '30s', '--json'])));
      for (const run of runs) expect(run.code, run.stdout + run.stderr).toBe(0);
      const log = await query<{ version: string; n: string }>(
        db.url,
        'SELECT version, count(*)::text AS n FROM applied_log GROUP BY version ORDER BY version',
      );
      expect(log).toEqual(VERSIONS.slice(1).map((version) => ({ version, n: '1' })));
    } finally {
      await bouncer.stop();
      await db.drop();
    }
  }, 120_000);
});
