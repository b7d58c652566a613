import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isStrataError, type StrataError } from './errors.js';
import { parseSqlMigration } from './sql-migration-file.js';

const FILE = 'migrations/1.0.0_init.sql';

/** Parses `lines` joined with LF and returns the StrataError it threw. */
function parseError(lines: string[]): StrataError {
  try {
    parseSqlMigration(lines.join('\n'), FILE);
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected parseSqlMigration to throw');
}

describe('parseSqlMigration', () => {
  it('splits the up and down sections and reports the line each starts on', () => {
    const parsed = parseSqlMigration(
      [
        '-- strata:up', // 1
        'CREATE TABLE users (id int);', // 2
        'CREATE INDEX users_id ON users (id);', // 3
        '', // 4
        '-- strata:down', // 5
        'DROP TABLE users;', // 6
        '',
      ].join('\n'),
      FILE,
    );
    expect(parsed).toEqual({
      up: 'CREATE TABLE users (id int);\nCREATE INDEX users_id ON users (id);\n',
      down: 'DROP TABLE users;\n',
      upLine: 2,
      downLine: 6,
      dependsOn: [],
      transaction: true,
      foreignKeys: true,
    });
  });

  it('counts lines from the top of the file when comments precede the up marker', () => {
    const parsed = parseSqlMigration(['-- users table', '', '-- strata:up', 'SELECT 1;', '-- strata:down', 'SELECT 2;'].join('\n'), FILE);
    expect(parsed.upLine).toBe(4);
    expect(parsed.downLine).toBe(6);
    expect(parsed.up).toBe('SELECT 1;');
    expect(parsed.down).toBe('SELECT 2;');
  });

  it('reads a file without markers as one up section starting on line 1', () => {
    const text = 'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n';
    expect(parseSqlMigration(text, FILE)).toEqual({
      up: text,
      down: undefined,
      upLine: 1,
      downLine: undefined,
      dependsOn: [],
      transaction: true,
      foreignKeys: true,
    });
  });

  it('reads statements before a down marker without an up marker as the up section', () => {
    const parsed = parseSqlMigration('CREATE TABLE t (id int);\n-- strata:down\nDROP TABLE t;', FILE);
    expect(parsed.up).toBe('CREATE TABLE t (id int);');
    expect(parsed.upLine).toBe(1);
    expect(parsed.down).toBe('DROP TABLE t;');
    expect(parsed.downLine).toBe(3);
  });

  it('treats a down section holding only comments as no down', () => {
    const parsed = parseSqlMigration('-- strata:up\nSELECT 1;\n-- strata:down\n-- irreversible\n\n', FILE);
    expect(parsed.down).toBeUndefined();
    expect(parsed.downLine).toBe(4);
  });

  it('reads depends and transaction directives from the leading comments', () => {
    const parsed = parseSqlMigration(
      [
        '-- strata:depends a@1.0.0, b@2.0.0',
        '-- strata:depends  core-x@1.1.0-rc.1 ,',
        '-- strata:transaction off',
        '-- strata:up',
        'CREATE INDEX CONCURRENTLY i ON t (id);',
      ].join('\n'),
      FILE,
    );
    expect(parsed.dependsOn).toEqual(['a@1.0.0', 'b@2.0.0', 'core-x@1.1.0-rc.1']);
    expect(parsed.transaction).toBe(false);
    expect(parsed.up).toBe('CREATE INDEX CONCURRENTLY i ON t (id);');
    expect(parsed.upLine).toBe(5);
  });

  it('accepts transaction on/off spellings and tolerates spacing around markers', () => {
    expect(parseSqlMigration('-- strata:transaction false\nSELECT 1;', FILE).transaction).toBe(false);
    expect(parseSqlMigration('-- strata:transaction on\nSELECT 1;', FILE).transaction).toBe(true);
    expect(parseSqlMigration('-- strata:transaction true\nSELECT 1;', FILE).transaction).toBe(true);
    const parsed = parseSqlMigration('  --strata:up  \nSELECT 1;\n\t-- strata:down\t\nSELECT 2;', FILE);
    expect(parsed.up).toBe('SELECT 1;');
    expect(parsed.down).toBe('SELECT 2;');
  });

  it('leaves ordinary comments that mention strata alone', () => {
    const parsed = parseSqlMigration('-- strata: this is a note\n-- see strata:up docs\nSELECT 1;', FILE);
    expect(parsed.up).toBe('-- strata: this is a note\n-- see strata:up docs\nSELECT 1;');
  });

  it('accepts -- strata:lint-ignore lines anywhere and keeps them in the text (for @strata/lint)', () => {
    const parsed = parseSqlMigration(
      '-- strata:lint-ignore pg/rename\n-- strata:up\nSELECT 1;\n-- strata:lint-ignore pg/drop-table old table\nDROP TABLE t;',
      FILE,
    );
    expect(parsed.up).toBe('SELECT 1;\n-- strata:lint-ignore pg/drop-table old table\nDROP TABLE t;');
    expect(parsed.upLine).toBe(3);
  });

  it('refuses an unknown directive, naming file and line', () => {
    const error = parseError(['-- strata:up', 'SELECT 1;', '-- strata:nontransactional']);
    expect(error.code).toBe('STRATA_INVALID_MIGRATION');
    expect(error.message).toBe(`${FILE}:3: unknown directive "-- strata:nontransactional"`);
    expect(error.details).toEqual({ file: FILE, line: 3 });
    expect(error.hint).toMatch(/up, down, depends, transaction/);
  });

  it('refuses a depends directive after the first statement', () => {
    const error = parseError(['-- strata:up', 'SELECT 1;', '-- strata:depends core@1.0.0']);
    expect(error.code).toBe('STRATA_INVALID_MIGRATION');
    expect(error.message).toBe(`${FILE}:3: -- strata:depends must come before the first statement`);
    expect(error.details.line).toBe(3);
  });

  it('refuses a transaction directive after the first statement', () => {
    const error = parseError(['SELECT 1;', '', '-- strata:transaction off']);
    expect(error.message).toBe(`${FILE}:3: -- strata:transaction must come before the first statement`);
  });

  it('refuses a transaction directive with another value', () => {
    const error = parseError(['-- strata:transaction maybe', 'SELECT 1;']);
    expect(error.message).toBe(`${FILE}:1: -- strata:transaction takes "off" or "on", not "maybe"`);
  });

  it('refuses an invalid dependency id', () => {
    const bad = parseError(['-- strata:depends core@1.0', 'SELECT 1;']);
    expect(bad.code).toBe('STRATA_INVALID_MIGRATION');
    expect(bad.message).toMatch(/^migrations\/1\.0\.0_init\.sql:1: invalid dependency "core@1\.0": /);
    expect(parseError(['-- strata:depends 1.0.0', 'SELECT 1;']).message).toMatch(/invalid dependency "1\.0\.0"/);
    expect(parseError(['-- strata:depends Core@1.0.0', 'SELECT 1;']).message).toMatch(/invalid dependency "Core@1\.0\.0"/);
  });

  it('refuses an empty up section', () => {
    const error = parseError(['-- strata:up', '', '-- only a comment', '-- strata:down', 'DROP TABLE t;']);
    expect(error.code).toBe('STRATA_INVALID_MIGRATION');
    expect(error.message).toBe(`${FILE}:2: the up section is empty`);
    expect(parseError(['-- nothing but comments', '']).message).toBe(`${FILE}:1: the up section is empty`);
    expect(parseError(['']).message).toBe(`${FILE}:1: the up section is empty`);
  });

  it('refuses a second up marker', () => {
    const error = parseError(['-- strata:up', 'SELECT 1;', '-- strata:up', 'SELECT 2;']);
    expect(error.message).toBe(`${FILE}:3: a second -- strata:up marker`);
  });

  it('refuses a second down marker', () => {
    const error = parseError(['-- strata:up', 'SELECT 1;', '-- strata:down', 'SELECT 2;', '-- strata:down']);
    expect(error.message).toBe(`${FILE}:5: a second -- strata:down marker`);
  });

  it('refuses an up marker after the down marker', () => {
    const error = parseError(['SELECT 1;', '-- strata:down', 'SELECT 2;', '-- strata:up', 'SELECT 3;']);
    expect(error.message).toBe(`${FILE}:4: -- strata:up after -- strata:down`);
  });

  it('refuses a file holding only a down section', () => {
    const error = parseError(['-- drop it', '-- strata:down', 'DROP TABLE t;']);
    expect(error.code).toBe('STRATA_INVALID_MIGRATION');
    // The error points at the down marker.
    expect(error.message).toBe(`${FILE}:2: a -- strata:down section without an up section`);
    expect(error.hint).toMatch(/-- strata:up/);
  });
});

describe('parseSqlMigration on a big file', () => {
  // Issue 10 item 10: the parser split the text into lines and joined them again, so a 60 MB file
  // peaked at about five copies. A child process with a heap limit of about two and a half copies
  // of a 48 MiB file fails with "heap out of memory" on that parser (and on any that copies the
  // text more than once); slicing sections out of the text keeps it near one copy.
  it('parses a 48 MiB file within a heap of about two and a half copies of it', () => {
    const script = [
      `const { createRequire } = require('node:module');`,
      `const { createJiti } = createRequire(${JSON.stringify(fileURLToPath(new URL('../package.json', import.meta.url)))})('jiti');`,
      `createJiti(${JSON.stringify(fileURLToPath(import.meta.url))}).import(${JSON.stringify(fileURLToPath(new URL('./sql-migration-file.ts', import.meta.url)))}).then(({ parseSqlMigration }) => {`,
      `  const line = 'INSERT INTO t VALUES (1);\\n';`,
      `  const text = '-- strata:up\\n' + line.repeat(Math.floor((48 * 1024 * 1024) / line.length)) + '-- strata:down\\nDROP TABLE t;\\n';`,
      `  const parsed = parseSqlMigration(text, 'big.sql');`,
      `  console.log(JSON.stringify({ up: parsed.up.length, down: parsed.down, downLine: parsed.downLine }));`,
      `});`,
    ].join('\n');
    const result = spawnSync(process.execPath, ['--max-old-space-size=128', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect(result.stderr).not.toMatch(/heap out of memory/);
    expect(result.status, result.stderr).toBe(0);
    const lines = Math.floor((48 * 1024 * 1024) / 26);
    expect(JSON.parse(result.stdout)).toEqual({ up: lines * 26 - 1, down: 'DROP TABLE t;\n', downLine: lines + 3 });
  });
});
