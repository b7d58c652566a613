// Issue 11: plan, validate, status and the messages say what runs and what did.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project as bareProject, type Ran, strata } from './bin.js';

/**
 * A project with an empty SQLite file at the default target: read-only commands (status, validate,
 * plan, history) never create a database, so the SQLite runs here start from an existing empty one.
 */
function project(files: Record<string, string>): string {
  return bareProject({ 'strata.db': '', ...files });
}

const json = (ran: Ran): any => JSON.parse(ran.stdout);
const sql = (up: string, down?: string, head = '') =>
  `${head}-- strata:up\n${up}\n${down === undefined ? '' : `-- strata:down\n${down}\n`}`;

const databases: TestDatabase[] = [];
/** A fresh PostgreSQL database for one test. */
async function pgUrl(): Promise<string> {
  const database = await createTestDatabase('strata_i11');
  databases.push(database);
  return database.url;
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm build\` first`);
});
afterAll(async () => {
  for (const database of databases) await database.drop();
});

/** A generic index file and a PostgreSQL variant that builds it CONCURRENTLY, outside a transaction. */
const VARIANTS = {
  'migrations/1.0.0_users.sql': sql('CREATE TABLE users (id integer primary key, name text);', 'DROP TABLE users;'),
  'migrations/1.1.0_users_name.sql': sql('CREATE INDEX users_name ON users (name);', 'DROP INDEX users_name;'),
  'migrations/1.1.0_users_name.postgres.sql': sql(
    'CREATE INDEX CONCURRENTLY users_name ON users (name);',
    'DROP INDEX CONCURRENTLY users_name;',
    '-- strata:transaction off\n',
  ),
};

describe('dialect files: each variant has its own directives, body and checksum', () => {
  it('runs a .postgres.sql file under its own "-- strata:transaction off" on PostgreSQL, and the generic file on SQLite', async () => {
    const url = await pgUrl();
    const dir = project(VARIANTS);
    const plan = strata(dir, ['plan', '--url', url, '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    expect(json(plan).steps.map((s: any) => [s.id, s.transaction, s.file])).toEqual([
      ['app@1.0.0', true, join('migrations', '1.0.0_users.sql')],
      ['app@1.1.0', false, join('migrations', '1.1.0_users_name.postgres.sql')],
    ]);
    const validate = strata(dir, ['validate', '--url', url]);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    const up = strata(dir, ['up', '--url', url, '--no-backup']);
    expect(up.code, up.stderr).toBe(0);
    const status = json(strata(dir, ['status', '--url', url, '--json']));
    expect(status.migrations.map((m: any) => [m.id, m.state, m.file])).toEqual([
      ['app@1.0.0', 'applied', join('migrations', '1.0.0_users.sql')],
      ['app@1.1.0', 'applied', join('migrations', '1.1.0_users_name.postgres.sql')],
    ]);

    const sqlite = strata(dir, ['up', '--no-backup', '--json']);
    expect(sqlite.code, sqlite.stderr).toBe(0);
    const sqliteStatus = json(strata(dir, ['status', '--json']));
    expect(sqliteStatus.migrations.map((m: any) => m.file)).toEqual([
      join('migrations', '1.0.0_users.sql'),
      join('migrations', '1.1.0_users_name.sql'),
    ]);
  });

  it('reads -- strata:depends from the dialect file that runs, not from the generic one', async () => {
    const url = await pgUrl();
    const dir = project({
      'strata.config.json': JSON.stringify({ migrations: { app: './migrations', billing: './billing' } }),
      'migrations/1.0.0_a.sql': sql('CREATE TABLE a (id integer);', 'DROP TABLE a;'),
      'migrations/1.0.0_a.postgres.sql': sql(
        'CREATE TABLE a (id integer REFERENCES b (id));',
        'DROP TABLE a;',
        '-- strata:depends billing@1.0.0\n',
      ),
      'billing/1.0.0_b.sql': sql('CREATE TABLE b (id integer primary key);', 'DROP TABLE b;'),
    });
    const onPostgres = strata(dir, ['plan', '--url', url, '--json']);
    expect(onPostgres.code, onPostgres.stderr).toBe(0);
    expect(json(onPostgres).steps.map((s: any) => s.id)).toEqual(['billing@1.0.0', 'app@1.0.0']);
    expect(strata(dir, ['up', '--url', url, '--no-backup']).code).toBe(0);
    // The generic file has no dependency: on SQLite the (module, version) order stands.
    expect(json(strata(dir, ['plan', '--json'])).steps.map((s: any) => s.id)).toEqual(['app@1.0.0', 'billing@1.0.0']);
  });

  it('names the dialect file in a checksum mismatch and in a failing statement', async () => {
    const url = await pgUrl();
    const dir = project(VARIANTS);
    expect(strata(dir, ['up', '--url', url, '--no-backup']).code).toBe(0);
    writeFileSync(
      join(dir, 'migrations/1.1.0_users_name.postgres.sql'),
      `-- edited\n${VARIANTS['migrations/1.1.0_users_name.postgres.sql']}`,
    );
    const status = strata(dir, ['status', '--url', url, '--json']);
    expect(status.code).toBe(3);
    const problem = json(status).problems[0];
    expect(problem.file).toBe(join('migrations', '1.1.0_users_name.postgres.sql'));
    expect(problem.message).toContain('1.1.0_users_name.postgres.sql');
    expect(problem.hint).toContain('1.1.0_users_name.postgres.sql');

    const failing = project({
      'migrations/1.0.0_x.sql': sql('CREATE TABLE x (id integer);'),
      'migrations/1.0.0_x.postgres.sql': sql('CREATE TABLE x (id integer);\nSELECT no_such_function();'),
    });
    const up = strata(failing, ['up', '--url', await pgUrl(), '--no-backup']);
    expect(up.code).toBe(1);
    expect(up.stderr.split('\n')[0]).toContain(join('migrations', '1.0.0_x.postgres.sql'));
  });
});

describe('dialect-only migrations', () => {
  const FILES = {
    'migrations/1.0.0_users.sql': sql('CREATE TABLE users (id integer primary key, name text);', 'DROP TABLE users;'),
    'migrations/1.1.0_users_search.postgres.sql': sql(
      "-- strata:lint-ignore pg/index-not-concurrent users has no rows when this runs\nCREATE INDEX users_search ON users USING gin (to_tsvector('simple', name));",
      'DROP INDEX users_search;',
    ),
    'migrations/1.2.0_orders.sql': sql(
      'CREATE TABLE orders (id integer primary key);',
      'DROP TABLE orders;',
      '-- strata:depends app@1.1.0\n',
    ),
  };

  it('is not applicable on SQLite: never pending, never an error, not in the plan', () => {
    const dir = project(FILES);
    const status = strata(dir, ['status', '--json']);
    expect(status.code, status.stdout).toBe(0);
    expect(json(status).migrations.map((m: any) => [m.id, m.state])).toEqual([
      ['app@1.0.0', 'pending'],
      ['app@1.1.0', 'not-applicable'],
      ['app@1.2.0', 'pending'],
    ]);
    expect(json(strata(dir, ['validate', '--json']))).toMatchObject({ ok: true, problems: [] });
    const up = strata(dir, ['up', '--no-backup', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect(json(up).steps.map((s: any) => s.id)).toEqual(['app@1.0.0', 'app@1.2.0']);
    const after = strata(dir, ['status']);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/app@1\.1\.0\s+not-applicable/);
  });

  it('is applied on PostgreSQL like any other migration', async () => {
    const url = await pgUrl();
    const dir = project(FILES);
    const up = strata(dir, ['up', '--url', url, '--no-backup', '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect(json(up).steps.map((s: any) => s.id)).toEqual(['app@1.0.0', 'app@1.1.0', 'app@1.2.0']);
  });
});

describe('which migration down reverts', () => {
  const MODULES = {
    'strata.config.json': JSON.stringify({ migrations: { app: './migrations', core: './core' } }),
    'core/1.0.0_tenants.sql': sql('CREATE TABLE tenants (id integer primary key);', 'DROP TABLE tenants;'),
    'core/1.1.0_roles.sql': sql('CREATE TABLE roles (id integer primary key);', 'DROP TABLE roles;'),
    'migrations/1.0.0_a.sql': sql('CREATE TABLE a (id integer);', 'DROP TABLE a;'),
    'migrations/1.2.0_b.sql': sql('CREATE TABLE b (id integer);', 'DROP TABLE b;'),
  };

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`reverts the most recently applied migration across modules, and --steps n in reverse application order (${dialect})`, async () => {
      const dir = project(MODULES);
      const url = dialect === 'postgres' ? ['--url', await pgUrl()] : [];
      expect(strata(dir, ['up', '--to', 'core@1.1.0', '--no-backup', ...url]).code).toBe(0);
      expect(strata(dir, ['up', '--no-backup', ...url]).code).toBe(0);
      const plan = json(strata(dir, ['plan', '--down', '--json', ...url]));
      expect(plan.steps.map((s: any) => s.id)).toEqual(['app@1.2.0']);
      const down = strata(dir, ['down', '--yes', '--no-backup', '--json', ...url]);
      expect(down.code, down.stderr).toBe(0);
      expect(json(down).steps.map((s: any) => s.id)).toEqual(['app@1.2.0']);
      const two = strata(dir, ['down', '--steps', '2', '--yes', '--no-backup', '--json', ...url]);
      expect(json(two).steps.map((s: any) => s.id)).toEqual(['app@1.0.0', 'core@1.1.0']);
    });

    it(`refuses an unknown --to target with STRATA_UNKNOWN_TARGET, exit 3, for down and plan --down (${dialect})`, async () => {
      const dir = project(MODULES);
      const url = dialect === 'postgres' ? ['--url', await pgUrl()] : [];
      expect(strata(dir, ['up', '--no-backup', ...url]).code).toBe(0);
      const down = strata(dir, ['down', '--to', 'app@9.9.9', '--yes', '--no-backup', ...url]);
      expect(down.code, down.stdout).toBe(3);
      expect(down.stderr.split('\n')[0]).toBe('error STRATA_UNKNOWN_TARGET: Target app@9.9.9 is not a known migration');
      const plan = strata(dir, ['plan', '--down', '--to', 'app@1.1.0', '--json', ...url]);
      expect(plan.code).toBe(3);
      expect(json(plan).problems.map((p: any) => p.code)).toEqual(['STRATA_UNKNOWN_TARGET']);
      expect(json(plan).steps).toEqual([]);
      // 0.0.0 is "before the first migration": the whole module.
      const all = strata(dir, ['plan', '--down', '--to', 'app@0.0.0', '--json', ...url]);
      expect(all.code).toBe(0);
      expect(json(all).steps.map((s: any) => s.id)).toEqual(['app@1.2.0', 'app@1.0.0']);
    });
  }
});

describe('validate: everything knowable without a database', () => {
  const UNREACHABLE = 'postgres://nobody@127.0.0.1:1/none';

  it('finds, with --offline and no database, problems in down sections, empty sections and unknown directives', () => {
    const dir = project({
      'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP INDEX CONCURRENTLY t_a;\nDROP TABLE t;'),
      'migrations/1.1.0_u.sql': sql('CREATE TABLE u (a integer);', '-- nothing to undo'),
      'migrations/1.2.0_v.sql': sql(';\n;'),
      'migrations/1.3.0_w.sql': sql('SELECT 1;', undefined, '-- strata:transactoin off\n'),
    });
    const offline = strata(dir, ['validate', '--offline', '--url', UNREACHABLE, '--json']);
    expect(offline.code, offline.stderr).toBe(3);
    const report = json(offline);
    expect(report.offline).toBe(true);
    expect(report.problems.map((p: any) => [p.code, p.file])).toEqual(
      expect.arrayContaining([
        ['STRATA_NON_TRANSACTIONAL_STATEMENT', join('migrations', '1.0.0_t.sql')],
        ['STRATA_INVALID_MIGRATION', join('migrations', '1.1.0_u.sql')],
        ['STRATA_INVALID_MIGRATION', join('migrations', '1.2.0_v.sql')],
        ['STRATA_INVALID_MIGRATION', join('migrations', '1.3.0_w.sql')],
      ]),
    );
    expect(report.problems.find((p: any) => p.code === 'STRATA_NON_TRANSACTIONAL_STATEMENT').message).toContain(
      'down section, statement 1, line 4',
    );
    // With a target, the same file problems are found (and the target must answer).
    const online = strata(dir, ['validate', '--url', UNREACHABLE]);
    expect(online.code).toBe(5);
    expect(online.stderr).toContain('strata validate --offline');
  });

  it("checks a dialect file of another dialect with that dialect's rules (a .postgres.sql file, SQLite target)", () => {
    const dir = project({
      'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP TABLE t;'),
      'migrations/1.1.0_i.sql': sql('CREATE INDEX t_a ON t (a);', 'DROP INDEX t_a;'),
      'migrations/1.1.0_i.postgres.sql': sql('CREATE INDEX t_a ON t (a);', 'DROP INDEX CONCURRENTLY t_a;'),
    });
    for (const args of [['--offline'], []]) {
      const validate = strata(dir, ['validate', '--json', ...args]);
      expect(validate.code, validate.stdout).toBe(3);
      expect(json(validate).problems.map((p: any) => [p.code, p.file])).toEqual([
        ['STRATA_NON_TRANSACTIONAL_STATEMENT', join('migrations', '1.1.0_i.postgres.sql')],
      ]);
    }
  });

  it('passes clean files with --offline, exit 0, and creates no SQLite database', () => {
    const dir = bareProject({ 'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP TABLE t;') });
    const offline = strata(dir, ['validate', '--offline']);
    expect(offline.code, offline.stdout + offline.stderr).toBe(0);
    expect(offline.stdout).toContain('OK: 1 migration checked');
    expect(existsSync(join(dir, 'strata.db'))).toBe(false);
  });

  it('refuses an unedited `strata new --ts` file as it refuses the empty SQL template', () => {
    const dir = project({ 'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP TABLE t;') });
    expect(strata(dir, ['new', 'seed', '--ts']).code).toBe(0);
    const up = strata(dir, ['up', '--no-backup']);
    expect(up.code).toBe(3);
    expect(up.stderr.split('\n')[0]).toContain('1.1.0_seed.ts: the up function is the unedited template');
    expect(strata(dir, ['validate', '--offline']).code).toBe(3);
    const status = strata(dir, ['status', '--json']);
    expect(status.code).toBe(3);
    expect(json(status).migrations.map((m: any) => [m.id, m.state])).toEqual([['app@1.0.0', 'pending']]);
  });
});

describe('messages that tell the truth', () => {
  const THREE = {
    'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP TABLE t;'),
    'migrations/1.1.0_u.sql': sql('CREATE TABLE u (a integer);\nINSERT INTO nope VALUES (1);', 'DROP TABLE u;'),
    'migrations/1.2.0_v.sql': sql('CREATE TABLE v (a integer);', 'DROP TABLE v;'),
  };

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`reports the earlier steps of a failed --single-transaction run as rolled back, in text and JSON (${dialect})`, async () => {
      const dir = project(THREE);
      const url = dialect === 'postgres' ? ['--url', await pgUrl()] : [];
      const text = strata(dir, ['up', '--single-transaction', '--no-backup', ...url]);
      expect(text.code).toBe(1);
      expect(text.stderr).not.toMatch(/^\s*applied\s+app@1\.0\.0/m);
      expect(text.stderr).toContain('app@1.0.0: rolled back');
      expect(text.stderr).toContain('app@1.1.0: failed');
      expect(text.stderr).toContain('app@1.2.0: not run');
      expect(text.stderr).toContain(
        'hint: Nothing of this run was applied: its one transaction was rolled back, with the 1 step before app@1.1.0',
      );
      const ran = strata(dir, ['up', '--single-transaction', '--no-backup', '--json', ...url]);
      expect(json(ran).error.steps).toEqual([
        { id: 'app@1.0.0', direction: 'up', outcome: 'rolled-back' },
        { id: 'app@1.1.0', direction: 'up', outcome: 'failed' },
        { id: 'app@1.2.0', direction: 'up', outcome: 'not-run' },
      ]);
      expect(json(strata(dir, ['status', '--json', ...url])).migrations.map((m: any) => m.state)).toEqual([
        'pending',
        'pending',
        'pending',
      ]);
    });

    it(`reports the steps of a dry run as rolled back, in text and JSON (${dialect})`, async () => {
      const dir = project({
        'migrations/1.0.0_t.sql': THREE['migrations/1.0.0_t.sql'],
        'migrations/1.2.0_v.sql': THREE['migrations/1.2.0_v.sql'],
      });
      const url = dialect === 'postgres' ? ['--url', await pgUrl()] : [];
      const text = strata(dir, ['up', '--dry-run', ...url]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout + text.stderr).not.toMatch(/^\s*applied\s/m);
      expect(text.stdout).toContain('rolled back app@1.0.0');
      const report = json(strata(dir, ['up', '--dry-run', '--json', ...url]));
      expect(report.steps.map((s: any) => [s.id, s.outcome])).toEqual([
        ['app@1.0.0', 'rolled-back'],
        ['app@1.2.0', 'rolled-back'],
      ]);
    });
  }

  it("names the user's file and line for a PostgreSQL syntax error that runs past the script, never strata's bookkeeping SQL", async () => {
    const url = await pgUrl();
    const dir = project({
      'migrations/1.0.0_t.sql': sql("CREATE TABLE t (a integer);\nINSERT INTO t VALUES (1), ('abc);", 'DROP TABLE t;'),
    });
    for (const args of [['--verbose'], ['--json']]) {
      const up = strata(dir, ['up', '--url', url, '--no-backup', ...args]);
      expect(up.code).toBe(1);
      // --verbose prints the state tables' names before the run: look at what the error says.
      const shown = args[0] === '--json' ? up.stdout : up.stderr.slice(up.stderr.indexOf('error STRATA'));
      expect(shown).not.toMatch(/state table|strata_migrations|strata_events|E'/);
      const message = args[0] === '--json' ? json(up).error.message : up.stderr.split('\n').find((l) => l.startsWith('error '))!;
      expect(message).toContain(`${join('migrations', '1.0.0_t.sql')}, line 3`);
      expect(message).toContain('a quoted string opened at line 2 of the script never closes');
    }
  });

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`points an error in a .ts migration at the line of the failing execute call (${dialect})`, async () => {
      const url = dialect === 'postgres' ? ['--url', await pgUrl()] : [];
      const dir = project({
        'migrations/1.0.0_seed.ts': [
          'type Row = { id: number };',
          '',
          'export default {',
          '  up: async ({ execute, query }: any) => {',
          "    await execute('CREATE TABLE t (id integer)');",
          "    const rows: Row[] = await query('SELECT 1 AS id');",
          "    await execute('INSERT INTO t VALUES (1);\\nINSERT INTO nope VALUES (2)');",
          '  },',
          "  down: 'DROP TABLE t',",
          '};',
          '',
        ].join('\n'),
      });
      const up = strata(dir, ['up', '--no-backup', '--json', ...url]);
      expect(up.code, up.stderr).toBe(1);
      const error = json(up).error;
      expect(error.message).toContain(`${join('migrations', '1.0.0_seed.ts')}, line 7, execute call, statement 2 of its SQL`);
      expect(error.details.line).toBe(7);
    });
  }

  it('shows in up the duration that history records for each step (PostgreSQL)', async () => {
    const url = ['--url', await pgUrl()];
    const dir = project({
      'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);\nINSERT INTO t SELECT generate_series(1, 200000);', 'DROP TABLE t;'),
      'migrations/1.1.0_u.sql': sql('CREATE TABLE u (a integer);', 'DROP TABLE u;'),
    });
    const up = json(strata(dir, ['up', '--no-backup', '--json', ...url]));
    const history = json(strata(dir, ['history', '--json', ...url]));
    expect(up.steps.length).toBe(2);
    for (const step of up.steps) {
      const recorded = history.events.find((e: any) => e.action === 'apply' && e.migrationId === step.id);
      expect(step.durationMs).toBe(recorded.durationMs);
    }
  });

  it('shows in up the duration that history records for each step (SQLite)', () => {
    const dir = project({
      'migrations/1.0.0_t.sql': sql(
        'CREATE TABLE t (a integer);\nINSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT x FROM c;',
        'DROP TABLE t;',
      ),
      'migrations/1.1.0_u.sql': sql('CREATE TABLE u (a integer);', 'DROP TABLE u;'),
    });
    const up = json(strata(dir, ['up', '--no-backup', '--json']));
    const history = json(strata(dir, ['history', '--json']));
    for (const step of up.steps) {
      const recorded = history.events.find((e: any) => e.action === 'apply' && e.migrationId === step.id);
      expect(step.durationMs).toBe(recorded.durationMs);
    }
  });
});

describe('hints that lead the right way', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`a failed down explains that the applied file cannot change unnoticed (${dialect})`, async () => {
      const url = dialect === 'postgres' ? ['--url', await pgUrl()] : [];
      const dir = project({ 'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP TABLE t;\nDROP TABLE not_there;') });
      expect(strata(dir, ['up', '--no-backup', ...url]).code).toBe(0);
      const down = strata(dir, ['down', '--yes', '--no-backup', ...url]);
      expect(down.code).toBe(1);
      const hint = down.stderr.split('\n').find((l) => l.startsWith('hint: '))!;
      expect(hint).toContain('still applied');
      expect(hint).toContain('strata repair --accept-checksum app@1.0.0');
      expect(hint).not.toMatch(/fix \S+ at line \d+ and run the command again/);
    });
  }

  it('says that the module of applied rows is not configured, naming --modules, before repair --forget', () => {
    const dir = project({ 'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP TABLE t;') });
    expect(strata(dir, ['up', '--no-backup', '--modules', '@strata/core-schema']).code).toBe(0);
    const status = strata(dir, ['status', '--json']);
    expect(status.code).toBe(3);
    const problem = json(status).problems.find((p: any) => p.migrationId === 'core@1.0.0');
    expect(problem.message).toContain('belongs to module core, which is not configured');
    expect(problem.hint.indexOf('--modules')).toBeGreaterThanOrEqual(0);
    expect(problem.hint.indexOf('--modules')).toBeLessThan(problem.hint.indexOf('repair --forget'));
  });

  it('gives a STRATA_DEPENDANT_APPLIED hint with a real --to version', () => {
    const dir = project({
      'strata.config.json': JSON.stringify({ migrations: { app: './migrations', core: './core' } }),
      'core/1.0.0_tenants.sql': sql('CREATE TABLE tenants (id integer primary key);', 'DROP TABLE tenants;'),
      'migrations/1.0.0_a.sql': sql('CREATE TABLE a (id integer);', 'DROP TABLE a;'),
      'migrations/1.1.0_b.sql': sql('CREATE TABLE b (id integer);', 'DROP TABLE b;', '-- strata:depends core@1.0.0\n'),
    });
    expect(strata(dir, ['up', '--no-backup']).code).toBe(0);
    const down = strata(dir, ['down', '--to', 'core@0.0.0', '--yes', '--no-backup']);
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('STRATA_DEPENDANT_APPLIED');
    expect(down.stderr).not.toContain('…');
    expect(down.stderr).toContain('strata down --to app@1.0.0');
  });
});

/** Runs the bin without blocking this process; `onStdout` sees the output as it comes. */
function strataAsync(cwd: string, args: string[], onStdout: (text: string) => void = () => {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, XDG_CACHE_HOME: join(tmpdir(), 'strata-e2e-xdg-cache') },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('PostgreSQL lock_timeout: retried with backoff for transactional steps', () => {
  const setUp = async (config: Record<string, unknown>, head = '') => {
    const url = await pgUrl();
    const dir = project({
      'strata.config.json': JSON.stringify({ url, ddlLockTimeout: '200ms', ...config }),
      'migrations/1.0.0_t.sql': sql('CREATE TABLE t (a integer);', 'DROP TABLE t;'),
    });
    expect(strata(dir, ['up', '--no-backup']).code).toBe(0);
    writeFileSync(join(dir, 'migrations/1.1.0_b.sql'), sql('ALTER TABLE t ADD COLUMN b integer;', 'ALTER TABLE t DROP COLUMN b;', head));
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    await blocker.query('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE');
    const pid = ((await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;
    return { dir, blocker, pid };
  };

  it('retries a blocked transactional migration, names the blocker each time, records each attempt, then applies it', async () => {
    const { dir, blocker, pid } = await setUp({});
    let released = false;
    const up = await strataAsync(dir, ['up', '--no-backup'], (stdout) => {
      // Let the blocker go once strata has retried twice.
      if (!released && (stdout.match(/retry /g) ?? []).length >= 2) {
        released = true;
        void blocker.query('COMMIT');
      }
    });
    await blocker.end();
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const retries = up.stdout.split('\n').filter((l) => l.includes('retry ') && l.includes('app@1.1.0'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const line of retries) expect(line).toContain(String(pid));
    const history = json(strata(dir, ['history', '--json'])).events;
    const timeouts = history.filter((e: any) => e.action === 'lock_timeout' && e.migrationId === 'app@1.1.0');
    expect(timeouts.length).toBe(retries.length);
    expect(timeouts.every((e: any) => e.sqlState === '55P03')).toBe(true);
    expect(json(strata(dir, ['status', '--json'])).migrations.map((m: any) => m.state)).toEqual(['applied', 'applied']);
  });

  it('does not retry with lockRetries: 0, nor a migration that runs outside a transaction', async () => {
    for (const [config, head] of [
      [{ lockRetries: 0 }, ''],
      [{}, '-- strata:transaction off\n'],
    ] as const) {
      const { dir, blocker } = await setUp(config, head);
      const up = await strataAsync(dir, ['up', '--no-backup']);
      await blocker.query('ROLLBACK');
      await blocker.end();
      expect(up.code, up.stdout + up.stderr).toBe(4);
      expect(up.stdout).not.toContain('retry ');
    }
  });
});

describe('SQLite lock holder', () => {
  it('names the holder when it is a strata run (pid, host, command, since), from the label it leaves beside the file', async () => {
    const dir = project({
      'migrations/1.0.0_slow.sql': sql(
        'CREATE TABLE slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT count(*) AS n FROM c;',
        'DROP TABLE slow;',
      ),
    });
    const label = join(dir, 'strata.db.strata-holder');
    const first = strataAsync(dir, ['up', '--no-backup']);
    const deadline = Date.now() + 30_000;
    while (!existsSync(label) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(label)).toBe(true);
    const waiter = await strataAsync(dir, ['up', '--no-backup', '--lock-timeout', '300ms']);
    expect(waiter.code, waiter.stderr).toBe(4);
    const line = waiter.stderr.split('\n').find((l) => l.startsWith('lock holder: '))!;
    expect(line).toMatch(/pid=\d+ host=\S+ command=strata\.cjs up --no-backup since=\d{4}-/);
    expect((await first).code).toBe(0);
    expect(existsSync(label)).toBe(false);
  }, 60_000);
});
