import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project, type Ran, strata } from './bin.js';

const require = createRequire(import.meta.url);
const PASSWORD = 'UniquePw123';

/** stdout of a `--json` run: exactly one JSON document. */
function json(ran: Ran): any {
  return JSON.parse(ran.stdout);
}

const sql = (up: string, down?: string, head = '') =>
  `${head}-- strata:up\n${up}\n${down === undefined ? '' : `-- strata:down\n${down}\n`}`;

const TWO_MIGRATIONS = {
  'migrations/1.0.0_create_users.sql': sql('CREATE TABLE users (id integer primary key, name text);', 'DROP TABLE users;'),
  'migrations/1.1.0_create_orders.sql': sql('CREATE TABLE orders (id integer primary key, user_id integer);', 'DROP TABLE orders;'),
};

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata-migrate...\` first (the root test script does)`);
});

describe('strata start-up', () => {
  const loads = (args: string[], cwd: string): string[] => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-loads-'));
    const log = join(dir, 'loaded.txt');
    writeFileSync(
      join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n  appendFileSync(${JSON.stringify(log)}, url + '\\n');\n  return next(url, context);\n}\n`,
    );
    writeFileSync(
      join(dir, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
    );
    // The bin is CommonJS: what it `require`s never reaches the ESM hooks, so list the require cache at exit.
    writeFileSync(
      join(dir, 'required.cjs'),
      `const { appendFileSync } = require('node:fs');\nconst { pathToFileURL } = require('node:url');\nprocess.on('exit', () => {\n  const files = Object.keys(require.cache).filter((f) => !f.includes('strata-loads-') && f !== ${JSON.stringify(BIN)});\n  if (files.length) appendFileSync(${JSON.stringify(log)}, files.map((f) => pathToFileURL(f).href + '\\n').join(''));\n});\n`,
    );
    const preload = ['--require', join(dir, 'required.cjs'), '--import', pathToFileURL(join(dir, 'register.mjs')).href];
    const result = spawnSync(process.execPath, [...preload, BIN, ...args], {
      cwd,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(result.status, result.stderr).toBe(0);
    return readFileSync(log, 'utf8').trim().split('\n');
  };

  it('answers --version from the bin file alone: no command, driver, parser or jiti is loaded', () => {
    const loaded = loads(['--version'], project()).filter((url) => !url.startsWith('node:') && !url.includes('strata-loads-'));
    expect(loaded).toEqual([pathToFileURL(BIN).href]);
  });

  it('runs status on SQLite without loading pg, libpg-query or jiti', () => {
    const loaded = loads(['status'], project({ ...TWO_MIGRATIONS, 'strata.db': '' }));
    expect(loaded.some((url) => url.includes('better-sqlite3'))).toBe(true);
    expect(loaded.filter((url) => /\/pg\/|libpg-query|jiti|dialect-postgres|slugify/.test(url))).toEqual([]);
    // One CommonJS graph: the dialect and the bin share a single copy of @strata/core.
    expect(loaded.filter((url) => /\/core\/dist\/index\.c?js$/.test(url))).toEqual([expect.stringMatching(/index\.cjs$/)]);
    expect(loaded.filter((url) => /dialect-sqlite\/dist\/index\.c?js$/.test(url))).toEqual([expect.stringMatching(/index\.cjs$/)]);
  });
});

describe('strata on SQLite', () => {
  it('init, new, up, status, plan, validate, down, history: the whole cycle with --json shapes', () => {
    const dir = project();
    expect(strata(dir, ['init']).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'strata.config.json'), 'utf8'))).toEqual({
      url: 'sqlite:./strata.db',
      migrations: './migrations',
    });
    const again = strata(dir, ['init']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error STRATA_USAGE: A config file already exists/);

    const first = strata(dir, ['new', 'Create Users!', '--major', '--json']);
    expect(first.code).toBe(0);
    expect(json(first)).toEqual({ file: join('migrations', '1.0.0_create_users.sql'), version: '1.0.0', module: 'app' });
    const second = json(strata(dir, ['new', '../../etc/passwd', '--json']));
    expect(second).toEqual({ file: join('migrations', '1.1.0_etc_passwd.sql'), version: '1.1.0', module: 'app' });
    expect(strata(dir, ['new', 'seed roles', '--patch']).stdout.trim()).toBe(join('migrations', '1.1.1_seed_roles.sql'));
    writeFileSync(join(dir, 'migrations/1.0.0_create_users.sql'), sql('CREATE TABLE users (id integer primary key);', 'DROP TABLE users;'));
    writeFileSync(join(dir, 'migrations/1.1.0_etc_passwd.sql'), sql('CREATE TABLE p (id integer);', 'DROP TABLE p;'));
    writeFileSync(join(dir, 'migrations/1.1.1_seed_roles.sql'), sql('CREATE TABLE r (id integer);', 'DROP TABLE r;'));

    // status only reads: on a database that does not exist yet it says so and creates nothing.
    const missing = strata(dir, ['status']);
    expect(missing.code).toBe(5);
    expect(missing.stderr.split('\n')[0]).toBe(
      `error STRATA_DATABASE_MISSING: SQLite database ${join(dir, 'strata.db')} does not exist (from the url in ${join(dir, 'strata.config.json')})`,
    );
    expect(existsSync(join(dir, 'strata.db'))).toBe(false);
    writeFileSync(join(dir, 'strata.db'), ''); // an empty file is an empty SQLite database

    const pending = strata(dir, ['status', '--json']);
    expect(pending.code).toBe(0);
    const status = json(pending);
    expect(Object.keys(status).sort()).toEqual(['dialect', 'migrations', 'problems', 'target']);
    expect(status.dialect).toBe('sqlite');
    expect(status.migrations.map((m: any) => [m.id, m.state])).toEqual([
      ['app@1.0.0', 'pending'],
      ['app@1.1.0', 'pending'],
      ['app@1.1.1', 'pending'],
    ]);
    expect(Object.keys(status.migrations[0]).sort()).toEqual(['appliedAt', 'checksum', 'file', 'id', 'module', 'name', 'state', 'version']);

    const plan = json(strata(dir, ['plan', '--to', '1.1.0', '--json']));
    expect(plan.steps.map((s: any) => s.id)).toEqual(['app@1.0.0', 'app@1.1.0']);
    expect(plan.steps[0].sql).toContain('CREATE TABLE users');
    expect(strata(dir, ['plan']).stdout).toContain('CREATE TABLE users');

    const up = strata(dir, ['up', '--json']);
    expect(up.code, up.stderr).toBe(0);
    const report = json(up);
    expect(report).toMatchObject({ direction: 'up', dryRun: false });
    expect(report.runId).toEqual(expect.any(String));
    expect(report.durationMs).toEqual(expect.any(Number));
    // A new database holds nothing yet: no pre-run backup, said on stderr (issue 12).
    expect(report.backupId).toBeNull();
    expect(up.stderr).toMatch(/no backup: .*holds nothing yet/);
    expect(report.steps.map((s: any) => [s.id, s.outcome])).toEqual([
      ['app@1.0.0', 'applied'],
      ['app@1.1.0', 'applied'],
      ['app@1.1.1', 'applied'],
    ]);
    expect(Object.keys(report.steps[0]).sort()).toEqual(['direction', 'durationMs', 'id', 'module', 'name', 'outcome', 'version']);
    expect(existsSync(join(dir, '.strata-backups'))).toBe(false);

    const text = strata(dir, ['status']);
    expect(text.stdout).toMatch(/app@1\.1\.1\s+applied\s+\d{4}-/);
    expect(text.stdout).not.toMatch(/\x1b\[/);
    const validate = strata(dir, ['validate', '--json']);
    expect(validate.code).toBe(0);
    expect(json(validate)).toMatchObject({ ok: true, checked: 3, problems: [] });

    const refused = strata(dir, ['down']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toContain('STRATA_CONFIRMATION_REQUIRED');
    expect(refused.stderr).toContain('pass --yes');
    const down = strata(dir, ['down', '--steps', '2', '--yes', '--no-backup', '--json']);
    expect(down.code, down.stderr).toBe(0);
    expect(json(down).steps.map((s: any) => [s.id, s.outcome])).toEqual([
      ['app@1.1.1', 'reverted'],
      ['app@1.1.0', 'reverted'],
    ]);
    expect(down.stderr).toContain('no backup: skipped by --no-backup');

    const history = json(strata(dir, ['history', '--limit', '3', '--json']));
    expect(history.events).toHaveLength(3);
    expect(history.events[0]).toMatchObject({ action: 'revert', migrationId: 'app@1.0.0'.replace('1.0.0', '1.1.0'), outcome: 'ok' });
    expect(json(strata(dir, ['history', '--migration', 'app@1.0.0', '--json'])).events.map((e: any) => e.action)).toEqual(['apply']);
  });

  it('loads a strata.config.ts through jiti, importing defineConfig from strata', () => {
    const dir = project(TWO_MIGRATIONS);
    expect(strata(dir, ['init', '--ts']).code).toBe(0);
    writeFileSync(
      join(dir, 'strata.config.ts'),
      "import { defineConfig } from 'strata-migrate';\nconst url: string = 'sqlite:./from-ts.db';\nexport default defineConfig({ url, migrations: './migrations' });\n",
    );
    writeFileSync(join(dir, 'from-ts.db'), '');
    const ran = strata(dir, ['status', '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(json(ran).target).toBe(`sqlite:${join(dir, 'from-ts.db')}`);
  });

  it('up --dry-run rolls everything back', () => {
    const dir = project(TWO_MIGRATIONS);
    const ran = strata(dir, ['up', '--dry-run', '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(json(ran)).toMatchObject({ dryRun: true, backupId: null });
    expect(json(strata(dir, ['status', '--json'])).migrations.every((m: any) => m.state === 'pending')).toBe(true);
  });

  it('applies @strata/core-schema with --modules', () => {
    const dir = project();
    const up = strata(dir, ['up', '--modules', '@strata/core-schema']);
    expect(up.code, up.stderr).toBe(0);
    const status = json(strata(dir, ['status', '--modules', '@strata/core-schema', '--json']));
    expect(status.migrations.map((m: any) => [m.id, m.state])).toEqual([
      ['core@1.0.0', 'applied'],
      ['core@1.1.0', 'applied'],
    ]);
  });

  it('baseline marks migrations applied without running them; repair previews, then needs --yes', () => {
    const dir = project(TWO_MIGRATIONS);
    const baseline = strata(dir, ['baseline', '1.0.0', '--json']);
    expect(baseline.code, baseline.stderr).toBe(0);
    expect(json(baseline)).toMatchObject({ baselined: ['app@1.0.0'], dryRun: false });
    // users was never created: baseline ran nothing.
    expect(strata(dir, ['up', '--no-backup']).code).toBe(0);

    writeFileSync(
      join(dir, 'migrations/1.1.0_create_orders.sql'),
      sql('CREATE TABLE orders (id integer primary key, user_id integer); ', 'DROP TABLE orders;'),
    );
    const preview = strata(dir, ['repair', '--json']);
    expect(preview.code).toBe(0);
    expect(json(preview)).toMatchObject({ suggested: true, applied: false, actions: [{ kind: 'accept-checksum', id: 'app@1.1.0' }] });
    expect(strata(dir, ['repair', '--accept-checksum', 'app@1.1.0']).code).toBe(2);
    const repaired = strata(dir, ['repair', '--accept-checksum', 'app@1.1.0', '--yes', '--json']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(json(repaired)).toMatchObject({ applied: true, actions: [{ kind: 'accept-checksum', id: 'app@1.1.0' }] });
    expect(strata(dir, ['validate']).code).toBe(0);
  });

  it('exit 2: unknown flag, unknown config key, malicious table name, missing explicit folder', () => {
    const dir = project(TWO_MIGRATIONS);
    const flag = strata(dir, ['up', '--frobnicate']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^error STRATA_USAGE: Unknown option --frobnicate\nhint: .*--help/);

    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ url: 'sqlite:./x.db', tabel: 'x' }));
    const key = strata(dir, ['status', '--json']);
    expect(key.code).toBe(2);
    expect(json(key).error).toMatchObject({ code: 'STRATA_CONFIG_INVALID', message: expect.stringContaining('"tabel"') });

    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ table: 'x"; DROP TABLE t; --' }));
    expect(strata(dir, ['up']).code).toBe(2);
    expect(existsSync(join(dir, 'strata.db'))).toBe(false);

    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ migrations: './nope' }));
    expect(strata(dir, ['status']).code).toBe(2);
  });

  it('exit 3: an invalid version file, before connecting, one line per file', () => {
    const dir = project({
      ...TWO_MIGRATIONS,
      'migrations/v1.2.0_bad.sql': sql('SELECT 1;'),
      'migrations/01.2.0_bad.sql': sql('SELECT 1;'),
    });
    const ran = strata(dir, ['up']);
    expect(ran.code).toBe(3);
    expect(ran.stderr.split('\n')[0]).toMatch(/^error STRATA_INVALID_VERSION: .*01\.2\.0_bad\.sql/);
    expect(ran.stderr).toContain('v1.2.0_bad.sql');
    expect(existsSync(join(dir, 'strata.db'))).toBe(false);
  });

  it('exit 3: a one-byte edit of an applied migration stops status, validate and up', () => {
    const dir = project(TWO_MIGRATIONS);
    expect(strata(dir, ['up', '--no-backup']).code).toBe(0);
    const file = join(dir, 'migrations/1.0.0_create_users.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace('users (', 'users  ('));
    const status = strata(dir, ['status', '--json']);
    expect(status.code).toBe(3);
    expect(json(status).problems[0]).toMatchObject({ code: 'STRATA_CHECKSUM_MISMATCH', migrationId: 'app@1.0.0' });
    expect(json(status).migrations[0].state).toBe('changed');
    expect(strata(dir, ['validate']).code).toBe(3);
    const up = strata(dir, ['up']);
    expect(up.code).toBe(3);
    expect(up.stderr).toMatch(/^error STRATA_CHECKSUM_MISMATCH: .*app@1\.0\.0/);
  });

  it('exit 1: a failing migration names file, statement and line on the first stderr line', () => {
    const dir = project({
      'migrations/1.0.0_ok.sql': sql('CREATE TABLE a (id integer);', 'DROP TABLE a;'),
      'migrations/1.1.0_broken.sql': sql('CREATE TABLE b (id integer);\n\nINSERT INTO missing_table VALUES (1);', 'DROP TABLE b;'),
    });
    const ran = strata(dir, ['up', '--no-backup']);
    expect(ran.code).toBe(1);
    const first = ran.stderr.split('\n')[0]!;
    expect(first).toMatch(/^error STRATA_MIGRATION_FAILED: Migration app@1\.1\.0 failed \(.*1\.1\.0_broken\.sql, statement 2, line 4\)/);
    expect(ran.stderr.split('\n')[1]).toMatch(/^hint: /);
    const status = json(strata(dir, ['status', '--json']));
    expect(status.migrations.map((m: any) => m.state)).toEqual(['applied', 'pending']);
  });

  it('exit 7 after a failed non-transactional migration, until repaired', () => {
    const dir = project({
      'migrations/1.0.0_nt.sql': sql(
        'CREATE TABLE c (id integer);\nINSERT INTO nowhere VALUES (1);',
        'DROP TABLE c;',
        '-- strata:transaction off\n',
      ),
    });
    expect(strata(dir, ['up', '--no-backup']).code).toBe(1);
    const up = strata(dir, ['up', '--no-backup']);
    expect(up.code).toBe(7);
    expect(up.stderr).toMatch(/^error STRATA_NEEDS_REPAIR: /);
    expect(up.stderr).toContain('repair');
    const status = strata(dir, ['status', '--json']);
    expect(status.code).toBe(7);
    expect(json(status).migrations[0].state).toBe('failed');
    expect(strata(dir, ['repair', '--drop-failed', 'all', '--yes']).code).toBe(0);
    expect(strata(dir, ['status']).code).toBe(0);
  });

  it('exit 4: the lock is held by another process past --lock-timeout', async () => {
    const dir = project(TWO_MIGRATIONS);
    const file = join(dir, 'strata.db');
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '-e',
        `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))}); const db = new D(${JSON.stringify(file)}); db.exec('BEGIN IMMEDIATE'); console.log('locked'); setTimeout(() => {}, 60000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
        holder.once('exit', () => reject(new Error('lock holder exited')));
      });
      const started = Date.now();
      const ran = strata(dir, ['up', '--lock-timeout', '500ms', '--no-backup']);
      expect(ran.code, ran.stderr).toBe(4);
      expect(ran.stderr).toMatch(/^error STRATA_LOCK_TIMEOUT: /);
      // Not a strata run: no label to read, and no empty "lock holder:" line.
      expect(ran.stderr).toContain('lock holder: unknown (not a strata run');
      expect(Date.now() - started).toBeLessThan(10_000);
      // Read-only commands need no lock.
      expect(strata(dir, ['status']).code).toBe(0);
    } finally {
      holder.kill();
    }
  });

  it('picks the target by --url, then DATABASE_URL, then the config file', () => {
    const dir = project({
      ...TWO_MIGRATIONS,
      'strata.config.json': JSON.stringify({ url: 'sqlite:./config.db' }),
      'config.db': '',
      'env.db': '',
      'flag.db': '',
    });
    const target = (args: string[], env: Record<string, string> = {}) => json(strata(dir, ['status', '--json', ...args], env)).target;
    expect(target([])).toBe(`sqlite:${join(dir, 'config.db')}`);
    expect(target([], { DATABASE_URL: 'sqlite:./env.db' })).toBe(`sqlite:${join(dir, 'env.db')}`);
    expect(target(['--url', 'sqlite:./flag.db'], { DATABASE_URL: 'sqlite:./env.db' })).toBe(`sqlite:${join(dir, 'flag.db')}`);
  });
});

describe('strata with the checksum cache', () => {
  it('trusts an unchanged file by its stat signature, catches a same-size edit, and validate reads every file', async () => {
    const dir = project(TWO_MIGRATIONS);
    const cache = mkdtempSync(join(tmpdir(), 'strata-e2e-cache-'));
    const env = { STRATA_CACHE_DIR: cache };
    // Files changed less than two seconds before a run are never remembered: let these age.
    await new Promise((resolve) => setTimeout(resolve, 2_150));
    expect(strata(dir, ['up', '--no-backup'], env).code).toBe(0);
    const [cacheFile, ...others] = readdirSync(cache).map((name) => join(cache, name));
    expect(others).toEqual([]);
    expect(statSync(cacheFile!).mode & 0o777).toBe(0o600);
    expect(Object.keys(JSON.parse(readFileSync(cacheFile!, 'utf8')).files).sort()).toEqual([
      '1.0.0_create_users.sql',
      '1.1.0_create_orders.sql',
    ]);
    expect(strata(dir, ['status'], env).code).toBe(0);

    // An edit of the same size, in place: the kernel moves ctime, so the file is read again.
    const file = join(dir, 'migrations/1.0.0_create_users.sql');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('name text', 'nome text'));
    const edited = strata(dir, ['status', '--json'], env);
    expect(edited.code).toBe(3);
    expect(json(edited).migrations[0]).toMatchObject({ id: 'app@1.0.0', state: 'changed' });
    writeFileSync(file, original);
    expect(strata(dir, ['status'], env).code).toBe(0);

    // What status trusts is the cache; validate, and any run with STRATA_NO_CACHE, read the files.
    const document = JSON.parse(readFileSync(cacheFile!, 'utf8'));
    document.files['1.1.0_create_orders.sql'][5] = 'f'.repeat(64);
    writeFileSync(cacheFile!, JSON.stringify(document));
    expect(json(strata(dir, ['status', '--json'], env)).migrations[1]).toMatchObject({ id: 'app@1.1.0', state: 'changed' });
    expect(strata(dir, ['validate'], env).code).toBe(0);
    expect(strata(dir, ['status'], { ...env, STRATA_NO_CACHE: '1' }).code).toBe(0);
  });
});

describe('strata on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_e2e');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('up, status, down against a real server', () => {
    const dir = project(TWO_MIGRATIONS);
    const up = strata(dir, ['up', '--json', '--no-backup'], { DATABASE_URL: database.url });
    expect(up.code, up.stderr).toBe(0);
    expect(json(up)).toMatchObject({ dialect: 'postgres', steps: [{ id: 'app@1.0.0' }, { id: 'app@1.1.0' }] });
    const status = json(strata(dir, ['status', '--json'], { DATABASE_URL: database.url }));
    expect(status.migrations.map((m: any) => m.state)).toEqual(['applied', 'applied']);
    expect(strata(dir, ['down', '--steps', '2', '--yes', '--no-backup'], { DATABASE_URL: database.url }).code).toBe(0);
  });

  it('exit 5 for an unreachable server, without printing the password', () => {
    const dir = project(TWO_MIGRATIONS);
    for (const extra of [[], ['--verbose'], ['--json'], ['--json', '--verbose']]) {
      const ran = strata(dir, ['up', '--url', `postgres://u:${PASSWORD}@127.0.0.1:1/db`, ...extra]);
      expect(ran.code, ran.stderr).toBe(5);
      expect(ran.stdout + ran.stderr).not.toContain(PASSWORD);
      if (extra.includes('--json')) expect(json(ran).error.code).toBe('STRATA_CONNECTION_FAILED');
    }
  });

  it('uses the fallback when the primary cannot be reached, and says so in text and JSON', () => {
    const dir = project(TWO_MIGRATIONS);
    const args = ['--url', `postgres://u:${PASSWORD}@127.0.0.1:1/db`, '--fallback-url', 'sqlite:./fallback.db'];
    const up = strata(dir, ['up', '--no-backup', '--json', ...args]);
    expect(up.code, up.stderr).toBe(0);
    expect(json(up)).toMatchObject({ dialect: 'sqlite', fallback: { used: true, reason: expect.stringContaining('cannot be reached') } });
    const status = strata(dir, ['status', ...args]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('FALLBACK in use: sqlite:');
    expect(status.stdout + status.stderr + up.stdout + up.stderr).not.toContain(PASSWORD);
    const primary = strata(dir, ['status', '--json', '--url', database.url, '--fallback-url', 'sqlite:./fallback.db']);
    expect(json(primary)).toMatchObject({ dialect: 'postgres', fallback: { used: false } });
  });

  it('never prints the password for a missing database or a failing migration, even with --verbose and --json', () => {
    const base = new URL(database.url);
    base.password = PASSWORD;
    const missing = new URL(base.href);
    missing.pathname = '/strata_no_such_database';
    const dir = project({ 'migrations/1.0.0_broken.sql': sql('CREATE TABLE x (id int);\nSELECT * FROM no_such_table;', 'DROP TABLE x;') });
    for (const extra of [['--verbose'], ['--json'], ['--json', '--verbose']]) {
      const wrongDb = strata(dir, ['status', ...extra], { DATABASE_URL: missing.href, PGPASSWORD: PASSWORD });
      expect(wrongDb.code).toBe(5);
      expect(wrongDb.stdout + wrongDb.stderr).not.toContain(PASSWORD);
      const failing = strata(dir, ['up', '--no-backup', ...extra], { DATABASE_URL: base.href });
      expect(failing.code, failing.stderr).toBe(1);
      expect(failing.stdout + failing.stderr).not.toContain(PASSWORD);
      if (extra.includes('--json')) expect(json(failing).error).toMatchObject({ code: 'STRATA_MIGRATION_FAILED' });
    }
  });

  it('never prints a password from the config file or PGPASSWORD in a failing status or up (--verbose, --json)', () => {
    const secret = `CfgPw${Math.random().toString(36).slice(2, 10)}`;
    const envSecret = `EnvPw${Math.random().toString(36).slice(2, 10)}`;
    const withPassword = new URL(database.url);
    withPassword.password = secret;
    const missing = new URL(withPassword.href);
    missing.pathname = '/strata_no_such_database';
    const unreachable = new URL(withPassword.href);
    unreachable.port = '1';
    const noPassword = new URL(database.url);
    const missingNoPassword = new URL(noPassword.href);
    missingNoPassword.pathname = '/strata_no_such_database';
    const migrations = {
      'migrations/1.0.0_broken.sql': sql('CREATE TABLE leak_check (id int);\nSELECT * FROM no_such_table;', 'DROP TABLE leak_check;'),
    };
    const cases: { url: string; env: Record<string, string>; args: string[]; code: number }[] = [
      { url: missing.href, env: {}, args: ['status'], code: 5 },
      { url: missing.href, env: {}, args: ['up'], code: 5 },
      { url: unreachable.href, env: {}, args: ['up', '--no-backup'], code: 5 },
      // pg_dump runs first here (a backup is taken before the failing run) when it is on PATH.
      { url: withPassword.href, env: {}, args: ['up'], code: 1 },
      { url: withPassword.href, env: {}, args: ['up', '--no-backup'], code: 1 },
      { url: withPassword.href, env: { PGPASSWORD: envSecret }, args: ['up', '--no-backup'], code: 1 },
      { url: missingNoPassword.href, env: { PGPASSWORD: envSecret }, args: ['status'], code: 5 },
      { url: missingNoPassword.href, env: { PGPASSWORD: envSecret }, args: ['up'], code: 5 },
      { url: noPassword.href, env: { PGPASSWORD: envSecret }, args: ['up'], code: 1 },
    ];
    for (const { url, env, args, code } of cases) {
      const dir = project({ ...migrations, 'strata.config.json': JSON.stringify({ url }) });
      for (const extra of [['--verbose'], ['--json'], ['--json', '--verbose']]) {
        const ran = strata(dir, [...args, ...extra], env);
        const label = `${args.join(' ')} ${extra.join(' ')} on ${url.replace(secret, '***')}${env.PGPASSWORD ? ' with PGPASSWORD' : ''}`;
        expect(ran.code, `${label}: ${ran.stderr}`).toBe(code);
        expect(ran.stdout + ran.stderr, label).not.toContain(secret);
        expect(ran.stdout + ran.stderr, label).not.toContain(envSecret);
        if (extra.includes('--json'))
          expect(json(ran).error.code, label).toBe(code === 5 ? 'STRATA_CONNECTION_FAILED' : 'STRATA_MIGRATION_FAILED');
        // The verbose lines did run: the target is shown, redacted.
        if (extra.includes('--verbose')) expect(ran.stderr, label).toMatch(/target: postgres:\/\/.*\(from the config file\)/);
      }
    }
  }, 180_000);
});
