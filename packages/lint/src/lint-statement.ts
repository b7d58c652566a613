/** A statement of a script as the rules see it. */
export interface LintStatement {
  /** 1-based number in the script. */
  index: number;
  /** String index where the statement's text starts, and just after it ends (before the `;`). */
  start: number;
  end: number;
  text: string;
  /** The whitespace and comments between the previous statement and this one. */
  leading: string;
  /** PostgreSQL: the parse tree `{ Kind: node }`; absent when the parser rejected the statement. */
  tree?: Record<string, unknown>;
  /** Why the parser rejected it. */
  parseError?: string;
}

/** Skips whitespace, `--` comments and (nested) block comments from `from`, not past `to`. */
export function skipTrivia(script: string, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const code = script.charCodeAt(i);
    if (code === 32 || code === 10 || code === 9 || code === 13 || code === 12 || code === 11) {
      i += 1;
    } else if (code === 45 && script.charCodeAt(i + 1) === 45) {
      const newline = script.indexOf('\n', i);
      i = newline < 0 || newline > to ? to : newline + 1;
    } else if (code === 47 && script.charCodeAt(i + 1) === 42) {
      let depth = 1;
      i += 2;
      while (i < to && depth > 0) {
        if (script[i] === '/' && script[i + 1] === '*') {
          depth += 1;
          i += 2;
        } else if (script[i] === '*' && script[i + 1] === '/') {
          depth -= 1;
          i += 2;
        } else {
          i += 1;
        }
      }
    } else {
      break;
    }
  }
  return Math.min(i, to);
}

/** Index just after the last non-blank character of `script[start, end)`. */
export function trimEnd(script: string, start: number, end: number): number {
  let i = end;
  while (i > start && /\s/.test(script[i - 1]!)) i -= 1;
  return i;
}

/** Builds statements from spans `[from, to)` of `script` (a span may start with comments). */
export function statementsFromSpans(
  script: string,
  spans: readonly { from: number; to: number; tree?: Record<string, unknown> }[],
): LintStatement[] {
  const statements: LintStatement[] = [];
  let previousEnd = 0;
  for (const span of spans) {
    const start = skipTrivia(script, span.from, span.to);
    const end = trimEnd(script, start, span.to);
    if (end <= start) continue;
    statements.push({
      index: statements.length + 1,
      start,
      end,
      text: script.slice(start, end),
      leading: script.slice(previousEnd, start),
      ...(span.tree ? { tree: span.tree } : {}),
    });
    previousEnd = end;
  }
  return statements;
}

/** 1-based line and column of string indices, with a sorted table of line starts. */
export function createPositionIndex(script: string): (index: number) => { line: number; column: number } {
  const starts = [0];
  for (let i = script.indexOf('\n'); i >= 0; i = script.indexOf('\n', i + 1)) starts.push(i + 1);
  return (index) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle]! <= index) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: index - starts[low]! + 1 };
  };
}

/** The first line of a statement, at most 100 characters, control characters escaped. */
export function excerptOf(text: string): string {
  const newline = text.indexOf('\n');
  let first = newline < 0 ? text : `${text.slice(0, newline).trimEnd()} …`;
  if (first.length > 100) first = `${first.slice(0, 99)}…`;
  return escapeControl(first);
}

/** Control characters (a quoted identifier may hold ESC) as `\xNN`: findings are printed on terminals. */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
