// `--wait`: a database that starts accepting connections a little after strata starts (a
// container still booting), played by a TCP proxy to the real PostgreSQL that opens late.
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
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata-migrate...\` first (the root test script does)`);
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

function run(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, XDG_CACHE_HOME: join(tmpdir(), 'strata-e2e-xdg-cache') } });
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
    const missing = strata(dir, ['status', '--url', `postgres://${real.username}@${real.host}/strata_no_such_db_for_wait`, '--wait', '30s']);
    expect(missing.code).toBe(5);
    expect(missing.stderr).not.toContain('waiting for');
  }, 90_000);
});
