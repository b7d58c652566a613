import { canonicalText, parseSqlMigration } from '@strata/core';
import type { LintMigration } from './lint-types.js';

/** What {@link lintMigrationFromBody} needs: a migration's up text and where it sits in its file. */
export interface LintBodyOptions {
  id: string;
  file?: string;
  /** The up section's SQL. */
  up: string;
  /** 1-based line of the file where the up section starts. @default 1 */
  upLine?: number;
  /** The whole file, when the migration comes from one: the lines above `-- strata:up` are its header. */
  fileText?: string;
  /** @default true */
  transaction?: boolean;
  /** @default false */
  context?: boolean;
}

/**
 * Builds a {@link LintMigration} from a resolved migration body. The file's header (the lines above
 * `-- strata:up`, or, without that marker, the comment block the file starts with) holds the
 * file-level `-- strata:lint-ignore` lines.
 */
export function lintMigrationFromBody(options: LintBodyOptions): LintMigration {
  const upLine = options.upLine ?? 1;
  let header = '';
  let sql = options.up;
  let line = upLine;
  if (upLine > 1 && options.fileText !== undefined) {
    header = options.fileText.split('\n', upLine - 2).join('\n');
  } else {
    // No up marker: the leading comment lines are the file's header.
    let offset = 0;
    let lines = 0;
    while (offset < sql.length) {
      const newline = sql.indexOf('\n', offset);
      const end = newline < 0 ? sql.length : newline;
      const text = sql.slice(offset, end).trim();
      if (text !== '' && !text.startsWith('--')) break;
      offset = newline < 0 ? sql.length : newline + 1;
      lines += 1;
    }
    header = sql.slice(0, offset);
    sql = sql.slice(offset);
    line = upLine + lines;
  }
  return {
    id: options.id,
    ...(options.file !== undefined ? { file: options.file } : {}),
    sql,
    line,
    header,
    transaction: options.transaction ?? true,
    ...(options.context ? { context: true } : {}),
  };
}

/**
 * Builds a {@link LintMigration} from the text of a SQL migration file (sections and directives
 * read by `@strata/core`'s parser).
 * @throws StrataError `STRATA_INVALID_MIGRATION` for a malformed file
 */
export function migrationFromSqlFile(text: string, options: { id: string; file?: string }): LintMigration {
  const canonical = canonicalText(text);
  const parsed = parseSqlMigration(canonical, options.file ?? options.id);
  return lintMigrationFromBody({ ...options, up: parsed.up, upLine: parsed.upLine, fileText: canonical, transaction: parsed.transaction });
}
