import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { BackupProvider, BackupProgress } from './backup-provider.js';
import { backupError, describeError, interruptedError } from './internal/backup-error.js';
import { loadBetterSqlite3, type SqliteDatabaseLike } from './internal/load-driver.js';
import { lstatOrUndefined, publishFile, removeQuietly, reserveFile, syncFile } from './internal/secure-files.js';

/** Options for {@link createSqliteBackupProvider}. */
export interface SqliteBackupProviderOptions {
  /** Path of the live database file. */
  filename: string;
  /**
   * How long a backup or restore may wait for a lock held by another connection before it fails,
   * in milliseconds.
   * @default 10000
   */
  busyTimeoutMs?: number;
}

export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** Passing this many pages to one backup step copies the whole database at once. */
const ALL_PAGES = 0x7fffffff;

/**
 * Backs up a SQLite database file with SQLite's online backup API (through better-sqlite3's
 * `db.backup()`), which copies a consistent snapshot even while other processes write, in WAL
 * mode or not. A plain file copy would not be consistent: it can tear a page or miss the WAL.
 *
 * The whole database is copied in one backup step: a step that is interrupted by a write from
 * another connection restarts from the first page, so small steps never finish under a steady
 * stream of writes (https://www.sqlite.org/c3ref/backup_finish.html). The copy is switched to
 * rollback-journal mode so it can be opened read-only without creating `-wal`/`-shm` files.
 * @example
 * const manager = createBackupManager({ provider: createSqliteBackupProvider({ filename: './app.db' }) });
 */
export function createSqliteBackupProvider(options: SqliteBackupProviderOptions): BackupProvider {
  if (!options.filename || options.filename === ':memory:' || options.filename.startsWith('file:')) {
    throw backupError(`Cannot back up the SQLite database ${options.filename || '(empty name)'}: only a database file can be backed up`, {
      hint: 'Give the path of the database file',
    });
  }
  const filename = resolve(options.filename);
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;

  return {
    dialect: 'sqlite',
    database: `sqlite:${filename}`,
    extension: 'sqlite',

    async check() {
      await loadBetterSqlite3();
      const stat = await lstatOrUndefined(filename);
      if (!stat) {
        throw backupError(`Cannot back up ${filename}: the database file does not exist`, {
          hint: 'Check the database path (--url sqlite:path/to/file.db)',
          details: { file: filename },
        });
      }
    },

    async create(tempPath, { signal, onProgress }) {
      const Database = await loadBetterSqlite3();
      let source: SqliteDatabaseLike | undefined;
      try {
        source = new Database(filename, { fileMustExist: true, timeout: busyTimeoutMs });
        await onlineBackup(source, tempPath, { signal, onProgress, busyTimeoutMs, what: `The backup of ${filename}` });
        source.close();
        source = undefined;
        useRollbackJournal(new Database(tempPath, { fileMustExist: true, timeout: busyTimeoutMs }));
      } catch (error) {
        await removeSidecars(tempPath);
        if ((error as { code?: string }).code === 'STRATA_INTERRUPTED' || signal?.aborted) throw interruptedError(`The backup of ${filename}`);
        const code = (error as { code?: unknown }).code;
        throw backupError(`Cannot back up the SQLite database ${filename} into ${tempPath}: ${describeError(error)}${typeof code === 'string' ? ` (${code})` : ''}`, {
          hint: hintFor(error),
          cause: error,
          details: { file: filename, backupFile: tempPath },
        });
      } finally {
        source?.close();
      }
    },

    async verify(path) {
      const Database = await loadBetterSqlite3();
      let copy: SqliteDatabaseLike | undefined;
      try {
        copy = new Database(path, { readonly: true, fileMustExist: true });
        const result = copy.pragma('integrity_check', { simple: true });
        return result === 'ok'
          ? { ok: true, detail: 'integrity_check ok' }
          : { ok: false, detail: `integrity_check: ${String(result)}` };
      } catch (error) {
        return { ok: false, detail: `cannot open the backup as a SQLite database: ${describeError(error)}` };
      } finally {
        copy?.close();
      }
    },

    async restore(path, { into, signal }) {
      const Database = await loadBetterSqlite3();
      const target = into === undefined ? filename : resolve(into);
      const what = `The restore into ${target}`;
      const existing = await lstatOrUndefined(target);
      if (into !== undefined && existing) {
        throw backupError(`Cannot restore into ${target}: the file already exists`, {
          hint: 'Restore into a new file, or omit the target to restore over the live database',
          details: { file: target },
        });
      }
      const source = new Database(path, { readonly: true, fileMustExist: true });
      try {
        if (existing) {
          // Pages are written into the live database through SQLite, inside one write
          // transaction on it: a crash or abort leaves the old content, never a mix.
          await onlineBackup(source, target, { signal, busyTimeoutMs, what });
        } else {
          // A new file is built under a temp name beside it and published without clobbering.
          const temp = join(dirname(target), `.${basename(target)}.strata-restore-${randomBytes(4).toString('hex')}`);
          await reserveFile(temp);
          try {
            await onlineBackup(source, temp, { signal, busyTimeoutMs, what });
            await syncFile(temp);
            await publishFile(temp, target);
          } catch (error) {
            await removeQuietly(temp);
            await removeSidecars(temp);
            throw error;
          }
        }
      } catch (error) {
        if ((error as { code?: string }).code === 'STRATA_INTERRUPTED' || signal?.aborted) throw interruptedError(what);
        if ((error as { code?: string }).code === 'STRATA_BACKUP_FAILED') throw error;
        throw backupError(`Cannot restore into the SQLite database ${target}: ${describeError(error)}`, {
          hint: 'Stop the application (no other connection may write during a restore) and run the restore again',
          cause: error,
          details: { file: target },
        });
      } finally {
        source.close();
      }
      return { target: `sqlite:${target}` };
    },
  };
}

async function onlineBackup(
  source: SqliteDatabaseLike,
  destination: string,
  options: { signal?: AbortSignal; onProgress?: (progress: BackupProgress) => void; busyTimeoutMs: number; what: string },
): Promise<void> {
  let lastRemaining = -1;
  let stalledSince = Date.now();
  const result = await source.backup(destination, {
    progress: ({ totalPages, remainingPages }) => {
      if (options.signal?.aborted) throw interruptedError(options.what);
      if (remainingPages !== lastRemaining) {
        lastRemaining = remainingPages;
        stalledSince = Date.now();
      } else if (Date.now() - stalledSince > options.busyTimeoutMs) {
        throw new Error(`the database stayed locked by another connection for more than ${options.busyTimeoutMs} ms (SQLITE_BUSY)`);
      }
      options.onProgress?.({ stage: 'copy', done: totalPages - remainingPages, total: totalPages, unit: 'pages' });
      return ALL_PAGES;
    },
  });
  options.onProgress?.({ stage: 'copy', done: result.totalPages, total: result.totalPages, unit: 'pages' });
}

/** Switches a fresh copy out of WAL mode (its header says WAL when the source was). */
function useRollbackJournal(copy: SqliteDatabaseLike): void {
  try {
    if (copy.pragma('journal_mode', { simple: true }) === 'wal') copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

async function removeSidecars(path: string): Promise<void> {
  for (const suffix of ['-journal', '-wal', '-shm']) await removeQuietly(`${path}${suffix}`);
}

function hintFor(error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
  if (code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR')) {
    return 'Free space in the backup directory (or raise the file-size limit) and run the backup again; nothing was kept';
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return 'Another connection held the database locked too long; retry, or raise busyTimeoutMs';
  }
  return 'Check that the database file is readable and the backup directory writable';
}
