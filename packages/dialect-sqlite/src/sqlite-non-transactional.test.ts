import { describe, expect, it } from 'vitest';
import { findSqliteNonTransactional, nonTransactionalReason } from './sqlite-non-transactional.js';

describe('findSqliteNonTransactional', () => {
  it('returns nothing for ordinary DDL and DML', () => {
    expect(findSqliteNonTransactional('CREATE TABLE a (x); INSERT INTO a VALUES (1); DROP INDEX IF EXISTS i;')).toEqual([]);
  });

  it('finds VACUUM and VACUUM INTO with their statement number and line', () => {
    const found = findSqliteNonTransactional("CREATE TABLE a (x);\nVACUUM;\n-- copy\nvacuum INTO '/tmp/x.db';");
    expect(found.map(({ index, line, text }) => ({ index, line, text }))).toEqual([
      { index: 2, line: 2, text: 'VACUUM' },
      { index: 3, line: 4, text: "vacuum INTO '/tmp/x.db'" },
    ]);
    expect(found[0]?.nonTransactional).toMatch(/VACUUM cannot run inside a transaction/);
  });

  it('finds assignments to journal_mode, foreign_keys and locking_mode, with or without a schema', () => {
    const script = `PRAGMA journal_mode = WAL;
PRAGMA main.foreign_keys=OFF;
pragma foreign_keys(on);
PRAGMA locking_mode = EXCLUSIVE;`;
    expect(findSqliteNonTransactional(script).map((statement) => statement.index)).toEqual([1, 2, 3, 4]);
    expect(findSqliteNonTransactional(script)[1]?.nonTransactional).toMatch(/no-op inside a transaction/);
  });

  it('leaves pragmas that only read, or that work in a transaction, alone', () => {
    expect(findSqliteNonTransactional('PRAGMA foreign_keys; PRAGMA journal_mode; PRAGMA user_version = 3;')).toEqual([]);
  });

  it('reports transaction control written by the author', () => {
    const script = 'BEGIN;\nCREATE TABLE a (x);\nSAVEPOINT s;\nRELEASE s;\nROLLBACK;\nCOMMIT;\nEND TRANSACTION;';
    const found = findSqliteNonTransactional(script);
    expect(found.map((statement) => statement.index)).toEqual([1, 3, 4, 5, 6, 7]);
    for (const statement of found) expect(statement.nonTransactional).toMatch(/strata manages transactions/);
  });

  it('reports ATTACH and DETACH', () => {
    expect(findSqliteNonTransactional("ATTACH 'other.db' AS other; DETACH other;").map((statement) => statement.index)).toEqual([1, 2]);
  });

  it('does not mistake a trigger body, CASE … END or a string for transaction control', () => {
    const script = `CREATE TRIGGER tr AFTER INSERT ON a BEGIN
  SELECT RAISE(ROLLBACK, 'no');
END;
SELECT CASE WHEN 1 THEN 2 END;
INSERT INTO log VALUES ('x;
VACUUM');`;
    expect(findSqliteNonTransactional(script)).toEqual([]);
  });

  it('sees a keyword after a leading comment', () => {
    expect(findSqliteNonTransactional('/* compact */ VACUUM;').map((statement) => statement.text)).toEqual(['VACUUM']);
    expect(nonTransactionalReason('PRAGMA /* x */ "journal_mode" = delete')).toMatch(/journal_mode/);
  });

  it('is fast on scripts without any candidate keyword', () => {
    const script = 'INSERT INTO t VALUES (1);\n'.repeat(50_000);
    const started = performance.now();
    expect(findSqliteNonTransactional(script)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
