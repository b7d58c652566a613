import { describe, expect, it } from 'vitest';
import { findMariaDbNonTransactional, splitMariaDbStatements } from '../src/index.js';

const texts = (script: string) => splitMariaDbStatements(script).map((s) => s.text);

describe('splitMariaDbStatements', () => {
  it('numbers statements and lines from 1, after leading comments and blanks', () => {
    expect(splitMariaDbStatements('CREATE TABLE a (x INT);\n\n# seed\n-- more\n/* and */ INSERT INTO a VALUES (1);')).toEqual([
      { index: 1, line: 1, text: 'CREATE TABLE a (x INT)' },
      { index: 2, line: 5, text: 'INSERT INTO a VALUES (1)' },
    ]);
  });

  it('ignores ; inside strings, backslash escapes, doubled quotes and backtick identifiers', () => {
    const script = "INSERT INTO t VALUES ('a;b', 'it''s;', 'it\\'s;', \"x;\\\"y\");\nSELECT `we;ird``s` FROM t;";
    expect(texts(script)).toEqual(["INSERT INTO t VALUES ('a;b', 'it''s;', 'it\\'s;', \"x;\\\"y\")", 'SELECT `we;ird``s` FROM t']);
  });

  it('knows that `--` needs a space to start a comment, and that # always does', () => {
    expect(texts('SELECT 5--1; SELECT 2 -- not; here\n; SELECT 3 # nor; here\n;')).toEqual(['SELECT 5--1', 'SELECT 2', 'SELECT 3']);
  });

  it('keeps executable comments as code and never splits inside them', () => {
    expect(texts('/*!40101 SET @x = 1; */;\n/* plain; */ SELECT 1;/*M!100100 SELECT 2 */')).toEqual([
      '/*!40101 SET @x = 1; */',
      'SELECT 1',
      '/*M!100100 SELECT 2 */',
    ]);
  });

  it('counts CRLF and CR line breaks and drops empty statements and a comment tail', () => {
    expect(splitMariaDbStatements('SELECT 1;\r\n;;\r\nSELECT 2;\rSELECT 3;\n-- end')).toEqual([
      { index: 1, line: 1, text: 'SELECT 1' },
      { index: 2, line: 3, text: 'SELECT 2' },
      { index: 3, line: 4, text: 'SELECT 3' },
    ]);
  });

  it('keeps an unterminated string to the end, for the server to report', () => {
    expect(texts("SELECT 'oops; SELECT 2;")).toEqual(["SELECT 'oops; SELECT 2;"]);
  });

  it('returns DELIMITER as an ordinary statement (the session refuses it) and splits compound bodies', () => {
    expect(texts('DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$')).toEqual([
      'DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1',
      'END$$',
    ]);
  });
});

describe('findMariaDbNonTransactional', () => {
  const reasons = (script: string) => findMariaDbNonTransactional(script).map((s) => [s.index, s.line, s.text.split(/\s/)[0]]);

  it('reports transaction control and LOCK TABLES, with index and line', () => {
    const script =
      'CREATE TABLE a (x INT);\nSTART TRANSACTION;\nINSERT INTO a VALUES (1);\nCOMMIT;\nLOCK TABLES a WRITE;\nUNLOCK TABLES;\nSET autocommit = 1;\nXA START "x";\nBEGIN;';
    expect(reasons(script)).toEqual([
      [2, 2, 'START'],
      [4, 4, 'COMMIT'],
      [5, 5, 'LOCK'],
      [6, 6, 'UNLOCK'],
      [7, 7, 'SET'],
      [8, 8, 'XA'],
      [9, 9, 'BEGIN'],
    ]);
    expect(findMariaDbNonTransactional('SET SESSION sql_mode = "", @@session.autocommit := 0')[0]?.nonTransactional).toMatch(/autocommit/);
    expect(findMariaDbNonTransactional('SET TRANSACTION ISOLATION LEVEL READ COMMITTED')[0]?.nonTransactional).toMatch(/25001/);
  });

  it('does not report DDL, savepoints, BEGIN NOT ATOMIC or keywords in strings and comments', () => {
    expect(
      findMariaDbNonTransactional(
        "CREATE TABLE t (id INT);\nALTER TABLE t ADD COLUMN c INT;\nSAVEPOINT s; ROLLBACK TO SAVEPOINT s; ROLLBACK WORK TO s;\nBEGIN NOT ATOMIC SELECT 1 END;\nSELECT 'x; COMMIT';\n-- ; COMMIT\nSET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;\nSET @commit = 1;",
      ),
    ).toEqual([]);
  });
});
