import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { loadOnce } from '../src/internal/lint-gate.js';
import { runCli, type RunCliOptions } from '../src/run-cli.js';

async function run(argv: string[], cwd: string, options: Partial<RunCliOptions> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { STRATA_NO_CACHE: '1' },
    cwd,
    dialectLoaders: {
      sqlite: () => import('@strata/dialect-sqlite' as string),
      postgres: () => import('@strata/dialect-postgres' as string),
    },
    modules: { '@strata/core-schema': () => import('@strata/core-schema' as string) },
    lintLoader: () => import('@strata/lint' as string),
    ...options,
  });
  return { code, stdout, stderr };
}

/** A project folder with the given migration files (and config). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-lint-'));
  mkdirSync(join(dir, 'migrations'));
  for (const [name, text] of Object.entries(files))
    writeFileSync(join(dir, name.includes('/') || name.startsWith('strata.config') ? name : join('migrations', name)), text);
  return dir;
}

const USERS =
  '-- strata:up\nCREATE TABLE users (id integer PRIMARY KEY, email text, name text);\nCREATE INDEX users_email ON users (email);\n-- strata:down\nDROP TABLE users;\n';
const RISKY = '-- strata:up\nCREATE INDEX users_name ON users (name);\nALTER TABLE users DROP COLUMN email;\n';

describe('strata lint', () => {
  it('prints each finding with file:line:column, message, excerpt and hint, and exits 3 on an error', async () => {
    const dir = project({ '1.0.0_users.sql': USERS, '1.1.0_risky.sql': RISKY });
    const ran = await run(['lint', '--dialect', 'postgres'], dir);
    expect(ran.code).toBe(3);
    expect(ran.stdout).toContain('migrations/1.1.0_risky.sql:2:1 error pg/index-not-concurrent');
    expect(ran.stdout).toContain('  > CREATE INDEX users_name ON users (name)');
    expect(ran.stdout).toContain('  hint: Use CREATE INDEX CONCURRENTLY');
    expect(ran.stdout).toContain('migrations/1.1.0_risky.sql:3:1 warning pg/drop-column');
    expect(ran.stdout).toContain('1 error, 1 warning in 2 migrations, 4 statements.');
  });

  it('exits 0 on warnings only', async () => {
    const dir = project({ '1.0.0_users.sql': USERS, '1.1.0_drop.sql': 'ALTER TABLE users DROP COLUMN name;\n' });
    const ran = await run(['lint', '--dialect', 'sqlite'], dir);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('0 errors, 1 warning');
  });

  it('prints one JSON document with --json', async () => {
    const dir = project({ '1.0.0_users.sql': USERS, '1.1.0_risky.sql': RISKY });
    const ran = await run(['lint', '--dialect', 'sqlite', '--json'], dir);
    expect(ran.code).toBe(0);
    const document = JSON.parse(ran.stdout);
    expect(document).toMatchObject({
      dialect: 'sqlite',
      scope: 'all',
      target: null,
      migrations: 2,
      statements: 4,
      errors: 0,
      warnings: 1,
      suppressed: 0,
      skipped: [],
      problems: [],
    });
    expect(document.findings).toEqual([
      expect.objectContaining({
        rule: 'sqlite/drop-column',
        severity: 'warning',
        migrationId: 'app@1.1.0',
        file: 'migrations/1.1.0_risky.sql',
        line: 3,
        column: 1,
        statement: 2,
      }),
    ]);
    // The index from 1.0.0 is known: SQLite refuses to drop an indexed column.
    expect(document.findings[0].message).toContain('index users_email');
  });

  it('writes GitHub Actions annotations with --format github', async () => {
    const dir = project({ '1.0.0_users.sql': USERS, '1.1.0_risky.sql': RISKY });
    const ran = await run(['lint', '--dialect', 'postgres', '--format', 'github'], dir);
    expect(ran.code).toBe(3);
    const lines = ran.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^::error file=migrations\/1\.1\.0_risky\.sql,line=2,col=1,title=strata lint pg\/index-not-concurrent::CREATE INDEX on users/,
    );
    expect(lines[1]).toMatch(/^::warning file=migrations\/1\.1\.0_risky\.sql,line=3,col=1,/);
  });

  it('lints only the pending migrations of the target, reading the applied ones for context', async () => {
    const dir = project({ '1.0.0_users.sql': USERS });
    expect((await run(['up', '--no-backup'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'migrations', '1.1.0_risky.sql'), RISKY);
    const ran = await run(['lint', '--json'], dir);
    const document = JSON.parse(ran.stdout);
    expect(document).toMatchObject({ dialect: 'sqlite', scope: 'pending', migrations: 1, target: expect.stringContaining('strata.db') });
    expect(document.findings.map((f: { rule: string; message: string }) => [f.rule, f.message.includes('users_email')])).toEqual([
      ['sqlite/drop-column', true],
    ]);
    const everything = JSON.parse((await run(['lint', '--all', '--json'], dir)).stdout);
    expect(everything).toMatchObject({ scope: 'all', migrations: 2 });
  });

  it('applies the config: severities, ignores, and refuses an unknown rule (exit 2)', async () => {
    const config = { lint: { rules: { 'pg/drop-column': 'error', 'pg/index-not-concurrent': 'off' }, ignore: [] } };
    const dir = project({ '1.0.0_users.sql': USERS, '1.1.0_risky.sql': RISKY, 'strata.config.json': JSON.stringify(config) });
    const ran = await run(['lint', '--dialect', 'postgres', '--json'], dir);
    expect(JSON.parse(ran.stdout).findings.map((f: { rule: string; severity: string }) => `${f.rule} ${f.severity}`)).toEqual([
      'pg/drop-column error',
    ]);
    expect(ran.code).toBe(3);

    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ lint: { rules: { 'pg/drop-colum': 'off' } } }));
    const typo = await run(['lint', '--dialect', 'postgres'], dir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('pg/drop-colum');

    writeFileSync(
      join(dir, 'strata.config.json'),
      JSON.stringify({ lint: { ignore: [{ migration: 'app@1.1.0', rules: ['pg/drop-column'] }] } }),
    );
    const noReason = await run(['lint', '--dialect', 'postgres'], dir);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('lint.ignore[0]');
  });

  it("lints @strata/core-schema clean, with the module's own ignores", async () => {
    const dir = project({});
    for (const dialect of ['postgres', 'sqlite']) {
      const ran = await run(['lint', '--dialect', dialect, '--modules', '@strata/core-schema', '--json'], dir);
      expect(ran.code, dialect).toBe(0);
      expect(JSON.parse(ran.stdout), dialect).toMatchObject({ migrations: 2, findings: [], suppressed: dialect === 'postgres' ? 40 : 0 });
    }
  });

  it('explains how to install @strata/lint when it is missing (exit 2); status, validate and a run with nothing to do never load it', async () => {
    const dir = project({ '1.0.0_users.sql': USERS });
    let loads = 0;
    const missing = () => {
      loads += 1;
      return Promise.reject(Object.assign(new Error("Cannot find module '@strata/lint'"), { code: 'MODULE_NOT_FOUND' }));
    };
    const ran = await run(['lint', '--dialect', 'sqlite'], dir, { lintLoader: missing });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toContain('npm install --save-dev @strata/lint');
    loads = 0;
    // An existing (empty) database: read-only commands never create one.
    writeFileSync(join(dir, 'strata.db'), '');
    for (const command of [['status'], ['validate']]) expect((await run(command, dir, { lintLoader: missing })).code).toBe(0);
    expect(loads).toBe(0);
    expect((await run(['up', '--no-backup'], dir)).code).toBe(0);
    for (const command of [['status'], ['plan'], ['up', '--no-backup']])
      expect((await run(command, dir, { lintLoader: missing })).code).toBe(0);
    expect(loads).toBe(0);
  });

  it('lints the file that runs on the engine, with its own directives', async () => {
    const dir = project({
      '1.0.0_users.sql': USERS,
      '1.1.0_index.sql': '-- strata:up\nCREATE INDEX users_name ON users (name);\n',
      '1.1.0_index.postgres.sql': '-- strata:transaction off\n-- strata:up\nCREATE INDEX CONCURRENTLY users_name ON users (name);\n',
    });
    const postgres = JSON.parse((await run(['lint', '--dialect', 'postgres', '--json'], dir)).stdout);
    expect(postgres.findings.map((f: { rule: string; file: string; line: number }) => [f.rule, f.file, f.line])).toEqual([
      ['pg/not-idempotent', 'migrations/1.1.0_index.postgres.sql', 3],
    ]);
    const sqlite = JSON.parse((await run(['lint', '--dialect', 'sqlite', '--json'], dir)).stdout);
    expect(sqlite).toMatchObject({ migrations: 2, findings: [] });
  });

  it('--since <ref> lints the migration files changed on the branch (committed, staged or untracked)', async () => {
    const dir = project({ '1.0.0_users.sql': USERS, '1.1.0_old_drop.sql': 'ALTER TABLE users DROP COLUMN name;\n' });
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: dir, stdio: 'pipe' });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    git('checkout', '-q', '-b', 'feature');
    writeFileSync(join(dir, 'migrations', '1.2.0_committed.sql'), 'ALTER TABLE users RENAME TO people;\n');
    git('add', '.');
    git('commit', '-q', '-m', 'feature');
    writeFileSync(join(dir, 'migrations', '1.3.0_untracked.sql'), 'ALTER TABLE people DROP COLUMN email;\n');
    const ran = await run(['lint', '--since', 'main', '--dialect', 'sqlite', '--json'], dir);
    const document = JSON.parse(ran.stdout);
    expect(document).toMatchObject({ scope: 'changed', migrations: 2 });
    expect(document.findings.map((f: { migrationId: string; rule: string }) => `${f.migrationId} ${f.rule}`)).toEqual([
      'app@1.2.0 sqlite/rename',
      'app@1.3.0 sqlite/drop-column',
    ]);
    // The index from 1.0.0 (not changed, read as context) is known.
    expect(document.findings[1].message).toContain('users_email');

    const bad = await run(['lint', '--since', 'no-such-branch', '--dialect', 'sqlite'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since no-such-branch');
  });

  it('refuses an unknown --format or --dialect (exit 2)', async () => {
    const dir = project({ '1.0.0_users.sql': USERS });
    expect((await run(['lint', '--dialect', 'mysql'], dir)).code).toBe(2);
    expect((await run(['lint', '--all', '--format', 'sarif'], dir)).code).toBe(2);
  });
});

describe('strata lint on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_lint');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('lints the migrations pending on the server', async () => {
    const dir = project({ '1.0.0_users.sql': USERS });
    expect((await run(['up', '--no-backup', '--url', database.url], dir)).code).toBe(0);
    writeFileSync(
      join(dir, 'migrations', '1.1.0_risky.sql'),
      '-- strata:transaction off\nCREATE INDEX CONCURRENTLY users_name ON users (name);\n',
    );
    const ran = await run(['lint', '--url', database.url, '--json'], dir);
    const document = JSON.parse(ran.stdout);
    expect(document).toMatchObject({ dialect: 'postgres', scope: 'pending', migrations: 1 });
    // Non-transactional: CREATE INDEX without IF NOT EXISTS cannot be re-run after a failure.
    expect(document.findings.map((f: { rule: string }) => f.rule)).toEqual(['pg/not-idempotent']);
    expect(ran.code).toBe(0);
  });
});

describe('strata lint in plan and up', () => {
  const ERROR_MIGRATION = '-- strata:up\nALTER TABLE users ADD COLUMN nick TEXT NOT NULL;\n';

  it('up: shows the findings and refuses an error finding before anything runs (exit 3), also with --no-backup', async () => {
    const dir = project({ '1.0.0_users.sql': USERS });
    expect((await run(['up', '--no-backup'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'migrations', '1.1.0_nick.sql'), ERROR_MIGRATION);
    writeFileSync(join(dir, 'migrations', '1.2.0_rename.sql'), '-- strata:up\nALTER TABLE users RENAME COLUMN name TO full_name;\n');
    for (const args of [['up'], ['up', '--no-backup']]) {
      const refused = await run([...args, '--json'], dir);
      expect(refused.code, args.join(' ')).toBe(3);
      const document = JSON.parse(refused.stdout);
      expect(document.error).toMatchObject({ code: 'STRATA_LINT_FAILED', hint: expect.stringContaining('--allow-lint') });
      expect(document.error.problems.map((p: { code: string }) => p.code)).toEqual([
        'sqlite/add-column-not-null-no-default',
        'sqlite/rename',
      ]);
      expect(refused.stderr).toContain('lint: migrations/1.1.0_nick.sql:2:1 error sqlite/add-column-not-null-no-default');
    }
    // Nothing ran, and no backup was taken for the refused run.
    const status = JSON.parse((await run(['status', '--json'], dir)).stdout);
    expect(status.migrations.map((m: { state: string }) => m.state)).toEqual(['applied', 'pending', 'pending']);
    expect(existsSync(join(dir, '.strata-backups'))).toBe(false);
  });

  it('up: --allow-lint applies anyway (SQLite then decides), and an ignored finding does not stop it', async () => {
    const dir = project({
      '1.0.0_users.sql': USERS,
      '1.1.0_rename.sql':
        '-- strata:up\n-- strata:lint-ignore sqlite/rename the app reads both names\nALTER TABLE users RENAME COLUMN name TO full_name;\n',
    });
    const ran = await run(['up', '--no-backup'], dir);
    expect(ran.code, ran.stderr).toBe(0);
    writeFileSync(join(dir, 'migrations', '1.2.0_nick.sql'), '-- strata:up\nALTER TABLE users ADD COLUMN nick TEXT NOT NULL;\n');
    const allowed = await run(['up', '--no-backup', '--allow-lint'], dir);
    // The table is empty, so SQLite accepts what the rule warns about.
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toContain('lint: 1 error accepted by --allow-lint');
  });

  it('up with nothing to apply never loads @strata/lint', async () => {
    const dir = project({ '1.0.0_users.sql': USERS });
    let loads = 0;
    const counting = async () => {
      loads += 1;
      return import('@strata/lint' as string);
    };
    expect((await run(['up', '--no-backup'], dir, { lintLoader: counting })).code).toBe(0);
    expect(loads).toBe(1);
    expect((await run(['up', '--no-backup'], dir, { lintLoader: counting })).code).toBe(0);
    expect((await run(['up'], dir, { lintLoader: counting })).code).toBe(0);
    expect(loads).toBe(1);
  });

  it('up runs without linting when @strata/lint is not installed', async () => {
    const dir = project({ '1.0.0_users.sql': USERS, '1.1.0_nick.sql': ERROR_MIGRATION });
    const missing = () => Promise.reject(Object.assign(new Error("Cannot find module '@strata/lint'"), { code: 'MODULE_NOT_FOUND' }));
    const ran = await run(['up', '--no-backup', '--verbose'], dir, { lintLoader: missing });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toContain('lint: skipped');
  });

  it('plan shows the findings of the steps to apply, and a lint key in JSON', async () => {
    const dir = project({ '1.0.0_users.sql': USERS });
    expect((await run(['up', '--no-backup'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'migrations', '1.1.0_nick.sql'), ERROR_MIGRATION);
    const text = await run(['plan'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('ALTER TABLE users ADD COLUMN nick');
    expect(text.stdout).toContain('migrations/1.1.0_nick.sql:2:1 error sqlite/add-column-not-null-no-default');
    const document = JSON.parse((await run(['plan', '--json'], dir)).stdout);
    expect(document.lint).toMatchObject({
      errors: 1,
      warnings: 0,
      findings: [expect.objectContaining({ rule: 'sqlite/add-column-not-null-no-default' })],
    });
    const nothing = JSON.parse((await run(['plan', '--down', '--json'], dir)).stdout);
    expect(nothing.lint).toBeNull();
  });
});

describe('loadOnce', () => {
  it('shares the first load of a source, so plan/up and their lint read each file once', async () => {
    let loads = 0;
    const source = loadOnce({
      description: 'x',
      load: async () => ({ migrations: [], problems: [{ code: 'STRATA_INVALID_MIGRATION', message: String(++loads) }] }),
    });
    const [a, b] = await Promise.all([source.load(), source.load()]);
    expect(a).toBe(b);
    expect(await source.load()).toBe(a);
    expect(loads).toBe(1);
  });
});
