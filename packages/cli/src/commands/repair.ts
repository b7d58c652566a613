import type { Migrator, RepairOptions, RepairReport } from '@strata/core';

export interface RepairCommandOptions {
  migrator: Migrator;
  acceptChecksums?: string[] | 'all';
  dropFailed?: string[] | 'all';
  forgetMissing?: string[] | 'all';
  markApplied?: string[];
  markReverted?: string[];
  /** Only show what would be done. @default false */
  dryRun?: boolean;
  /** Asked with the actions before they are applied; throws to refuse. */
  confirm: (report: RepairReport) => Promise<void>;
}

export interface RepairResult extends RepairReport {
  /** No action was asked for: `actions` are the suggested repairs, previewed only. */
  suggested: boolean;
  /** The actions were written to the state table. */
  applied: boolean;
}

/**
 * Repairs the state table. Without an action it previews every suggested repair (accept changed
 * checksums, drop failed/running rows, forget missing migrations); with actions it previews them,
 * asks for confirmation, then applies them.
 */
export async function repair(options: RepairCommandOptions): Promise<RepairResult> {
  const asked: RepairOptions = {
    ...(options.acceptChecksums?.length ? { acceptChecksums: options.acceptChecksums } : {}),
    ...(options.dropFailed?.length ? { dropFailed: options.dropFailed } : {}),
    ...(options.forgetMissing?.length ? { forgetMissing: options.forgetMissing } : {}),
    ...(options.markApplied?.length ? { markApplied: options.markApplied } : {}),
    ...(options.markReverted?.length ? { markReverted: options.markReverted } : {}),
  };
  if (Object.keys(asked).length === 0) {
    const preview = await options.migrator.repair({ acceptChecksums: 'all', dropFailed: 'all', forgetMissing: 'all', dryRun: true });
    return { ...preview, suggested: true, applied: false };
  }
  const preview = await options.migrator.repair({ ...asked, dryRun: true });
  if (options.dryRun || preview.actions.length === 0) return { ...preview, suggested: false, applied: false };
  await options.confirm(preview);
  const done = await options.migrator.repair({ ...asked, dryRun: false });
  return { ...done, suggested: false, applied: true };
}
