import type { Migrator, PlanReport } from '@strata/core';

export interface PlanCommandOptions {
  migrator: Migrator;
  /** @default 'up' */
  direction?: 'up' | 'down';
  to?: string;
  steps?: number;
  allowOutOfOrder?: boolean;
}

/** The steps and SQL a run would execute, state-table writes included; changes nothing. */
export async function plan(options: PlanCommandOptions): Promise<PlanReport> {
  return options.migrator.plan({
    direction: options.direction ?? 'up',
    ...(options.to ? { to: options.to } : {}),
    ...(options.steps ? { steps: options.steps } : {}),
    ...(options.allowOutOfOrder ? { allowOutOfOrder: true } : {}),
  });
}
