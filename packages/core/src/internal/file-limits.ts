import type { Problem } from '../problem.js';

/**
 * The largest migration file strata reads, in bytes: 64 MiB. A migration that big is a data dump
 * (load it with the database's own tools); reading one costs several times its size in memory
 * while it is decoded, hashed and split, so a bigger file fails with a clear error, before it is
 * read, instead of exhausting memory.
 */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Thrown by the file reader for a file over the limit; turned into a problem by the caller. */
export class FileTooLargeError extends Error {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(`file of ${size} bytes over the limit of ${limit}`);
  }
}

/** Bytes for people: `582.0 MiB`, `64 MiB`, `100 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The problem of a file over the size limit. */
export function fileTooLargeProblem(shown: string, error: FileTooLargeError): Problem {
  return {
    code: 'STRATA_FILE_TOO_LARGE',
    message: `${shown}: the file is ${formatBytes(error.size)}, over the migration file size limit of ${formatBytes(error.limit)}`,
    hint: "Load bulk data with the database's own tools (psql \\copy, sqlite3 .import) from a smaller migration, or raise the limit (config maxFileBytes, STRATA_MAX_FILE_BYTES)",
    file: shown,
  };
}

/**
 * True when a SQL section holds no statement: only `;`, blanks and comments (`--` lines and
 * `/* … *\/` blocks). Sound without a tokenizer: a comment opener inside a string literal can only
 * hide text that follows the literal's opening quote, which is itself left over.
 */
export function isStatementless(section: string): boolean {
  let i = 0;
  const n = section.length;
  while (i < n) {
    const c = section.charCodeAt(i);
    if (c === 59 || c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11) {
      i++;
    } else if (c === 45 && section.charCodeAt(i + 1) === 45) {
      const end = section.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === 47 && section.charCodeAt(i + 1) === 42) {
      const end = section.indexOf('*/', i + 2);
      if (end === -1) return false; // an unterminated comment: let the database say so
      i = end + 2;
    } else {
      return false;
    }
  }
  return true;
}
