import { StrataError } from '@strata/core';
import type { BackupManager, BackupManifest, PruneResult, RestoreResult, VerifyResult } from '@strata/backup';

export type BackupAction = 'create' | 'list' | 'verify' | 'restore' | 'prune';

export interface BackupCommandOptions {
  action: BackupAction;
  manager: BackupManager;
  /** verify / restore: the backup id. */
  id?: string;
  /** restore: a new file (SQLite) or database (PostgreSQL) instead of the live one. */
  into?: string;
  /** prune: keep the newest n. */
  keep?: number;
  /** prune: remove backups older than this. */
  maxAgeMs?: number;
  signal?: AbortSignal;
  /** Asked before a restore overwrites the live database; throws to refuse. */
  confirm: (question: string) => Promise<void>;
}

export type BackupCommandResult =
  | { action: 'create'; backup: BackupManifest; path: string }
  | { action: 'list'; directory: string; backups: BackupManifest[] }
  | { action: 'verify'; result: VerifyResult }
  | { action: 'restore'; result: RestoreResult }
  | { action: 'prune'; result: PruneResult };

/** `strata backup create|list|verify|restore|prune`. */
export async function backup(options: BackupCommandOptions): Promise<BackupCommandResult> {
  const { manager } = options;
  const needId = (): string => {
    if (!options.id) {
      throw new StrataError('STRATA_USAGE', `strata backup ${options.action} needs a backup id`, { hint: 'Run `strata backup list` to see the ids' });
    }
    return options.id;
  };
  switch (options.action) {
    case 'create': {
      const result = await manager.create({ verify: true, ...(options.signal ? { signal: options.signal } : {}) });
      return { action: 'create', backup: result.manifest, path: result.path };
    }
    case 'list':
      return { action: 'list', directory: manager.directory, backups: await manager.list() };
    case 'verify':
      return { action: 'verify', result: await manager.verify(needId(), options.signal ? { signal: options.signal } : {}) };
    case 'restore': {
      const id = needId();
      if (!options.into) await options.confirm(`Restore backup ${id} over the live database ${manager.provider.database}?`);
      const result = await manager.restore(id, { ...(options.into ? { into: options.into } : {}), ...(options.signal ? { signal: options.signal } : {}) });
      return { action: 'restore', result };
    }
    case 'prune':
      return {
        action: 'prune',
        result: await manager.prune({ ...(options.keep ? { keep: options.keep } : {}), ...(options.maxAgeMs ? { maxAgeMs: options.maxAgeMs } : {}) }),
      };
  }
}
