// Issue 14: backups reach the dialect through the contract. The CLI asks the target's dialect for
// its backup provider (Dialect.backupProvider) instead of looking at the URL's scheme, so a
// third-party dialect with a provider of its own gets pre-run backups and `strata backup`, and a
// dialect without one gets a clear notice (up) or error (backup create). End to end with the
// built bin and a test-only dialect package installed into the project's node_modules.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, project as makeProject, type Ran, strata } from './bin.js';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof import('better-sqlite3');
const SQLITE_DIALECT = fileURLToPath(new URL('../../../packages/dialect-sqlite/dist/index.cjs', import.meta.url));

function json(ran: Ran, code = 0): any {
  expect(ran.code, ran.stderr).toBe(code);
  return JSON.parse(ran.stdout);
}

const MIGRATIONS = {
  'migrations/1.0.0_items.sql': '-- strata:up\nCREATE TABLE items (id integer primary key);\n-- strata:down\nDROP TABLE items;\n',
  'migrations/1.1.0_more.sql': '-- strata:up\nCREATE TABLE more (id integer primary key);\n-- strata:down\nDROP TABLE more;\n',
};

/**
 * A third-party dialect package, `toy-dialect`: SQLite underneath (the built dialect, wrapped),
 * named `toy`, with a backup provider of its own that copies the file, or with none at all.
 */
function toyDialect(withProvider: boolean): string {
  return `const fs = require('node:fs');
const { createSqliteDialect } = require(${JSON.stringify(SQLITE_DIALECT)});
function toyProvider(file) {
  return {
    dialect: 'toy',
    database: 'toy:' + file,
    identity: 'toy:' + fs.realpathSync(file),
    extension: 'toy',
    async measure() { return { bytes: fs.statSync(file).size, empty: false }; },
    async create(tempPath) { fs.copyFileSync(file, tempPath); },
    async verify(path) {
      const ok = fs.readFileSync(path).subarray(0, 15).toString() === 'SQLite format 3';
      return { ok, detail: ok ? 'toy header ok' : 'not a toy backup' };
    },
    async restore(path, { into }) { const target = into ?? file; fs.copyFileSync(path, target); return { target: 'toy:' + target }; },
  };
}
module.exports = function createToyDialect(options) {
  if (typeof options.filename !== 'string') throw new Error('toy-dialect needs a sqlite: URL (options.filename)');
  const { backupProvider, ...inner } = createSqliteDialect({ filename: options.filename });
  return {
    ...inner,
    name: 'toy',
    ${withProvider ? 'async backupProvider() { return toyProvider(options.filename); },' : ''}
  };
};
`;
}

function project(withProvider: boolean, config: Record<string, unknown> = {}): string {
  const dir = makeProject(
    {
      ...MIGRATIONS,
      'node_modules/toy-dialect/package.json': JSON.stringify({ name: 'toy-dialect', version: '1.0.0', main: 'index.cjs' }),
      'node_modules/toy-dialect/index.cjs': toyDialect(withProvider),
      'strata.config.json': JSON.stringify({ url: 'sqlite:./app.db', dialect: 'toy-dialect', ...config }),
    },
    'strata-bk-dialect-',
  );
  // A database that holds something, so the pre-run backup is not skipped as empty.
  const db = new Database(join(dir, 'app.db'));
  db.exec("CREATE TABLE seed (v text); INSERT INTO seed VALUES ('x')");
  db.close();
  return dir;
}

const manifests = (dir: string) =>
  existsSync(join(dir, '.strata-backups'))
    ? readdirSync(join(dir, '.strata-backups'))
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first`);
  if (!existsSync(SQLITE_DIALECT)) throw new Error(`${SQLITE_DIALECT} is missing: build first`);
});

describe('a third-party dialect with its own backup provider', () => {
  it('gets the pre-run backup, backup create, list, verify and restore --into through the CLI', () => {
    const dir = project(true);
    const up = strata(dir, ['up', '--json']);
    const ran = json(up);
    expect(ran).toMatchObject({ dialect: 'toy', backupId: expect.stringMatching(/^\d{8}T\d{6}/) });
    const [pre] = manifests(dir);
    const manifest = JSON.parse(readFileSync(join(dir, '.strata-backups', pre!), 'utf8'));
    expect(manifest).toMatchObject({
      id: ran.backupId,
      dialect: 'toy',
      target: `toy:${realpathSync(join(dir, 'app.db'))}`,
      verified: true,
    });
    expect(manifest.file).toMatch(/\.toy$/);

    const created = json(strata(dir, ['backup', 'create', '--json']));
    expect(created).toMatchObject({
      action: 'create',
      recorded: true,
      backup: { dialect: 'toy', schemaVersions: { app: '1.1.0' }, verified: true },
    });
    const list = json(strata(dir, ['backup', 'list', '--json']));
    expect(list.backups.map((b: { id: string }) => b.id)).toEqual([created.backup.id, ran.backupId]);
    expect(json(strata(dir, ['backup', 'verify', created.backup.id, '--json']))).toMatchObject({
      action: 'verify',
      result: { hashOk: true, providerOk: true, problems: [] },
    });

    const restored = json(strata(dir, ['backup', 'restore', ran.backupId, '--into', './copy.db', '--json']));
    expect(restored).toMatchObject({ action: 'restore', result: { id: ran.backupId, target: 'toy:./copy.db' } });
    const copy = new Database(join(dir, 'copy.db'), { readonly: true });
    // The pre-run backup was taken before 1.0.0 ran: the seed is there, the migrations' tables are not.
    expect(copy.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('seed', 'items') ORDER BY name").all()).toEqual([
      { name: 'seed' },
    ]);
    copy.close();
  });
});

describe('a dialect without a backup provider', () => {
  it('up migrates and says that no backup was taken, and why', () => {
    const dir = project(false);
    const up = strata(dir, ['up']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`no backup: dialect toy provides no backups of sqlite:${join(dir, 'app.db')}`);
    expect(manifests(dir)).toEqual([]);
  });

  it('backup create fails with STRATA_BACKUP_FAILED (exit 6) naming the dialect, and creates nothing', () => {
    const dir = project(false);
    const ran = strata(dir, ['backup', 'create', '--json']);
    const error = json(ran, 6).error;
    expect(error).toMatchObject({ code: 'STRATA_BACKUP_FAILED', message: expect.stringContaining('dialect toy provides no backups') });
    expect(error.hint).toContain('backupProvider');
    expect(manifests(dir)).toEqual([]);
  });

  it('backup.enabled: true stops up before anything runs (exit 6)', () => {
    const dir = project(false, { backup: { enabled: true } });
    const ran = strata(dir, ['up', '--json']);
    expect(json(ran, 6).error).toMatchObject({
      code: 'STRATA_BACKUP_FAILED',
      message: expect.stringContaining('Backups are required (backup.enabled: true) but dialect toy provides no backups'),
    });
    const db = new Database(join(dir, 'app.db'), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'items'").get()).toEqual({ n: 0 });
    db.close();
  });
});
