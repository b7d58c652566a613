import { type LintStatement, statementsFromSpans } from './lint-statement.js';

/** A SQLite token: a keyword or bare name (`word`), a quoted name, a literal or punctuation. */
export interface SqliteToken {
  kind: 'word' | 'name' | 'string' | 'number' | 'blob' | 'punct';
  /** Words and names lower-cased and unquoted; strings without quotes; punctuation as is. */
  value: string;
  start: number;
  end: number;
}

const isWordStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordPart = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/** Tokens of a SQLite script, comments and blanks left out. Unterminated quotes run to the end. */
export function tokenizeSqlite(script: string): SqliteToken[] {
  const tokens: SqliteToken[] = [];
  const length = script.length;
  let i = 0;
  const quoted = (close: string, kind: SqliteToken['kind'], from: number) => {
    let j = from + 1;
    let value = '';
    while (j < length) {
      const c = script[j]!;
      if (c === close) {
        if (close !== ']' && script[j + 1] === close) {
          value += c;
          j += 2;
          continue;
        }
        j += 1;
        break;
      }
      value += c;
      j += 1;
    }
    tokens.push({ kind, value: kind === 'name' ? value.toLowerCase() : value, start: from, end: j });
    return j;
  };
  while (i < length) {
    const c = script[i]!;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f') {
      i += 1;
    } else if (c === '-' && script[i + 1] === '-') {
      const newline = script.indexOf('\n', i);
      i = newline < 0 ? length : newline + 1;
    } else if (c === '/' && script[i + 1] === '*') {
      const close = script.indexOf('*/', i + 2);
      i = close < 0 ? length : close + 2;
    } else if (c === "'") {
      i = quoted("'", 'string', i);
    } else if (c === '"') {
      i = quoted('"', 'name', i);
    } else if (c === '`') {
      i = quoted('`', 'name', i);
    } else if (c === '[') {
      i = quoted(']', 'name', i);
    } else if ((c === 'x' || c === 'X') && script[i + 1] === "'") {
      const from = i;
      i = quoted("'", 'blob', i + 1);
      tokens[tokens.length - 1]!.start = from;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < length && isWordPart(script[j]!)) j += 1;
      tokens.push({ kind: 'word', value: script.slice(i, j).toLowerCase(), start: i, end: j });
      i = j;
    } else if (/[0-9.]/.test(c) && (c !== '.' || /[0-9]/.test(script[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < length && /[0-9a-fA-FxX._]/.test(script[j]!)) j += 1;
      if ((script[j - 1] === 'e' || script[j - 1] === 'E') && /[+-]/.test(script[j] ?? '')) {
        j += 1;
        while (j < length && /[0-9]/.test(script[j]!)) j += 1;
      }
      tokens.push({ kind: 'number', value: script.slice(i, j), start: i, end: j });
      i = j;
    } else {
      tokens.push({ kind: 'punct', value: c, start: i, end: i + 1 });
      i += 1;
    }
  }
  return tokens;
}

/** A statement with its tokens. */
export interface SqliteStatement extends LintStatement {
  tokens: SqliteToken[];
}

/**
 * Splits a SQLite script on top-level `;`, keeping `CREATE TRIGGER … BEGIN … END` bodies whole
 * (with `CASE … END` inside them), as sqlite3_complete does.
 */
export function parseSqliteScript(script: string): SqliteStatement[] {
  const tokens = tokenizeSqlite(script);
  const spans: { from: number; to: number }[] = [];
  const groups: SqliteToken[][] = [];
  let from = 0;
  let current: SqliteToken[] = [];
  let depth = 0;
  let trigger = false;
  for (const token of tokens) {
    if (token.kind === 'punct' && token.value === ';' && depth === 0) {
      spans.push({ from, to: token.start });
      groups.push(current);
      current = [];
      from = token.end;
      trigger = false;
      continue;
    }
    current.push(token);
    if (token.kind !== 'word') continue;
    if (current.length <= 4 && token.value === 'trigger' && current[0]?.value === 'create') trigger = true;
    else if (trigger && (token.value === 'begin' || (depth > 0 && token.value === 'case'))) depth += 1;
    else if (trigger && depth > 0 && token.value === 'end') depth -= 1;
  }
  spans.push({ from, to: script.length });
  groups.push(current);
  // statementsFromSpans drops empty spans: keep the token groups in step with it.
  const kept = groups.filter((group) => group.length > 0);
  const statements = statementsFromSpans(script, spans.filter((_, index) => groups[index]!.length > 0));
  return statements.map((statement, index) => ({ ...statement, tokens: kept[index] ?? [] }));
}
