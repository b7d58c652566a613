import { closeSync, ftruncateSync, mkdtempSync, openSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileSource, DEFAULT_MAX_FILE_BYTES, parseSqlMigration } from '@strata/core';

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'strata-file-limits-'));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A sparse file of `size` bytes that starts with `head`: instant to make, never read whole. */
function sparse(path: string, head: string, size: number): void {
  writeFileSync(path, head);
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
}

describe('createFileSource size limit', () => {
  it('refuses a file over the default 64 MiB from its size, before reading it', async () => {
    const dir = folder({ '1.0.0_ok.sql': 'CREATE TABLE t (id int);' });
    sparse(join(dir, '1.1.0_huge.sql'), '-- strata:up\nSELECT 1;\n', 582 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const { migrations, problems } = await createFileSource({ directory: dir }).load();
    // Reading 582 MB would take far longer and far more memory than this.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    expect(migrations.map((m) => m.id)).toEqual(['app@1.0.0']);
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'STRATA_FILE_TOO_LARGE',
        message: `${join(dir, '1.1.0_huge.sql')}: the file is 582 MiB, over the migration file size limit of 64 MiB`,
        hint: expect.stringContaining('maxFileBytes'),
      }),
    ]);
    expect(DEFAULT_MAX_FILE_BYTES).toBe(64 * 1024 * 1024);
  });

  it('takes a configured limit, small files included', async () => {
    const dir = folder({ '1.0.0_small.sql': 'CREATE TABLE t (id int);', '1.1.0_bigger.sql': `-- strata:up\n${'SELECT 1;\n'.repeat(30)}` });
    const { migrations, problems } = await createFileSource({ directory: dir, maxFileBytes: 100 }).load();
    expect(migrations.map((m) => m.id)).toEqual(['app@1.0.0']);
    expect(problems.map((p) => [p.code, p.message.replace(dir, '<dir>')])).toEqual([
      [
        'STRATA_FILE_TOO_LARGE',
        `${join('<dir>', '1.1.0_bigger.sql')}: the file is 313 bytes, over the migration file size limit of 100 bytes`,
      ],
    ]);
  });
});

describe('sections without a statement', () => {
  it.each([
    ['only semicolons', '-- strata:up\n;;;\n'],
    ['semicolons and comments', '-- strata:up\n-- nothing\n ; /* still nothing */ ;\n\n'],
    ['no markers', ';\n;\n'],
  ])('refuses an up section with %s', (_label, text) => {
    expect(() => parseSqlMigration(text, 'x.sql')).toThrow(/the up section holds no statement/);
  });

  it('refuses a down section of only semicolons, keeps a down of only comments as no down', () => {
    expect(() => parseSqlMigration('-- strata:up\nSELECT 1;\n-- strata:down\n;\n', 'x.sql')).toThrow(
      /x\.sql:4: the down section holds no statement/,
    );
    expect(parseSqlMigration('-- strata:up\nSELECT 1;\n-- strata:down\n-- irreversible\n', 'x.sql').down).toBeUndefined();
  });

  it('accepts statements that hold comment openers inside strings', () => {
    expect(parseSqlMigration("-- strata:up\nSELECT '/*';\n", 'x.sql').up).toBe("SELECT '/*';\n");
    expect(parseSqlMigration("-- strata:up\n;SELECT '--';\n", 'x.sql').up).toBe(";SELECT '--';\n");
  });

  it('makes the file a STRATA_INVALID_MIGRATION problem of its source', async () => {
    const dir = folder({ '1.0.0_empty.sql': '-- strata:up\n;;;\n' });
    const { problems } = await createFileSource({ directory: dir }).load();
    expect(problems.map((p) => p.code)).toEqual(['STRATA_INVALID_MIGRATION']);
  });
});

describe('createFileSource symlinks', () => {
  it('refuses a migration file that links outside the folder, follows one inside, and reads external links when allowed', async () => {
    const outside = folder({ 'evil.sql': 'DROP TABLE users;' });
    const dir = folder({ 'real.sql.txt': 'CREATE TABLE t (id int);' });
    symlinkSync(join(outside, 'evil.sql'), join(dir, '1.0.0_external.sql'));
    symlinkSync(join(dir, 'real.sql.txt'), join(dir, '1.1.0_internal.sql'));
    const refused = await createFileSource({ directory: dir }).load();
    expect(refused.migrations.map((m) => m.id)).toEqual(['app@1.1.0']);
    expect(refused.problems).toEqual([
      expect.objectContaining({
        code: 'STRATA_INVALID_MIGRATION',
        message: `${join(dir, '1.0.0_external.sql')}: a symbolic link to a file outside the migrations folder (${realpathSync(join(outside, 'evil.sql'))})`,
      }),
    ]);
    const allowed = await createFileSource({ directory: dir, allowExternalSymlinks: true }).load();
    expect(allowed.problems).toEqual([]);
    expect(allowed.migrations.map((m) => m.id)).toEqual(['app@1.0.0', 'app@1.1.0']);
  });
});
