import { constants, realpathSync } from 'node:fs';
import { link, lstat, open, rename, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { backupError } from '@strata/core';

// The file rules every strata backup follows (0600, exclusive create, no symlink followed or
// replaced, fsync before a name is published). @strata/backup's manager has the full set; the
// few a SQLite restore and copy need are repeated here because a dialect imports only core.

const FILE_MODE = 0o600;
const EXCLUSIVE_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates an empty file with O_EXCL|O_NOFOLLOW and mode 0600: fails when anything is at `path`. */
export async function reserveFile(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, EXCLUSIVE_CREATE, FILE_MODE);
  } catch (error) {
    const code = errnoCode(error);
    if (code === 'EEXIST' || code === 'ELOOP') throw refusedExisting(path, error);
    throw error;
  }
  try {
    await handle.chmod(FILE_MODE);
  } catch (error) {
    await handle.close();
    await removeQuietly(path);
    throw error;
  }
  await handle.close();
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

/**
 * Moves a finished temp file to its final name without ever replacing anything there (hard link,
 * then unlink; an lstat check and rename where hard links are missing), then fsyncs the folder.
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
  const folder = await open(dirname(finalPath), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await folder.sync();
  } catch (error) {
    // Some filesystems refuse fsync on a directory; the rename itself has happened.
    if (errnoCode(error) !== 'EINVAL') throw error;
  } finally {
    await folder.close();
  }
}

/** Removes a path we created, ignoring a missing one. Never follows a symlink. */
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

function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `ENOSPC: no space left on device` → a short readable reason. */
export function errnoText(error: unknown): string {
  const reasons: Record<string, string> = {
    ENOSPC: 'no space left on the device (ENOSPC)',
    EFBIG: 'file too large for the file-size limit (EFBIG)',
    EDQUOT: 'disk quota exceeded (EDQUOT)',
    EACCES: 'permission denied (EACCES)',
    EROFS: 'read-only filesystem (EROFS)',
    ELOOP: 'the path is a symbolic link (ELOOP)',
    EEXIST: 'something already exists at that path (EEXIST)',
  };
  const code = errnoCode(error);
  if (code && reasons[code]) return reasons[code];
  return error instanceof Error ? error.message : String(error);
}

function refusedExisting(path: string, cause: unknown) {
  return backupError(`Refusing to write ${path}: something (a file or a symbolic link) is already there`, {
    hint: 'Backups are only written to new files; remove the unexpected entry after checking how it got there',
    cause,
    details: { file: path },
  });
}

/** `sqlite:<real path>`: the file's real path (symlinks resolved), or its folder's when it does not exist yet. */
export function sqliteIdentity(filename: string): string {
  const absolute = resolve(filename);
  try {
    return `sqlite:${realpathSync(absolute)}`;
  } catch {
    try {
      return `sqlite:${join(realpathSync(dirname(absolute)), basename(absolute))}`;
    } catch {
      return `sqlite:${absolute}`;
    }
  }
}
