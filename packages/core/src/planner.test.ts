import { describe, expect, it } from 'vitest';
import { createPlan, type PlanTarget } from './planner.js';
import { codes, ids, m, row, up } from './planner-test-helpers.js';
import { CHECKSUM_ALGORITHM } from './state.js';

describe('createPlan', () => {
  describe('order', () => {
    it('applies everything pending in topological order, ties by (module, version)', () => {
      const available = [m('core@1.2.0'), m('app@1.1.0'), m('app@1.0.0', { dependsOn: ['core@1.1.0'] }), m('core@1.1.0'), m('core@1.0.0')];
      const plan = createPlan(available, [], up());
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['up core@1.0.0', 'up core@1.1.0', 'up app@1.0.0', 'up app@1.1.0', 'up core@1.2.0']);
    });

    it('orders versions by SemVer precedence: 1.10.0 after 1.9.0, pre-release before release', () => {
      const available = [m('app@1.10.0'), m('app@1.4.0'), m('app@1.9.0'), m('app@1.4.0-rc.1'), m('app@1.4.0-alpha'), m('app@1.2.0')];
      const plan = createPlan(available, [], up());
      expect(ids(plan)).toEqual([
        'up app@1.2.0',
        'up app@1.4.0-alpha',
        'up app@1.4.0-rc.1',
        'up app@1.4.0',
        'up app@1.9.0',
        'up app@1.10.0',
      ]);
    });

    it('plans nothing and reports no problems when everything is applied', () => {
      const plan = createPlan([m('app@1.0.0'), m('app@1.1.0')], [row('app@1.0.0'), row('app@1.1.0')], up());
      expect(plan.steps).toEqual([]);
      expect(plan.problems).toEqual([]);
    });

    it('plans no steps for direction none (the default) but still reports entries', () => {
      const plan = createPlan([m('app@1.0.0')], []);
      expect(plan.steps).toEqual([]);
      expect(plan.entries.map((e) => [e.id, e.state])).toEqual([['app@1.0.0', 'pending']]);
    });

    it('returns the migration objects it was given in the steps', () => {
      const first = m('app@1.0.0');
      expect(createPlan([first], [], up()).steps[0]).toEqual({ direction: 'up', migration: first });
      expect(createPlan([first], [], up()).steps[0]!.migration).toBe(first);
    });
  });

  describe('problems', () => {
    it('reports a duplicate id as STRATA_DUPLICATE_VERSION naming both files', () => {
      const plan = createPlan([m('app@1.0.0', { file: 'a.sql' }), m('app@1.0.0', { file: 'b.sql' })], [], up());
      expect(plan.problems).toEqual([
        {
          code: 'STRATA_DUPLICATE_VERSION',
          message: 'Duplicate migration app@1.0.0: a.sql and b.sql',
          hint: 'Give one of them the next free version',
          migrationId: 'app@1.0.0',
          file: 'b.sql',
        },
      ]);
      expect(ids(plan)).toEqual(['up app@1.0.0']);
    });

    it('reports a dependency on a migration that does not exist as STRATA_UNKNOWN_DEPENDENCY', () => {
      const plan = createPlan([m('app@1.0.0', { dependsOn: ['core@9.9.9'] })], [], up());
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_UNKNOWN_DEPENDENCY',
          message: 'Migration app@1.0.0 depends on core@9.9.9, which does not exist',
          migrationId: 'app@1.0.0',
          file: 'app/1.0.0_name.sql',
        }),
      ]);
    });

    it('reports a cycle across modules as STRATA_DEPENDENCY_CYCLE listing the cycle', () => {
      // a needs c, c needs b, b needs a: a -> b -> c -> a in apply order.
      const available = [
        m('a@1.0.0', { dependsOn: ['c@1.0.0'] }),
        m('b@1.0.0', { dependsOn: ['a@1.0.0'] }),
        m('c@1.0.0', { dependsOn: ['b@1.0.0'] }),
        m('d@1.0.0'),
      ];
      const plan = createPlan(available, [], up());
      const cycles = plan.problems.filter((p) => p.code === 'STRATA_DEPENDENCY_CYCLE');
      expect(cycles).toHaveLength(1);
      expect(cycles[0]!.message).toBe('Dependency cycle: a@1.0.0 -> b@1.0.0 -> c@1.0.0 -> a@1.0.0');
      expect(cycles[0]!.details).toEqual({ cycle: ['a@1.0.0', 'b@1.0.0', 'c@1.0.0', 'a@1.0.0'] });
      // Everything is still listed, so status can show it.
      expect(plan.entries.map((e) => e.id).sort()).toEqual(['a@1.0.0', 'b@1.0.0', 'c@1.0.0', 'd@1.0.0']);
    });

    it('finds the cycle when it runs through earlier versions of a module', () => {
      // core@1.1.0 needs app@1.0.0, which needs core@1.0.0 … and core@1.0.0 needs app@1.1.0 after app@1.0.0.
      const available = [
        m('core@1.0.0', { dependsOn: ['app@1.1.0'] }),
        m('core@1.1.0'),
        m('app@1.0.0', { dependsOn: ['core@1.1.0'] }),
        m('app@1.1.0'),
      ];
      const plan = createPlan(available, [], up());
      const cycle = plan.problems.find((p) => p.code === 'STRATA_DEPENDENCY_CYCLE');
      expect(cycle).toBeDefined();
      const listed = (cycle!.details as { cycle: string[] }).cycle;
      expect(listed[0]).toBe(listed[listed.length - 1]);
      expect([...new Set(listed)].sort()).toEqual(['app@1.0.0', 'app@1.1.0', 'core@1.0.0', 'core@1.1.0']);
    });

    it('reports a dependency on a later version of the same module as STRATA_FORWARD_DEPENDENCY', () => {
      const plan = createPlan([m('app@1.0.0', { dependsOn: ['app@2.0.0'] }), m('app@2.0.0')], [], up());
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_FORWARD_DEPENDENCY',
          message: 'Migration app@1.0.0 depends on app@2.0.0, a later version of its own module',
          migrationId: 'app@1.0.0',
        }),
      ]);
    });

    it('accepts a dependency on an earlier version of the same module', () => {
      const plan = createPlan([m('app@1.0.0'), m('app@2.0.0', { dependsOn: ['app@1.0.0'] })], [], up());
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['up app@1.0.0', 'up app@2.0.0']);
    });

    it('reports a migration that depends on itself', () => {
      const plan = createPlan([m('app@1.0.0', { dependsOn: ['app@1.0.0'] })], [], up());
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_DEPENDENCY_CYCLE',
          message: 'Migration app@1.0.0 depends on itself',
          migrationId: 'app@1.0.0',
        }),
      ]);
    });

    it('reports a changed applied migration as STRATA_CHECKSUM_MISMATCH naming both hashes', () => {
      const applied = 'a'.repeat(64);
      const current = 'b'.repeat(64);
      const plan = createPlan([m('app@1.0.0', { checksum: current })], [row('app@1.0.0', { checksum: applied })], up());
      expect(plan.problems).toHaveLength(1);
      const problem = plan.problems[0]!;
      expect(problem.code).toBe('STRATA_CHECKSUM_MISMATCH');
      expect(problem.message).toBe(`Checksum mismatch for app@1.0.0 (app/1.0.0_name.sql): applied ${applied}, file now ${current}`);
      expect(problem.details).toEqual({ applied, current, appliedAlgorithm: CHECKSUM_ALGORITHM });
      expect(problem.hint).toMatch(/strata repair --accept-checksum app@1\.0\.0/);
      expect(plan.entries[0]).toMatchObject({ id: 'app@1.0.0', state: 'changed', checksum: current, appliedChecksum: applied });
      expect(plan.steps).toEqual([]);
    });

    it('reports a checksum recorded with another algorithm', () => {
      const plan = createPlan([m('app@1.0.0')], [row('app@1.0.0', { checksumAlgo: 'md5' })]);
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_CHECKSUM_MISMATCH',
          message: 'Checksum of app@1.0.0 was recorded with unknown algorithm md5',
        }),
      ]);
    });

    it('does not compare checksums of a migration whose body could not be resolved', () => {
      const plan = createPlan([m('app@1.0.0', { checksum: undefined })], [row('app@1.0.0')]);
      expect(plan.problems).toEqual([]);
      expect(plan.entries[0]!.state).toBe('applied');
    });

    it('reports an applied migration without a source as STRATA_MISSING_MIGRATION', () => {
      const plan = createPlan([m('app@1.0.0')], [row('app@1.0.0'), row('app@1.1.0')], up());
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_MISSING_MIGRATION',
          message: 'Applied migration app@1.1.0 (name_1.1.0) has no source any more',
          migrationId: 'app@1.1.0',
        }),
      ]);
      expect(plan.entries.find((e) => e.id === 'app@1.1.0')).toMatchObject({
        state: 'missing',
        file: undefined,
        checksum: undefined,
        appliedChecksum: 'sum:app@1.1.0',
      });
    });

    it('refuses a pending migration older than the newest applied one (STRATA_OUT_OF_ORDER)', () => {
      const available = [m('app@1.0.0'), m('app@1.1.0'), m('app@1.2.0')];
      const state = [row('app@1.0.0'), row('app@1.2.0')];
      const plan = createPlan(available, state, up());
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_OUT_OF_ORDER',
          message: 'Pending migration app@1.1.0 is older than app@1.2.0, which is already applied',
          migrationId: 'app@1.1.0',
        }),
      ]);
      expect(ids(plan)).toEqual(['up app@1.1.0']);
    });

    it('accepts an out-of-order migration with allowOutOfOrder', () => {
      const plan = createPlan([m('app@1.0.0'), m('app@1.1.0'), m('app@1.2.0')], [row('app@1.0.0'), row('app@1.2.0')], up(), {
        allowOutOfOrder: true,
      });
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['up app@1.1.0']);
    });

    it('judges out of order per module, by precedence', () => {
      const available = [m('app@1.9.0'), m('app@1.10.0'), m('core@1.0.0')];
      const plan = createPlan(available, [row('app@1.9.0'), row('core@2.0.0')], up());
      // app@1.10.0 is newer than 1.9.0 (not lexically older); core@1.0.0 is older than the applied (missing) core@2.0.0.
      expect(codes(plan).sort()).toEqual(['STRATA_MISSING_MIGRATION', 'STRATA_OUT_OF_ORDER']);
      expect(plan.problems.find((p) => p.code === 'STRATA_OUT_OF_ORDER')!.migrationId).toBe('core@1.0.0');
    });

    it.each(['failed', 'running'] as const)('reports a %s row as STRATA_NEEDS_REPAIR', (status) => {
      const plan = createPlan([m('app@1.0.0'), m('app@1.1.0')], [row('app@1.0.0'), row('app@1.1.0', { status })], up());
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_NEEDS_REPAIR',
          message: `Migration app@1.1.0 is marked ${status} by an earlier run that did not finish`,
          migrationId: 'app@1.1.0',
          file: 'app/1.1.0_name.sql',
        }),
      ]);
      expect(plan.entries.find((e) => e.id === 'app@1.1.0')!.state).toBe(status);
      expect(plan.steps).toEqual([]);
    });

    it.each(['failed', 'running'] as const)('reports a %s row without a source as STRATA_NEEDS_REPAIR', (status) => {
      const plan = createPlan([], [row('app@1.0.0', { status })]);
      expect(codes(plan)).toEqual(['STRATA_NEEDS_REPAIR']);
      expect(plan.entries).toEqual([expect.objectContaining({ id: 'app@1.0.0', state: status })]);
    });

    it('reports a revert of a migration without down as STRATA_MISSING_DOWN', () => {
      const plan = createPlan([m('app@1.0.0'), m('app@1.1.0', { hasDown: false })], [row('app@1.0.0'), row('app@1.1.0')], {
        direction: 'down',
      });
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_MISSING_DOWN',
          message: 'Cannot revert app@1.1.0: app/1.1.0_name.sql has no down section',
          migrationId: 'app@1.1.0',
        }),
      ]);
      expect(ids(plan)).toEqual(['down app@1.1.0']);
    });

    it('does not ask for a down that is not going to run', () => {
      const plan = createPlan([m('app@1.0.0', { hasDown: false }), m('app@1.1.0')], [row('app@1.0.0'), row('app@1.1.0')], {
        direction: 'down',
      });
      expect(plan.problems).toEqual([]);
    });

    it('reports a revert below a missing applied migration as STRATA_MISSING_DOWN', () => {
      const plan = createPlan([m('app@1.0.0')], [row('app@1.0.0'), row('app@1.1.0')], { direction: 'down', to: 'app@0.0.0' });
      expect(plan.problems).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ code: 'STRATA_MISSING_DOWN', message: 'Cannot revert app@1.1.0: its source is missing' }),
        ]),
      );
    });

    it('refuses reverting a migration an applied migration depends on (STRATA_DEPENDANT_APPLIED)', () => {
      const available = [m('core@1.0.0'), m('app@1.0.0', { dependsOn: ['core@1.0.0'] })];
      const state = [row('core@1.0.0'), row('app@1.0.0')];
      const plan = createPlan(available, state, { direction: 'down', to: 'core@0.0.0' });
      expect(plan.problems).toEqual([
        expect.objectContaining({
          code: 'STRATA_DEPENDANT_APPLIED',
          message: 'Cannot revert core@1.0.0: applied migration app@1.0.0 depends on it',
          migrationId: 'core@1.0.0',
        }),
      ]);
      expect(ids(plan)).toEqual(['down core@1.0.0']);
    });

    it('accepts reverting a dependency together with its dependant', () => {
      const available = [m('core@1.0.0'), m('app@1.0.0', { dependsOn: ['core@1.0.0'] })];
      const plan = createPlan(available, [row('core@1.0.0'), row('app@1.0.0')], { direction: 'down', steps: 2 });
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['down app@1.0.0', 'down core@1.0.0']);
    });

    it.each([
      [up('app@9.9.9'), 'Target app@9.9.9 is not a known migration'],
      [up('app@1.0'), /^Invalid target "app@1\.0": Invalid version "1\.0"/],
      [up('1.0.0'), /^Invalid target "1\.0\.0": Invalid migration id/],
      [up('Bad@1.0.0'), /^Invalid target "Bad@1\.0\.0"/],
      [{ direction: 'down', to: 'nope@1.0.0' } as PlanTarget, 'Target nope@1.0.0: module nope has no migrations'],
      [{ direction: 'down', to: 'v1' } as PlanTarget, /^Invalid target "v1"/],
    ])('reports an unknown target %j as STRATA_UNKNOWN_TARGET and plans nothing', (target, message) => {
      const plan = createPlan([m('app@1.0.0'), m('app@1.1.0')], [row('app@1.0.0')], target);
      expect(codes(plan)).toEqual(['STRATA_UNKNOWN_TARGET']);
      expect(plan.problems[0]!.message).toMatch(message);
      expect(plan.steps).toEqual([]);
    });

    it('reports every problem at once instead of stopping at the first', () => {
      const available = [
        m('app@1.0.0', { file: 'x.sql' }),
        m('app@1.0.0', { file: 'y.sql' }),
        m('app@1.1.0', { dependsOn: ['nope@1.0.0'] }),
        m('app@1.2.0', { checksum: 'new' }),
        m('app@1.3.0'),
      ];
      const state = [row('app@1.0.0'), row('app@1.2.0'), row('app@1.4.0'), row('app@1.5.0', { status: 'failed' })];
      const plan = createPlan(available, state, up());
      expect(codes(plan).sort()).toEqual([
        'STRATA_CHECKSUM_MISMATCH',
        'STRATA_DUPLICATE_VERSION',
        'STRATA_MISSING_MIGRATION',
        'STRATA_NEEDS_REPAIR',
        'STRATA_OUT_OF_ORDER',
        'STRATA_OUT_OF_ORDER',
        'STRATA_UNKNOWN_DEPENDENCY',
      ]);
    });
  });
});
