import { isUtf8 } from 'node:buffer';
import { closeSync, type Dirent, fstatSync, openSync, readFileSync, readSync, realpathSync, type Stats, statSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { canonicalText } from '../checksum.js';
import type { Problem } from '../problem.js';
import { FileTooLargeError, fileTooLargeProblem } from './file-limits.js';

/** Whether a folder entry is a regular file, or a symbolic link to one. */
export function isRegularFile(entry: Dirent, path: string): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Where a link in the folder really points, when that is outside the (real) folder; undefined when inside. */
export function externalTarget(path: string, realDirectory: string): string | undefined {
  const target = realpathOrSelf(path);
  const inside = relative(realDirectory, target);
  return inside === '' || inside.startsWith('..') || isAbsolute(inside) ? target : undefined;
}

/** Reused for every file that fits (nearly all of them): no buffer per file. */
let readBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * The bytes of a migration file: open, one read, close (readFileSync also fstats and allocates;
 * this fstats only when `statsOut` asks). A file that fills the buffer is read again whole, from the
 * same descriptor. The returned view is valid until the next call.
 */
function readFileBytes(path: string, limit: number, statsOut?: { stats?: Stats }): Buffer {
  readBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const fd = openSync(path, 'r');
  try {
    if (statsOut) statsOut.stats = fstatSync(fd);
    const length = readSync(fd, readBuffer, 0, READ_BUFFER_BYTES, 0);
    if (length < READ_BUFFER_BYTES) {
      if (length > limit) throw new FileTooLargeError(length, limit);
      return readBuffer.subarray(0, length);
    }
    // A big file: its size decides before the rest is read (a sparse 1 TB file costs nothing).
    const size = (statsOut?.stats ?? fstatSync(fd)).size;
    if (size > limit) throw new FileTooLargeError(size, limit);
    // pread left the offset at 0: readFileSync(fd) reads the whole file from this descriptor.
    const bytes = readFileSync(fd);
    if (bytes.length > limit) throw new FileTooLargeError(bytes.length, limit); // it grew meanwhile
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * The canonical text of a migration file, or undefined after pushing the problem that stops it
 * (too large, unreadable, empty, binary, not UTF-8). `statsOut` receives the fstat of the
 * descriptor the text was read from, taken before the read.
 */
export function readMigrationText(
  path: string,
  shown: string,
  problems: Problem[],
  limit: number,
  statsOut?: { stats?: Stats },
): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileBytes(path, limit, statsOut);
  } catch (error) {
    if (error instanceof FileTooLargeError) {
      problems.push(fileTooLargeProblem(shown, error));
      return undefined;
    }
    problems.push({
      code: 'STRATA_INVALID_MIGRATION',
      message: `${shown}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      file: shown,
    });
    return undefined;
  }
  if (bytes.length === 0) {
    problems.push({
      code: 'STRATA_INVALID_MIGRATION',
      message: `${shown}: the file is empty`,
      hint: 'Write the migration, or delete the file',
      file: shown,
    });
    return undefined;
  }
  if (bytes.includes(0)) {
    problems.push({
      code: 'STRATA_INVALID_MIGRATION',
      message: `${shown}: the file is binary (holds a NUL byte)`,
      hint: 'Migration files must be UTF-8 text',
      file: shown,
    });
    return undefined;
  }
  if (!isUtf8(bytes)) {
    problems.push({
      code: 'STRATA_INVALID_MIGRATION',
      message: `${shown}: the file is not valid UTF-8`,
      hint: 'Save it as UTF-8',
      file: shown,
    });
    return undefined;
  }
  // toString keeps a leading BOM: canonicalText strips exactly one.
  return canonicalText(bytes.toString('utf8'));
}
