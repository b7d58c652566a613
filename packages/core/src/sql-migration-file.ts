import { StrataError } from './errors.js';
import { isStatementless } from './internal/file-limits.js';
import { parseMigrationId } from './migration.js';

/** A SQL migration file split into its sections and directives. */
export interface ParsedSqlMigration {
  up: string;
  down: string | undefined;
  /** 1-based line of the file where the up (down) text starts. */
  upLine: number;
  downLine: number | undefined;
  dependsOn: string[];
  transaction: boolean;
  /** `false` under `-- strata:foreign-keys off` (a SQLite table rebuild). */
  foreignKeys: boolean;
}

const MARKER = /^\s*--\s*strata:([a-z-]+)\b[ \t]*(.*?)\s*$/;

/**
 * Parses a SQL migration file's text (already decoded and canonical: LF line endings).
 *
 * Sections start at a `-- strata:up` / `-- strata:down` line; without an up marker the whole file
 * is the up section. Directives stand in comment lines before the first statement:
 * `-- strata:depends core@1.1.0, core@1.0.0`, `-- strata:transaction off` and
 * `-- strata:foreign-keys off` (SQLite table rebuilds).
 * @throws StrataError `STRATA_INVALID_MIGRATION` naming the file and line
 */
export function parseSqlMigration(text: string, file: string): ParsedSqlMigration {
  const dependsOn: string[] = [];
  let transaction = true;
  let foreignKeys = true;
  // Lines are walked by offset and sections sliced out of `text`, never split into an array of
  // lines and joined again: a big file then costs about one copy of its text, not three.
  // upStart/downStart: 0-based index of the line after the marker; upFrom/downFrom: its offset.
  let upStart = -1;
  let downStart = -1;
  let upFrom = 0;
  let downFrom = 0;
  /** Offset where the down marker line starts. */
  let downMarkerAt = 0;
  let sawStatement = false;
  const fail = (line: number, message: string, hint?: string): never => {
    throw new StrataError('STRATA_INVALID_MIGRATION', `${file}:${line}: ${message}`, {
      ...(hint ? { hint } : {}),
      details: { file, line },
    });
  };
  let lineCount = 0;
  let nextTag = text.indexOf('strata:');
  for (let start = 0; start <= text.length; lineCount++) {
    const i = lineCount;
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const lineStart = start;
    start = end + 1;
    // Most lines hold no directive: the next `strata:` in the text is looked up once per hit, not
    // once per line (a search per line from its start to the next marker would be quadratic).
    if (nextTag !== -1 && nextTag < lineStart) nextTag = text.indexOf('strata:', lineStart);
    const at = nextTag;
    if (at === -1 || at >= end) {
      if (!sawStatement && isSqlLine(text, lineStart, end)) sawStatement = true;
      if (at === -1 && sawStatement) {
        // No marker in the rest of the file: only the line count is left to learn.
        lineCount++;
        for (let next = text.indexOf('\n', start); next !== -1; next = text.indexOf('\n', next + 1)) lineCount++;
        if (start <= text.length) lineCount++;
        break;
      }
      continue;
    }
    const match = MARKER.exec(text.slice(lineStart, end));
    if (!match) {
      if (!sawStatement && isSqlLine(text, lineStart, end)) sawStatement = true;
      continue;
    }
    const [, directive, argument = ''] = match;
    switch (directive) {
      case 'up':
        if (upStart !== -1) fail(i + 1, 'a second -- strata:up marker');
        if (downStart !== -1) fail(i + 1, '-- strata:up after -- strata:down', 'Put the up section first');
        upStart = i + 1;
        upFrom = start;
        break;
      case 'down':
        if (downStart !== -1) fail(i + 1, 'a second -- strata:down marker');
        downStart = i + 1;
        downFrom = start;
        downMarkerAt = lineStart;
        break;
      case 'depends':
        if (sawStatement) fail(i + 1, '-- strata:depends must come before the first statement');
        for (const id of argument.split(/[\s,]+/).filter(Boolean)) {
          try {
            const parsed = parseMigrationId(id);
            dependsOn.push(`${parsed.module}@${parsed.version}`);
          } catch (error) {
            fail(i + 1, `invalid dependency ${JSON.stringify(id)}: ${(error as Error).message}`, 'Write dependencies as module@version');
          }
        }
        break;
      case 'transaction':
        if (sawStatement) fail(i + 1, '-- strata:transaction must come before the first statement');
        if (argument === 'off' || argument === 'false') transaction = false;
        else if (argument === 'on' || argument === 'true') transaction = true;
        else fail(i + 1, `-- strata:transaction takes "off" or "on", not ${JSON.stringify(argument)}`);
        break;
      case 'foreign-keys':
        if (sawStatement) fail(i + 1, '-- strata:foreign-keys must come before the first statement');
        if (argument === 'off' || argument === 'false') foreignKeys = false;
        else if (argument === 'on' || argument === 'true') foreignKeys = true;
        else fail(i + 1, `-- strata:foreign-keys takes "off" or "on", not ${JSON.stringify(argument)}`);
        break;
      case 'window':
        // Read by the CLI's maintenance windows (packages/cli/src/windows): one window name.
        if (sawStatement) fail(i + 1, '-- strata:window must come before the first statement');
        if (!/^[A-Za-z][\w-]*$/.test(argument))
          fail(
            i + 1,
            `-- strata:window takes one window name, not ${JSON.stringify(argument)}`,
            'Name a window of the config: -- strata:window nightly',
          );
        break;
      case 'lint-ignore':
        // Read by @strata/lint (on a statement, or above -- strata:up for the whole file).
        break;
      default:
        fail(
          i + 1,
          `unknown directive "-- strata:${directive}"`,
          'Known directives: up, down, depends, transaction, foreign-keys, window, lint-ignore',
        );
    }
  }
  // The text of lines [from, to): `from`, `to` are the offsets where those lines start (the text's
  // length + 1 for the line after the last), so the newline ending the last line is left out.
  const section = (from: number, to: number) => (from < to ? text.slice(from, to - 1) : '');
  const upLineIndex = upStart === -1 ? 0 : upStart;
  if (downStart !== -1 && upStart === -1 && hasSql(section(0, downMarkerAt)) === false) {
    fail(downStart, 'a -- strata:down section without an up section', 'Add a -- strata:up line before the up statements');
  }
  const up = upStart !== -1 && upStart >= lineCount ? '' : section(upFrom, downStart === -1 ? text.length + 1 : downMarkerAt);
  if (!hasSql(up)) fail(upLineIndex + 1, 'the up section is empty', 'Write the statements to apply after -- strata:up');
  if (isStatementless(up))
    fail(
      upLineIndex + 1,
      'the up section holds no statement (only ";", blanks or comments)',
      'Write the statements to apply after -- strata:up',
    );
  const down = downStart === -1 ? undefined : downStart >= lineCount ? '' : section(downFrom, text.length + 1);
  if (down !== undefined && hasSql(down) && isStatementless(down)) {
    fail(
      downStart + 1,
      'the down section holds no statement (only ";", blanks or comments)',
      'Write the statements that revert the up section, or remove the -- strata:down line',
    );
  }
  return {
    up,
    down: down !== undefined && hasSql(down) ? down : undefined,
    upLine: upLineIndex + 1,
    downLine: downStart === -1 ? undefined : downStart + 1,
    dependsOn,
    transaction,
    foreignKeys,
  };
}

/** True when the text holds anything but blanks and `--` comments. */
function hasSql(text: string): boolean {
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    if (isSqlLine(text, start, end)) return true;
    start = end + 1;
  }
  return false;
}

/** True when the line `text[start, end)` holds more than blanks and a `--` comment. */
function isSqlLine(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) continue;
    return !(c === 45 && i + 1 < end && text.charCodeAt(i + 1) === 45);
  }
  return false;
}
