// DEFAULT_BACKUP_MAX_BYTES is imported for the {@link} below.
import type { BackupManager } from './backup-manager-types.js';
import type { DEFAULT_BACKUP_MAX_BYTES } from './backup-preflight.js';
import type { BackupProgress } from './backup-provider.js';
import { decidePreRunBackup } from './backup-preflight.js';

/**
 * The part of core's `BeforeRunContext` the hook reads (structural, so this package follows
 * core's type without importing the migrator).
 */
export interface BackupHookContext {
  runId: string;
  /** Newest applied version per module before the run. */
  versions: Record<string, string>;
  signal?: AbortSignal;
}

/** Options for {@link createBackupHook}. */
export interface BackupHookOptions {
  /** Take a backup before each run with steps. `false` turns the hook into a no-op. @default true */
  enabled?: boolean;
  /**
   * After a successful backup, apply the manager's retention (`keep`/`maxAgeMs`) when it has one.
   * A pruning failure does not stop the run; it is passed to `onPruneError`.
   * @default true
   */
  prune?: boolean;
  /** Receives a pruning error (the run goes on). */
  onPruneError?: (error: unknown) => void;
  /** Progress of the backup (a CLI shows it on a terminal). */
  onProgress?: (progress: BackupProgress) => void;
  /**
   * Look at the database first (when the provider can measure it): skip an empty one, skip one
   * above `maxBytes` unless `force`, refuse (exit 6) when the backup folder lacks the space.
   * @default true
   */
  preflight?: boolean;
  /** @default {@link DEFAULT_BACKUP_MAX_BYTES} (2 GiB) */
  maxBytes?: number;
  /** Back up above `maxBytes` too. @default false */
  force?: boolean;
  /** strata's state and events tables (they do not count as content). */
  ignoreTables?: readonly string[];
  /** Told why a backup was skipped (an empty database, over `maxBytes`): say it out loud. */
  onSkip?: (reason: string) => void;
}

/** Usable as core's `MigratorHooks`. */
export interface BackupHook {
  beforeRun(context: BackupHookContext): Promise<{ backupId?: string } | void>;
}

/**
 * Migrator hooks that take AND verify a backup before a run changes anything. A failed backup
 * throws `STRATA_BACKUP_FAILED`, so the migrator aborts the run before its first step; the
 * returned id is recorded on the run's events.
 * @example
 * const migrator = createMigrator({ dialect, sources, hooks: createBackupHook(backups) });
 */
export function createBackupHook(manager: BackupManager, options: BackupHookOptions = {}): BackupHook {
  const enabled = options.enabled ?? true;
  return {
    async beforeRun(context) {
      if (!enabled) return undefined;
      if (options.preflight ?? true) {
        const decision = await decidePreRunBackup(manager, {
          versions: context.versions,
          ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
          ...(options.force !== undefined ? { force: options.force } : {}),
          ...(options.ignoreTables ? { ignoreTables: options.ignoreTables } : {}),
          ...(context.signal ? { signal: context.signal } : {}),
        });
        if (!decision.backup) {
          options.onSkip?.(decision.reason);
          return undefined;
        }
      }
      const { manifest } = await manager.create({
        runId: context.runId,
        versions: context.versions,
        verify: true,
        ...(context.signal ? { signal: context.signal } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      });
      if (options.prune ?? true) {
        // The backup just taken is never pruned, whatever the clocks say.
        await manager.prune({ protect: [manifest.id] }).catch((error: unknown) => options.onPruneError?.(error));
      }
      return { backupId: manifest.id };
    },
  };
}
