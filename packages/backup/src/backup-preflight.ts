import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { BackupManager } from './backup-manager-types.js';
import { backupError } from './internal/backup-error.js';
import { lstatOrUndefined } from './internal/secure-files.js';

/**
 * Above this size the pre-run backup is skipped (loudly) unless forced: 2 GiB. A local
 * `pg_dump -Fc` or SQLite copy of that size takes tens of seconds before every deploy and as
 * much disk again per kept backup (ten by default); databases that big are backed up by the
 * platform (base backups, WAL archiving, volume snapshots), not by the migration tool.
 */
export const DEFAULT_BACKUP_MAX_BYTES = 2 * 1024 ** 3;

/**
 * Free space kept beyond the estimated size of a backup: 64 MiB, so that a backup that is a
 * little bigger than the database (SQLite page slack, pg_dump headers) never fills the disk.
 */
export const BACKUP_SPACE_MARGIN_BYTES = 64 * 1024 ** 2;

/** Options for {@link decidePreRunBackup}. */
export interface PreRunBackupOptions {
  /** Newest applied version per module (the migrator's `BeforeRunContext.versions`). */
  versions?: Record<string, string>;
  /** @default {@link DEFAULT_BACKUP_MAX_BYTES} */
  maxBytes?: number;
  /** Back up whatever the size (`backup.enabled: true`); free space is still required. @default false */
  force?: boolean;
  /** strata's own state and events tables: they do not make a database non-empty. */
  ignoreTables?: readonly string[];
  signal?: AbortSignal;
}

/** What {@link decidePreRunBackup} decided; a skip carries the reason to print. */
export type PreRunBackupDecision =
  | { backup: true; bytes: number | undefined; freeBytes: number | undefined }
  | { backup: false; reason: string; bytes: number };

/**
 * Decides whether the backup before a run is taken: not for a database that holds nothing yet
 * (no user object and no applied migration), not above `maxBytes` unless forced, and never
 * started when the backup folder lacks the space: that throws `STRATA_BACKUP_FAILED` (exit 6)
 * with the numbers, before anything runs. A provider without `measure` is always backed up.
 */
export async function decidePreRunBackup(manager: BackupManager, options: PreRunBackupOptions = {}): Promise<PreRunBackupDecision> {
  const { provider } = manager;
  if (!provider.measure) return { backup: true, bytes: undefined, freeBytes: undefined };
  const measured = await provider.measure({
    ...(options.ignoreTables ? { ignoreTables: options.ignoreTables } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const applied = Object.keys(options.versions ?? {}).length > 0;
  if (measured.empty && !applied) {
    return {
      backup: false,
      bytes: measured.bytes,
      reason: `${provider.database} holds nothing yet (no table, view, sequence, type, routine or extension, no applied migration)`,
    };
  }
  const maxBytes = options.maxBytes ?? DEFAULT_BACKUP_MAX_BYTES;
  if (measured.bytes > maxBytes && !options.force) {
    return {
      backup: false,
      bytes: measured.bytes,
      reason: `${provider.database} is ${formatSize(measured.bytes)}, over the pre-run backup limit of ${formatSize(maxBytes)} (backup.maxBytes); back it up yourself, raise backup.maxBytes, or set backup.enabled: true to take the backup anyway`,
    };
  }
  const freeBytes = await freeSpace(manager.directory);
  if (freeBytes !== undefined && freeBytes < measured.bytes + BACKUP_SPACE_MARGIN_BYTES) {
    throw backupError(
      `Not enough free space for a backup of ${provider.database} in ${manager.directory}: it needs about ${formatSize(measured.bytes + BACKUP_SPACE_MARGIN_BYTES)} (database ${formatSize(measured.bytes)} + ${formatSize(BACKUP_SPACE_MARGIN_BYTES)} margin), ${formatSize(freeBytes)} is free`,
      {
        hint: 'Nothing ran. Free space there, point backup.dir at a bigger disk, prune old backups (`strata backup prune`), or pass --no-backup',
        details: { file: manager.directory, bytes: measured.bytes, freeBytes },
      },
    );
  }
  return { backup: true, bytes: measured.bytes, freeBytes };
}

/** Bytes available to this user in the folder (or its nearest existing parent); `undefined` when unknown. */
async function freeSpace(directory: string): Promise<number | undefined> {
  let folder = resolve(directory);
  while (!(await lstatOrUndefined(folder)) && dirname(folder) !== folder) folder = dirname(folder);
  try {
    const stats = await statfs(folder);
    return Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return undefined;
  }
}

/** `1.5 GB`, `820.3 MB`: binary units, one decimal. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${bytes} B`;
}
