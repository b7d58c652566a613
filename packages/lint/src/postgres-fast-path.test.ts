import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitInertPostgresScript } from './postgres-fast-path.js';
import { loadPostgresParser, parsePostgresScript } from './postgres-parse.js';
import { lintPostgresStatements } from './postgres-rules.js';
import { createPostgresSchema } from './postgres-schema.js';

/** Findings of the full parser path for a script, as rule ids. */
async function parsedFindings(sql: string, transaction = true): Promise<string[]> {
  const found: string[] = [];
  const parser = await loadPostgresParser();
  lintPostgresStatements(
    await parsePostgresScript(sql),
    createPostgresSchema(),
    { transaction, lockTimeoutMs: 5000, report: (rule) => found.push(rule) },
    parser.parseSync,
  );
  return found;
}

describe('splitInertPostgresScript', () => {
  it('takes CREATE TABLE, indexes on those tables and data statements without the parser', () => {
    const sql =
      "CREATE TABLE t_1 (id INTEGER PRIMARY KEY, a TEXT NOT NULL);\nCREATE UNIQUE INDEX IF NOT EXISTS idx ON public.t_1 (a);\nINSERT INTO t_1 VALUES (1, 'x;y');";
    expect(splitInertPostgresScript(sql, true)?.statements.map((s) => [s.index, s.text.slice(0, 12)])).toEqual([
      [1, 'CREATE TABLE'],
      [2, 'CREATE UNIQU'],
      [3, 'INSERT INTO '],
    ]);
  });

  it.each([
    ['CONCURRENTLY', 'CREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY i ON a (id);', true],
    ['a non-transactional migration', 'CREATE TABLE a (id int);', false],
    ['a dollar-quoted body', "CREATE TABLE a (id int);\nDO $$ BEGIN EXECUTE 'CREATE INDEX i ON b (id)'; END $$;", true],
    ['an E string', "INSERT INTO a VALUES (E'\\';DROP TABLE b;--');", true],
    ['a block comment', 'CREATE TABLE a (id int); /* ; ALTER TABLE b DROP COLUMN c; */', true],
    ['ALTER, DROP and the rest', 'CREATE TABLE a (id int);\nALTER TABLE a ADD COLUMN b int;', true],
  ])('sends %s to the parser', (_what, sql, transaction) => {
    expect(splitInertPostgresScript(sql as string, transaction as boolean)).toBeUndefined();
  });

  it('flags a plain index on a table the script does not create, matching names as PostgreSQL folds them', () => {
    const inert = splitInertPostgresScript(
      'CREATE TABLE "Events" (id int);\nCREATE INDEX i ON events (id);\nCREATE INDEX j ON "Events" (id);',
      true,
    );
    expect(inert?.findings.map((f) => [f.rule, f.statement.index, f.message])).toEqual([
      ['pg/index-not-concurrent', 2, expect.stringContaining('CREATE INDEX on events without CONCURRENTLY')],
    ]);
    // Without a lock_timeout the parser path also reports pg/missing-lock-timeout.
    expect(splitInertPostgresScript('CREATE INDEX i ON b (id);', true, 0)).toBeUndefined();
  });

  it('finds exactly what the parser path finds (every corpus case it takes)', async () => {
    const corpus = readFileSync(new URL('../test/corpus/postgres.sql', import.meta.url), 'utf8');
    const scripts = corpus
      .split(/^-- case: .*$/m)
      .slice(1)
      .map((chunk) => chunk.replace(/^-- (given|transaction|lock-timeout|expect): .*$/gm, '').trim());
    let inert = 0;
    for (const sql of [...scripts, 'CREATE TABLE "Events" (id int);\nCREATE INDEX i ON "Events" (id);\nCREATE INDEX j ON events (id);']) {
      const fast = splitInertPostgresScript(sql, true);
      if (!fast) continue;
      inert += 1;
      expect(
        fast.findings.map((f) => f.rule),
        sql,
      ).toEqual(await parsedFindings(sql));
      expect(fast.statements.length, sql).toBe((await parsePostgresScript(sql)).length);
    }
    expect(inert).toBeGreaterThan(10);
  });
});
