import type { SqlStatement } from '@strata/core';

/**
 * Token classes of SQLite's `sqlite3_complete()` (src/complete.c). Names and numbering follow the
 * C source so the transition table below can be compared with it line by line.
 * @see https://sqlite.org/src/file?name=src/complete.c
 */
const TK_SEMI = 0;
const TK_WS = 1;
const TK_OTHER = 2;
const TK_EXPLAIN = 3;
const TK_CREATE = 4;
const TK_TEMP = 5;
const TK_TRIGGER = 6;
const TK_END = 7;

/** States of the same machine: 1 START means "between statements". */
const STATE_START = 1;

/* prettier-ignore */
const TRANSITIONS: readonly (readonly number[])[] = [
  /* State:       **  SEMI  WS  OTHER  EXPLAIN  CREATE  TEMP  TRIGGER  END */
  /* 0 INVALID: */ [1, 0, 2, 3, 4, 2, 2, 2],
  /* 1   START: */ [1, 1, 2, 3, 4, 2, 2, 2],
  /* 2  NORMAL: */ [1, 2, 2, 2, 2, 2, 2, 2],
  /* 3 EXPLAIN: */ [1, 3, 3, 2, 4, 2, 2, 2],
  /* 4  CREATE: */ [1, 4, 2, 2, 2, 4, 5, 2],
  /* 5 TRIGGER: */ [6, 5, 5, 5, 5, 5, 5, 5],
  /* 6    SEMI: */ [6, 6, 5, 5, 5, 5, 5, 7],
  /* 7     END: */ [1, 7, 5, 5, 5, 5, 5, 5],
];

const CH_TAB = 9;
const CH_LF = 10;
const CH_FF = 12;
const CH_CR = 13;
const CH_SPACE = 32;
const CH_DQUOTE = 34;
const CH_DOLLAR = 36;
const CH_SQUOTE = 39;
const CH_STAR = 42;
const CH_MINUS = 45;
const CH_SLASH = 47;
const CH_SEMI = 59;
const CH_LBRACKET = 91;
const CH_UNDERSCORE = 95;
const CH_BACKTICK = 96;

/** SQLite's `IdChar()`: ASCII letters, digits, `_`, `$`, and every non-ASCII character. */
function isIdChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === CH_UNDERSCORE ||
    code === CH_DOLLAR ||
    code >= 0x80
  );
}

/** One token as `sqlite3_complete()` sees it. `end` is exclusive. */
export interface SqliteToken {
  kind: number;
  start: number;
  end: number;
  /** False for an unterminated string, identifier or block comment. */
  terminated: boolean;
}

/** Classifies a bare word the way complete.c does (case-insensitive keyword match). */
function keywordKind(script: string, start: number, end: number): number {
  const length = end - start;
  if (length < 3 || length > 9) return TK_OTHER;
  switch (script.charCodeAt(start) | 0x20) {
    case 0x63 /* c */:
      return length === 6 && script.slice(start, end).toLowerCase() === 'create' ? TK_CREATE : TK_OTHER;
    case 0x74 /* t */:
      {
        if (length !== 4 && length !== 7 && length !== 9) return TK_OTHER;
        const word = script.slice(start, end).toLowerCase();
        if (word === 'trigger') return TK_TRIGGER;
        if (word === 'temp' || word === 'temporary') return TK_TEMP;
        return TK_OTHER;
      }
    case 0x65 /* e */:
      {
        if (length !== 3 && length !== 7) return TK_OTHER;
        const word = script.slice(start, end).toLowerCase();
        if (word === 'end') return TK_END;
        if (word === 'explain') return TK_EXPLAIN;
        return TK_OTHER;
      }
    default:
      return TK_OTHER;
  }
}

/**
 * Reads the token at `start` into `out` (reused to avoid an allocation per token). Comments and
 * white space are `TK_WS`, as in complete.c.
 */
export function readToken(script: string, start: number, out: SqliteToken): void {
  const length = script.length;
  const code = script.charCodeAt(start);
  out.start = start;
  out.terminated = true;
  let i = start + 1;
  switch (code) {
    case CH_SEMI:
      out.kind = TK_SEMI;
      break;
    case CH_SPACE:
    case CH_CR:
    case CH_TAB:
    case CH_LF:
    case CH_FF:
      out.kind = TK_WS;
      break;
    case CH_SLASH:
      if (script.charCodeAt(i) !== CH_STAR) {
        out.kind = TK_OTHER;
        break;
      }
      out.kind = TK_WS;
      i = script.indexOf('*/', i + 1);
      if (i < 0) {
        i = length;
        out.terminated = false;
      } else {
        i += 2;
      }
      break;
    case CH_MINUS:
      if (script.charCodeAt(i) !== CH_MINUS) {
        out.kind = TK_OTHER;
        break;
      }
      out.kind = TK_WS;
      i = script.indexOf('\n', i + 1);
      i = i < 0 ? length : i + 1;
      break;
    case CH_LBRACKET:
      out.kind = TK_OTHER;
      i = script.indexOf(']', i);
      if (i < 0) {
        i = length;
        out.terminated = false;
      } else {
        i += 1;
      }
      break;
    case CH_BACKTICK:
    case CH_DQUOTE:
    case CH_SQUOTE:
      // A doubled quote ends one token and starts the next, both TK_OTHER: same effect.
      out.kind = TK_OTHER;
      i = script.indexOf(script[start] as string, i);
      if (i < 0) {
        i = length;
        out.terminated = false;
      } else {
        i += 1;
      }
      break;
    default:
      if (isIdChar(code)) {
        while (i < length && isIdChar(script.charCodeAt(i))) i++;
        out.kind = keywordKind(script, start, i);
      } else {
        out.kind = TK_OTHER;
      }
  }
  out.end = i;
}

/** Whether a token kind is white space or a comment. */
export function isBlankToken(kind: number): boolean {
  return kind === TK_WS;
}

/** Whether a token kind is the statement terminator. */
export function isSemicolonToken(kind: number): boolean {
  return kind === TK_SEMI;
}

/** Counts line breaks (LF, CRLF or a lone CR) in `script[from, to)`. */
function countLineBreaks(script: string, from: number, to: number, hasCarriageReturn: boolean): number {
  let lines = 0;
  if (!hasCarriageReturn) {
    // The usual case: LF only. indexOf is native; a char loop runs cold in the interpreter.
    for (let i = script.indexOf('\n', from); i !== -1 && i < to; i = script.indexOf('\n', i + 1)) lines++;
    return lines;
  }
  for (let i = from; i < to; i++) {
    const code = script.charCodeAt(i);
    if (code === CH_LF) lines++;
    else if (code === CH_CR && script.charCodeAt(i + 1) !== CH_LF) lines++;
  }
  return lines;
}

/**
 * Splits a SQLite script into statements with the state machine of SQLite's own
 * `sqlite3_complete()`, so a statement ends exactly where SQLite would end it: `;` inside strings,
 * quoted identifiers (`"…"`, `[…]`, `` `…` ``) and comments does not count, and a
 * `CREATE TRIGGER … BEGIN … END;` body stays one statement. Empty statements and a tail of
 * comments are dropped; an unterminated string is kept so that SQLite reports it.
 * @example
 * splitSqliteStatements('CREATE TABLE a (x);\n-- seed\nINSERT INTO a VALUES (1);');
 * // [{ index: 1, line: 1, text: 'CREATE TABLE a (x)' }, { index: 2, line: 3, text: 'INSERT INTO a VALUES (1)' }]
 */
export function splitSqliteStatements(script: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  const length = script.length;
  const token: SqliteToken = { kind: TK_WS, start: 0, end: 0, terminated: true };
  let state = STATE_START;
  let statementStart = -1; // first token of the current statement
  let statementEnd = -1; // end of its last non-blank token
  let line = 1; // line of `lineAt`
  let lineAt = 0;
  let position = 0;
  const hasCarriageReturn = script.includes('\r');

  const flush = (): void => {
    if (statementStart < 0) return;
    line += countLineBreaks(script, lineAt, statementStart, hasCarriageReturn);
    lineAt = statementStart;
    statements.push({
      index: statements.length + 1,
      line,
      text: script.slice(statementStart, statementEnd),
    });
    statementStart = -1;
  };

  while (position < length) {
    readToken(script, position, token);
    position = token.end;
    state = (TRANSITIONS[state] as readonly number[])[token.kind] as number;
    if (token.kind === TK_WS) continue;
    if (token.kind === TK_SEMI && state === STATE_START) {
      flush();
      continue;
    }
    if (statementStart < 0) statementStart = token.start;
    statementEnd = token.end;
  }
  flush();
  return statements;
}
