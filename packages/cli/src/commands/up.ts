import type { Migrator, RunReport, UpOptions } from '@strata/core';

export interface UpCommandOptions {
  migrator: Migrator;
  /** Apply up to and including this id or version. */
  to?: string;
  dryRun?: boolean;
  singleTransaction?: boolean;
  allowOutOfOrder?: boolean;
  /** Skip the pre-run backup (`--no-backup`). */
  noBackup?: boolean;
  /** Aborted on SIGINT/SIGTERM: the running migration is rolled back. */
  signal?: AbortSignal;
  /** Maintenance windows (windows/window-gate.ts): checked before each step. */
  beforeStep?: UpOptions['beforeStep'];
}

/** Applies pending migrations; returns the run report. */
export async function up(options: UpCommandOptions): Promise<RunReport> {
  return options.migrator.up({
    ...(options.to ? { to: options.to } : {}),
    dryRun: options.dryRun ?? false,
    singleTransaction: options.singleTransaction ?? false,
    ...(options.allowOutOfOrder ? { allowOutOfOrder: true } : {}),
    skipHooks: options.noBackup ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.beforeStep ? { beforeStep: options.beforeStep } : {}),
  });
}
