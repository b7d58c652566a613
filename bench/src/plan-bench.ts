import { createPlan, parseVersion, type PlannableMigration, type StateRow } from '@strata/core';
import { median, type Row } from './table.js';

/** Planning 10,000 migrations in 10 modules with cross-module dependencies, 9,000 applied. */
export async function benchPlan(rounds: number): Promise<Row[]> {
  const migrations: PlannableMigration[] = [];
  const state: StateRow[] = [];
  for (let m = 0; m < 10; m++) {
    for (let i = 0; i < 1000; i++) {
      const version = `1.${i}.0`;
      const id = `mod${m}@${version}`;
      migrations.push({
        id,
        module: `mod${m}`,
        version: parseVersion(version),
        name: `m${i}`,
        dependsOn: m > 0 && i % 10 === 0 ? [`mod${m - 1}@${version}`] : [],
        checksum: 'c'.repeat(64),
        hasDown: true,
        transaction: true,
        file: undefined,
      });
      if (i < 900) {
        state.push({
          module: `mod${m}`,
          version,
          name: `m${i}`,
          checksum: 'c'.repeat(64),
          checksumAlgo: 'sha256-v1',
          status: 'applied',
          appliedAt: '2026-01-01T00:00:00.000Z',
          executionMs: 1,
          appliedBy: 'bench',
          toolVersion: '0',
        });
      }
    }
  }
  const samples: number[] = [];
  for (let r = 0; r < Math.max(rounds, 5); r++) {
    const started = performance.now();
    const plan = createPlan(migrations, state, { direction: 'up' });
    samples.push(performance.now() - started);
    if (plan.steps.length !== 1000 || plan.problems.length) throw new Error('plan bench: unexpected plan');
  }
  const ms = median(samples);
  return [{ workload: 'plan 10,000 migrations (9,000 applied)', subject: 'createPlan', ms, target: '< 100 ms', ok: ms < 100 }];
}
