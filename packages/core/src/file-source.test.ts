import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalText } from './checksum.js';
import { isStrataError } from './errors.js';
import { createFileSource } from './file-source.js';
import type { Migration } from './migration.js';

const made: string[] = [];

/** A fresh temp folder holding `files` (a trailing `/` makes a subfolder). */
function folder(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-file-source-'));
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    if (name.endsWith('/')) mkdirSync(join(dir, name), { recursive: true });
    else writeFileSync(join(dir, name), content);
  }
  return dir;
}

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

async function load(directory: string, module?: string) {
  const warnings: string[] = [];
  const source = createFileSource({ directory, ...(module ? { module } : {}), onWarning: (message) => warnings.push(message) });
  const result = await source.load();
  return { ...result, warnings, byId: new Map(result.migrations.map((m) => [m.id, m] as const)) };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const INIT = '-- strata:up\nCREATE TABLE users (id int);\n-- strata:down\nDROP TABLE users;\n';
const ADD_GENERIC = '-- strata:depends core@1.0.0\n-- strata:up\nALTER TABLE users ADD COLUMN email text;\n';
const ADD_POSTGRES =
  '-- strata:depends core@1.0.0\n-- strata:up\nALTER TABLE users ADD COLUMN email citext;\n-- strata:down\nALTER TABLE users DROP COLUMN email;\n';

describe('createFileSource', () => {
  it('describes itself by folder and module, defaulting to module app', () => {
    expect(createFileSource({ directory: './migrations' }).description).toBe('folder ./migrations (module app)');
    expect(createFileSource({ directory: 'm', module: 'billing' }).description).toBe('folder m (module billing)');
  });

  it('refuses an invalid module name', () => {
    let caught: unknown;
    try {
      createFileSource({ directory: '.', module: 'Billing' });
    } catch (error) {
      caught = error;
    }
    expect(isStrataError(caught) && caught.code).toBe('STRATA_INVALID_ID');
  });

  it('picks the migration files and skips everything that is not one', async () => {
    const dir = folder({
      '1.0.0_init.sql': INIT,
      '1.1.0_add.sql': ADD_GENERIC,
      '1.1.0_add.postgres.sql': ADD_POSTGRES,
      'README.md': '# migrations',
      '.hidden.sql': 'SELECT 1;',
      '.1.3.0_hidden.sql': 'SELECT 1;',
      '1.0.0_x.sql~': 'SELECT 1;',
      'nested/': '',
      '1.2.0_folder.sql/': '',
      'x.d.ts': 'export {};',
      '2.0.0_types.d.ts': 'export {};',
      'notes.txt': 'hello',
    });
    writeFileSync(join(dir, 'nested', '1.5.0_inner.sql'), 'SELECT 1;');
    const { migrations, problems, warnings, byId } = await load(dir);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
    expect(migrations.map((m) => m.id).sort()).toEqual(['app@1.0.0', 'app@1.1.0']);

    const init = byId.get('app@1.0.0')!;
    expect(init).toMatchObject({
      module: 'app',
      name: 'init',
      dependsOn: [],
      transaction: true,
      hasDown: true,
      file: join(dir, '1.0.0_init.sql'),
    });
    expect(init.version.text).toBe('1.0.0');
    expect(init.load).toBeUndefined();
    expect(await init.resolve('sqlite')).toEqual({
      up: 'CREATE TABLE users (id int);',
      down: 'DROP TABLE users;\n',
      checksumText: INIT,
      upLine: 2,
      downLine: 4,
    });

    // The generic file gives the headline metadata; the postgres file replaces it on postgres.
    const add = byId.get('app@1.1.0')!;
    expect(add).toMatchObject({ name: 'add', dependsOn: ['core@1.0.0'], hasDown: false, file: join(dir, '1.1.0_add.sql') });
    const pg = await add.resolve('postgres');
    expect(pg.up).toBe('ALTER TABLE users ADD COLUMN email citext;');
    expect(pg.down).toBe('ALTER TABLE users DROP COLUMN email;\n');
    expect(pg.checksumText).toBe(ADD_POSTGRES);
    const sqlite = await add.resolve('sqlite');
    expect(sqlite.up).toBe('ALTER TABLE users ADD COLUMN email text;\n');
    expect(sqlite.down).toBeUndefined();
    expect(sqlite.checksumText).toBe(ADD_GENERIC);
    expect(await add.resolve('postgres')).toBe(pg);
  });

  it('uses the given module in ids', async () => {
    const { byId } = await load(folder({ '1.0.0_init.sql': INIT }), 'billing');
    expect([...byId.keys()]).toEqual(['billing@1.0.0']);
    expect(byId.get('billing@1.0.0')!.module).toBe('billing');
  });

  it('follows a symlink to a file inside the folder', async () => {
    const dir = folder({ 'shared/': '', 'shared/real.sql': INIT });
    symlinkSync(join(dir, 'shared', 'real.sql'), join(dir, '1.0.0_linked.sql'));
    symlinkSync(join(dir, 'shared', 'gone.sql'), join(dir, '1.1.0_dangling.sql'));
    const { migrations, problems } = await load(dir);
    expect(problems).toEqual([]);
    expect(migrations.map((m) => m.id)).toEqual(['app@1.0.0']);
  });

  it('reads canonical text: a BOM and CRLF file gives the same checksum text as LF', async () => {
    const dir = folder({ '1.0.0_init.sql': `\uFEFF${INIT.replace(/\n/g, '\r\n')}` });
    const { byId, problems } = await load(dir);
    expect(problems).toEqual([]);
    const body = await byId.get('app@1.0.0')!.resolve('sqlite');
    expect(body.checksumText).toBe(INIT);
    expect(body.up).toBe('CREATE TABLE users (id int);');
  });

  it('reads files of any size whole, around its 64 KiB read buffer, and each file on its own', async () => {
    const sizes = [65535, 65536, 65537, 300_000];
    const files: Record<string, string> = {};
    const bodies = new Map<string, string>();
    sizes.forEach((size, i) => {
      const head = `-- up\nCREATE TABLE t${i} (id int);\n-- down\nDROP TABLE t${i};\n`;
      const text = head + `-- ${'x'.repeat(size - head.length - 4)}\n`.padEnd(size - head.length, 'y');
      expect(Buffer.byteLength(text)).toBe(size);
      files[`1.0.${i}_big${i}.sql`] = text;
      bodies.set(`app@1.0.${i}`, text);
    });
    files['1.1.0_small.sql'] = INIT;
    const { byId, problems } = await load(folder(files));
    expect(problems).toEqual([]);
    for (const [id, text] of bodies) expect((await byId.get(id)!.resolve('sqlite')).checksumText).toBe(text);
    expect((await byId.get('app@1.1.0')!.resolve('sqlite')).checksumText).toBe(INIT);
  });

  it('names files under the folder as given, the way path.join would (./, trailing slash, .)', async () => {
    const dir = folder({ '1.0.0_init.sql': INIT, '1.1.0.sql': INIT });
    for (const [displayName, expected] of [
      ['./migrations', 'migrations/'],
      ['migrations/', 'migrations/'],
      ['.', ''],
      ['db//migrations', 'db/migrations/'],
    ] as const) {
      const result = await createFileSource({ directory: dir, displayName, onWarning: () => {} }).load();
      expect(result.migrations.map((m) => m.file)).toEqual([`${expected}1.0.0_init.sql`]);
    }
    const absolute = await createFileSource({ directory: dir }).load();
    expect(absolute.migrations[0]!.file).toBe(join(dir, '1.0.0_init.sql'));
  });

  // Bug: the file text is decoded with `new TextDecoder('utf-8', { fatal: true })` (file-source.ts
  // line 155), which already drops a leading BOM (ignoreBOM defaults to false), and then
  // canonicalText (line 174) drops a second one. The design (DESIGN.md §2 "Checksum") and
  // checksum.ts say exactly ONE leading BOM is stripped, so a file starting with two BOMs must keep
  // the second one in its checksum text; today it hashes like a file with none.
  it('strips only one leading BOM from a file, as checksum() does', async () => {
    const raw = `\uFEFF\uFEFF${INIT}`;
    const dir = folder({ '1.0.0_init.sql': raw });
    const { byId } = await load(dir);
    const body = await byId.get('app@1.0.0')!.resolve('sqlite');
    expect(body.checksumText).toBe(canonicalText(raw)); // '\uFEFF' + INIT; actual: INIT
  });

  it('warns about a .sql file that is not named like a migration and skips it', async () => {
    const dir = folder({ 'schema.sql': 'CREATE TABLE t (id int);', '1.0.0_init.sql': INIT });
    const { migrations, problems, warnings } = await load(dir);
    expect(problems).toEqual([]);
    expect(migrations.map((m) => m.id)).toEqual(['app@1.0.0']);
    expect(warnings).toEqual([`Ignoring ${join(dir, 'schema.sql')}: not named <version>_<name>.sql (e.g. 1.0.0_create_users.sql)`]);
  });

  it('reports one STRATA_INVALID_VERSION problem per badly versioned file, without throwing', async () => {
    const dir = folder({
      '1.2_x.sql': 'SELECT 1;',
      'v1.2.3_x.sql': 'SELECT 1;',
      '01.2.3_x.sql': 'SELECT 1;',
      '1.2.3.4_x.sql': 'SELECT 1;',
      '1.2.3-_x.sql': 'SELECT 1;',
      '2.0.0_ok.sql': 'SELECT 1;',
    });
    const { migrations, problems } = await load(dir);
    expect(migrations.map((m) => m.id)).toEqual(['app@2.0.0']);
    expect(problems.map((p) => [p.code, p.file])).toEqual([
      ['STRATA_INVALID_VERSION', join(dir, '01.2.3_x.sql')],
      ['STRATA_INVALID_VERSION', join(dir, '1.2.3-_x.sql')],
      ['STRATA_INVALID_VERSION', join(dir, '1.2.3.4_x.sql')],
      ['STRATA_INVALID_VERSION', join(dir, '1.2_x.sql')],
      ['STRATA_INVALID_VERSION', join(dir, 'v1.2.3_x.sql')],
    ]);
    const message = (name: string) => problems.find((p) => p.file === join(dir, name))!.message;
    expect(message('1.2_x.sql')).toBe(
      `${join(dir, '1.2_x.sql')}: invalid version "1.2": it needs three numbers MAJOR.MINOR.PATCH, found 2`,
    );
    expect(message('v1.2.3_x.sql')).toMatch(/: invalid version "v1\.2\.3": it starts with "v"/);
    expect(message('01.2.3_x.sql')).toMatch(/: invalid version "01\.2\.3": "01" has a leading zero/);
    expect(message('1.2.3.4_x.sql')).toMatch(/: invalid version "1\.2\.3\.4": .*found 4/);
    expect(message('1.2.3-_x.sql')).toMatch(/: invalid version "1\.2\.3-": the pre-release after "-" is empty/);
    for (const problem of problems) expect(problem.hint).toMatch(/MAJOR\.MINOR\.PATCH/);
  });

  it.each([
    ['an empty file', new Uint8Array(), 'the file is empty'],
    ['a binary file (NUL byte)', Buffer.from('CREATE TABLE t (id int);\0\x01\x02', 'latin1'), 'the file is binary (holds a NUL byte)'],
    ['a non-UTF-8 file (0xff 0xfe …)', Buffer.from([0xff, 0xfe, 0x41, 0x42, 0x43]), 'the file is not valid UTF-8'],
    ['a Latin-1 file', Buffer.from('-- café\nSELECT 1;', 'latin1'), 'the file is not valid UTF-8'],
  ])('reports %s as STRATA_INVALID_MIGRATION naming the file', async (_what, bytes, why) => {
    const dir = folder({ '1.0.0_bad.sql': bytes, '1.1.0_good.sql': 'SELECT 1;' });
    const { migrations, problems } = await load(dir);
    expect(migrations.map((m) => m.id)).toEqual(['app@1.1.0']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'STRATA_INVALID_MIGRATION',
      message: `${join(dir, '1.0.0_bad.sql')}: ${why}`,
      file: join(dir, '1.0.0_bad.sql'),
    });
  });

  it('reports a malformed SQL file as a problem with the parser message', async () => {
    const dir = folder({ '1.0.0_bad.sql': '-- strata:up\nSELECT 1;\n-- strata:bogus\n' });
    const { migrations, problems } = await load(dir);
    expect(migrations).toEqual([]);
    expect(problems).toEqual([
      {
        code: 'STRATA_INVALID_MIGRATION',
        message: `${join(dir, '1.0.0_bad.sql')}:3: unknown directive "-- strata:bogus"`,
        hint: 'Known directives: up, down, depends, transaction, foreign-keys, window, lint-ignore',
        migrationId: 'app@1.0.0',
        file: join(dir, '1.0.0_bad.sql'),
      },
    ]);
  });

  it('reports two files with one version as STRATA_DUPLICATE_VERSION', async () => {
    const dir = folder({ '1.0.0_a.sql': 'SELECT 1;', '1.0.0_b.sql': 'SELECT 2;' });
    const { migrations, problems } = await load(dir);
    expect(migrations.map((m) => m.name)).toEqual(['a']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'STRATA_DUPLICATE_VERSION', migrationId: 'app@1.0.0', file: join(dir, '1.0.0_b.sql') });
    expect(problems[0]!.message).toMatch(/^Duplicate version app@1\.0\.0: .*1\.0\.0_a\.sql and .*1\.0\.0_b\.sql$/);
  });

  // Bug: file-source.ts line 127 builds the first file's path as join(shownDirectory,
  // existing.fileName), but existing.fileName is already join(shownDirectory, fileName) (line 134),
  // so the folder is printed twice: "migrations/migrations/1.0.0_a.sql and migrations/1.0.0_b.sql".
  it('names both duplicate files by their real paths', async () => {
    const dir = folder({ '1.0.0_a.sql': 'SELECT 1;', '1.0.0_b.sql': 'SELECT 2;' });
    const { problems } = await load(dir);
    expect(problems[0]!.message).toBe(`Duplicate version app@1.0.0: ${join(dir, '1.0.0_a.sql')} and ${join(dir, '1.0.0_b.sql')}`);
  });

  it('reports a SQL and a script file with one version as STRATA_DUPLICATE_VERSION', async () => {
    const dir = folder({ '1.0.0_a.sql': 'SELECT 1;', '1.0.0_a.mjs': 'export default { up: "SELECT 1" };' });
    const { problems } = await load(dir);
    expect(problems.map((p) => p.code)).toEqual(['STRATA_DUPLICATE_VERSION']);
  });

  it('reports a dialect file whose name differs from the generic one', async () => {
    const dir = folder({ '1.0.0_a.sql': 'SELECT 1;', '1.0.0_b.postgres.sql': 'SELECT 2;' });
    const { migrations, problems } = await load(dir);
    expect(migrations).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'STRATA_DUPLICATE_VERSION',
        message: `Version app@1.0.0 has two names: ${join(dir, '1.0.0_a.sql')} and ${join(dir, '1.0.0_b.postgres.sql')}`,
      }),
    ]);
  });

  it('rejects resolving a dialect that has only another dialect file', async () => {
    const dir = folder({ '1.0.0_ext.postgres.sql': 'CREATE EXTENSION citext;' });
    const { byId, problems } = await load(dir);
    expect(problems).toEqual([]);
    const migration = byId.get('app@1.0.0')!;
    expect((await migration.resolve('postgres')).up).toBe('CREATE EXTENSION citext;');
    const error = await rejection(migration.resolve('sqlite'));
    expect(isStrataError(error) && error.code).toBe('STRATA_INVALID_MIGRATION');
    expect((error as Error).message).toBe('Migration app@1.0.0 has no file for dialect sqlite');
  });

  it('gives each dialect file its own directives and file name through forDialect', async () => {
    const dir = folder({
      '1.0.0_idx.sql': 'CREATE INDEX i ON t (a);',
      '1.0.0_idx.postgres.sql':
        '-- strata:transaction off\n-- strata:depends core@1.0.0\n-- strata:up\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- strata:down\nDROP INDEX CONCURRENTLY i;\n',
      '1.1.0_gin.postgres.sql': 'CREATE INDEX g ON t USING gin (b);',
    });
    const { byId, problems } = await load(dir);
    expect(problems).toEqual([]);
    const idx = byId.get('app@1.0.0')!;
    expect(idx.forDialect!('postgres')).toMatchObject({
      transaction: false,
      dependsOn: ['core@1.0.0'],
      hasDown: true,
      file: join(dir, '1.0.0_idx.postgres.sql'),
    });
    expect(idx.forDialect!('sqlite')).toMatchObject({ transaction: true, dependsOn: [], hasDown: false, file: join(dir, '1.0.0_idx.sql') });
    expect((await idx.forDialect!('postgres')!.resolve('postgres')).checksumText).toContain('CONCURRENTLY');
    const gin = byId.get('app@1.1.0')!;
    expect(gin.dialects).toEqual(['postgres']);
    expect(gin.forDialect!('sqlite')).toBeNull();
    expect(gin.forDialect!('postgres')!.file).toBe(join(dir, '1.1.0_gin.postgres.sql'));
  });

  it('reports a missing folder as STRATA_CONFIG_INVALID instead of throwing', async () => {
    const missing = join(folder({}), 'does-not-exist');
    const { migrations, problems } = await load(missing);
    expect(migrations).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'STRATA_CONFIG_INVALID',
        message: `Migrations folder ${missing} does not exist`,
        file: missing,
      }),
    ]);
  });

  it('loads a .mjs migration through load() and resolve(), hashing the file text', async () => {
    const text = "export default { up: 'CREATE TABLE t (id int)', down: 'DROP TABLE t', dependsOn: ['app@1.0.0'] };\n";
    const dir = folder({ '1.1.0_script.mjs': text });
    const { byId, problems } = await load(dir, 'billing');
    expect(problems).toEqual([]);
    const migration: Migration = byId.get('billing@1.1.0')!;
    expect(migration).toMatchObject({
      name: 'script',
      dependsOn: [],
      hasDown: undefined,
      transaction: true,
      file: join(dir, '1.1.0_script.mjs'),
    });
    expect(typeof migration.load).toBe('function');
    expect(await migration.load!()).toEqual({ up: 'CREATE TABLE t (id int)', down: 'DROP TABLE t', dependsOn: ['app@1.0.0'] });
    expect(await migration.resolve('sqlite')).toEqual({ up: 'CREATE TABLE t (id int)', down: 'DROP TABLE t', checksumText: text });
  });

  it('loads a .ts migration through jiti', async () => {
    const text = 'const up = async (): Promise<void> => {};\nexport default { up, transaction: false as boolean };\n';
    const dir = folder({ '1.0.0_seed.ts': text });
    const { byId, problems } = await load(dir);
    expect(problems).toEqual([]);
    const migration = byId.get('app@1.0.0')!;
    const definition = await migration.load!();
    expect(typeof definition.up).toBe('function');
    expect(definition.transaction).toBe(false);
    const body = await migration.resolve('postgres');
    expect(body.up).toBe(definition.up);
    expect(body.down).toBeUndefined();
    expect(body.checksumText).toBe(text);
  });

  it('rejects a script without a default export holding up', async () => {
    const dir = folder({ '1.0.0_empty.mjs': 'export const up = "SELECT 1";\n' });
    const migration = (await load(dir)).byId.get('app@1.0.0')!;
    const error = await rejection(migration.resolve('sqlite'));
    expect(isStrataError(error) && error.code).toBe('STRATA_INVALID_MIGRATION');
    expect((error as Error).message).toBe(`Migration app@1.0.0: ${join(dir, '1.0.0_empty.mjs')} has no default export with an up`);
  });

  it('rejects a script that fails to import, naming the file', async () => {
    const dir = folder({ '1.0.0_broken.mjs': 'throw new Error("kaboom");\n' });
    const migration = (await load(dir)).byId.get('app@1.0.0')!;
    const error = await rejection(migration.load!());
    expect(isStrataError(error) && error.code).toBe('STRATA_INVALID_MIGRATION');
    expect((error as Error).message).toBe(`Migration app@1.0.0: ${join(dir, '1.0.0_broken.mjs')} could not be loaded: kaboom`);
  });
});
