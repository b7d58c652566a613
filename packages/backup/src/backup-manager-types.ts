// BACKUP_ID_PATTERN, createBackupId and DEFAULT_BACKUP_KEEP are imported for the {@link}s in the docs below.
import type { DEFAULT_BACKUP_KEEP } from './backup-manager.js';
import type { BACKUP_ID_PATTERN, BackupManifest, createBackupId } from './backup-manifest.js';
import type { BackupProgress, BackupProvider } from './backup-provider.js';

/** Options for {@link createBackupManager}. */
export interface BackupManagerOptions {
  /** How the database is copied, checked and restored. */
  provider: BackupProvider;
  /**
   * Directory of backups and manifests. Created with mode 0700 when missing; an existing one
   * keeps its mode but must be a real directory (not a symlink).
   * @default '.strata-backups'
   */
  directory?: string;
  /** Recorded in manifests. @default `@strata/backup@<version>` */
  toolVersion?: string;
  /** The fleet tenant this target is (`strata up --fleet`), recorded in manifests as `tenant`. */
  tenant?: string;
  /**
   * Default for {@link PruneOptions.keep}: backups kept per target. `Infinity` for no count limit.
   * @default {@link DEFAULT_BACKUP_KEEP} (10)
   */
  keep?: number;
  /** Default for {@link PruneOptions.maxAgeMs}. @default undefined (no age limit) */
  maxAgeMs?: number;
  /**
   * Makes backup ids; must return ids matching {@link BACKUP_ID_PATTERN}. For tests and
   * reproducible names.
   * @default {@link createBackupId} (time + 6 random hex digits)
   */
  createId?: () => string;
}

/** Options for {@link BackupManager.create}. */
export interface CreateBackupOptions {
  /** The migrator run the backup is taken for. */
  runId?: string;
  /** Newest applied version per module, stored as the manifest's `schemaVersions`. */
  versions?: Record<string, string>;
  /** Verify the copy (provider check) before it is published. @default true */
  verify?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: BackupProgress) => void;
}

/** What {@link BackupManager.create} wrote. */
export interface BackupResult {
  manifest: BackupManifest;
  /** Absolute path of the backup file. */
  path: string;
  /** Absolute path of its manifest. */
  manifestPath: string;
}

/** What {@link BackupManager.verify} found. */
export interface VerifyResult {
  id: string;
  ok: boolean;
  /** The file's size and SHA-256 match the manifest. */
  hashOk: boolean;
  /** The provider's check passed (`PRAGMA integrity_check`, `pg_restore --list`). */
  providerOk: boolean;
  /** One line per problem found; empty when ok. */
  problems: string[];
  durationMs: number;
  manifest: BackupManifest;
}

/** Options for {@link BackupManager.restore}. */
export interface RestoreOptions {
  /**
   * Restore in place a backup whose manifest names another target (or none: written before
   * targets were recorded). Refused with `STRATA_BACKUP_OTHER_TARGET` otherwise. A backup of
   * another dialect is always refused.
   * @default false
   */
  allowOtherTarget?: boolean;
  /**
   * Restore into a new or empty file (SQLite: a path) or database (PostgreSQL: a name on the
   * same server, or a URL) instead of the live one; a non-empty one is refused.
   */
  into?: string;
  signal?: AbortSignal;
  /** How long an in-place restore waits for other sessions' locks (PostgreSQL). @default 60000 */
  lockTimeoutMs?: number;
}

/** What {@link BackupManager.restore} did. */
export interface RestoreResult {
  id: string;
  manifest: BackupManifest;
  /** The database written, without any password. */
  target: string;
  /** True when the live database was overwritten (no `into`). */
  replacedLive: boolean;
  durationMs: number;
}

/** Options for {@link BackupManager.prune}. A backup goes when EITHER rule says so. */
export interface PruneOptions {
  /** Keep the newest N backups. @default the manager's `keep` */
  keep?: number;
  /** Remove backups older than this. @default the manager's `maxAgeMs` */
  maxAgeMs?: number;
  /** Only report what would be removed. @default false */
  dryRun?: boolean;
  /** The current time, for tests. @default new Date() */
  now?: Date;
  /** Ids never removed (the hook passes the backup it just took). */
  protect?: readonly string[];
}

/** What {@link BackupManager.prune} removed (or would remove). */
export interface PruneResult {
  dryRun: boolean;
  removed: BackupManifest[];
  kept: BackupManifest[];
  /** The newest verified backup, which prune never removes. */
  protectedId: string | undefined;
  /** Leftover temp files of crashed runs (older than an hour) that were removed. */
  removedTemporary: string[];
}

/** Creates, lists, verifies, restores and prunes the backups of one database. */
export interface BackupManager {
  /** Absolute path of the backup directory. */
  readonly directory: string;
  readonly provider: BackupProvider;
  /**
   * Takes a backup: temp file (exclusive create, 0600) → provider copy → fsync → hash (skipped
   * when the provider hashed while writing and the size on disk matches) → verify → no-clobber
   * rename to `<id>.<ext>` → directory fsync → manifest `<id>.json` the same way.
   * Any failure removes what was written and throws `STRATA_BACKUP_FAILED` (or
   * `STRATA_INTERRUPTED` on abort): no file that looks valid is left.
   */
  create(options?: CreateBackupOptions): Promise<BackupResult>;
  /**
   * This target's manifests (their `target` is the provider's identity), newest first (by
   * sequence, then id); `{ all: true }` for every manifest in the directory. Files without a valid
   * manifest are not backups.
   */
  list(options?: { all?: boolean }): Promise<BackupManifest[]>;
  /** Re-checks a backup: size and SHA-256 against its manifest, then the provider's check. */
  verify(id: string, options?: { signal?: AbortSignal }): Promise<VerifyResult>;
  /**
   * The manifest of a backup that {@link BackupManager.restore} would accept with these options;
   * throws `STRATA_BACKUP_OTHER_TARGET` when it would refuse it (another dialect; another or an
   * unknown target restored in place without `allowOtherTarget`). Changes nothing.
   */
  checkRestore(id: string, options?: Pick<RestoreOptions, 'into' | 'allowOtherTarget'>): Promise<BackupManifest>;
  /**
   * Restores a backup after verifying it. Overwrites the live database unless `into` is given:
   * the caller asks for confirmation, and the application should be stopped.
   */
  restore(id: string, options?: RestoreOptions): Promise<RestoreResult>;
  /**
   * Applies retention to this target's backups only (other targets' and unknown-target backups
   * are never touched); never removes the newest verified backup nor `protect`ed ones.
   */
  prune(options?: PruneOptions): Promise<PruneResult>;
}
