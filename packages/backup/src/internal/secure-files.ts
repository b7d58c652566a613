import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, link, lstat, mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { backupError } from './backup-error.js';

/** Mode of every backup and manifest file, applied with fchmod so the umask cannot widen it. */
export const FILE_MODE = 0o600;
/** Mode of a backup directory strata creates. */
export const DIRECTORY_MODE = 0o700;

const EXCLUSIVE_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Makes sure `directory` is a real directory (not a symlink) and returns its absolute path. A
 * directory strata creates gets mode 0700 (chmod after mkdir, since mkdir's mode is masked by
 * the umask); an existing one keeps its mode: the user chose it.
 */
export async function ensureBackupDirectory(directory: string): Promise<string> {
  const absolute = resolve(directory);
  const existing = await lstatOrUndefined(absolute);
  if (existing === undefined) {
    try {
      await mkdir(absolute, { recursive: true, mode: DIRECTORY_MODE });
      await chmod(absolute, DIRECTORY_MODE);
    } catch (error) {
      throw backupError(`Cannot create the backup directory ${absolute}: ${errnoText(error)}`, {
        hint: 'Check that the parent directory exists and is writable, or configure another backup directory',
        cause: error,
        details: { file: absolute },
      });
    }
    return absolute;
  }
  if (existing.isSymbolicLink()) {
    throw backupError(`The backup directory ${absolute} is a symbolic link`, {
      hint: 'Point the backup directory at a real directory (strata never follows a symlink there)',
      details: { file: absolute },
    });
  }
  if (!existing.isDirectory()) {
    throw backupError(`The backup directory ${absolute} exists and is not a directory`, {
      hint: 'Remove the file or configure another backup directory',
      details: { file: absolute },
    });
  }
  return absolute;
}

/**
 * Creates an empty file with O_EXCL|O_NOFOLLOW and mode 0600: fails when anything (a file, a
 * symlink, even a dangling one) is already at `path`. Tools that write by path (SQLite's backup
 * API, pg_dump -f) then write into this reserved file.
 */
export async function reserveFile(path: string): Promise<void> {
  const handle = await openExclusive(path);
  await handle.close();
}

/** Writes `data` to a new file (exclusive create, 0600), fsynced. */
export async function writeNewFile(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await openExclusive(path);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a regular file (refusing a symlink), re-applying mode 0600. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDWR | constants.O_NOFOLLOW);
  try {
    await handle.chmod(FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** SHA-256 (hex) and size of a regular file, read without following a symlink. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const handle = await open(path, READ_NO_FOLLOW);
  try {
    const hash = createHash('sha256');
    let size = 0;
    // 1 MiB reads: with the default 64 KiB, a 250 MB backup spends half its hashing time in
    // stream hops (measured: 600 ms → 320 ms).
    for await (const chunk of handle.createReadStream({ autoClose: false, highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await handle.close();
  }
}

/**
 * Moves a finished temp file to its final name without ever replacing anything there: a hard
 * link fails with EEXIST when the final name exists (a planted symlink included), then the temp
 * name is removed. Filesystems without hard links fall back to an lstat check and rename. The
 * directory is fsynced so the new name survives a crash.
 */
export async function publishFile(tempPath: string, finalPath: string): Promise<void> {
  try {
    await link(tempPath, finalPath);
    await unlink(tempPath);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST') throw refusedExisting(finalPath, error);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
    if ((await lstatOrUndefined(finalPath)) !== undefined) throw refusedExisting(finalPath, error);
    await rename(tempPath, finalPath);
  }
  await syncDirectory(dirname(finalPath));
}

/** fsyncs a directory so renames and unlinks in it are durable. */
export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems refuse fsync on a directory; the rename itself has happened.
    if (errnoCode(error) !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

/** Removes a path we created, ignoring a missing one. Never follows a symlink (unlink semantics). */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => {});
}

export async function lstatOrUndefined(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `ENOSPC: no space left on device` → a short readable reason. */
export function errnoText(error: unknown): string {
  const code = errnoCode(error);
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the device (ENOSPC)',
    EFBIG: 'file too large for the file-size limit (EFBIG)',
    EDQUOT: 'disk quota exceeded (EDQUOT)',
    EACCES: 'permission denied (EACCES)',
    EROFS: 'read-only filesystem (EROFS)',
    ELOOP: 'the path is a symbolic link (ELOOP)',
    EEXIST: 'something already exists at that path (EEXIST)',
  };
  if (code && reasons[code]) return reasons[code];
  return error instanceof Error ? error.message : String(error);
}

async function openExclusive(path: string) {
  try {
    const handle = await open(path, EXCLUSIVE_CREATE, FILE_MODE);
    try {
      await handle.chmod(FILE_MODE);
    } catch (error) {
      await handle.close();
      await removeQuietly(path);
      throw error;
    }
    return handle;
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST' || code === 'ELOOP') throw refusedExisting(path, error);
    throw error;
  }
}

function refusedExisting(path: string, cause: unknown) {
  return backupError(`Refusing to write ${path}: something (a file or a symbolic link) is already there`, {
    hint: 'Backups are only written to new files; remove the unexpected entry after checking how it got there',
    cause,
    details: { file: path },
  });
}
