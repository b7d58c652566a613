import type { SqlStatement } from '@strata/core';
import { isBlankToken, readToken, splitSqliteStatements, type SqliteToken } from './sqlite-split.js';

/**
 * Cheap pre-check: a keyword that can make a statement non-transactional, at the start of the
 * script or right after a `;` (white space and comments allowed in between). It may match too
 * much (a `;` inside a string), never too little; only scripts it matches are split.
 */
const MAYBE_NON_TRANSACTIONAL =
  /(?:^|;)(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(?:vacuum|pragma|begin|commit|end|rollback|savepoint|release|attach|detach)\b/i;

const TRANSACTION_CONTROL =
  'strata manages transactions: remove it, or mark the migration `-- strata:transaction off` to run its statements one by one';

/** Why a statement starting with this keyword cannot run inside strata's transaction. */
const REASON_BY_KEYWORD: Readonly<Record<string, string>> = {
  VACUUM: 'VACUUM cannot run inside a transaction',
  ATTACH: 'ATTACH cannot run inside a transaction',
  DETACH: 'DETACH cannot run inside a transaction',
  BEGIN: `BEGIN opens a transaction: ${TRANSACTION_CONTROL}`,
  COMMIT: `COMMIT ends a transaction: ${TRANSACTION_CONTROL}`,
  END: `END ends a transaction: ${TRANSACTION_CONTROL}`,
  ROLLBACK: `ROLLBACK ends a transaction: ${TRANSACTION_CONTROL}`,
  SAVEPOINT: `SAVEPOINT is transaction control: ${TRANSACTION_CONTROL}`,
  RELEASE: `RELEASE is transaction control: ${TRANSACTION_CONTROL}`,
};

/** Pragmas whose assignment fails or silently does nothing inside a transaction. */
const REASON_BY_PRAGMA: Readonly<Record<string, string>> = {
  JOURNAL_MODE: 'PRAGMA journal_mode cannot change the journal mode inside a transaction',
  FOREIGN_KEYS: 'PRAGMA foreign_keys is a no-op inside a transaction, so the setting would silently not change',
  LOCKING_MODE: 'PRAGMA locking_mode changes how the connection locks the file and does not belong in a transaction',
};

/** The first `count` significant tokens of a statement: words upper-cased, punctuation as is. */
export function leadingTokens(text: string, count: number): string[] {
  const words: string[] = [];
  const token: SqliteToken = { kind: 0, start: 0, end: 0, terminated: true };
  let position = 0;
  while (position < text.length && words.length < count) {
    readToken(text, position, token);
    position = token.end;
    if (isBlankToken(token.kind)) continue;
    let word = text.slice(token.start, token.end);
    const first = word.charCodeAt(0);
    // "journal_mode", [journal_mode], `journal_mode` name the same pragma
    if (token.terminated && (first === 34 || first === 91 || first === 96)) word = word.slice(1, -1);
    words.push(word.toUpperCase());
  }
  return words;
}

/** Why one statement cannot run in a transaction, or `undefined` when it can. */
export function nonTransactionalReason(text: string): string | undefined {
  const [keyword, ...rest] = leadingTokens(text, 6);
  if (keyword === undefined) return undefined;
  if (keyword === 'PRAGMA') {
    // PRAGMA [schema.]name (= value | (value)); reading a pragma is harmless
    const name = rest[1] === '.' ? rest[2] : rest[0];
    const next = rest[1] === '.' ? rest[3] : rest[1];
    if (name === undefined || (next !== '=' && next !== '(')) return undefined;
    return REASON_BY_PRAGMA[name];
  }
  return REASON_BY_KEYWORD[keyword];
}

/**
 * The statements of a SQLite script that cannot run inside strata's transaction: `VACUUM`
 * (also `VACUUM INTO`), `ATTACH`/`DETACH`, assignments to `PRAGMA journal_mode`,
 * `foreign_keys` and `locking_mode`, and transaction control written by the author (`BEGIN`,
 * `COMMIT`, `END`, `ROLLBACK`, `SAVEPOINT`, `RELEASE`). Scripts without any of those keywords
 * at a statement start return `[]` without being split.
 */
export function findSqliteNonTransactional(script: string): SqlStatement[] {
  if (!MAYBE_NON_TRANSACTIONAL.test(script)) return [];
  const found: SqlStatement[] = [];
  for (const statement of splitSqliteStatements(script)) {
    const reason = nonTransactionalReason(statement.text);
    if (reason !== undefined) found.push({ ...statement, nonTransactional: reason });
  }
  return found;
}
