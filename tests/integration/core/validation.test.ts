/**
 * Problems found before anything runs: bad file names, duplicates, dependencies, encodings, a
 * missing down, edited or deleted applied migrations. The database stays untouched.
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksum, createFileSource, createMigrator, type Dialect } from '@strata/core';
import { createPostgresDialect } from '@strata/dialect-postgres';
import { createSqliteDialect } from '@strata/dialect-sqlite';
import { migratorFor, strataError, targetFactory, writeFiles, type Kind } from './fixtures/targets.js';

const factory = targetFactory();
afterAll(() => factory.cleanup());

const table = (name: string) => `-- strata:up\nCREATE TABLE ${name} (id INTEGER);\n-- strata:down\nDROP TABLE ${name};\n`;

describe('invalid versions are rejected at load, before connecting', () => {
  const BAD = ['1.2_x.sql', 'v1.2.3_x.sql', '01.2.3_x.sql', '1.2.3.4_x.sql', '1.2.3-_x.sql', '1.2.3 _x.sql'];
  const unreachable: Record<Kind, () => Dialect> = {
    // Port 1: nothing listens; a connect attempt would fail with STRATA_CONNECTION_FAILED.
    postgres: () => createPostgresDialect({ connectionString: 'postgres://x@127.0.0.1:1/db', connectTimeoutMs: 2000 }),
    // A folder that does not exist: opening it would fail with STRATA_CONNECTION_FAILED.
    sqlite: () => createSqliteDialect({ filename: '/nonexistent-strata-dir/never/db.sqlite' }),
  };

  it.each(['postgres', 'sqlite'] as const)('%s: every bad file is listed, one problem each', async (kind) => {
    const files: Record<string, string> = { '1.0.0_good.sql': table('good') };
    for (const name of BAD) files[name] = table('bad');
    const dir = factory.migrations(files);
    const migrator = migratorFor(unreachable[kind](), dir);
    try {
      for (const attempt of [() => migrator.up(), () => migrator.down(), () => migrator.up({ dryRun: true })]) {
        const error = await strataError(attempt());
        expect(error.code).toBe('STRATA_INVALID_VERSION');
        const problems = error.details.problems as { code: string; file: string; message: string }[];
        expect(problems.map((p) => p.code)).toEqual(BAD.map(() => 'STRATA_INVALID_VERSION'));
        expect(problems.map((p) => p.file.split('/').pop()).sort()).toEqual([...BAD].sort());
        for (const p of problems) expect(p.message).toContain(p.file);
      }
    } finally {
      await migrator.close();
    }
  });
});

describe.each(['postgres', 'sqlite'] as const)('%s: problems that leave the database untouched', (kind: Kind) => {
  const cases: [string, Record<string, string | Buffer>, string][] = [
    ['duplicate versions', { '1.0.0_a.sql': table('a'), '1.0.0_b.sql': table('b') }, 'STRATA_DUPLICATE_VERSION'],
    ['a missing dependency', { '1.0.0_a.sql': `-- strata:depends other@1.0.0\n${table('a')}` }, 'STRATA_UNKNOWN_DEPENDENCY'],
    [
      'a dependency on a later version',
      { '1.0.0_a.sql': `-- strata:depends app@1.1.0\n${table('a')}`, '1.1.0_b.sql': table('b') },
      'STRATA_FORWARD_DEPENDENCY',
    ],
    ['an empty file', { '1.0.0_a.sql': table('a'), '1.1.0_empty.sql': '' }, 'STRATA_INVALID_MIGRATION'],
    [
      'a binary file',
      { '1.0.0_a.sql': table('a'), '1.1.0_bin.sql': Buffer.from([0x2d, 0x2d, 0x00, 0x01, 0x02, 0x0a]) },
      'STRATA_INVALID_MIGRATION',
    ],
    [
      'a non-UTF-8 file',
      {
        '1.0.0_a.sql': table('a'),
        '1.1.0_latin1.sql': Buffer.concat([Buffer.from('-- caf'), Buffer.from([0xe9]), Buffer.from('\nCREATE TABLE x (id INTEGER);\n')]),
      },
      'STRATA_INVALID_MIGRATION',
    ],
    ['a file with only comments', { '1.0.0_a.sql': table('a'), '1.1.0_c.sql': '-- strata:up\n-- nothing\n' }, 'STRATA_INVALID_MIGRATION'],
  ];

  it.each(cases)('%s', async (_label, files, code) => {
    const target = await factory.create(kind);
    const dir = factory.migrations(files);
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe(code);
      expect((error.details.problems as { code: string }[]).map((p) => p.code)).toContain(code);
      // Untouched: no table of the migrations, and not even the state tables.
      expect(await target.tableExists('a')).toBe(false);
      expect(await target.tableExists('strata_migrations')).toBe(false);
      expect(await target.tableExists('strata_events')).toBe(false);
      // validate says the same without a lock.
      const validation = await migrator.validate();
      expect(validation.ok).toBe(false);
      expect(validation.problems.map((p) => p.code)).toContain(code);
    } finally {
      await migrator.close();
    }
  });

  it('a dependency cycle across two modules', async () => {
    const target = await factory.create(kind);
    const a = factory.migrations({ '1.0.0_a.sql': `-- strata:depends beta@1.0.0\n${table('a')}` });
    const b = factory.migrations({ '1.0.0_b.sql': `-- strata:depends alpha@1.0.0\n${table('b')}` });
    const migrator = createMigrator({
      dialect: target.dialect(),
      sources: [createFileSource({ directory: a, module: 'alpha' }), createFileSource({ directory: b, module: 'beta' })],
    });
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_DEPENDENCY_CYCLE');
      expect(error.message).toMatch(/alpha@1\.0\.0/);
      expect(error.message).toMatch(/beta@1\.0\.0/);
      expect(await target.tableExists('strata_migrations')).toBe(false);
      expect(await target.tableExists('a')).toBe(false);
    } finally {
      await migrator.close();
    }
  });

  it('a missing down in a requested rollback: nothing is reverted', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_a.sql': table('a'),
      '1.1.0_nodown.sql': '-- strata:up\nCREATE TABLE nodown (id INTEGER);\n',
      '1.2.0_c.sql': table('c'),
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up();
      const eventsBefore = await target.events();
      const error = await strataError(migrator.down({ to: '1.0.0' }));
      expect(error.code).toBe('STRATA_MISSING_DOWN');
      expect(error.message).toContain('app@1.1.0');
      // Refused before the first revert: 1.2.0 (which has a down) was not reverted either.
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0']);
      expect(await target.tableExists('c')).toBe(true);
      expect((await target.events()).filter((e) => e.action === 'revert')).toEqual([]);
      expect((await target.events()).length).toBeGreaterThanOrEqual(eventsBefore.length);
      // One step (1.2.0) is fine.
      const report = await migrator.down();
      expect(report.steps.map((s) => s.id)).toEqual(['app@1.2.0']);
    } finally {
      await migrator.close();
    }
  });
});

describe.each(['postgres', 'sqlite'] as const)('%s: checksums of applied migrations', (kind: Kind) => {
  const ORIGINAL = '-- strata:up\n-- the users table\nCREATE TABLE users (id INTEGER);\n-- strata:down\nDROP TABLE users;\n';

  it.each([
    ['in SQL', ORIGINAL.replace('id INTEGER', 'id  INTEGER')],
    ['in a comment', ORIGINAL.replace('the users table', 'the user table')],
    ['one byte in a comment, same length', ORIGINAL.replace('the users', 'the Users')],
  ])('an edit %s: up, validate and status all report both hashes', async (_label, edited) => {
    const target = await factory.create(kind);
    const dir = factory.migrations({ '1.0.0_users.sql': ORIGINAL, '1.1.0_next.sql': table('next_t') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up({ to: '1.0.0' });
      const applied = checksum(ORIGINAL);
      expect((await target.stateRows())[0]!.checksum).toBe(applied);

      writeFiles(dir, { '1.0.0_users.sql': edited });
      const now = checksum(edited);
      expect(now).not.toBe(applied);

      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_CHECKSUM_MISMATCH');
      expect(error.message).toContain(applied);
      expect(error.message).toContain(now);
      expect(error.message).toContain('1.0.0_users.sql');
      expect(await target.tableExists('next_t')).toBe(false);

      const validation = await migrator.validate();
      expect(validation.ok).toBe(false);
      const problem = validation.problems.find((p) => p.code === 'STRATA_CHECKSUM_MISMATCH')!;
      expect(problem.message).toContain(applied);
      expect(problem.message).toContain(now);

      const status = await migrator.status();
      expect(status.migrations.find((m) => m.id === 'app@1.0.0')).toMatchObject({
        state: 'changed',
        checksum: now,
        appliedChecksum: applied,
      });
      expect(status.problems.find((p) => p.code === 'STRATA_CHECKSUM_MISMATCH')!.message).toContain(applied);
    } finally {
      await migrator.close();
    }
  });

  it.each([
    ['CRLF line endings', ORIGINAL.replace(/\n/g, '\r\n')],
    ['a UTF-8 BOM', `\uFEFF${ORIGINAL}`],
    ['a BOM and CRLF', `\uFEFF${ORIGINAL.replace(/\n/g, '\r\n')}`],
  ])('the same file with %s validates clean', async (_label, rewritten) => {
    const target = await factory.create(kind);
    const dir = factory.migrations({ '1.0.0_users.sql': ORIGINAL });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up();
      writeFiles(dir, { '1.0.0_users.sql': rewritten, '1.1.0_next.sql': table('next_t') });
      const validation = await migrator.validate();
      expect(validation.problems).toEqual([]);
      expect(validation.ok).toBe(true);
      expect((await migrator.status()).migrations.map((m) => m.state)).toEqual(['applied', 'pending']);
      expect((await migrator.up()).steps.map((s) => s.id)).toEqual(['app@1.1.0']);
    } finally {
      await migrator.close();
    }
  });

  it("an applied migration's file deleted is reported by name; renamed with the same version and content it is accepted", async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({ '1.0.0_users.sql': ORIGINAL, '1.1.0_posts.sql': table('posts') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up();
      rmSync(join(dir, '1.1.0_posts.sql'));
      writeFiles(dir, { '1.2.0_more.sql': table('more') });
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_MISSING_MIGRATION');
      expect(error.message).toContain('app@1.1.0');
      expect(error.message).toContain('posts');
      expect(await target.tableExists('more')).toBe(false);
      expect((await migrator.validate()).problems.map((p) => p.code)).toEqual(['STRATA_MISSING_MIGRATION']);
      expect((await migrator.status()).migrations.find((m) => m.id === 'app@1.1.0')!.state).toBe('missing');

      // Restored under another name slug: same version, same content.
      writeFiles(dir, { '1.1.0_posts_table.sql': table('posts') });
      const validation = await migrator.validate();
      expect(validation.problems).toEqual([]);
      expect((await migrator.up()).steps.map((s) => s.id)).toEqual(['app@1.2.0']);
      // Renaming the applied 1.0.0 file too.
      renameSync(join(dir, '1.0.0_users.sql'), join(dir, '1.0.0_create_users.sql'));
      expect((await migrator.validate()).ok).toBe(true);
    } finally {
      await migrator.close();
    }
  });
});
