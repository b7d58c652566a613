/** A quoted string, quoted identifier, dollar quote or block comment that a script opens and never closes. */
export interface UnterminatedToken {
  kind: 'quoted string' | 'quoted identifier' | 'dollar quote' | '/* comment';
  /** 1-based line of the script where it opens. */
  line: number;
}

/**
 * Finds what a PostgreSQL script leaves open at its end (scanning as the server's lexer does:
 * `''` and, in `E''` strings, backslash escapes; `$tag$ … $tag$`; nested block comments), or
 * `undefined` when it ends cleanly. Used to explain a syntax error that falls past the script.
 */
export function findUnterminated(script: string): UnterminatedToken | undefined {
  let line = 1;
  let i = 0;
  const n = script.length;
  const lineAt = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (script.charCodeAt(k) === 10) line++;
  };
  while (i < n) {
    const c = script[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (c === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      if (end === -1) return undefined;
      i = end;
    } else if (c === '/' && script[i + 1] === '*') {
      const opened = line;
      let depth = 1;
      let k = i + 2;
      while (k < n && depth > 0) {
        if (script[k] === '/' && script[k + 1] === '*') depth++, (k += 2);
        else if (script[k] === '*' && script[k + 1] === '/') depth--, (k += 2);
        else k++;
      }
      if (depth > 0) return { kind: '/* comment', line: opened };
      lineAt(i, k);
      i = k;
    } else if (c === "'" || c === '"') {
      const escapes = c === "'" && (script[i - 1] === 'E' || script[i - 1] === 'e') && !/[A-Za-z0-9_]/.test(script[i - 2] ?? '');
      let k = i + 1;
      let closed = false;
      while (k < n) {
        if (escapes && script[k] === '\\') k += 2;
        else if (script[k] === c) {
          if (script[k + 1] === c) k += 2;
          else {
            closed = true;
            break;
          }
        } else k++;
      }
      if (!closed) return { kind: c === "'" ? 'quoted string' : 'quoted identifier', line };
      lineAt(i, k);
      i = k + 1;
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i, i + 64));
      if (!tag || /[A-Za-z0-9_]/.test(script[i - 1] ?? '')) {
        i++;
        continue;
      }
      const end = script.indexOf(tag[0], i + tag[0].length);
      if (end === -1) return { kind: 'dollar quote', line };
      lineAt(i, end);
      i = end + tag[0].length;
    } else {
      i++;
    }
  }
  return undefined;
}
