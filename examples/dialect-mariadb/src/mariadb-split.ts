import type { SqlStatement } from '@strata/core';

/**
 * A small MariaDB/MySQL statement splitter. It knows the lexical rules that decide where a `;`
 * ends a statement, and nothing else:
 *
 * - `'…'` and `"…"` strings, with `\` escapes and doubled quotes (`'it''s'`, `'it\'s'`);
 * - `` `…` `` identifiers, with doubled backticks;
 * - `-- ` comments (two dashes followed by white space or the end: `5--1` is arithmetic), `#`
 *   comments, `/* … *\/` comments;
 * - executable comments `/*! … *\/` and `/*M! … *\/` are code (mysqldump writes them), kept as
 *   part of the statement and never split inside.
 *
 * Not supported, on purpose:
 * - `DELIMITER` is a command of the `mysql` command-line client, not SQL: the server never sees
 *   it. It comes back here as an ordinary statement, and the session refuses the script before
 *   running any of it (see {@link isDelimiterCommand}).
 * - Compound statements (`CREATE PROCEDURE … BEGIN …; …; END`, triggers, events, `BEGIN NOT
 *   ATOMIC`) are split at their inner `;`. Send one whole with `query()` from a TS/JS migration:
 *   the server parses compound statements itself.
 * - `sql_mode=NO_BACKSLASH_ESCAPES` (a `\` before a quote then ends the string) and
 *   `sql_mode=ORACLE` syntax.
 *
 * Pure and synchronous; lines count LF, CRLF and a lone CR.
 * @example
 * splitMariaDbStatements("SELECT 1;\n-- c;\nSELECT ';';");
 * // [{ index: 1, line: 1, text: 'SELECT 1' }, { index: 2, line: 3, text: "SELECT ';'" }]
 */
export function splitMariaDbStatements(script: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  const length = script.length;
  let start = -1; // first significant character of the current statement
  let end = -1; // end (exclusive) of its last significant token
  let line = 1; // the line `lineAt` is on
  let lineAt = 0;

  const mark = (from: number, to: number): void => {
    if (start < 0) start = from;
    end = to;
  };
  const flush = (): void => {
    if (start < 0) return;
    line += countLineBreaks(script, lineAt, start);
    lineAt = start;
    statements.push({ index: statements.length + 1, line, text: script.slice(start, end) });
    start = -1;
  };

  let i = 0;
  while (i < length) {
    const ch = script.charCodeAt(i);
    if (isSpace(ch)) {
      i += 1;
    } else if (ch === SEMI) {
      flush();
      i += 1;
    } else if (ch === HASH || (ch === DASH && script.charCodeAt(i + 1) === DASH && dashCommentStartsAt(script, i))) {
      const newline = script.indexOf('\n', i);
      i = newline < 0 ? length : newline + 1;
    } else if (ch === SLASH && script.charCodeAt(i + 1) === STAR) {
      const close = script.indexOf('*/', i + 2);
      const stop = close < 0 ? length : close + 2;
      if (isExecutableComment(script, i)) mark(i, stop);
      i = stop;
    } else if (ch === SQUOTE || ch === DQUOTE || ch === BACKTICK) {
      const stop = skipQuoted(script, i);
      mark(i, stop);
      i = stop;
    } else {
      let stop = i + 1;
      if (isWordChar(ch)) while (stop < length && isWordChar(script.charCodeAt(stop))) stop += 1;
      mark(i, stop);
      i = stop;
    }
  }
  flush();
  return statements;
}

/** The first few words of a statement, upper-cased, after leading comments (not `/*!…*\/`). */
export function leadingWords(text: string, count = 4): string[] {
  const words: string[] = [];
  const pattern = /\s+|--(?:\s[^\n]*|$)|#[^\n]*|\/\*(?!M?!)[\s\S]*?(?:\*\/|$)|(@@(?:[A-Za-z_]+\.)?[A-Za-z_]+|[A-Za-z0-9_$]+)|(\S)/y;
  while (words.length < count && pattern.lastIndex < text.length) {
    const match = pattern.exec(text);
    if (!match) break;
    const word = match[1] ?? match[2];
    if (word !== undefined) words.push(word.toUpperCase());
  }
  return words;
}

/** `DELIMITER $$`: a mysql-client command that must never reach the server. */
export function isDelimiterCommand(text: string): boolean {
  return leadingWords(text, 1)[0] === 'DELIMITER';
}

const STRATA_OWNS_THE_TRANSACTION =
  'strata manages transactions: remove it, or mark the migration `-- strata:transaction off` to run its statements one by one';

/** Assigns `autocommit` (`SET autocommit = 0`, `SET @@session.autocommit := 1`, `SET NAMES x, autocommit = 1`). */
const SETS_AUTOCOMMIT = /(?:^|[\s,])(?:@@(?:session\.|local\.)?)?autocommit\s*:?=/i;

/**
 * Why a statement cannot run inside strata's transaction, or `undefined`. Only transaction
 * control counts: ordinary DDL (`CREATE`, `ALTER`, `DROP`, …) also commits implicitly on
 * MariaDB, but there is no "safe" alternative to offer for it — see the README.
 */
export function nonTransactionalReason(text: string): string | undefined {
  const [first, second, third] = leadingWords(text, 3);
  switch (first) {
    case 'START':
      return second === 'TRANSACTION'
        ? `START TRANSACTION commits the open transaction and opens another: ${STRATA_OWNS_THE_TRANSACTION}`
        : undefined;
    case 'BEGIN':
      // BEGIN NOT ATOMIC … END is an anonymous compound statement, not transaction control.
      return second === undefined || (second === 'WORK' && third === undefined)
        ? `BEGIN commits the open transaction and opens another: ${STRATA_OWNS_THE_TRANSACTION}`
        : undefined;
    case 'COMMIT':
      return `COMMIT ends strata's transaction: ${STRATA_OWNS_THE_TRANSACTION}`;
    case 'ROLLBACK':
      // ROLLBACK [WORK] TO [SAVEPOINT] x stays inside the transaction.
      return second === 'TO' || third === 'TO' ? undefined : `ROLLBACK ends strata's transaction: ${STRATA_OWNS_THE_TRANSACTION}`;
    case 'LOCK':
      return second === 'TABLE' || second === 'TABLES'
        ? `LOCK TABLES commits the open transaction (and UNLOCK TABLES commits again): ${STRATA_OWNS_THE_TRANSACTION}`
        : undefined;
    case 'UNLOCK':
      return second === 'TABLE' || second === 'TABLES'
        ? `UNLOCK TABLES commits the open transaction: ${STRATA_OWNS_THE_TRANSACTION}`
        : undefined;
    case 'XA':
      return `XA transactions cannot run inside another transaction: ${STRATA_OWNS_THE_TRANSACTION}`;
    case 'SET':
      if (second === 'TRANSACTION')
        return 'SET TRANSACTION (without SESSION or GLOBAL) fails inside an open transaction [25001]; use SET SESSION TRANSACTION, or run it outside a transaction';
      return SETS_AUTOCOMMIT.test(text.slice(3))
        ? `Assigning autocommit commits or ends strata's transaction: ${STRATA_OWNS_THE_TRANSACTION}`
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Cheap pre-check: one of the keywords above at the start of the script or after a `;`. It may
 * match too much (a `;` inside a string), never too little; only scripts it matches are split.
 */
const MAYBE_NON_TRANSACTIONAL =
  /(?:^|;)(?:\s|--(?:\s[^\n]*)?(?:\n|$)|#[^\n]*(?:\n|$)|\/\*(?!M?!)[\s\S]*?\*\/)*(?:start|begin|commit|rollback|lock|unlock|xa|set)\b/i;

/**
 * The statements of a script that cannot run inside strata's transaction: transaction control
 * written by the author (`START TRANSACTION`, `BEGIN`, `COMMIT`, `ROLLBACK`, `XA …`,
 * `SET autocommit`, `SET TRANSACTION`) and `LOCK TABLES`/`UNLOCK TABLES`.
 *
 * DDL is deliberately not reported, although every DDL statement commits implicitly on MariaDB:
 * reporting it would refuse nearly every migration, and `-- strata:transaction off` would not make
 * it any more atomic. The dialect says `supportsTransactionalDdl: false` instead.
 */
export function findMariaDbNonTransactional(script: string): SqlStatement[] {
  if (!MAYBE_NON_TRANSACTIONAL.test(script)) return [];
  const found: SqlStatement[] = [];
  for (const statement of splitMariaDbStatements(script)) {
    const reason = nonTransactionalReason(statement.text);
    if (reason !== undefined) found.push({ ...statement, nonTransactional: reason });
  }
  return found;
}

const TAB = 9;
const LF = 10;
const VT = 11;
const FF = 12;
const CR = 13;
const SPACE = 32;
const DQUOTE = 34;
const HASH = 35;
const DOLLAR = 36;
const SQUOTE = 39;
const STAR = 42;
const DASH = 45;
const SLASH = 47;
const SEMI = 59;
const BACKSLASH = 92;
const UNDERSCORE = 95;
const BACKTICK = 96;

function isSpace(code: number): boolean {
  return code === SPACE || code === TAB || code === LF || code === CR || code === FF || code === VT;
}

function isWordChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === UNDERSCORE ||
    code === DOLLAR ||
    code >= 0x80
  );
}

/** `--` starts a comment only when followed by white space, a control character or the end. */
function dashCommentStartsAt(script: string, i: number): boolean {
  if (i + 2 >= script.length) return true;
  return script.charCodeAt(i + 2) <= SPACE;
}

function isExecutableComment(script: string, i: number): boolean {
  const next = script.charCodeAt(i + 2);
  return next === 33 /* ! */ || (next === 77 /* M */ && script.charCodeAt(i + 3) === 33);
}

/** End (exclusive) of the quoted token at `i`; the script's end when it is not terminated. */
function skipQuoted(script: string, i: number): number {
  const quote = script.charCodeAt(i);
  const length = script.length;
  let j = i + 1;
  while (j < length) {
    const ch = script.charCodeAt(j);
    if (ch === BACKSLASH && quote !== BACKTICK) {
      j += 2;
    } else if (ch === quote) {
      if (script.charCodeAt(j + 1) !== quote) return j + 1;
      j += 2;
    } else {
      j += 1;
    }
  }
  return length;
}

function countLineBreaks(script: string, from: number, to: number): number {
  let lines = 0;
  for (let i = from; i < to; i++) {
    const code = script.charCodeAt(i);
    if (code === LF) lines++;
    else if (code === CR && script.charCodeAt(i + 1) !== LF) lines++;
  }
  return lines;
}
