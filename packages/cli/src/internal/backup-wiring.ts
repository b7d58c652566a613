import {
  type BackupProvider,
  type BeforeRunContext,
  DEFAULT_STATE_TABLE,
  type Dialect,
  type DialectSession,
  type EventRecord,
  eventsTableFor,
  isStrataError,
  type MigratorHooks,
  newestAppliedVersions,
  resolveCapabilities,
  StrataError,
} from '@strata/core';
import type { BackupManager } from '@strata/backup';
import type { TargetDialect } from '../dialect-loader.js';
import type { Settings } from '../settings.js';

/** The parts of `@strata/backup` the CLI uses. */
export type BackupPackage = typeof import('@strata/backup');

/** Imports `@strata/backup`; injectable so the CLI works without it. */
export type BackupLoader = () => Promise<unknown>;

/** Loads `@strata/backup`, or explains why it is not there. */
export async function loadBackupPackage(loader: BackupLoader | undefined): Promise<BackupPackage> {
  try {
    const loaded = (await (loader ?? (() => import('@strata/backup')))()) as BackupPackage;
    if (typeof loaded.createBackupManager !== 'function') throw new Error('createBackupManager is missing');
    return loaded;
  } catch (error) {
    throw new StrataError('STRATA_BACKUP_FAILED', `@strata/backup could not be loaded: ${(error as Error).message}`, {
      hint: 'npm install @strata/backup, or pass --no-backup to migrate without a backup',
      cause: error,
    });
  }
}

/** Config settings that name a tool's path, by the tool's name (what a provider's `toolPaths` keys are). */
const TOOL_SETTINGS: Readonly<Record<string, { key: string; value: (settings: Settings) => string | undefined }>> = {
  pg_dump: { key: 'backup.pgDumpPath', value: (settings) => settings.backup.pgDumpPath },
};

/** The tool paths of the config, for {@link Dialect.backupProvider}. */
function toolPaths(settings: Settings): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const [tool, setting] of Object.entries(TOOL_SETTINGS)) {
    const value = setting.value(settings);
    if (value !== undefined) paths[tool] = value;
  }
  return paths;
}

/** Whether a target gets a backup before a run, and if not, why (said out loud, never silently). */
export type BackupDecision = { backup: true; provider: BackupProvider } | { backup: false; reason: string };

/**
 * Decides the backup of a target from its dialect: a dialect that hands out a backup provider
 * gets a backup unless the provider says it cannot take one here (pg_dump missing); a dialect
 * without one (a third-party dialect, an in-memory SQLite database) never. `backup.enabled: true`
 * makes both an error (exit 6); `false` turns backups off.
 */
export async function decideBackup(target: TargetDialect, settings: Settings): Promise<BackupDecision> {
  const enabled = settings.backup.enabled;
  if (enabled === false) return { backup: false, reason: 'backups are disabled in the config (backup.enabled: false)' };
  const dialect = target.dialect;
  if (typeof dialect.backupProvider !== 'function') {
    if (enabled === true) throw noProviderError(dialect, 'Backups are required (backup.enabled: true) but');
    return { backup: false, reason: `${noProvider(dialect)} (back it up yourself before a run)` };
  }
  const provider = await dialect.backupProvider({ toolPaths: toolPaths(settings) });
  const unavailable = provider.unavailable?.();
  if (!unavailable) return { backup: true, provider };
  const setting = unavailable.tool === undefined ? undefined : TOOL_SETTINGS[unavailable.tool];
  // The configured path, where the reason names it, is followed by the setting it came from.
  const path = setting?.value(settings);
  const reason = setting && path ? unavailable.reason.replace(path, `${path} (${setting.key})`) : unavailable.reason;
  if (enabled === true) {
    throw new StrataError('STRATA_BACKUP_FAILED', `Backups are required (backup.enabled: true) but ${reason}`, {
      hint: `${unavailable.hint}${setting ? ` or set ${setting.key} in the config` : ''}, or pass --no-backup`,
    });
  }
  const how = setting ? `set ${setting.key}, or backup.enabled: true to require a backup` : 'backup.enabled: true to require a backup';
  return { backup: false, reason: `${reason} (${how})` };
}

function noProvider(dialect: Dialect): string {
  return `dialect ${dialect.name} provides no backups of ${dialect.target}`;
}

function noProviderError(dialect: Dialect, prefix?: string): StrataError {
  return new StrataError('STRATA_BACKUP_FAILED', `${prefix ? `${prefix} ` : ''}${noProvider(dialect)}`, {
    hint: 'A dialect takes backups by providing backupProvider (see @strata/core BackupProvider). Back the database up yourself and pass --no-backup, or set backup.enabled: false',
  });
}

/** A backup manager for one target, over the provider its dialect hands out. */
export async function createManagerFor(
  dialect: Dialect,
  settings: Settings,
  backup: BackupPackage,
  provider?: BackupProvider,
  tenant?: string,
): Promise<BackupManager> {
  const common = {
    directory: settings.backup.dir,
    ...(settings.backup.keep ? { keep: settings.backup.keep } : {}),
    ...(tenant !== undefined ? { tenant } : {}),
  };
  if (!provider) {
    if (typeof dialect.backupProvider !== 'function') throw noProviderError(dialect);
    provider = await dialect.backupProvider({ toolPaths: toolPaths(settings) });
  }
  return backup.createBackupManager({ provider, ...common });
}

/**
 * Migrator hooks that back up whichever target a run uses (the primary, or the fallback when
 * failover chose it). Everything happens in `beforeRun`, which core calls only for a run with
 * steps: `@strata/backup` is imported then, not on every start. A target that gets no backup is
 * reported through `onSkip`, never skipped silently.
 */
export function createBackupHooks(options: {
  targets: readonly TargetDialect[];
  settings: Settings;
  /** Unused since providers find their tools themselves; kept so callers need not change. */
  env?: Record<string, string | undefined>;
  loader: BackupLoader | undefined;
  onSkip: (reason: string) => void;
  onBackup: (id: string) => void;
  onPruneError: (error: unknown) => void;
  /** The fleet tenant, recorded in the backup's manifest. */
  tenant?: string;
  /** Progress of the backup, for a terminal's progress line. */
  onProgress?: (progress: { stage: string; done?: number; total?: number; unit?: string }) => void;
  /** Called once the backup is done or failed (clears the progress line). */
  onProgressEnd?: () => void;
}): MigratorHooks {
  return {
    async beforeRun(context: BeforeRunContext) {
      const target =
        options.targets.find((t) => t.dialect === context.dialect) ?? (options.targets.length === 1 ? options.targets[0] : undefined);
      if (!target) {
        options.onSkip(`no backup provider for ${context.dialect.target}`);
        return undefined;
      }
      const decision = await decideBackup(target, options.settings);
      if (!decision.backup) {
        options.onSkip(decision.reason);
        return undefined;
      }
      const backup = await loadBackupPackage(options.loader);
      const manager = await createManagerFor(target.dialect, options.settings, backup, decision.provider, options.tenant);
      const table = options.settings.table ?? DEFAULT_STATE_TABLE;
      let result: Awaited<ReturnType<ReturnType<typeof backup.createBackupHook>['beforeRun']>>;
      try {
        result = await backup
          .createBackupHook(manager, {
            onPruneError: options.onPruneError,
            onSkip: options.onSkip,
            force: options.settings.backup.enabled === true,
            ignoreTables: [table, eventsTableFor(table)],
            ...(options.settings.backup.maxBytes !== undefined ? { maxBytes: options.settings.backup.maxBytes } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          })
          .beforeRun(context);
      } catch (error) {
        throw withBackupDirectoryHint(error, options.settings.backup.dir);
      } finally {
        options.onProgressEnd?.();
      }
      if (result?.backupId) options.onBackup(result.backupId);
      return result ?? undefined;
    },
  };
}

/** File-system failures that a different backup folder (or no backup) gets around. */
const FOLDER_ERRNOS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC', 'EDQUOT']);

/**
 * A pre-run backup that failed on the backup folder (read-only work folder, a file in the way,
 * no space) gets a hint naming `backup.dir` and `--no-backup`: the two ways forward.
 */
export function withBackupDirectoryHint(error: unknown, directory: string): unknown {
  if (!isStrataError(error) || error.code !== 'STRATA_BACKUP_FAILED') return error;
  const file = typeof error.details.file === 'string' ? error.details.file : '';
  const errno = (error.cause as { code?: unknown } | undefined)?.code;
  const aboutFolder =
    file === directory ||
    file.startsWith(`${directory}/`) ||
    error.message.includes(directory) ||
    (typeof errno === 'string' && FOLDER_ERRNOS.has(errno));
  if (!aboutFolder) return error;
  return new StrataError('STRATA_BACKUP_FAILED', error.message, {
    hint: `Set backup.dir in strata.config.* to a writable folder (now ${directory}), or pass --no-backup to migrate without a backup`,
    cause: error.cause ?? error,
    details: error.details,
  });
}

/**
 * Appends one event (a manual backup or a restore) to the target's events table through a
 * migrate session under the migration lock, creating the state tables when missing, so
 * `strata history` shows it beside the runs.
 */
export async function recordEvent(
  dialect: Dialect,
  event: EventRecord,
  lockTimeoutMs: number,
  lockedSession?: DialectSession,
): Promise<void> {
  if (lockedSession) {
    // Already under the migration lock (a PostgreSQL restore in place): write through that session.
    await lockedSession.ensureStateTables();
    await lockedSession.writeState([{ kind: 'event', event }]);
    return;
  }
  const capabilities = resolveCapabilities(dialect);
  const session = await dialect.connect({ purpose: 'migrate', lockTimeoutMs });
  let held = false;
  let inTransaction = false;
  try {
    await session.acquireLock();
    held = true;
    inTransaction = !capabilities.supportsSessionLock;
    await session.ensureStateTables();
    await session.writeState([{ kind: 'event', event }]);
    if (inTransaction) {
      await session.commit();
      inTransaction = false;
    }
  } catch (error) {
    if (inTransaction) await session.rollback().catch(() => {});
    throw error;
  } finally {
    if (held) await session.releaseLock().catch(() => {});
    await session.close().catch(() => {});
  }
}

/** The newest applied version per module (for a manual backup's manifest); `{}` when unknown. */
export async function appliedVersions(dialect: Dialect, lockTimeoutMs: number): Promise<Record<string, string>> {
  const session = await dialect.connect({ purpose: 'read', lockTimeoutMs });
  try {
    return newestAppliedVersions(await session.readState());
  } finally {
    await session.close().catch(() => {});
  }
}

/**
 * Holds the migration lock around a piece of work (a restore in place and its event), on
 * dialects whose lock is a session lock (PostgreSQL's advisory lock): a concurrent `up` waits,
 * and the restore never runs under a migration. On SQLite the lock is the file's write lock,
 * which the restore itself takes for the whole copy, so the work runs as is.
 */
export function createLockHolder(dialectOf: () => Promise<Dialect>, lockTimeoutMs: number) {
  let held: DialectSession | undefined;
  return {
    /** The session holding the lock while `run`'s work runs. */
    get session(): DialectSession | undefined {
      return held;
    },
    async run<T>(work: () => Promise<T>): Promise<T> {
      const dialect = await dialectOf();
      if (!resolveCapabilities(dialect).supportsSessionLock) return work();
      const session = await dialect.connect({ purpose: 'migrate', lockTimeoutMs });
      try {
        await session.acquireLock();
        held = session;
        try {
          return await work();
        } finally {
          held = undefined;
          await session.releaseLock().catch(() => {});
        }
      } finally {
        await session.close().catch(() => {});
      }
    },
  };
}
