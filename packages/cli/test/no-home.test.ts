/**
 * A uid without a passwd entry and without HOME (an arbitrary-uid container, an `env -i` cron
 * job): `os.homedir()` throws there (ERR_SYSTEM_ERROR, uv_os_homedir ENOENT). The checksum cache
 * is an optimisation: the commands run without it instead of failing. The OS condition is
 * reproduced by making homedir throw as libuv does; the database work is real (a SQLite file).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:os', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:os')>();
  return {
    ...real,
    homedir: () => {
      throw Object.assign(new Error('A system error occurred: uv_os_homedir returned ENOENT (no such file or directory)'), {
        code: 'ERR_SYSTEM_ERROR',
      });
    },
  };
});

const { tmpdir } = await import('node:os');
const { runCli } = await import('../src/run-cli.js');

async function run(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {}, // no HOME, no XDG_CACHE_HOME, no STRATA_CACHE_DIR
    cwd,
    dialectLoaders: { sqlite: () => import('@strata/dialect-sqlite' as string) },
  });
  return { code, stdout, stderr };
}

describe('strata without a home folder', () => {
  it('runs up and status with the checksum cache off instead of failing', async () => {
    const { homedir } = await import('node:os');
    expect(() => homedir()).toThrow(/uv_os_homedir/);
    const dir = mkdtempSync(join(tmpdir(), 'strata-no-home-'));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'migrations', '1.0.0_t.sql'), '-- strata:up\nCREATE TABLE t (id integer);\n-- strata:down\nDROP TABLE t;\n');
    const up = await run(['up', '--no-backup', '--verbose'], dir);
    expect(up.stderr).not.toContain('STRATA_INTERNAL');
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('checksum cache: off');
    const status = await run(['status'], dir);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('1 applied');
  });
});
