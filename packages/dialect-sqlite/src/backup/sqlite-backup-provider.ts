import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import {
  backupError,
  backupInterruptedError as interruptedError,
  type BackupProgress,
  type BackupProvider,
  describeBackupError as describeError,
  type ProviderCreateResult,
  redactSecrets,
  StrataError,
} from '@strata/core';
import { errnoText, lstatOrUndefined, publishFile, removeQuietly, reserveFile, sqliteIdentity, syncFile } from './backup-files.js';
import { defaultInMemoryCopyMaxBytes, loadBetterSqlite3, type SqliteDatabaseLike } from './backup-driver.js';
import { beginSnapshot, LockWaitError, onlineBackup } from './sqlite-online-copy.js';

export { defaultInMemoryCopyMaxBytes, MAX_DEFAULT_IN_MEMORY_COPY_BYTES } from './backup-driver.js';
export { sqliteIdentity } from './backup-files.js';

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
  /**
   * Databases up to this many bytes (page count × page size, measured in the backup's own
   * snapshot) are read into memory with `sqlite3_serialize` and hashed while the copy is written;
   * larger ones go through the online backup API and are hashed afterwards. The in-memory path
   * holds one copy of the database in memory for the duration of the backup. `0` always uses the
   * backup API. Values above SQLite's largest allocation (~2 GiB) are capped there.
   * @default min(1 GiB, a quarter of the memory available to the process)
   */
  inMemoryCopyMaxBytes?: number;
}

/** How long a SQLite backup or restore waits for another connection's lock by default. */
export const DEFAULT_SQLITE_BACKUP_BUSY_TIMEOUT_MS = 10_000;

/** SQLite's largest single allocation (SQLITE_MAX_ALLOCATION_SIZE): sqlite3_serialize cannot go beyond. */
const SQLITE_MAX_ALLOCATION = 2_147_483_391;
/** The serialized database is written (and hashed) in slices of this size. */
const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;
/** …and flushed to disk in the background every this many bytes, so the final fsync is short. */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Backs up a SQLite database file from a consistent snapshot read through SQLite, even while
 * other processes write, in WAL mode or not. A plain file copy would not be consistent: it can
 * tear a page or miss the WAL.
 *
 * Up to {@link SqliteBackupProviderOptions.inMemoryCopyMaxBytes}, the database is read with
 * `sqlite3_serialize` (better-sqlite3's `db.serialize()`) inside one read transaction, then
 * written to the temp file in 8 MiB slices; each slice is hashed (SHA-256) on the main thread
 * while its write runs in libuv's thread pool, and the digest is handed to the manager, which
 * then need not read the file back. Bigger databases go through SQLite's online backup API
 * (`db.backup()`), copied in one backup step: a step that is interrupted by a write from another
 * connection restarts from the first page, so small steps never finish under a steady stream of
 * writes (https://www.sqlite.org/c3ref/backup_finish.html). Either way the copy is in
 * rollback-journal mode, so it can be opened read-only without creating `-wal`/`-shm` files.
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
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BACKUP_BUSY_TIMEOUT_MS;
  const inMemoryMax = options.inMemoryCopyMaxBytes ?? defaultInMemoryCopyMaxBytes();
  if (!Number.isInteger(inMemoryMax) || inMemoryMax < 0) {
    throw new StrataError('STRATA_CONFIG_INVALID', `inMemoryCopyMaxBytes=${inMemoryMax} is not a whole number of bytes ≥ 0`, {
      hint: 'Give a size in bytes, e.g. 268435456 for 256 MiB, or 0 to always use the online backup API',
    });
  }
  const inMemoryCopyMaxBytes = Math.min(inMemoryMax, SQLITE_MAX_ALLOCATION);

  return {
    dialect: 'sqlite',
    database: `sqlite:${filename}`,
    identity: sqliteIdentity(filename),
    extension: 'sqlite',

    async measure({ ignoreTables = [] } = {}) {
      const stat = await lstatOrUndefined(filename);
      if (!stat || stat.size === 0) return { bytes: 0, empty: true };
      const wal = await lstatOrUndefined(`${filename}-wal`);
      const bytes = stat.size + (wal?.size ?? 0);
      const Database = await loadBetterSqlite3();
      const db = new Database(filename, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      try {
        const ignored = new Set(ignoreTables.map((name) => name.toLowerCase()));
        const names = (
          db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").all() as {
            name: string;
            tbl_name: string;
          }[]
        ).filter((row) => !ignored.has(row.tbl_name.toLowerCase()));
        const userVersion = Number(db.pragma('user_version', { simple: true }));
        return { bytes, empty: names.length === 0 && userVersion === 0 };
      } finally {
        db.close();
      }
    },

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

    async create(tempPath, { signal, onProgress }): Promise<ProviderCreateResult | undefined> {
      const Database = await loadBetterSqlite3();
      const what = `The backup of ${filename}`;
      let source: SqliteDatabaseLike | undefined;
      try {
        source = new Database(filename, { fileMustExist: true, timeout: busyTimeoutMs });
        // Both paths copy inside this one read transaction (the backup step uses it too).
        await beginSnapshot(source, { signal, busyTimeoutMs, what });
        const snapshot = inMemoryCopyMaxBytes > 0 ? serializeUpTo(source, inMemoryCopyMaxBytes) : undefined;
        if (snapshot) {
          source.close();
          source = undefined;
          return await writeAndHash(snapshot, tempPath, { signal, onProgress, what });
        }
        await onlineBackup(source, tempPath, { signal, onProgress, busyTimeoutMs, what });
        source.close();
        source = undefined;
        useRollbackJournal(new Database(tempPath, { fileMustExist: true, timeout: busyTimeoutMs }));
        return undefined;
      } catch (error) {
        await removeSidecars(tempPath);
        if ((error as { code?: string }).code === 'STRATA_INTERRUPTED' || signal?.aborted) throw interruptedError(what);
        const code = (error as { code?: unknown }).code;
        // A write of the in-memory copy fails with an errno (EFBIG, ENOSPC…); SQLite's with SQLITE_*.
        const reason =
          typeof code === 'string' && !code.startsWith('SQLITE_')
            ? errnoText(error)
            : `${describeError(error)}${typeof code === 'string' ? ` (${code})` : ''}`;
        throw backupError(`Cannot back up the SQLite database ${filename} into ${tempPath}: ${reason}`, {
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
        return result === 'ok' ? { ok: true, detail: 'integrity_check ok' } : { ok: false, detail: `integrity_check: ${String(result)}` };
      } catch (error) {
        return { ok: false, detail: `cannot open the backup as a SQLite database: ${describeError(error)}` };
      } finally {
        copy?.close();
      }
    },

    async restore(path, { into, signal, lockTimeoutMs }) {
      const Database = await loadBetterSqlite3();
      const intoPath = into?.startsWith('sqlite:') ? into.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') : into;
      if (intoPath !== undefined && (/^[a-z][a-z0-9+.-]*:\/\//i.test(intoPath) || intoPath === '' || intoPath === ':memory:')) {
        throw backupError(
          `Cannot restore a SQLite backup into ${JSON.stringify(redactSecrets(into ?? ''))}: give the path of a new database file`,
          {
            hint: 'For example --into ./restored.db (or sqlite:./restored.db); the file must not exist yet',
          },
        );
      }
      const target = intoPath === undefined ? filename : resolve(intoPath);
      const what = `The restore into ${target}`;
      const existing = await lstatOrUndefined(target);
      if (into !== undefined && existing) {
        throw backupError(
          `Cannot restore into ${target}: the file already exists${existing.size > 0 ? ` and is not empty (${existing.size} bytes)` : ''}`,
          {
            hint: 'Restore into a new file (it is created), or omit --into to restore over the live database',
            details: { file: target },
          },
        );
      }
      const source = new Database(path, { readonly: true, fileMustExist: true });
      try {
        if (existing) {
          // Pages are written into the live database through SQLite, inside one write
          // transaction on it: a crash or abort leaves the old content, never a mix. That write
          // lock is strata's migration lock on SQLite: a running migration makes it wait.
          const waitMs = lockTimeoutMs ?? busyTimeoutMs;
          try {
            await onlineBackup(source, target, { signal, busyTimeoutMs: waitMs, what });
          } catch (error) {
            if (error instanceof LockWaitError) {
              throw new StrataError(
                'STRATA_LOCK_TIMEOUT',
                `The restore into ${target} waited ${waitMs} ms for the database's write lock, held by another connection (a running migration or the application)`,
                {
                  hint: 'Nothing was changed. Stop the application, let a running migration finish, or raise --lock-timeout, and run the restore again',
                  details: { file: target },
                },
              );
            }
            throw error;
          }
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
        if ((error as { code?: string }).code === 'STRATA_BACKUP_FAILED' || (error as { code?: string }).code === 'STRATA_LOCK_TIMEOUT')
          throw error;
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

/**
 * The whole database as one buffer, read by `sqlite3_serialize` in the caller's read transaction
 * ({@link beginSnapshot}), in which its size is checked (so the size bound holds even while other connections write), or
 * `undefined` when it is empty or bigger than `maxBytes` or SQLite cannot allocate the buffer:
 * the caller then uses the online backup API. A WAL database's copy is marked as a
 * rollback-journal database (header bytes 18–19 = 1, as `PRAGMA journal_mode = DELETE` on the
 * copy would), so it opens read-only without `-wal`/`-shm` files.
 */
function serializeUpTo(source: SqliteDatabaseLike, maxBytes: number): Buffer | undefined {
  let image: Buffer | undefined;
  const pages = Number(source.pragma('page_count', { simple: true }));
  const pageSize = Number(source.pragma('page_size', { simple: true }));
  const size = pages * pageSize;
  if (pages > 0 && size <= maxBytes) {
    try {
      image = source.serialize();
    } catch (error) {
      if (!/out of memory/i.test(describeError(error))) throw error;
    }
    if (image && image.length !== size) throw new Error(`sqlite3_serialize returned ${image.length} bytes, expected ${size}`);
  }
  if (image && image[18] === 2 && image[19] === 2) {
    image[18] = 1;
    image[19] = 1;
  }
  return image;
}

/**
 * Writes `image` into the reserved temp file in slices, hashing each slice while its write is in
 * the thread pool, and returns the SHA-256 of exactly the bytes written. One write is in flight
 * at a time, so nothing beyond `image` itself is buffered. Every 64 MiB a `fdatasync` is started
 * (also in the thread pool) so the manager's final fsync has little left to flush.
 */
async function writeAndHash(
  image: Buffer,
  path: string,
  options: { signal?: AbortSignal; onProgress?: (progress: BackupProgress) => void; what: string },
): Promise<ProviderCreateResult> {
  const total = image.length;
  const hash = createHash('sha256');
  // No O_CREAT: the manager reserved this file; never follow a symlink planted in its place.
  const handle = await open(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  let writing: Promise<void> = Promise.resolve();
  let syncing: Promise<void> = Promise.resolve();
  let unsynced = 0;
  try {
    for (let offset = 0; offset < total; offset += WRITE_CHUNK_BYTES) {
      const slice = image.subarray(offset, Math.min(offset + WRITE_CHUNK_BYTES, total));
      await writing;
      options.onProgress?.({ stage: 'copy', done: offset, total, unit: 'bytes' });
      if (options.signal?.aborted) throw interruptedError(options.what);
      writing = writeAll(handle, slice, offset);
      // Handled here so a failure while we are awaiting something else is not an unhandled
      // rejection; it is still thrown by the next `await writing`.
      writing.catch(() => {});
      hash.update(slice);
      unsynced += slice.length;
      if (unsynced >= SYNC_EVERY_BYTES) {
        await syncing;
        syncing = handle.datasync();
        syncing.catch(() => {});
        unsynced = 0;
      }
    }
    await writing;
    await syncing;
  } finally {
    await Promise.allSettled([writing, syncing]);
    await handle.close();
  }
  options.onProgress?.({ stage: 'copy', done: total, total, unit: 'bytes' });
  return { sha256: hash.digest('hex'), size: total };
}

/** A positioned write that retries short writes (a file-size limit can cut one short). */
async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    if (bytesWritten === 0) throw new Error('the write made no progress');
    written += bytesWritten;
  }
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
  if (code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR') || code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT') {
    return 'Free space in the backup directory (or raise the file-size limit) and run the backup again; nothing was kept';
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return 'Another connection held the database locked too long; retry, or raise busyTimeoutMs';
  }
  return 'Check that the database file is readable and the backup directory writable';
}
