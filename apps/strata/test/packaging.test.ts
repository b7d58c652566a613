// Packaging: the packages as npm would publish them (`pnpm pack` rewrites `workspace:` ranges),
// installed with npm into an EMPTY project with only the SQLite dialect — no `pg`, no
// `@strata/dialect-postgres` — run there, and the clear error for a postgres:// URL. The same
// tarballs once more with pnpm (strict node_modules): the Quick start with a TS config and migration.
//
// Slow (npm install builds better-sqlite3, about two minutes on a cold machine): one install per
// run, in beforeAll. The npm registry must be reachable: when it is not, this test FAILS.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = [
  'packages/core',
  'packages/dialect-sqlite',
  'packages/dialect-postgres',
  'packages/cli',
  'packages/backup',
  'packages/core-schema',
  'packages/lint',
  'apps/strata',
];
const INSTALL_TIMEOUT_MS = 900_000;

/** The environment for npm and the installed bin: no pnpm/npm lifecycle variables from the test runner. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    const keep = /^npm_config_(registry|cache|.*proxy|strict_ssl|cafile)$/.test(lower);
    // NODE_PATH: pnpm's bin shims (vitest's included) point it at the monorepo's hoisted packages,
    // and the bin's `require` honours it: the empty project must not see the workspace's dialects.
    if (
      !keep &&
      (lower.startsWith('npm_') ||
        lower.startsWith('pnpm_') ||
        lower === 'database_url' ||
        lower === 'node_path' ||
        lower.startsWith('strata_'))
    )
      continue;
    env[key] = value;
  }
  // The monorepo's own bins (node_modules/.bin on the runner's PATH) must not stand in for the installed ones.
  const path = (env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.startsWith(ROOT))
    .join(delimiter);
  return { ...env, PATH: path, NO_COLOR: '1' };
}

function run(command: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: cleanEnv(), timeout, maxBuffer: 64 * 1024 * 1024 });
}

const tail = (text: string | null | undefined, lines = 30) => (text ?? '').trim().split('\n').slice(-lines).join('\n');

let work: string;
let app: string;
let tarballs: string;
let postgresTarball: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'strata-packaging-'));
  tarballs = join(work, 'tarballs');
  for (const pkg of PACKAGES) {
    if (!existsSync(join(ROOT, pkg, 'dist')))
      throw new Error(`${pkg}/dist is missing: build first (npx turbo run build; the root test script does)`);
  }
  // The README's way: `pnpm run pack` packs every publishable package into one folder.
  const packed = run(process.execPath, [join(ROOT, 'scripts', 'pack.mjs'), tarballs], ROOT);
  if (packed.status !== 0)
    throw new Error(
      `scripts/pack.mjs failed (exit ${packed.status}${packed.error ? `, ${packed.error.message}` : ''}):\n${tail(packed.stderr || packed.stdout)}`,
    );
  const all = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
  expect(all.sort()).toEqual([
    'strata-backup-0.1.0.tgz',
    'strata-cli-0.1.0.tgz',
    'strata-core-0.1.0.tgz',
    'strata-core-schema-0.1.0.tgz',
    'strata-dialect-postgres-0.1.0.tgz',
    'strata-dialect-sqlite-0.1.0.tgz',
    'strata-lint-0.1.0.tgz',
    'strata-migrate-0.1.0.tgz',
  ]);
  expect(packed.stdout.trim().split('\n')).toEqual(all.map((f) => join(tarballs, f)));
  // SQLite only: the PostgreSQL dialect is installed later, by the PostgreSQL journey.
  postgresTarball = join(tarballs, 'strata-dialect-postgres-0.1.0.tgz');
  // Nor @strata/lint, which is optional too (it brings libpg-query).
  const files = all.filter((f) => !f.includes('dialect-postgres') && !f.includes('strata-lint'));

  app = join(work, 'app');
  mkdirSync(app);
  const init = run('npm', ['init', '-y'], app);
  if (init.status !== 0) throw new Error(`npm init -y failed:\n${tail(init.stderr)}`);
  const install = run(
    'npm',
    ['install', '--no-audit', '--no-fund', ...files.map((f) => join(tarballs, f)), 'better-sqlite3@~12.11.1'],
    app,
    INSTALL_TIMEOUT_MS,
  );
  if (install.status !== 0) {
    const why = install.error ? `${install.error.message}${install.signal ? ` (${install.signal})` : ''}` : `exit ${install.status}`;
    throw new Error(
      `npm install of the packed tarballs failed (${why}). This test needs the npm registry (better-sqlite3 and the packages' dependencies); ` +
        `check that it is reachable (npm ping) and that a C/C++ toolchain can build better-sqlite3.\n${tail(install.stderr || install.stdout)}`,
    );
  }
}, INSTALL_TIMEOUT_MS + 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs the installed `strata` bin through npx, as a user would (in `cwd`, the app by default). */
function strata(args: string[], cwd = app) {
  const ran = run('npx', ['--no', '--', 'strata', ...args], cwd, 60_000);
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr };
}

/** A fresh folder inside the app (so the app's node_modules serve it), with a package.json of its own. */
function subproject(name: string, manifest: Record<string, unknown> = {}): string {
  const dir = join(app, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, ...manifest }));
  return dir;
}

describe('the packed packages, installed with npm into an empty project', () => {
  it('packs dist and real versions, not workspace: ranges', () => {
    for (const name of [
      'strata-migrate',
      '@strata/cli',
      '@strata/dialect-sqlite',
      '@strata/core',
      '@strata/backup',
      '@strata/core-schema',
    ]) {
      const dir = join(app, 'node_modules', name);
      const manifest = readFileSync(join(dir, 'package.json'), 'utf8');
      expect(manifest, name).not.toContain('workspace:');
      expect(existsSync(join(dir, 'dist')), `${name}/dist`).toBe(true);
    }
  });

  it('has neither pg nor @strata/dialect-postgres', () => {
    expect(existsSync(join(app, 'node_modules', 'pg'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', '@strata', 'dialect-postgres'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'libpg-query'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'better-sqlite3'))).toBe(true);
  });

  it('runs `strata up` and `strata status` with the core schema on the embedded SQLite default', () => {
    const up = strata(['up', '--modules', '@strata/core-schema']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/applied\s+core@1\.0\.0/);
    expect(up.stdout).toMatch(/applied\s+core@1\.1\.0/);
    expect(existsSync(join(app, 'strata.db'))).toBe(true);

    const status = strata(['status', '--json', '--modules', '@strata/core-schema']);
    expect(status.code, status.stderr).toBe(0);
    const document = JSON.parse(status.stdout);
    expect(document).toMatchObject({ dialect: 'sqlite', target: `sqlite:${join(app, 'strata.db')}`, problems: [] });
    expect(document.migrations.map((m: { id: string; state: string }) => [m.id, m.state])).toEqual([
      ['core@1.0.0', 'applied'],
      ['core@1.1.0', 'applied'],
    ]);
  });

  it('names @strata/dialect-postgres for a postgres:// URL (exit 2, STRATA_DIALECT_MISSING)', () => {
    const url = 'postgres://u@127.0.0.1:5432/db';
    const text = strata(['status', '--url', url]);
    expect(text.code, text.stdout + text.stderr).toBe(2);
    expect(text.stderr.split('\n')[0]).toMatch(/^error STRATA_DIALECT_MISSING: .*@strata\/dialect-postgres/);
    expect(text.stderr).toMatch(/hint: npm install @strata\/dialect-postgres pg/);

    const json = strata(['status', '--url', url, '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'STRATA_DIALECT_MISSING',
        message: expect.stringContaining('@strata/dialect-postgres'),
        hint: expect.stringContaining('npm install @strata/dialect-postgres pg'),
      },
    });
  });

  it('loads the strata.config.ts that `strata init --ts` writes (npm hoists jiti into the project)', () => {
    const dir = subproject('ts-config');
    const init = strata(['init', '--ts'], dir);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    expect(readFileSync(join(dir, 'strata.config.ts'), 'utf8')).toContain("from 'strata-migrate'");
    const up = strata(['up'], dir);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    const status = strata(['status', '--json'], dir);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ dialect: 'sqlite', problems: [] });
  });

  it('loads a CommonJS config that requires defineConfig from strata-migrate', () => {
    const dir = subproject('cjs-config', { type: 'commonjs' });
    writeFileSync(
      join(dir, 'strata.config.js'),
      "const { defineConfig } = require('strata-migrate');\nmodule.exports = defineConfig({ url: 'sqlite:./from-cjs.db' });\n",
    );
    expect(strata(['up'], dir).code).toBe(0);
    const status = strata(['status', '--json'], dir);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ target: `sqlite:${join(dir, 'from-cjs.db')}` });
  });

  it('types defineConfig for ESM and CommonJS consumers (index.d.ts and index.d.cts)', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'strata-migrate', 'package.json'), 'utf8'));
    expect(manifest.exports['.']).toMatchObject({ import: { types: './dist/index.d.ts' }, require: { types: './dist/index.d.cts' } });
    for (const file of ['index.d.ts', 'index.d.cts', 'index.js', 'index.cjs']) {
      expect(existsSync(join(app, 'node_modules', 'strata-migrate', 'dist', file)), file).toBe(true);
    }
  });

  it('says how to build better-sqlite3 when its native addon is missing (exit 2, not "cannot connect")', () => {
    const build = join(app, 'node_modules', 'better-sqlite3', 'build');
    const hidden = `${build}.hidden`;
    renameSync(build, hidden);
    try {
      const ran = strata(['up', '--url', 'sqlite:./no-addon.db', '--no-backup']);
      expect(ran.code, ran.stdout + ran.stderr).toBe(2);
      expect(ran.stderr.split('\n')[0]).toMatch(
        /^error STRATA_DIALECT_MISSING: better-sqlite3 is installed but its native addon cannot be loaded \(Could not locate the bindings file/,
      );
      expect(ran.stderr).toMatch(/hint: .*pnpm approve-builds.*npm rebuild better-sqlite3/);
    } finally {
      renameSync(hidden, build);
    }
  });
});

const sql = (up: string, down: string) => `-- strata:up\n${up}\n-- strata:down\n${down}\n`;
const json = (ran: { stdout: string }) => JSON.parse(ran.stdout);

describe('journey: the README Quick start on SQLite, step by step', () => {
  it('init, new, up, status, a second and third migration, plan, down, history, backup list, validate', () => {
    const dir = subproject('quick-start');
    expect(strata(['init'], dir).code).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('strata.db');
    const first = strata(['new', 'create_invoices'], dir);
    expect(first.stdout.trim()).toBe(join('migrations', '0.1.0_create_invoices.sql'));
    writeFileSync(
      join(dir, first.stdout.trim()),
      sql('CREATE TABLE invoices (id integer PRIMARY KEY, amount integer NOT NULL);', 'DROP TABLE invoices;'),
    );
    const up = strata(['up'], dir);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/applied\s+app@0\.1\.0/);
    // A new database holds nothing yet: no backup of it, and strata says so.
    expect(up.stderr).toMatch(/no backup: .*holds nothing yet/);
    expect(strata(['status'], dir).stdout).toMatch(/app@0\.1\.0\s+applied/);

    const second = strata(['new', 'add invoice notes'], dir).stdout.trim();
    writeFileSync(join(dir, second), sql('ALTER TABLE invoices ADD COLUMN notes text;', 'ALTER TABLE invoices DROP COLUMN notes;'));
    const third = strata(['new', 'create_payments'], dir).stdout.trim();
    writeFileSync(
      join(dir, third),
      sql('CREATE TABLE payments (id integer PRIMARY KEY, invoice_id integer REFERENCES invoices(id));', 'DROP TABLE payments;'),
    );
    const plan = strata(['plan'], dir);
    expect(plan.stdout).toContain('ADD COLUMN notes');
    expect(plan.stdout).toContain('CREATE TABLE payments');
    expect(strata(['status', '--fail-on-pending'], dir).code).toBe(3);
    const again = strata(['up'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/backup \S+ taken and verified/);

    // From a subfolder: the project's config and database, no stray strata.db.
    const deep = join(dir, 'src', 'deep');
    mkdirSync(deep, { recursive: true });
    const status = strata(['status', '--json', '--fail-on-pending'], deep);
    expect(status.code, status.stderr).toBe(0);
    expect(json(status).target).toBe(`sqlite:${join(dir, 'strata.db')}`);
    expect(json(status).migrations.map((m: { id: string; state: string }) => `${m.id} ${m.state}`)).toEqual([
      'app@0.1.0 applied',
      'app@0.2.0 applied',
      'app@0.3.0 applied',
    ]);
    expect(existsSync(join(deep, 'strata.db'))).toBe(false);

    const down = strata(['down', '--steps', '1', '--yes'], deep);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/reverted\s+app@0\.3\.0/);
    const history = json(strata(['history', '--json'], dir));
    expect(history.events.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['apply', 'revert']));
    expect(json(strata(['backup', 'list', '--json'], dir)).backups.length).toBeGreaterThanOrEqual(2);
    expect(strata(['validate'], dir).code).toBe(0);

    // A mistyped path: a clear error, and no database created.
    const typo = strata(['status', '--url', 'sqlite:./strat.db'], dir);
    expect(typo.code).toBe(5);
    expect(typo.stderr).toContain(`SQLite database ${join(dir, 'strat.db')} does not exist`);
    expect(existsSync(join(dir, 'strat.db'))).toBe(false);
  }, 600_000); // about twenty npx runs, several seconds each on a loaded machine
});

describe('journey: PostgreSQL, once @strata/dialect-postgres and pg are installed', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    const install = run('npm', ['install', '--no-audit', '--no-fund', postgresTarball, 'pg@^8.16'], app, INSTALL_TIMEOUT_MS);
    if (install.status !== 0)
      throw new Error(`npm install of @strata/dialect-postgres and pg failed:\n${tail(install.stderr || install.stdout)}`);
    database = await createTestDatabase('strata_journey');
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await database?.drop();
  });

  it('runs a .postgres.sql variant instead of the generic file, with a TypeScript config', async () => {
    const dir = subproject('pg-journey');
    writeFileSync(
      join(dir, 'strata.config.ts'),
      `import { defineConfig } from 'strata-migrate';\nexport default defineConfig({ url: ${JSON.stringify(database.url)}, migrations: './migrations' });\n`,
    );
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '1.0.0_create_events.sql'),
      sql('CREATE TABLE events (id integer PRIMARY KEY, payload text);', 'DROP TABLE events;'),
    );
    writeFileSync(
      join(dir, 'migrations', '1.0.0_create_events.postgres.sql'),
      sql('CREATE TABLE events (id bigserial PRIMARY KEY, payload jsonb);', 'DROP TABLE events;'),
    );
    const up = strata(['up', '--no-backup'], dir);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(json(strata(['status', '--json'], dir))).toMatchObject({
      dialect: 'postgres',
      migrations: [{ id: 'app@1.0.0', state: 'applied' }],
      problems: [],
    });
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT data_type FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'payload'",
      );
      expect(rows).toEqual([{ data_type: 'jsonb' }]);
    } finally {
      await client.end();
    }
  });

  it('fails over to the SQLite fallback when the primary cannot be reached, and says so', () => {
    const dir = subproject('failover', {});
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'migrations', '1.0.0_t.sql'), sql('CREATE TABLE t (id integer);', 'DROP TABLE t;'));
    const ran = strata(
      ['up', '--no-backup', '--url', 'postgres://postgres@127.0.0.1:1/nowhere', '--fallback-url', 'sqlite:./fallback.db'],
      dir,
    );
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout + ran.stderr).toMatch(/FALLBACK in use/);
    expect(existsSync(join(dir, 'fallback.db'))).toBe(true);
  });
});

describe('journey: the Quick start installed with pnpm (strict node_modules, a TS config and a TS migration)', () => {
  // The tarballs of beforeAll, installed with pnpm: only what the project names is in its
  // node_modules (no hoisted jiti, no hoisted dependencies of dependencies). pnpm looks the
  // @strata/* dependencies between the tarballs up on the registry (where they are not yet):
  // `pnpm.overrides` points them at the tarballs. pnpm 10 builds better-sqlite3 only once approved.
  // The store and its side-effects cache are usually warm; a cold one builds better-sqlite3 again.
  const PNPM_PACKAGES = [
    'strata-migrate',
    '@strata/cli',
    '@strata/core',
    '@strata/backup',
    '@strata/core-schema',
    '@strata/dialect-sqlite',
  ];
  const tarball = (name: string) => join(tarballs, `${name.replace('@', '').replace('/', '-')}-0.1.0.tgz`);
  let dir: string;
  beforeAll(() => {
    dir = join(work, 'pnpm-app');
    mkdirSync(dir);
    const overrides = Object.fromEntries(
      PNPM_PACKAGES.filter((name) => name.startsWith('@strata/')).map((name) => [name, `file:${tarball(name)}`]),
    );
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'pnpm-journey', private: true, pnpm: { onlyBuiltDependencies: ['better-sqlite3'], overrides } }, null, 2),
    );
    const install = run(
      'pnpm',
      ['add', '--save-dev', '--prefer-offline', ...PNPM_PACKAGES.map(tarball), 'better-sqlite3@~12.11.1'],
      dir,
      INSTALL_TIMEOUT_MS,
    );
    if (install.status !== 0)
      throw new Error(
        `pnpm add of the packed tarballs failed (exit ${install.status}${install.error ? `, ${install.error.message}` : ''}):\n${tail(install.stderr || install.stdout)}`,
      );
  }, INSTALL_TIMEOUT_MS + 60_000);

  /** `pnpm exec strata …`, as the README says for pnpm projects. */
  const pstrata = (args: string[], cwd = dir) => {
    const ran = run('pnpm', ['exec', 'strata', ...args], cwd, 60_000);
    return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr };
  };

  it('init --ts, new (SQL and --ts), up, status, down, validate; tsc accepts the TS migration', () => {
    expect(existsSync(join(dir, 'node_modules', '.pnpm')), 'a pnpm layout').toBe(true);
    expect(existsSync(join(dir, 'node_modules', 'jiti')), 'jiti is not hoisted').toBe(false);
    const init = pstrata(['init', '--ts']);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    const first = pstrata(['new', 'create_invoices']).stdout.trim();
    expect(first).toBe(join('migrations', '0.1.0_create_invoices.sql'));
    writeFileSync(
      join(dir, first),
      sql('CREATE TABLE invoices (id integer PRIMARY KEY, amount integer NOT NULL);', 'DROP TABLE invoices;'),
    );
    const second = pstrata(['new', 'add invoice notes', '--ts']).stdout.trim();
    expect(second).toBe(join('migrations', '0.2.0_add_invoice_notes.ts'));
    const template = readFileSync(join(dir, second), 'utf8');
    expect(template).not.toContain('@strata/core');
    writeFileSync(
      join(dir, second),
      template
        .replace('-- write the change here', 'ALTER TABLE invoices ADD COLUMN notes text')
        .replace('-- undo the change here', 'ALTER TABLE invoices DROP COLUMN notes'),
    );

    const up = pstrata(['up']);
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/applied\s+app@0\.1\.0/);
    expect(up.stdout).toMatch(/applied\s+app@0\.2\.0/);
    const status = pstrata(['status', '--json', '--fail-on-pending']);
    expect(status.code, status.stderr).toBe(0);
    expect(json(status)).toMatchObject({ dialect: 'sqlite', target: `sqlite:${join(dir, 'strata.db')}`, problems: [] });
    expect(json(status).migrations.map((m: { id: string; state: string }) => `${m.id} ${m.state}`)).toEqual([
      'app@0.1.0 applied',
      'app@0.2.0 applied',
    ]);
    const down = pstrata(['down', '--steps', '1', '--yes']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/reverted\s+app@0\.2\.0/);
    expect(pstrata(['validate']).code).toBe(0);

    // The TS migration type-checks against the project's own packages (types from strata-migrate).
    const tsc = (config: Record<string, unknown>) => {
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'es2022',
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          ...config,
        }),
      );
      return run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], dir);
    };
    const checked = tsc({ include: ['migrations/*.ts'] });
    expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    // …and tsc does check it: a wrong body is an error naming the type.
    writeFileSync(
      join(dir, 'wrong.ts'),
      "import type { MigrationDefinition } from 'strata-migrate';\nexport default { up: 42 } satisfies MigrationDefinition;\n",
    );
    const wrong = tsc({ files: ['wrong.ts'] });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(
      /^wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'MigrationBody \| DialectBodies'/m,
    );
  }, 300_000);
});
