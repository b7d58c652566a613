import type { Migrator, RunReport } from '@strata/core';

export interface DownCommandOptions {
  migrator: Migrator;
  /** Revert every migration after this one. */
  to?: string;
  /** Revert the last n migrations. @default 1 (when `to` is not given) */
  steps?: number;
  dryRun?: boolean;
  noBackup?: boolean;
  signal?: AbortSignal;
  /**
   * Asked before anything is reverted (not for dry runs), with the ids that would be reverted;
   * throws to refuse.
   */
  confirm: (ids: string[]) => Promise<void>;
}

/** Reverts migrations after confirmation; returns the run report. */
export async function down(options: DownCommandOptions): Promise<RunReport> {
  const target = { ...(options.to ? { to: options.to } : {}), ...(options.steps ? { steps: options.steps } : {}) };
  if (!options.dryRun) {
    const preview = await options.migrator.plan({ direction: 'down', ...target });
    // With problems, down() below refuses with them; nothing to confirm.
    if (preview.problems.length === 0 && preview.steps.length > 0) await options.confirm(preview.steps.map((s) => s.id));
  }
  return options.migrator.down({
    ...target,
    dryRun: options.dryRun ?? false,
    skipHooks: options.noBackup ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
