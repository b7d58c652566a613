import type { LintStatement } from './lint-statement.js';
import { indexNotConcurrentMessage } from './postgres-rules.js';
import { parseSqliteScript } from './sqlite-parse.js';

/** Statements that can never be the subject of a rule. */
const INERT_FIRST_WORDS = new Set(['insert', 'update', 'delete', 'select', 'with', 'comment', 'grant', 'revoke', 'values']);

/** A script read without the parser, and the findings of its plain `CREATE INDEX` statements. */
export interface InertScript {
  statements: LintStatement[];
  findings: { rule: 'pg/index-not-concurrent'; statement: LintStatement; message: string }[];
}

/**
 * Recognises, without the parser, a PostgreSQL script of the commonest shapes: `CREATE TABLE`,
 * plain `CREATE INDEX` (flagged by `pg/index-not-concurrent` unless the script created the
 * table), and data statements, in a transactional migration. Most migrations of a growing schema
 * look like this, and the parser costs ~0.3 ms a statement plus ~100 ms to load, so skipping it
 * keeps `strata lint` of a thousand files under a second. Anything else, and anything unusual
 * (dollar quotes, `E''` strings, block comments, `BEGIN ATOMIC`), goes to the parser; so does
 * an index on an existing table when no `lock_timeout` is set (`lockTimeoutMs` 0).
 * Returns `undefined` when the script needs the parser.
 */
export function splitInertPostgresScript(sql: string, transaction: boolean, lockTimeoutMs = 5000): InertScript | undefined {
  if (!transaction || sql.includes('$') || sql.includes('/*') || /\be'/i.test(sql) || /\batomic\b/i.test(sql)) return undefined;
  // Early out before tokenizing: a word that starts no statement this path accepts (a false hit,
  // such as a column named "drop", only costs the parser).
  if (/\b(?:alter|drop|truncate|vacuum|cluster|reindex|concurrently|begin|commit|rollback|savepoint|do|call|lock)\b/i.test(sql))
    return undefined;
  const statements = parseSqliteScript(sql);
  const created = new Set<string>();
  const findings: InertScript['findings'] = [];
  for (const statement of statements) {
    const words = statement.tokens;
    let i = 0;
    const word = (at = i) => (words[at]?.kind === 'word' ? words[at]!.value : undefined);
    const first = word();
    if (first !== undefined && INERT_FIRST_WORDS.has(first)) continue;
    if (first !== 'create') return undefined;
    i += 1;
    while (['unlogged', 'temp', 'temporary', 'global', 'local'].includes(word() ?? '')) i += 1;
    if (word() === 'table') {
      i += 1;
      if (word() === 'if' && word(i + 1) === 'not' && word(i + 2) === 'exists') i += 3;
      const name = lastPart(sql, words, i);
      if (name === undefined) return undefined;
      created.add(name);
      continue;
    }
    if (word() === 'unique') i += 1;
    if (word() !== 'index') return undefined;
    i += 1;
    if (word() === 'concurrently') return undefined;
    if (word() === 'if' && word(i + 1) === 'not' && word(i + 2) === 'exists') i += 3;
    if (word() !== 'on') i += 1; // the index name
    if (word() !== 'on') return undefined;
    i += 1;
    if (word() === 'only') i += 1;
    const table = lastPart(sql, words, i);
    if (table === undefined) return undefined;
    if (!created.has(table)) {
      if (lockTimeoutMs <= 0) return undefined;
      findings.push({ rule: 'pg/index-not-concurrent', statement, message: indexNotConcurrentMessage(table) });
    }
  }
  // The statements keep their tokens (no copy without them: a thousand scripts made the copies
  // cost more than the scan); they live only while this migration is linted.
  return { statements, findings };
}

/**
 * The last part of a possibly qualified name starting at `index`, folded as PostgreSQL does:
 * unquoted names lower-cased, quoted ones kept as written.
 */
function lastPart(
  sql: string,
  tokens: readonly { kind: string; value: string; start: number; end: number }[],
  index: number,
): string | undefined {
  let i = index;
  let name: string | undefined;
  for (;;) {
    const token = tokens[i];
    if (!token || (token.kind !== 'word' && token.kind !== 'name')) return name;
    name = token.kind === 'word' ? token.value : sql.slice(token.start + 1, token.end - 1);
    if (tokens[i + 1]?.value !== '.') return name;
    i += 2;
  }
}
