import type { LintStatement } from './lint-statement.js';

/** A SQLite token: a keyword or bare name (`word`), a quoted name, a literal or punctuation. */
export interface SqliteToken {
  kind: 'word' | 'name' | 'string' | 'number' | 'blob' | 'punct';
  /** Words and names lower-cased and unquoted; strings without quotes; punctuation as is. */
  value: string;
  start: number;
  end: number;
}

/** Letters, `_` and non-ASCII start a word; digits and `$` may follow. */
const isWordStart = (code: number) => (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 128;
const isWordPart = (code: number) => isWordStart(code) || (code >= 48 && code <= 57) || code === 36;
const isDigit = (code: number) => code >= 48 && code <= 57;

/** Tokens of a SQLite script, comments and blanks left out. Unterminated quotes run to the end. */
export function tokenizeSqlite(script: string): SqliteToken[] {
  const tokens: SqliteToken[] = [];
  const length = script.length;
  let i = 0;
  const quoted = (close: string, kind: SqliteToken['kind'], from: number) => {
    let j = from + 1;
    let value = '';
    let chunk = j;
    while (j < length) {
      const at = script.indexOf(close, j);
      if (at < 0) {
        j = length;
        break;
      }
      if (close !== ']' && script[at + 1] === close) {
        value += script.slice(chunk, at + 1);
        j = at + 2;
        chunk = j;
        continue;
      }
      value += script.slice(chunk, at);
      chunk = -1;
      j = at + 1;
      break;
    }
    if (chunk >= 0) value += script.slice(chunk, length);
    tokens.push({ kind, value: kind === 'name' ? value.toLowerCase() : value, start: from, end: j });
    return j;
  };
  while (i < length) {
    const code = script.charCodeAt(i);
    if (code === 32 || code === 10 || code === 9 || code === 13 || code === 12 || code === 11) {
      i += 1;
    } else if (code === 45 && script.charCodeAt(i + 1) === 45) {
      const newline = script.indexOf('\n', i);
      i = newline < 0 ? length : newline + 1;
    } else if (code === 47 && script.charCodeAt(i + 1) === 42) {
      const close = script.indexOf('*/', i + 2);
      i = close < 0 ? length : close + 2;
    } else if (code === 39) {
      i = quoted("'", 'string', i);
    } else if (code === 34) {
      i = quoted('"', 'name', i);
    } else if (code === 96) {
      i = quoted('`', 'name', i);
    } else if (code === 91) {
      i = quoted(']', 'name', i);
    } else if ((code === 120 || code === 88) && script.charCodeAt(i + 1) === 39) {
      const from = i;
      i = quoted("'", 'blob', i + 1);
      tokens[tokens.length - 1]!.start = from;
    } else if (isWordStart(code)) {
      let j = i + 1;
      while (j < length && isWordPart(script.charCodeAt(j))) j += 1;
      tokens.push({ kind: 'word', value: script.slice(i, j).toLowerCase(), start: i, end: j });
      i = j;
    } else if (isDigit(code) || (code === 46 && isDigit(script.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < length && /[0-9a-fA-FxX._]/.test(script[j]!)) j += 1;
      if ((script[j - 1] === 'e' || script[j - 1] === 'E') && /[+-]/.test(script[j] ?? '')) {
        j += 1;
        while (j < length && isDigit(script.charCodeAt(j))) j += 1;
      }
      tokens.push({ kind: 'number', value: script.slice(i, j), start: i, end: j });
      i = j;
    } else {
      tokens.push({ kind: 'punct', value: script[i]!, start: i, end: i + 1 });
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
  // Spans without tokens hold only blanks and comments: no statement.
  const statements: SqliteStatement[] = [];
  let previousEnd = 0;
  for (const [index, group] of groups.entries()) {
    if (group.length === 0) continue;
    const start = group[0]!.start;
    const end = Math.min(group[group.length - 1]!.end, spans[index]!.to);
    statements.push({
      index: statements.length + 1,
      start,
      end,
      text: script.slice(start, end),
      leading: script.slice(previousEnd, start),
      tokens: group,
    });
    previousEnd = end;
  }
  return statements;
}
