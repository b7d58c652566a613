import { describe, expect, it } from 'vitest';
import { createPlan, type Plan, type PlannableMigration, prepareMigrations } from './planner.js';
import { codes, ids, m, row, up } from './planner-test-helpers.js';
import { compareVersions } from './version.js';
import type { StateRow } from './state.js';

describe('createPlan: targets, down, entries', () => {
  describe('up --to', () => {
    const available = [
      m('core@1.0.0'),
      m('core@1.1.0'),
      m('core@1.2.0'),
      m('app@1.0.0', { dependsOn: ['core@1.0.0'] }),
      m('app@1.1.0', { dependsOn: ['core@1.1.0'] }),
      m('app@1.2.0', { dependsOn: ['core@1.2.0'] }),
    ];

    it('selects the module up to the target plus its pending dependencies in other modules', () => {
      const plan = createPlan(available, [], up('app@1.1.0'));
      expect(plan.problems).toEqual([]);
      // Not core@1.2.0 nor app@1.2.0; ties between ready migrations go to module "app" before "core".
      expect(ids(plan)).toEqual(['up core@1.0.0', 'up app@1.0.0', 'up core@1.1.0', 'up app@1.1.0']);
    });

    it('skips dependencies that are already applied', () => {
      const plan = createPlan(available, [row('core@1.0.0'), row('core@1.1.0')], up('app@1.1.0'));
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['up app@1.0.0', 'up app@1.1.0']);
    });

    it('takes a bare version in the default module', () => {
      const plan = createPlan(available, [], up('1.0.0'), { defaultModule: 'app' });
      expect(ids(plan)).toEqual(['up core@1.0.0', 'up app@1.0.0']);
    });

    it('plans only the target module when nothing crosses modules', () => {
      const plan = createPlan([m('core@1.0.0'), m('core@1.1.0'), m('app@1.0.0')], [], up('core@1.0.0'));
      expect(ids(plan)).toEqual(['up core@1.0.0']);
    });

    // Bug: planUp (planner.ts lines 248-258) follows only explicit dependsOn edges when it picks
    // the migrations a target needs, not the implicit "previous version of the same module" edge
    // that orderMigrations uses. With app@1.0.0 -> core@1.1.0 and nothing applied, `up --to
    // app@1.0.0` applies core@1.1.0 WITHOUT core@1.0.0; the next run then finds core@1.0.0 pending
    // below an applied core@1.1.0 and refuses it as STRATA_OUT_OF_ORDER.
    it('applies the earlier versions a cross-module dependency needs', () => {
      const plan = createPlan([m('core@1.0.0'), m('core@1.1.0'), m('app@1.0.0', { dependsOn: ['core@1.1.0'] })], [], up('app@1.0.0'));
      expect(ids(plan)).toEqual(['up core@1.0.0', 'up core@1.1.0', 'up app@1.0.0']);
    });

    it('leaves nothing out of order for the next run', () => {
      const first = createPlan([m('core@1.0.0'), m('core@1.1.0'), m('app@1.0.0', { dependsOn: ['core@1.1.0'] })], [], up('app@1.0.0'));
      const appliedNow = first.steps.map((s) => row(s.migration.id));
      const next = createPlan([m('core@1.0.0'), m('core@1.1.0'), m('app@1.0.0', { dependsOn: ['core@1.1.0'] })], appliedNow, up());
      expect(codes(next)).toEqual([]);
    });
  });

  describe('down', () => {
    const available = [m('core@1.0.0'), m('core@1.1.0'), m('app@1.0.0', { dependsOn: ['core@1.1.0'] }), m('app@1.1.0'), m('app@1.2.0')];
    // Topological order: core@1.0.0, core@1.1.0, app@1.0.0, app@1.1.0, app@1.2.0.
    const allApplied = available.map((x) => row(x.id));

    it('reverts the last applied migration by default', () => {
      const plan = createPlan(available, allApplied, { direction: 'down' });
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['down app@1.2.0']);
    });

    it('reverts the last two applied migrations in reverse order with steps: 2', () => {
      const plan = createPlan(available, allApplied, { direction: 'down', steps: 2 });
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['down app@1.2.0', 'down app@1.1.0']);
    });

    it('counts only applied migrations as steps', () => {
      const plan = createPlan(available, allApplied.slice(0, 3), { direction: 'down', steps: 2 });
      expect(ids(plan)).toEqual(['down app@1.0.0', 'down core@1.1.0']);
    });

    it('plans nothing for zero steps', () => {
      expect(createPlan(available, allApplied, { direction: 'down', steps: 0 }).steps).toEqual([]);
    });

    it('reverts everything above the target version in its module', () => {
      const plan = createPlan(available, allApplied, { direction: 'down', to: 'app@1.0.0' });
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['down app@1.2.0', 'down app@1.1.0']);
    });

    it('reverts a whole module with version 0.0.0', () => {
      const plan = createPlan(available, allApplied, { direction: 'down', to: 'app@0.0.0' });
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(['down app@1.2.0', 'down app@1.1.0', 'down app@1.0.0']);
    });

    it('takes a bare version in the default module', () => {
      const plan = createPlan(available, allApplied, { direction: 'down', to: '1.1.0' }, { defaultModule: 'app' });
      expect(ids(plan)).toEqual(['down app@1.2.0']);
    });

    it('does not revert migrations that are not applied', () => {
      const plan = createPlan(available, [row('core@1.0.0'), row('core@1.1.0'), row('app@1.0.0')], { direction: 'down', to: 'app@0.0.0' });
      expect(ids(plan)).toEqual(['down app@1.0.0']);
    });

    it('counts steps in application order (applied_at), across modules, not in plan order', () => {
      // core@1.0.0 and core@1.1.0 were applied before app@1.0.0; "app" sorts before "core", so plan
      // order is app@1.0.0, core@1.0.0, core@1.1.0, but the most recently applied is app@1.0.0.
      const migrations = [m('core@1.0.0'), m('core@1.1.0'), m('app@1.0.0')];
      const state = [
        row('core@1.0.0', { appliedAt: '2024-01-01T00:00:00.000Z' }),
        row('core@1.1.0', { appliedAt: '2024-02-01T00:00:00.000Z' }),
        row('app@1.0.0', { appliedAt: '2024-03-01T00:00:00.000Z' }),
      ];
      expect(ids(createPlan(migrations, state, { direction: 'down' }))).toEqual(['down app@1.0.0']);
      expect(ids(createPlan(migrations, state, { direction: 'down', steps: 2 }))).toEqual(['down app@1.0.0', 'down core@1.1.0']);
    });

    it('refuses the most recently applied migration when an applied one depends on it, with a runnable hint', () => {
      const migrations = [m('core@1.0.0'), m('app@1.0.0'), m('app@1.1.0', { dependsOn: ['core@1.0.0'] })];
      const state = [
        row('app@1.0.0', { appliedAt: '2024-01-01T00:00:00.000Z' }),
        row('app@1.1.0', { appliedAt: '2024-02-01T00:00:00.000Z' }),
        row('core@1.0.0', { appliedAt: '2024-03-01T00:00:00.000Z' }),
      ];
      const plan = createPlan(migrations, state, { direction: 'down' });
      expect(codes(plan)).toEqual(['STRATA_DEPENDANT_APPLIED']);
      expect(plan.problems[0]!.hint).toBe('Revert app@1.1.0 first: `strata down --to app@1.0.0` reverts it and the later versions of app');
    });

    it('reports a down target that is not a migration as STRATA_UNKNOWN_TARGET (0.0.0 means before the first)', () => {
      const plan = createPlan(available, allApplied, { direction: 'down', to: 'app@1.0.5' });
      expect(codes(plan)).toEqual(['STRATA_UNKNOWN_TARGET']);
      expect(plan.problems[0]!.message).toBe('Target app@1.0.5 is not a known migration');
      expect(plan.steps).toEqual([]);
      expect(codes(createPlan(available, allApplied, { direction: 'down', to: 'app@9.9.9' }))).toEqual(['STRATA_UNKNOWN_TARGET']);
    });

    it('refuses a revert that strands a dependant in another module', () => {
      const plan = createPlan(available, allApplied, { direction: 'down', to: 'core@1.0.0' });
      expect(codes(plan)).toEqual(['STRATA_DEPENDANT_APPLIED']);
      expect(plan.problems[0]!.message).toBe('Cannot revert core@1.1.0: applied migration app@1.0.0 depends on it');
      expect(ids(plan)).toEqual(['down core@1.1.0']);
    });
  });

  describe('entries', () => {
    it('lists every migration with its state, in plan order, then the rows without a source', () => {
      const available = [m('app@1.0.0'), m('app@1.1.0', { checksum: 'edited' }), m('app@1.2.0')];
      const state = [row('app@1.0.0', { appliedAt: '2024-05-01T10:00:00.000Z' }), row('app@1.1.0'), row('app@0.9.0')];
      const plan = createPlan(available, state);
      expect(plan.entries).toEqual([
        {
          id: 'app@1.0.0',
          module: 'app',
          version: '1.0.0',
          name: 'name_1.0.0',
          state: 'applied',
          file: 'app/1.0.0_name.sql',
          appliedAt: '2024-05-01T10:00:00.000Z',
          checksum: 'sum:app@1.0.0',
          appliedChecksum: 'sum:app@1.0.0',
        },
        {
          id: 'app@1.1.0',
          module: 'app',
          version: '1.1.0',
          name: 'name_1.1.0',
          state: 'changed',
          file: 'app/1.1.0_name.sql',
          appliedAt: '2024-01-01T00:00:00.000Z',
          checksum: 'edited',
          appliedChecksum: 'sum:app@1.1.0',
        },
        {
          id: 'app@1.2.0',
          module: 'app',
          version: '1.2.0',
          name: 'name_1.2.0',
          state: 'pending',
          file: 'app/1.2.0_name.sql',
          appliedAt: undefined,
          checksum: 'sum:app@1.2.0',
          appliedChecksum: undefined,
        },
        {
          id: 'app@0.9.0',
          module: 'app',
          version: '0.9.0',
          name: 'name_0.9.0',
          state: 'missing',
          file: undefined,
          appliedAt: '2024-01-01T00:00:00.000Z',
          checksum: undefined,
          appliedChecksum: 'sum:app@0.9.0',
        },
      ]);
    });

    it('is a pure function: it neither mutates nor depends on input order', () => {
      const available = [m('core@1.0.0'), m('app@1.0.0', { dependsOn: ['core@1.0.0'] }), m('app@1.1.0')];
      const state = [row('core@1.0.0')];
      const frozen = JSON.stringify({ available, state });
      const a = createPlan(available, state, up());
      const b = createPlan([...available].reverse(), [...state].reverse(), up());
      expect(JSON.stringify({ available, state })).toBe(frozen);
      expect(ids(a)).toEqual(ids(b));
      expect(a.entries).toEqual(b.entries);
    });
  });

  describe('performance', () => {
    it('plans 10,000 migrations in 10 modules with cross-module deps and 9,000 applied rows quickly', () => {
      const modules = Array.from({ length: 10 }, (_, i) => `mod${i}`);
      const available: PlannableMigration[] = [];
      const state: StateRow[] = [];
      for (let k = 0; k < 10; k++) {
        for (let i = 0; i < 1000; i++) {
          const version = `${1 + Math.floor(i / 100)}.${i % 100}.0`;
          const id = `${modules[k]}@${version}`;
          // Each migration of module k > 0 depends on the same-numbered migration of module k - 1.
          const dependsOn = k > 0 && i % 10 === 0 ? [`${modules[k - 1]}@${version}`] : [];
          available.push(m(id, { dependsOn }));
          if (i < 900) state.push(row(id));
        }
      }
      // Shuffle deterministically so the planner cannot profit from sorted input.
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = available.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [available[i], available[j]] = [available[j]!, available[i]!];
      }
      // Three runs: the first one is cold (JIT); the best one shows the algorithm's cost.
      const times: number[] = [];
      let plan: Plan | undefined;
      for (let run = 0; run < 3; run++) {
        const start = performance.now();
        plan = createPlan(available, state, up());
        times.push(performance.now() - start);
      }
      const best = Math.min(...times);
      console.log(
        `createPlan: 10,000 migrations, 9,000 applied rows: ${times.map((t) => `${t.toFixed(1)} ms`).join(', ')} (best ${best.toFixed(1)} ms)`,
      );
      plan = plan!;
      expect(plan.problems).toEqual([]);
      expect(plan.entries).toHaveLength(10_000);
      expect(plan.steps).toHaveLength(1000);
      // Dependencies come before their dependants, and versions in a module stay in order.
      const position = new Map(plan.steps.map((s, i) => [s.migration.id, i] as const));
      for (const step of plan.steps) {
        for (const dep of step.migration.dependsOn) {
          if (position.has(dep)) expect(position.get(dep)!).toBeLessThan(position.get(step.migration.id)!);
        }
      }
      expect(plan.steps[0]!.migration.id).toBe('mod0@10.0.0');
      // Design target: well under 100 ms, tracked by the benchmark (bench/). This bound only
      // catches a complexity regression: it must hold on a loaded 2-core machine (best of 3 took
      // 290 ms on one), so it is far above the target.
      expect(best).toBeLessThan(2_000);
    });
  });
});

describe('apply order without dependencies: (module, version) by SemVer precedence', () => {
  const ids = (plan: Plan) => plan.steps.map((s) => s.migration.id);
  const shuffled = <T>(items: T[], seed: number): T[] => {
    const out = [...items];
    let x = seed;
    for (let i = out.length - 1; i > 0; i--) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const j = x % (i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const expected = (migrations: PlannableMigration[]) =>
    [...migrations]
      .sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : compareVersions(a.version, b.version)))
      .map((x) => x.id);

  it('orders plain versions numerically, never lexically, in every module', () => {
    const all: PlannableMigration[] = [];
    for (const module of ['b', 'a', 'core']) {
      for (let i = 0; i < 300; i++) all.push(m(`${module}@${i % 7}.${(i * 13) % 11}.${i}`));
    }
    for (const seed of [1, 2, 3]) {
      const plan = createPlan(shuffled(all, seed), [], { direction: 'up' });
      expect(plan.problems).toEqual([]);
      expect(ids(plan)).toEqual(expected(all));
      expect(ids(plan).slice(0, 3)).toEqual(['a@0.0.0', 'a@0.0.77', 'a@0.0.154']);
    }
  });

  it('orders pre-releases and huge components by precedence too (the comparator path)', () => {
    const all = [
      '1.0.0',
      '1.0.0-rc.1',
      '1.0.0-alpha',
      '1.0.0-rc.10',
      '1.0.0-rc.2',
      '0.9.0',
      '200000.0.0',
      '131072.0.0',
      '131071.99.99',
    ].map((v) => m(`app@${v}`));
    const plan = createPlan(shuffled(all, 7), [], { direction: 'up' });
    expect(ids(plan)).toEqual(expected(all));
    expect(ids(plan)).toEqual([
      'app@0.9.0',
      'app@1.0.0-alpha',
      'app@1.0.0-rc.1',
      'app@1.0.0-rc.2',
      'app@1.0.0-rc.10',
      'app@1.0.0',
      'app@131071.99.99',
      'app@131072.0.0',
      'app@200000.0.0',
    ]);
  });

  it('plans the same from prepared migrations as from the list, and a prepared set is reusable', () => {
    const all = [m('app@1.0.0'), m('app@1.1.0', { dependsOn: ['core@1.0.0'] }), m('core@1.0.0'), m('app@1.0.0', { file: 'dup.sql' })];
    const prepared = prepareMigrations(all);
    const fromList = createPlan(all, [row('app@1.0.0')], { direction: 'up' });
    const first = createPlan(prepared, [row('app@1.0.0')], { direction: 'up' });
    const second = createPlan(prepared, [], { direction: 'up' });
    expect(first).toEqual(fromList);
    expect(first.problems.map((p) => p.code)).toEqual(['STRATA_DUPLICATE_VERSION']);
    expect(ids(second)).toEqual(['app@1.0.0', 'core@1.0.0', 'app@1.1.0']);
    expect(second.problems.map((p) => p.code)).toEqual(['STRATA_DUPLICATE_VERSION']);
  });
});
