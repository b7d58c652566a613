import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dialect } from '@strata/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { runCli } from '../src/run-cli.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('strata_progress');
});
afterAll(async () => {
  await database?.drop();
});

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-progress-'));
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(
    join(dir, 'migrations', '1.0.0_slow.sql'),
    '-- strata:up\nSELECT pg_sleep(1.5);\nCREATE TABLE slow (id int);\n-- strata:down\nDROP TABLE slow;\n',
  );
  writeFileSync(
    join(dir, 'migrations', '1.1.0_quick.sql'),
    '-- strata:up\nCREATE TABLE quick (id int);\n-- strata:down\nDROP TABLE quick;\n',
  );
  return dir;
}

async function run(argv: string[], stderrIsTTY: boolean) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: project(),
    stderrIsTTY,
    dialectLoaders: { postgres: () => import('@strata/dialect-postgres' as string) },
  });
  return { code, stdout, stderr };
}

/** The live lines drawn on the terminal (each rewrite starts with CR + erase-line). */
const frames = (stderr: string) => stderr.split('\r\x1b[K').filter(Boolean);

describe('live progress on a terminal', () => {
  it('shows [i/N] and the running step with its elapsed time, updated while a long statement runs', async () => {
    const ran = await run(['up', '--no-backup', '--url', database.url], true);
    expect(ran.code, ran.stderr).toBe(0);
    const slow = frames(ran.stderr).filter((f) => f.startsWith('[1/2] applying app@1.0.0 … '));
    // Rewritten every 250 ms during a 1.5 s statement: several frames with a growing time.
    expect(new Set(slow).size).toBeGreaterThanOrEqual(2);
    expect(frames(ran.stderr).some((f) => f.startsWith('[2/2] applying app@1.1.0 … '))).toBe(true);
    // The last live line is cleared before anything else is written.
    expect(ran.stderr.slice(ran.stderr.lastIndexOf('[2/2] applying'))).toMatch(/^\[2\/2\] applying app@1\.1\.0 … [\d.]+ s\r\x1b\[K/);
    expect(ran.stdout).toMatch(/2 migrations applied on .* in \d+ ms\./); // the summary line
  }, 60_000);

  it('waits for the lock visibly, and draws nothing on a pipe or with --json', async () => {
    await runCli(['down', '--steps', '2', '--yes', '--no-backup', '--url', database.url], {
      stdout: { write: () => true },
      stderr: { write: () => true },
      env: {},
      cwd: project(),
    });
    // (Imported by name, as the CLI's own loader does: @strata/cli does not depend on the dialect.)
    const { createPostgresDialect } = (await import('@strata/dialect-postgres' as string)) as {
      createPostgresDialect(options: { connectionString: string }): Dialect;
    };
    const holder = await createPostgresDialect({ connectionString: database.url }).connect({ purpose: 'migrate', lockTimeoutMs: 1000 });
    await holder.acquireLock();
    const release = setTimeout(() => void holder.releaseLock(), 1_200);
    try {
      const ran = await run(['up', '--no-backup', '--url', database.url, '--lock-timeout', '30s'], true);
      expect(ran.code, ran.stderr).toBe(0);
      expect(frames(ran.stderr).filter((f) => f.startsWith('waiting for the migration lock on postgres://')).length).toBeGreaterThanOrEqual(
        2,
      );
    } finally {
      clearTimeout(release);
      await holder.releaseLock().catch(() => {});
      await holder.close();
    }
    const piped = await run(['down', '--steps', '2', '--yes', '--no-backup', '--url', database.url], false);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).not.toContain('\r');
    expect(piped.stdout).toMatch(/^ {2}reverted app@1\.1\.0 \(\d+ ms\)$/m);
    const json = await run(['up', '--no-backup', '--json', '--url', database.url], true);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).not.toContain('\r');
  }, 60_000);
});
