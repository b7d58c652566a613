// `--wait`: a database that starts accepting connections a little after strata starts (a
// container still booting), played by a TCP proxy to the real PostgreSQL that opens late. And the
// wait for the migration lock while another strata run (a real second process) holds it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project, strata } from './bin.js';

let database: TestDatabase;
beforeAll(async () => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata-migrate...\` first (the root test script does)`);
  database = await createTestDatabase('strata_wait');
});
afterAll(async () => {
  await database?.drop();
});

/** A port nothing listens on yet (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Forwards `port` to the test server's PostgreSQL. */
function proxy(port: number, to: URL): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(Number(to.port || 5432), to.hostname);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

function run(
  cwd: string,
  args: string[],
  command = [process.execPath, BIN],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0]!, [...command.slice(1), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, XDG_CACHE_HOME: join(tmpdir(), 'strata-e2e-xdg-cache') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('--wait', () => {
  it('retries the connect until the database accepts connections', async () => {
    const port = await freePort();
    const real = new URL(database.url);
    const url = `postgres://${real.username}@127.0.0.1:${port}${real.pathname}`;
    const dir = project({ 'migrations/1.0.0_t.sql': '-- strata:up\nCREATE TABLE waited (id int);\n-- strata:down\nDROP TABLE waited;\n' });

    const without = strata(dir, ['status', '--url', url]);
    expect(without.code, without.stderr).toBe(5);

    const running = run(dir, ['up', '--no-backup', '--url', url, '--wait', '60s']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const server = await proxy(port, real);
    try {
      const ran = await running;
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stderr).toMatch(/waiting for postgres:\/\/.* \(attempt 1, \d+ s left\)/);
      expect(ran.stdout).toMatch(/applied\s+app@1\.0\.0/);
    } finally {
      server.close();
    }
  }, 90_000);

  it('gives up after the duration with the connect error (exit 5), and never retries a missing database', async () => {
    const port = await freePort();
    const dir = project();
    const ran = strata(dir, ['status', '--url', `postgres://postgres@127.0.0.1:${port}/x`, '--wait', '1s']);
    expect(ran.code).toBe(5);
    expect(ran.stderr).toMatch(/^waiting for /);
    expect(ran.stderr).toMatch(/^error STRATA_CONNECTION_FAILED: /m);
    const real = new URL(database.url);
    const missing = strata(dir, [
      'status',
      '--url',
      `postgres://${real.username}@${real.host}/strata_no_such_db_for_wait`,
      '--wait',
      '30s',
    ]);
    expect(missing.code).toBe(5);
    expect(missing.stderr).not.toContain('waiting for');
  }, 90_000);
});

describe('waiting for the migration lock that another strata run holds', () => {
  const SLOW = { postgres: 'SELECT pg_sleep(4);', sqlite: undefined } as const;
  const databases: TestDatabase[] = [];
  afterAll(async () => {
    for (const created of databases) await created.drop();
  });

  /** A project whose first migration holds the lock a few seconds, and the URL of its (fresh) database. */
  async function lockedProject(dialect: 'postgres' | 'sqlite') {
    // SQLite runs in the thread: a recursive count keeps the write lock for a few seconds.
    const slow =
      SLOW[dialect] ?? 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 40000000) SELECT count(*) FROM c;';
    const dir = project({
      'migrations/1.0.0_slow.sql': `-- strata:up\n${slow}\nCREATE TABLE slow_${dialect} (id int);\n-- strata:down\nDROP TABLE slow_${dialect};\n`,
    });
    if (dialect === 'sqlite') return { dir, url: 'sqlite:./locked.db' };
    const fresh = await createTestDatabase('strata_lockwait');
    databases.push(fresh);
    return { dir, url: fresh.url };
  }

  /** Starts the holder, and the waiter once the holder has the lock (its step is running). */
  async function holderAndWaiter(
    dialect: 'postgres' | 'sqlite',
    waiter: (dir: string, url: string) => Promise<{ code: number | null; stdout: string; stderr: string }>,
  ) {
    const { dir, url } = await lockedProject(dialect);
    const holding = run(dir, ['up', '--no-backup', '--verbose', '--url', url]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const waited = await waiter(dir, url);
    const held = await holding;
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toMatch(/applied\s+app@1\.0\.0/);
    return waited;
  }

  for (const dialect of ['postgres', 'sqlite'] as const) {
    it(`${dialect}: on a pipe, waits and then finds nothing left to do; no live line`, async () => {
      const ran = await holderAndWaiter(dialect, (dir, url) =>
        run(dir, ['up', '--no-backup', '--verbose', '--url', url, '--lock-timeout', '60s']),
      );
      expect(ran.code, ran.stdout + ran.stderr).toBe(0);
      // It did wait (the holder's step ran a few more seconds), then had nothing to apply.
      expect(Number(/lock acquired after (\d+) ms/.exec(ran.stderr)?.[1]), ran.stderr).toBeGreaterThanOrEqual(500);
      expect(ran.stdout + ran.stderr).not.toMatch(/applied\s+app@1\.0\.0/);
      expect(ran.stderr).not.toContain('\r');
    }, 90_000);
  }

  it('postgres, on a terminal (script -qc: a pseudo-TTY): a live lock-wait line, rewritten while it waits', async () => {
    const ran = await holderAndWaiter('postgres', (dir, url) =>
      run(
        dir,
        [
          '-qec',
          `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} up --no-backup --url ${JSON.stringify(url)} --lock-timeout 60s`,
          '/dev/null',
        ],
        ['script'],
      ),
    );
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    // script relays the terminal: the live line is rewritten in place (CR, erase line).
    const frames = ran.stdout.split('\r\x1b[K').filter((f) => f.startsWith('waiting for the '));
    expect(frames.length, ran.stdout).toBeGreaterThanOrEqual(2);
    expect(frames[0]).toMatch(/^waiting for the (migration lock on postgres:\/\/|lock held by )/);
  }, 90_000);

  // Needs core's lock loop to send lock-wait again with the holder (H1's branch, issue 14):
  // until that is merged core sends one lock-wait without a holder, and this test fails.
  // The renderer itself is tested in packages/cli/src/run-progress.test.ts.
  it('postgres, on a pipe: one line naming the holder (pid, host, application, since)', async () => {
    const ran = await holderAndWaiter('postgres', (dir, url) => run(dir, ['up', '--no-backup', '--url', url, '--lock-timeout', '60s']));
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const lines = ran.stdout.split('\n').filter((line) => line.startsWith('waiting for the lock on '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^waiting for the lock on postgres:\/\/\S+, held by pid \d+ .*\(.*since \d{4}-\d\d-\d\dT/);
  }, 90_000);
});
