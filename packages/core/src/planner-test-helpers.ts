import { type Plan, type PlannableMigration, type PlanTarget } from './planner.js';
import { CHECKSUM_ALGORITHM, type StateRow } from './state.js';
import { parseVersion } from './version.js';

// Builders shared by the planner's test files.

export interface MigrationOptions {
  dependsOn?: string[];
  checksum?: string | undefined;
  hasDown?: boolean;
  transaction?: boolean;
  file?: string;
}

/** A plannable migration `module@version`; its checksum defaults to `sum:<id>`. */
export function m(id: string, options: MigrationOptions = {}): PlannableMigration {
  const [module, version] = id.split('@') as [string, string];
  return {
    id,
    module,
    version: parseVersion(version),
    name: `name_${version}`,
    dependsOn: options.dependsOn ?? [],
    checksum: 'checksum' in options ? options.checksum : `sum:${id}`,
    hasDown: options.hasDown ?? true,
    transaction: options.transaction ?? true,
    file: 'file' in options ? options.file : `${module}/${version}_name.sql`,
  };
}

/** A state row for `module@version`; applied with the default checksum unless told otherwise. */
export function row(id: string, overrides: Partial<StateRow> = {}): StateRow {
  const [module, version] = id.split('@') as [string, string];
  return {
    module,
    version,
    name: `name_${version}`,
    checksum: `sum:${id}`,
    checksumAlgo: CHECKSUM_ALGORITHM,
    status: 'applied',
    appliedAt: '2024-01-01T00:00:00.000Z',
    executionMs: 5,
    appliedBy: 'tester',
    toolVersion: '0.1.0',
    ...overrides,
  };
}

export const ids = (plan: Plan) => plan.steps.map((s) => `${s.direction} ${s.migration.id}`);
export const codes = (plan: Plan) => plan.problems.map((p) => p.code);
export const up = (to?: string): PlanTarget => (to === undefined ? { direction: 'up' } : { direction: 'up', to });
