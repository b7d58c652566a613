import { describe, expect, it } from 'vitest';
import { lintMigrationFromBody, migrationFromSqlFile } from './lint-migration-input.js';
import { lintMigrations } from './lint.js';

const rules = (report: { findings: { rule: string }[] }) => report.findings.map((f) => f.rule);

describe('lintMigrations', () => {
  it('reports every migration of a run longer than one parser chunk, each at its own file and line', async () => {
    // 250 scripts that all need the parser: parsed in chunks, linted chunk by chunk.
    const migrations = Array.from({ length: 250 }, (_, i) =>
      migrationFromSqlFile(
        i === 0
          ? 'CREATE TABLE t (id bigint PRIMARY KEY);\n'
          : `-- strata:up\nSELECT ${i};\nALTER TABLE t RENAME COLUMN c_${i} TO d_${i};\n`,
        { id: `app@1.${i}.0`, file: `m/1.${i}.0_x.sql` },
      ),
    );
    const report = await lintMigrations(migrations, { dialect: 'postgres' });
    expect(report.migrations).toBe(250);
    expect(report.findings.filter((f) => f.rule === 'pg/rename').map((f) => `${f.file}:${f.line} ${f.excerpt}`)).toEqual(
      Array.from({ length: 249 }, (_, k) => `m/1.${k + 1}.0_x.sql:3 ALTER TABLE t RENAME COLUMN c_${k + 1} TO d_${k + 1}`),
    );
  });

  it('points each finding at file:line:column with the statement excerpt', async () => {
    const migration = migrationFromSqlFile(
      '-- strata:depends core@1.0.0\n-- strata:up\nSELECT 1;\n  CREATE INDEX i ON users (email);\n-- strata:down\nDROP INDEX i;\n',
      {
        id: 'app@1.2.0',
        file: 'migrations/1.2.0_add_index.sql',
      },
    );
    const report = await lintMigrations([migration], { dialect: 'postgres' });
    expect(report.findings).toEqual([
      expect.objectContaining({
        rule: 'pg/index-not-concurrent',
        severity: 'error',
        migrationId: 'app@1.2.0',
        file: 'migrations/1.2.0_add_index.sql',
        line: 4,
        column: 3,
        statement: 2,
        excerpt: 'CREATE INDEX i ON users (email)',
      }),
    ]);
    expect(report.findings[0]!.hint).toMatch(/CONCURRENTLY/);
    // The down section is not linted: its DROP INDEX would be a finding.
    expect(report).toMatchObject({ migrations: 1, statements: 2, errors: 1, warnings: 0 });
  });

  it('knows the transaction mode from the file directive', async () => {
    const text = '-- strata:transaction off\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON users (email);\n';
    expect(rules(await lintMigrations([migrationFromSqlFile(text, { id: 'a@1.0.0' })], { dialect: 'postgres' }))).toEqual([]);
    const transactional = text.replace('-- strata:transaction off\n', '');
    expect(rules(await lintMigrations([migrationFromSqlFile(transactional, { id: 'a@1.0.0' })], { dialect: 'postgres' }))).toEqual([
      'pg/concurrently-in-transaction',
    ]);
  });

  it('suppresses a statement finding with an ignore above it, and only that statement', async () => {
    const sql = '-- strata:lint-ignore pg/drop-table replaced by sessions_v2 in 4.0\nDROP TABLE sessions;\nDROP TABLE tokens;';
    const report = await lintMigrations([{ id: 'a@1.0.0', sql }], { dialect: 'postgres' });
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([['pg/drop-table', 3]]);
    expect(report.suppressed).toBe(1);
  });

  it('suppresses for the whole file with an ignore above -- strata:up', async () => {
    const text =
      '-- strata:lint-ignore pg/drop-table, pg/rename cleanup after the 4.0 cut-over\n-- strata:up\nDROP TABLE sessions;\nDROP TABLE tokens;\nALTER TABLE users RENAME TO accounts;\n';
    const report = await lintMigrations([migrationFromSqlFile(text, { id: 'a@1.0.0' })], { dialect: 'postgres' });
    expect(rules(report)).toEqual([]);
    expect(report.suppressed).toBe(3);
  });

  it('treats the comment block at the top of a file without -- strata:up as the file header', async () => {
    const text = '-- Drops the old tables.\n-- strata:lint-ignore sqlite/drop-table\n\nDROP TABLE a;\nDROP TABLE b;\n';
    const migration = migrationFromSqlFile(text, { id: 'a@1.0.0' });
    expect(migration.line).toBe(4);
    expect(rules(await lintMigrations([migration], { dialect: 'sqlite' }))).toEqual([]);
  });

  it('reports an ignore naming an unknown rule, and one that suppresses nothing, where they are written', async () => {
    const text =
      '-- strata:lint-ignore sqlite/drop-tabel\n-- strata:up\nCREATE TABLE t (id INTEGER);\n-- strata:lint-ignore sqlite/rename\nCREATE INDEX i ON t (id);\n';
    const report = await lintMigrations([migrationFromSqlFile(text, { id: 'a@1.0.0', file: 'm.sql' })], { dialect: 'sqlite' });
    expect(report.findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.rule}`)).toEqual([
      'm.sql:1:1 lint/unknown-rule',
      'm.sql:4:1 lint/unused-ignore',
    ]);
  });

  it('applies the configured severities, and "off" silences a rule and its ignores', async () => {
    const sql =
      'DROP TABLE t;\n-- strata:lint-ignore sqlite/rename\nALTER TABLE u RENAME TO v;\nALTER TABLE w ADD COLUMN x INTEGER NOT NULL;';
    const report = await lintMigrations([{ id: 'a@1.0.0', sql }], {
      dialect: 'sqlite',
      rules: { 'sqlite/drop-table': 'error', 'sqlite/rename': 'off', 'sqlite/add-column-not-null-no-default': 'warning' },
    });
    expect(report.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['sqlite/drop-table', 'error'],
      ['sqlite/add-column-not-null-no-default', 'warning'],
    ]);
    expect(report).toMatchObject({ errors: 1, warnings: 1 });
  });

  it('refuses an unknown rule id or setting in the options (a config error)', async () => {
    await expect(lintMigrations([], { dialect: 'sqlite', rules: { 'sqlite/nope': 'off' } })).rejects.toMatchObject({
      code: 'STRATA_CONFIG_INVALID',
      message: expect.stringContaining('sqlite/nope'),
    });
    await expect(lintMigrations([], { dialect: 'sqlite', rules: { 'sqlite/rename': 'loud' as 'off' } })).rejects.toMatchObject({
      code: 'STRATA_CONFIG_INVALID',
    });
    await expect(
      lintMigrations([], { dialect: 'sqlite', ignores: [{ migration: 'a@1.0.0', rules: ['sqlite/rename'], reason: ' ' }] }),
    ).rejects.toMatchObject({ code: 'STRATA_CONFIG_INVALID', message: expect.stringContaining('no reason') });
  });

  it('suppresses with config ignores (for released text that cannot change) and reports unused ones', async () => {
    const ignores = [
      { migration: 'a@1.0.0', rules: ['sqlite/drop-table'], reason: 'released' },
      { migration: 'a@2.0.0', rules: ['sqlite/rename'], reason: 'released' },
      { migration: 'a@3.0.0', rules: ['sqlite/rename'], reason: 'not linted this time' },
    ];
    const report = await lintMigrations(
      [
        { id: 'a@1.0.0', sql: 'DROP TABLE t;' },
        { id: 'a@2.0.0', sql: 'SELECT 1;' },
      ],
      { dialect: 'sqlite', ignores },
    );
    expect(report.findings.map((f) => `${f.migrationId} ${f.rule}`)).toEqual(['a@2.0.0 lint/unused-ignore']);
  });

  it('reads context migrations for the schema without reporting on them', async () => {
    const report = await lintMigrations(
      [
        { id: 'a@1.0.0', sql: 'CREATE TABLE t (name varchar(10)); DROP TABLE old;', context: true },
        { id: 'a@2.0.0', sql: 'ALTER TABLE t ALTER COLUMN name TYPE varchar(20);' },
      ],
      { dialect: 'postgres' },
    );
    expect(report).toMatchObject({ migrations: 1, statements: 1, findings: [] });
  });

  it('keeps linting after a statement the PostgreSQL parser rejects', async () => {
    const report = await lintMigrations([{ id: 'a@1.0.0', sql: 'CREATE TABLE (;\nTRUNCATE t;' }], { dialect: 'postgres' });
    expect(report.findings.map((f) => [f.rule, f.line])).toEqual([
      ['lint/parse-error', 1],
      ['pg/truncate', 2],
    ]);
  });

  it('counts lines and columns in UTF-8 scripts by characters, not bytes', async () => {
    const report = await lintMigrations([{ id: 'a@1.0.0', sql: "COMMENT ON TABLE t IS 'café ☕ 𝄞';  TRUNCATE t;" }], {
      dialect: 'postgres',
    });
    expect(report.findings.map((f) => [f.line, f.column, f.excerpt])).toEqual([[1, 37, 'TRUNCATE t']]);
  });

  it('escapes control characters in excerpts, messages and file names', async () => {
    const report = await lintMigrations([{ id: 'a@1.0.0', file: 'm\u0007.sql', sql: 'DROP TABLE "a\u001b[31mb";' }], { dialect: 'sqlite' });
    expect(report.findings[0]).toMatchObject({
      excerpt: 'DROP TABLE "a\\x1b[31mb"',
      file: 'm\\x07.sql',
      message: expect.stringContaining('DROP TABLE a\\x1b[31mb deletes'),
    });
  });
});

describe('lintMigrationFromBody', () => {
  it('takes the lines above the up marker as the header', () => {
    expect(
      lintMigrationFromBody({ id: 'a@1.0.0', up: 'SELECT 1;', upLine: 3, fileText: '-- strata:lint-ignore x/y\n-- strata:up\nSELECT 1;' }),
    ).toMatchObject({ header: '-- strata:lint-ignore x/y', line: 3, sql: 'SELECT 1;' });
  });
});

describe('ignores of the other engine', () => {
  it('are not unused: a generic file runs on both engines', async () => {
    const sql = '-- strata:lint-ignore pg/drop-table\nDROP TABLE IF EXISTS t;';
    const sqlite = await lintMigrations([{ id: 'a@1.0.0', sql }], {
      dialect: 'sqlite',
      ignores: [{ migration: 'a@1.0.0', rules: ['pg/rename'], reason: 'r' }],
    });
    expect(sqlite.findings.map((f) => f.rule)).toEqual(['sqlite/drop-table']);
    const postgres = await lintMigrations([{ id: 'a@1.0.0', sql }], { dialect: 'postgres' });
    expect(postgres.findings).toEqual([]);
  });
});

describe('an ignore at the end of a statement line', () => {
  it('belongs to that statement, not to the next one', async () => {
    for (const dialect of ['postgres', 'sqlite'] as const) {
      const rule = dialect === 'postgres' ? 'pg/drop-table' : 'sqlite/drop-table';
      const sql = `DROP TABLE a; -- strata:lint-ignore ${rule} archived in 4.0\nDROP TABLE b;\nDROP TABLE c; -- strata:lint-ignore ${rule}`;
      const report = await lintMigrations([{ id: 'a@1.0.0', sql }], { dialect });
      expect(
        report.findings.map((f) => [f.rule, f.line]),
        dialect,
      ).toEqual([[rule, 2]]);
      expect(report.suppressed).toBe(2);
    }
  });

  it('is reported where it is written when it suppresses nothing', async () => {
    const report = await lintMigrations(
      [{ id: 'a@1.0.0', sql: 'CREATE TABLE t (id int);  -- strata:lint-ignore sqlite/rename\nDROP TABLE u;' }],
      { dialect: 'sqlite' },
    );
    expect(report.findings.map((f) => `${f.line}:${f.column} ${f.rule} ${f.message}`)).toEqual([
      '1:27 lint/unused-ignore -- strata:lint-ignore sqlite/rename after statement 1 suppresses nothing',
      '2:1 sqlite/drop-table DROP TABLE u deletes the table and its rows; code still reading it fails',
    ]);
  });
});
