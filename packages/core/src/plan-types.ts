import type { Problem } from './problem.js';
import type { Version } from './version.js';

// The planner's inputs and outputs (planner.ts re-exports them).

/** A migration as the planner sees it: metadata and its checksum on the target dialect. */
export interface PlannableMigration {
  id: string;
  module: string;
  version: Version;
  name: string;
  dependsOn: readonly string[];
  /** `undefined` when the body could not be resolved for this dialect (reported as a problem elsewhere). */
  checksum: string | undefined;
  hasDown: boolean;
  transaction: boolean;
  file: string | undefined;
}

/** What to plan: apply (optionally up to an id) or revert (to an id, or a number of steps). */
export type PlanTarget = { direction: 'up'; to?: string } | { direction: 'down'; to?: string; steps?: number } | { direction: 'none' };

export interface PlanOptions {
  /** Apply pending migrations older than the newest applied one of their module. @default false */
  allowOutOfOrder?: boolean;
  /** Module used for a target given as a bare version. */
  defaultModule?: string;
  /** Ids of migrations that exist for other dialects only: known, so valid as `--to` targets. */
  otherDialectIds?: ReadonlySet<string>;
}

/**
 * The state of one migration as `status` shows it. `not-applicable`: the migration exists for
 * other dialects only (a dialect file with no generic file); it is never pending on this one.
 */
export type MigrationState = 'applied' | 'pending' | 'changed' | 'missing' | 'failed' | 'running' | 'not-applicable';

export interface StatusEntry {
  id: string;
  module: string;
  version: string;
  name: string;
  state: MigrationState;
  file: string | undefined;
  appliedAt: string | undefined;
  /** Checksum of the source on this dialect. */
  checksum: string | undefined;
  /** Checksum recorded when it was applied. */
  appliedChecksum: string | undefined;
}

export interface PlanStep {
  direction: 'up' | 'down';
  migration: PlannableMigration;
}

/** The planner's answer: steps in order, problems that forbid running them, and every migration's state. */
export interface Plan {
  steps: PlanStep[];
  problems: Problem[];
  entries: StatusEntry[];
}
