import { describe, expect, it } from 'vitest';
import {
  characterPositionToIndex,
  createByteToIndex,
  findPostgresNonTransactional,
  isPostgresParserLoaded,
  splitPostgresStatements,
} from './postgres-split.js';

describe('findPostgresNonTransactional', () => {
  // Keep this test first: it observes that the WASM parser was never loaded in this file.
  it('answers a plain script without loading the parser', async () => {
    const script =
      "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE INDEX users_email ON users (email);\nINSERT INTO users VALUES (1, 'a@b');";
    expect(await findPostgresNonTransactional(script)).toEqual([]);
    expect(isPostgresParserLoaded()).toBe(false);
  });

  it.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['create unique index concurrently if not exists i on t (a)', 'CREATE INDEX CONCURRENTLY'],
    ['DROP INDEX CONCURRENTLY i', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX TABLE CONCURRENTLY t', 'REINDEX … CONCURRENTLY'],
    ['REINDEX (CONCURRENTLY) INDEX i', 'REINDEX … CONCURRENTLY'],
    ['VACUUM t', 'VACUUM'],
    ['VACUUM (ANALYZE) t', 'VACUUM'],
    ['CREATE DATABASE d', 'CREATE DATABASE'],
    ['DROP DATABASE d', 'DROP DATABASE'],
    ["ALTER SYSTEM SET work_mem = '64MB'", 'ALTER SYSTEM'],
    ["CREATE TABLESPACE ts LOCATION '/tmp/ts'", 'CREATE TABLESPACE'],
    ['BEGIN', 'BEGIN'],
    ['START TRANSACTION', 'START TRANSACTION'],
    ['COMMIT', 'COMMIT'],
    ['END', 'COMMIT'],
    ['ROLLBACK', 'ROLLBACK'],
    ['SAVEPOINT s', 'SAVEPOINT'],
    ['ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY', 'DETACH PARTITION … CONCURRENTLY'],
    ['REINDEX INDEX CONCURRENTLY i', 'REINDEX … CONCURRENTLY'],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p", 'CREATE SUBSCRIPTION'],
    ['ALTER SUBSCRIPTION s REFRESH PUBLICATION', 'REFRESH PUBLICATION'],
    ['ALTER SUBSCRIPTION s SET PUBLICATION p', 'with refresh'],
    ['DISCARD ALL', 'DISCARD ALL'],
    ['CLUSTER', 'CLUSTER without a table'],
    ['ALTER DATABASE d SET TABLESPACE ts', 'SET TABLESPACE'],
  ])('finds %s', async (statement, reason) => {
    const script = `CREATE TABLE t (a int);\n${statement};\nSELECT 1;`;
    const found = await findPostgresNonTransactional(script);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ index: 2, line: 2, text: statement });
    expect(found[0]!.nonTransactional).toContain(reason);
  });

  it('allows what looks alike but runs in a transaction', async () => {
    const script = [
      'CREATE INDEX i ON t (a)',
      'REINDEX (CONCURRENTLY false) TABLE t',
      'ANALYZE t',
      "COMMENT ON TABLE t IS 'VACUUM me; CREATE INDEX CONCURRENTLY x'",
      '-- VACUUM in a comment\nSELECT 1',
      'DO $$ BEGIN PERFORM 1; END $$',
      'SELECT CASE WHEN true THEN 1 END',
      'ALTER TABLE p DETACH PARTITION p1',
      "CREATE SUBSCRIPTION s CONNECTION 'host=x' PUBLICATION p WITH (connect = false)",
      'ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false)',
      'DISCARD TEMP',
      'CLUSTER t',
      'ALTER DATABASE d SET work_mem = 1',
    ].join(';\n');
    expect(await findPostgresNonTransactional(script)).toEqual([]);
  });
});

describe('splitPostgresStatements', () => {
  it('keeps semicolons inside dollar-quoted bodies', async () => {
    const script = [
      'CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$',
      'BEGIN',
      '  PERFORM 1; RETURN 2;',
      'END',
      '$body$;',
      "SELECT $$a;b$$, $x$ ; $x$, 'c;d', E'e\\';f';",
    ].join('\n');
    const statements = await splitPostgresStatements(script);
    expect(statements.map((s) => [s.index, s.line])).toEqual([
      [1, 1],
      [2, 6],
    ]);
    expect(statements[0]!.text.endsWith('$body$')).toBe(true);
    expect(statements[1]!.text).toBe("SELECT $$a;b$$, $x$ ; $x$, 'c;d', E'e\\';f'");
  });

  it('skips nested block comments and reports the line where the statement starts', async () => {
    const script = '/* outer /* inner; */ still; comment */\n\n-- a; line comment\nSELECT 1;\n/* c */ SELECT 2 -- tail;\n;';
    const statements = await splitPostgresStatements(script);
    expect(statements).toEqual([
      { index: 1, line: 4, text: 'SELECT 1' },
      { index: 2, line: 5, text: 'SELECT 2 -- tail;' },
    ]);
  });

  it('keeps a BEGIN ATOMIC function body in one statement', async () => {
    const script = [
      'CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql',
      'BEGIN ATOMIC',
      '  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END;',
      '  SELECT a + b;',
      'END;',
      'SELECT add(1, 2);',
    ].join('\n');
    const statements = await splitPostgresStatements(script);
    expect(statements).toHaveLength(2);
    expect(statements[0]!.text.endsWith('END')).toBe(true);
    expect(statements[1]).toMatchObject({ index: 2, line: 6, text: 'SELECT add(1, 2)' });
  });

  it('counts lines in characters when multi-byte UTF-8 comes first', async () => {
    const script = "-- données, 数据, 🚀\nINSERT INTO t VALUES ('é🚀');\n\n  SELECT '数据';";
    const statements = await splitPostgresStatements(script);
    expect(statements).toEqual([
      { index: 1, line: 2, text: "INSERT INTO t VALUES ('é🚀')" },
      { index: 2, line: 4, text: "SELECT '数据'" },
    ]);
  });

  it('still splits a script the parser rejects, on top-level semicolons', async () => {
    const script = "SELECT 1;\nSELEC 'x;y';\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nSELECT 2";
    const statements = await splitPostgresStatements(script);
    expect(statements.map((s) => [s.line, s.text])).toEqual([
      [1, 'SELECT 1'],
      [2, "SELEC 'x;y'"],
      [3, 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END'],
      [4, 'SELECT 2'],
    ]);
  });

  it('returns no statement for an empty or comment-only script', async () => {
    expect(await splitPostgresStatements('')).toEqual([]);
    expect(await splitPostgresStatements('-- nothing\n/* here */ ;;')).toEqual([]);
  });
});

describe('offset conversions', () => {
  it('maps UTF-8 byte offsets to string indices', () => {
    const text = 'aé数🚀b';
    const toIndex = createByteToIndex(text);
    expect([0, 1, 3, 6, 10].map(toIndex)).toEqual([0, 1, 2, 3, 5]);
  });

  it('maps PostgreSQL character positions (code points) to string indices', () => {
    const text = '🚀🚀x';
    expect(characterPositionToIndex(text, 3)).toBe(4);
    expect(text[characterPositionToIndex(text, 3)]).toBe('x');
  });
});
