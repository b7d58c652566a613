import type { BaselineReport, Migrator } from '@strata/core';

export interface BaselineCommandOptions {
  migrator: Migrator;
  /** `1.4.0` (default module) or `core@1.1.0`. */
  version: string;
  dryRun?: boolean;
}

/** Marks every migration of a module up to a version as applied, without running them. */
export async function baseline(options: BaselineCommandOptions): Promise<BaselineReport> {
  return options.migrator.baseline(options.version, { dryRun: options.dryRun ?? false });
}
