import { redactSecrets, StrataError } from '@strata/core';
import type { BackupManager, BackupManifest, PruneResult, RestoreResult, VerifyResult } from '@strata/backup';

export type BackupAction = 'create' | 'list' | 'verify' | 'restore' | 'prune';

/** A backup or restore to be written to the target's events table (see {@link BackupCommandOptions.record}). */
export interface BackupHistoryEntry {
  action: 'backup' | 'restore';
  outcome: 'ok' | 'failed';
  /** The backup's manifest, or `{ id }` when it failed before it had one. */
  manifest: Partial<BackupManifest>;
  durationMs?: number;
  error?: unknown;
  /** Secret-free facts (restore target, …). */
  details?: Record<string, unknown>;
}

export interface BackupCommandOptions {
  action: BackupAction;
  manager: BackupManager;
  /** verify / restore: the backup id. */
  id?: string;
  /** restore: a new file (SQLite) or database (PostgreSQL) instead of the live one. */
  into?: string;
  /** restore: restore in place a backup of another target (still asks for confirmation). */
  fromOtherTarget?: boolean;
  /** restore in place: runs the restore and its event under the migration lock. */
  underLock?: <T>(work: () => Promise<T>) => Promise<T>;
  /** restore: how long to wait for other sessions' locks on the objects replaced. */
  lockTimeoutMs?: number;
  /** list: every target's backups, not only this target's. */
  all?: boolean;
  /** prune: only report what would be removed. */
  dryRun?: boolean;
  /** prune: keep the newest n. */
  keep?: number;
  /** prune: remove backups older than this. */
  maxAgeMs?: number;
  signal?: AbortSignal;
  /** create: progress of the copy, hash and verification (a terminal's progress line). */
  onProgress?: (progress: { stage: string; done?: number; total?: number; unit?: string }) => void;
  /** create: called when the backup is done or failed. */
  onProgressEnd?: () => void;
  /** Asked before a restore overwrites the live database; throws to refuse. */
  confirm: (question: string) => Promise<void>;
  /** create: the newest applied version per module, stored in the manifest. */
  versions?: () => Promise<Record<string, string>>;
  /**
   * Writes a create or restore (done or failed) into the target's events table; resolves to
   * whether it was written. Never throws.
   */
  record?: (entry: BackupHistoryEntry) => Promise<boolean>;
}

export type BackupCommandResult =
  | { action: 'create'; backup: BackupManifest; path: string; recorded: boolean }
  | { action: 'list'; directory: string; target: string; all: boolean; backups: BackupManifest[] }
  | { action: 'verify'; result: VerifyResult }
  | { action: 'restore'; result: RestoreResult; recorded: boolean }
  | { action: 'prune'; result: PruneResult };

/** `strata backup create|list|verify|restore|prune`. */
export async function backup(options: BackupCommandOptions): Promise<BackupCommandResult> {
  const { manager } = options;
  const record = options.record ?? (async () => false);
  const needId = (): string => {
    if (!options.id) {
      throw new StrataError('STRATA_USAGE', `strata backup ${options.action} needs a backup id`, {
        hint: 'Run `strata backup list` to see the ids',
      });
    }
    return options.id;
  };
  switch (options.action) {
    case 'create': {
      const started = Date.now();
      try {
        const versions = (await options.versions?.()) ?? {};
        let result: Awaited<ReturnType<BackupManager['create']>>;
        try {
          result = await manager.create({
            verify: true,
            versions,
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          });
        } finally {
          options.onProgressEnd?.();
        }
        const recorded = await record({ action: 'backup', outcome: 'ok', manifest: result.manifest });
        return { action: 'create', backup: result.manifest, path: result.path, recorded };
      } catch (error) {
        await record({ action: 'backup', outcome: 'failed', manifest: {}, durationMs: Date.now() - started, error });
        throw error;
      }
    }
    case 'list': {
      const all = options.all ?? false;
      return { action: 'list', directory: manager.directory, target: targetOf(manager), all, backups: await manager.list({ all }) };
    }
    case 'verify':
      return { action: 'verify', result: await manager.verify(needId(), options.signal ? { signal: options.signal } : {}) };
    case 'restore': {
      const id = needId();
      // Refused before any question when the manager would refuse it.
      const manifest = await manager.checkRestore(id, {
        ...(options.into ? { into: options.into } : {}),
        ...(options.fromOtherTarget ? { allowOtherTarget: true } : {}),
      });
      if (!options.into) {
        const foreign = manifest.target !== targetOf(manager);
        const whose = foreign ? `, taken from ANOTHER target (${manifest.target ?? `unknown: ${manifest.database}`}),` : '';
        const tenant = manifest.tenant !== undefined ? ` (tenant ${manifest.tenant})` : '';
        await options.confirm(`Restore backup ${id}${tenant}${whose} over the live database ${manager.provider.database}?`);
      }
      const started = Date.now();
      const details = options.into ? { into: redactSecrets(options.into), replacedLive: false } : { replacedLive: true };
      const work = async (): Promise<BackupCommandResult> => {
        let result: RestoreResult;
        try {
          result = await manager.restore(id, {
            ...(options.into ? { into: options.into } : {}),
            ...(options.fromOtherTarget ? { allowOtherTarget: true } : {}),
            ...(options.lockTimeoutMs !== undefined ? { lockTimeoutMs: options.lockTimeoutMs } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          });
        } catch (error) {
          await record({ action: 'restore', outcome: 'failed', manifest: { id }, durationMs: Date.now() - started, error, details });
          throw error;
        }
        const recorded = await record({
          action: 'restore',
          outcome: 'ok',
          manifest: result.manifest,
          durationMs: result.durationMs,
          details: { ...details, target: result.target },
        });
        return { action: 'restore', result, recorded };
      };
      // In place: under the migration lock, the restore and its event together.
      return !options.into && options.underLock ? options.underLock(work) : work();
    }
    case 'prune':
      return {
        action: 'prune',
        result: await manager.prune({
          ...(options.keep ? { keep: options.keep } : {}),
          ...(options.maxAgeMs ? { maxAgeMs: options.maxAgeMs } : {}),
          ...(options.dryRun ? { dryRun: true } : {}),
        }),
      };
  }
}

/** The target's identity, as its backups' manifests record it. */
function targetOf(manager: BackupManager): string {
  return manager.provider.identity ?? manager.provider.database;
}
