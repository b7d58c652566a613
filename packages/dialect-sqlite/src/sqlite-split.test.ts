import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { splitSqliteStatements } from './sqlite-split.js';

const texts = (script: string): string[] => splitSqliteStatements(script).map((statement) => statement.text);

describe('splitSqliteStatements', () => {
  it('splits on semicolons and numbers statements from 1', () => {
    expect(splitSqliteStatements('CREATE TABLE a (x);\nINSERT INTO a VALUES (1);')).toEqual([
      { index: 1, line: 1, text: 'CREATE TABLE a (x)' },
      { index: 2, line: 2, text: 'INSERT INTO a VALUES (1)' },
    ]);
  });

  it('keeps a last statement without a semicolon', () => {
    expect(texts('SELECT 1;\nSELECT 2')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('ignores semicolons inside strings and quoted identifiers', () => {
    const script = `INSERT INTO t VALUES ('a;b', 'it''s; fine');
SELECT "we;ird" FROM [x;y] JOIN \`z;w\` ON 1;`;
    expect(texts(script)).toEqual(["INSERT INTO t VALUES ('a;b', 'it''s; fine')", 'SELECT "we;ird" FROM [x;y] JOIN `z;w` ON 1']);
  });

  it('ignores semicolons inside line and block comments', () => {
    const script = 'SELECT 1 -- not; here\n, 2;\n/* nor; here */ SELECT 3;';
    expect(splitSqliteStatements(script)).toEqual([
      { index: 1, line: 1, text: 'SELECT 1 -- not; here\n, 2' },
      { index: 2, line: 3, text: 'SELECT 3' },
    ]);
  });

  it('keeps a CREATE TRIGGER body with its semicolons as one statement', () => {
    const trigger = `CREATE TRIGGER t_audit AFTER INSERT ON t
BEGIN
  INSERT INTO audit VALUES (new.id, 'insert;');
  UPDATE counters SET n = n + 1;
END`;
    expect(texts(`${trigger};\nSELECT 1;`)).toEqual([trigger, 'SELECT 1']);
  });

  it('keeps TEMP triggers and triggers with CASE … END inside one statement', () => {
    const trigger = `CREATE TEMPORARY TRIGGER IF NOT EXISTS t_case BEFORE UPDATE ON t
BEGIN
  SELECT CASE WHEN new.x < 0 THEN RAISE(ABORT, 'negative; no') END;
  UPDATE t SET y = CASE new.x WHEN 1 THEN 'one' ELSE 'many' END WHERE id = new.id;
END`;
    expect(texts(`${trigger};CREATE TABLE after_it (x);`)).toEqual([trigger, 'CREATE TABLE after_it (x)']);
  });

  it('treats CASE … END outside a trigger as an ordinary statement', () => {
    expect(texts("SELECT CASE WHEN 1 THEN 'a' END; SELECT 2;")).toEqual(["SELECT CASE WHEN 1 THEN 'a' END", 'SELECT 2']);
  });

  it('does not take identifiers that contain keywords for keywords', () => {
    const script = 'CREATE TABLE trigger_log (endpoint TEXT, "trigger" TEXT); SELECT 1;';
    expect(texts(script)).toEqual(['CREATE TABLE trigger_log (endpoint TEXT, "trigger" TEXT)', 'SELECT 1']);
  });

  it('gives the line of the first token, after leading comments and blank lines', () => {
    const script = '-- header\n\n/* block\n comment */\nCREATE TABLE a (x);\n\n\n  -- seed\n  INSERT INTO a VALUES (1);';
    expect(splitSqliteStatements(script).map(({ line }) => line)).toEqual([5, 9]);
  });

  it('counts CRLF and lone CR line breaks once each', () => {
    expect(splitSqliteStatements('SELECT 1;\r\n\r\nSELECT 2;\r\nSELECT 3;\rSELECT 4;').map(({ line }) => line)).toEqual([1, 3, 4, 5]);
  });

  it('drops empty statements and a tail of comments', () => {
    expect(splitSqliteStatements(';;\n SELECT 1;;  ;\n-- the end; really\n/* trailing */\n')).toEqual([
      { index: 1, line: 2, text: 'SELECT 1' },
    ]);
    expect(splitSqliteStatements('-- only a comment; nothing else')).toEqual([]);
    expect(splitSqliteStatements('')).toEqual([]);
    expect(splitSqliteStatements('  \n\t ')).toEqual([]);
  });

  it('keeps an unterminated string as a statement so SQLite reports it', () => {
    expect(texts("SELECT 1; SELECT 'oops;")).toEqual(['SELECT 1', "SELECT 'oops;"]);
  });

  it('handles non-ASCII identifiers and strings', () => {
    expect(texts("CREATE TABLE café (naïve TEXT); INSERT INTO café VALUES ('€;');")).toEqual([
      'CREATE TABLE café (naïve TEXT)',
      "INSERT INTO café VALUES ('€;')",
    ]);
  });

  it('agrees with sqlite3_complete on where statements end', () => {
    // better-sqlite3 refuses more than one statement per prepare(): each piece must be exactly one
    const db = new Database(':memory:');
    try {
      const script = `CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);
CREATE TABLE audit (id INTEGER, what TEXT);
CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO audit VALUES (new.id, 'a;b'); END;
INSERT INTO t (x) VALUES ('1;2') /* ; */ ; -- ;
SELECT CASE WHEN x = '1;2' THEN 'yes' END FROM t;`;
      const statements = splitSqliteStatements(script);
      expect(statements).toHaveLength(5);
      for (const statement of statements) db.prepare(statement.text).run();
      expect(db.prepare('SELECT what FROM audit').pluck().all()).toEqual(['a;b']);
    } finally {
      db.close();
    }
  });

  it('splits a large script quickly', () => {
    const script = "INSERT INTO t VALUES (1, 'text; with semicolon'); -- comment\n".repeat(20_000);
    const started = performance.now();
    expect(splitSqliteStatements(script)).toHaveLength(20_000);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
