import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Dialect, StrataError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { runCli, type RunCliOptions } from '../src/run-cli.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], options: Partial<RunCliOptions> & { cwd?: string } = {}): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'strata-run-cli-')),
    dialectLoaders: {
      sqlite: () => import('@strata/dialect-sqlite' as string),
      postgres: () => import('@strata/dialect-postgres' as string),
    },
    ...options,
  });
  return { code, stdout, stderr };
}

const PASSWORD = 'UniquePw123';

/** A PostgreSQL dialect package whose connect fails with a message that leaks everything. */
const leakyPostgres = async () => ({
  createPostgresDialect: (options: { connectionString: string }): Dialect => ({
    name: 'postgres',
    target: 'postgres://u@h/db',
    connect: async () => {
      throw new StrataError('STRATA_CONNECTION_FAILED', `cannot reach ${options.connectionString} (password ${PASSWORD})`, {
        hint: `check ${options.connectionString}`,
      });
    },
    splitStatements: () => [],
    findNonTransactional: () => [],
  }),
});

describe('runCli', () => {
  it('prints the version', async () => {
    expect(await run(['--version'], { version: '9.9.9' })).toEqual({ code: 0, stdout: '9.9.9\n', stderr: '' });
  });

  it('prints help for every command with examples', async () => {
    for (const command of ['init', 'new', 'status', 'up', 'down', 'plan', 'validate', 'repair', 'baseline', 'history', 'backup']) {
      const ran = await run([command, '--help']);
      expect(ran.code, command).toBe(0);
      expect(ran.stdout).toContain(`Usage: strata ${command}`);
      expect(ran.stdout).toContain('Examples:');
    }
  });

  it('reports an unknown flag as exactly one JSON document with --json, exit 2', async () => {
    const ran = await run(['status', '--json', '--frobnicate']);
    expect(ran.code).toBe(2);
    expect(JSON.parse(ran.stdout)).toEqual({
      error: { code: 'STRATA_USAGE', message: 'Unknown option --frobnicate', hint: 'Run `strata status --help` for usage' },
    });
    expect(ran.stderr).toMatch(/^error STRATA_USAGE: Unknown option --frobnicate\nhint: /);
  });

  it('names the dialect package to install when it is missing', async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package '@strata/dialect-postgres' imported from /x/strata.js"), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
    };
    const ran = await run(['status', '--url', 'postgres://u@h/db'], { dialectLoaders: { postgres: missing } });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain(
      'error STRATA_DIALECT_MISSING: The postgres:// URL needs @strata/dialect-postgres, which is not installed',
    );
    expect(ran.stderr).toContain('hint: npm install @strata/dialect-postgres pg');
  });

  it('loads no dialect for a command that needs none', async () => {
    let loaded = 0;
    const count = async () => {
      loaded++;
      return import('@strata/dialect-sqlite' as string);
    };
    await run(['--help'], { dialectLoaders: { sqlite: count, postgres: count } });
    await run(['init'], { dialectLoaders: { sqlite: count, postgres: count } });
    expect(loaded).toBe(0);
  });

  it('shows an empty project as having no migrations, exit 0', async () => {
    const ran = await run(['status', '--url', 'sqlite::memory:']);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('No migrations: ./migrations does not exist');
  });

  it('fails when an explicitly given migrations folder is missing', async () => {
    const ran = await run(['status', '--url', 'sqlite::memory:', '--migrations', 'nowhere']);
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('Migrations folder nowhere (module app) does not exist');
  });

  it('never prints a password, in text, verbose or JSON output', async () => {
    const url = `postgres://u:${PASSWORD}@h/db`;
    for (const extra of [[], ['--verbose'], ['--json'], ['--json', '--verbose']]) {
      const ran = await run(['up', ...extra], { env: { DATABASE_URL: url }, dialectLoaders: { postgres: leakyPostgres } });
      expect(ran.code, extra.join(' ')).toBe(5);
      expect(ran.stdout + ran.stderr).not.toContain(PASSWORD);
      expect(ran.stdout + ran.stderr).toContain('***');
    }
  });

  it('requires --yes for down when not on a terminal', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'strata-run-cli-'));
    mkdirSync(join(cwd, 'migrations'));
    writeFileSync(join(cwd, 'migrations', '1.0.0_t.sql'), '-- strata:up\nCREATE TABLE t (id integer);\n-- strata:down\nDROP TABLE t;\n');
    expect((await run(['up', '--no-backup'], { cwd })).code).toBe(0);
    const refused = await run(['down'], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error STRATA_CONFIRMATION_REQUIRED: .*app@1\.0\.0/);
    expect(refused.stderr).toContain('hint: pass --yes');
    const status = await run(['status', '--json'], { cwd });
    expect(JSON.parse(status.stdout).migrations[0]).toMatchObject({ id: 'app@1.0.0', state: 'applied' });
    expect((await run(['down', '--yes', '--no-backup'], { cwd })).code).toBe(0);
  });

  it('reads variables from --env-file without overriding the environment', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'strata-run-cli-'));
    writeFileSync(join(cwd, '.env'), 'DATABASE_URL=sqlite:from-file.db\n');
    // status never creates a database: give it two (an empty file is an empty SQLite database).
    writeFileSync(join(cwd, 'from-file.db'), '');
    writeFileSync(join(cwd, 'from-env.db'), '');
    const fromFile = await run(['status', '--json', '--env-file', '.env'], { cwd });
    expect(JSON.parse(fromFile.stdout).target).toBe(`sqlite:${join(cwd, 'from-file.db')}`);
    const fromEnv = await run(['status', '--json', '--env-file', '.env'], { cwd, env: { DATABASE_URL: 'sqlite:from-env.db' } });
    expect(JSON.parse(fromEnv.stdout).target).toBe(`sqlite:${join(cwd, 'from-env.db')}`);
  });
});
