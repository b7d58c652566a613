/**
 * Repair, baseline and history round trips; dry runs and single-transaction runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { migratorFor, strataError, targetFactory, writeFiles, type Kind } from './fixtures/targets.js';

const factory = targetFactory();
afterAll(() => factory.cleanup());

const table = (name: string) => `-- strata:up\nCREATE TABLE ${name} (id INTEGER);\n-- strata:down\nDROP TABLE ${name};\n`;

describe.each(['postgres', 'sqlite'] as const)('%s: repair, baseline, history', (kind: Kind) => {
  it('baseline 1.1.0 on an existing database marks 1.0.0 and 1.1.0 applied without running them; up applies only the rest', async () => {
    const target = await factory.create(kind);
    // The database already has the tables of 1.0.0 and 1.1.0 (made before strata).
    await target.query('CREATE TABLE b0 (id INTEGER)');
    await target.query('CREATE TABLE b1 (id INTEGER)');
    const dir = factory.migrations({ '1.0.0_a.sql': table('b0'), '1.1.0_b.sql': table('b1'), '1.2.0_c.sql': table('b2') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const preview = await migrator.baseline('1.1.0', { dryRun: true });
      expect(preview.baselined).toEqual(['app@1.0.0', 'app@1.1.0']);
      expect(await target.stateRows()).toEqual([]);

      const report = await migrator.baseline('1.1.0');
      expect(report.baselined).toEqual(['app@1.0.0', 'app@1.1.0']);
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:applied']);
      const events = await target.events();
      expect(events.map((e) => `${e.action}:${e.migration_id}`)).toEqual(['baseline:app@1.0.0', 'baseline:app@1.1.0']);

      // Running 1.0.0 again would fail (the table exists): up must apply only 1.2.0.
      const up = await migrator.up();
      expect(up.steps.map((s) => s.id)).toEqual(['app@1.2.0']);
      expect((await migrator.validate()).ok).toBe(true);
      // A second baseline does nothing.
      expect((await migrator.baseline('1.1.0')).baselined).toEqual([]);
    } finally {
      await migrator.close();
    }
  });

  it('repair: accept checksums, mark applied, mark reverted, forget missing, each audited; history newest first; rollback keeps events', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({ '1.0.0_a.sql': table('r0'), '1.1.0_b.sql': table('r1'), '1.2.0_c.sql': table('r2') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up({ to: '1.1.0' });

      // acceptChecksums after an edit.
      writeFiles(dir, { '1.0.0_a.sql': table('r0').replace('-- strata:up', '-- strata:up\n-- reviewed') });
      expect((await migrator.status()).problems.map((p) => p.code)).toEqual(['STRATA_CHECKSUM_MISMATCH']);
      const dry = await migrator.repair({ acceptChecksums: 'all', dryRun: true });
      expect(dry.actions.map((a) => `${a.kind}:${a.id}`)).toEqual(['accept-checksum:app@1.0.0']);
      expect((await migrator.status()).problems).toHaveLength(1);
      await migrator.repair({ acceptChecksums: 'all' });
      expect((await migrator.status()).problems).toEqual([]);
      expect((await migrator.validate()).ok).toBe(true);

      // markApplied: 1.2.0 recorded without running it.
      await migrator.repair({ markApplied: ['app@1.2.0'] });
      expect(await target.tableExists('r2')).toBe(false);
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0']);

      // markReverted: 1.2.0's row removed without running its down.
      await migrator.repair({ markReverted: ['app@1.2.0'] });
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);

      // forgetMissing: 1.1.0's file removed.
      const { rmSync } = await import('node:fs');
      rmSync(`${dir}/1.1.0_b.sql`);
      expect((await migrator.status()).problems.map((p) => p.code)).toEqual(['STRATA_MISSING_MIGRATION']);
      await migrator.repair({ forgetMissing: 'all' });
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0']);
      expect(await target.tableExists('r1')).toBe(true);

      // Repairs naming something they cannot act on are refused.
      expect((await strataError(migrator.repair({ markReverted: ['app@9.9.9'] }))).code).toBe('STRATA_REPAIR_INVALID');

      const repairs = (await target.events()).filter((e) => e.action === 'repair');
      expect(repairs.map((e) => e.migration_id)).toEqual(['app@1.0.0', 'app@1.2.0', 'app@1.2.0', 'app@1.1.0']);

      // Rollback never deletes events; history is newest first.
      const before = (await target.events()).length;
      writeFiles(dir, { '1.1.0_b.sql': table('r1b'), '1.2.0_c.sql': table('r2') });
      await migrator.up({ to: '1.1.0' });
      await migrator.down();
      const after = await target.events();
      expect(after.length).toBe(before + 2);
      const history = await migrator.history();
      expect(history.map((e) => e.id)).toEqual(after.map((e) => e.id).reverse());
      expect(history[0]).toMatchObject({ action: 'revert', migrationId: 'app@1.1.0', outcome: 'ok' });
      expect(history.map((e) => e.action)).toEqual(['revert', 'apply', 'repair', 'repair', 'repair', 'repair', 'apply', 'apply']);
      const repairDetails = history.filter((e) => e.action === 'repair').map((e) => e.details?.repair);
      expect(repairDetails).toEqual(['forget-missing', 'mark-reverted', 'mark-applied', 'accept-checksum']);
    } finally {
      await migrator.close();
    }
  });

  it('dropFailed and markApplied on a failed row', async () => {
    const target = await factory.create(kind);
    const broken = '-- strata:transaction off\n-- strata:up\nCREATE TABLE f1 (id INTEGER);\nINSERT INTO f_missing VALUES (1);\n';
    const dir = factory.migrations({ '1.0.0_f.sql': broken, '1.1.0_g.sql': table('g1') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await strataError(migrator.up());
      expect((await target.stateRows()).map((r) => r.status)).toEqual(['failed']);
      // The operator finished it by hand and marks it applied.
      await migrator.repair({ markApplied: ['app@1.0.0'] });
      expect((await target.stateRows()).map((r) => r.status)).toEqual(['applied']);
      expect((await migrator.up()).steps.map((s) => s.id)).toEqual(['app@1.1.0']);
    } finally {
      await migrator.close();
    }
  });
});

describe.each(['postgres', 'sqlite'] as const)('%s: dry run and single transaction', (kind: Kind) => {
  it('up({ dryRun: true }) applies nothing but proves the plan, and fails on a broken migration', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({ '1.0.0_a.sql': table('dr0'), '1.1.0_b.sql': table('dr1') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const report = await migrator.up({ dryRun: true });
      expect(report.dryRun).toBe(true);
      expect(report.steps.map((s) => `${s.id}:${s.outcome}`)).toEqual(['app@1.0.0:rolled-back', 'app@1.1.0:rolled-back']);
      expect(await target.tableExists('dr0')).toBe(false);
      expect(await target.tableExists('dr1')).toBe(false);
      expect(await target.stateRows()).toEqual([]);
      expect((await target.events()).filter((e) => e.action === 'apply')).toEqual([]);

      writeFiles(dir, { '1.1.0_b.sql': '-- strata:up\nCREATE TABLE dr1 (id INTEGER);\nINSERT INTO dr_missing VALUES (1);\n' });
      const error = await strataError(migrator.up({ dryRun: true }));
      expect(error.code).toBe('STRATA_MIGRATION_FAILED');
      expect(error.message).toContain('1.1.0_b.sql');
      expect(await target.tableExists('dr0')).toBe(false);
      expect(await target.stateRows()).toEqual([]);
    } finally {
      await migrator.close();
    }
  });

  it('a dry run on a fresh database leaves no trace: not even the state tables', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({ '1.0.0_a.sql': table('dt0') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up({ dryRun: true });
      expect({ state: await target.tableExists('strata_migrations'), events: await target.tableExists('strata_events') }).toEqual({
        state: false,
        events: false,
      });
    } finally {
      await migrator.close();
    }
  });

  it('singleTransaction applies all or nothing', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_a.sql': table('st0'),
      '1.1.0_b.sql': table('st1'),
      '1.2.0_c.sql': '-- strata:up\nCREATE TABLE st2 (id INTEGER);\nINSERT INTO st_missing VALUES (1);\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up({ singleTransaction: true }));
      expect(error.code).toBe('STRATA_MIGRATION_FAILED');
      expect(error.details.migrationId).toBe('app@1.2.0');
      for (const name of ['st0', 'st1', 'st2']) expect(await target.tableExists(name)).toBe(false);
      expect(await target.stateRows()).toEqual([]);

      writeFiles(dir, { '1.2.0_c.sql': table('st2') });
      const report = await migrator.up({ singleTransaction: true });
      expect(report.singleTransaction).toBe(true);
      expect(report.steps.map((s) => s.id)).toEqual(['app@1.0.0', 'app@1.1.0', 'app@1.2.0']);
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    } finally {
      await migrator.close();
    }
  });

  it.each([
    ['the first migration fails on a fresh database', {}],
    ['a single-transaction run fails on a fresh database', { singleTransaction: true }],
  ] as const)('a failed run is recorded as an `apply failed` event: %s', async (_label, options) => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_a.sql': table('ev0'),
      '1.1.0_b.sql': '-- strata:up\nCREATE TABLE ev1 (id INTEGER);\nINSERT INTO ev_missing VALUES (1);\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      if (!('singleTransaction' in options)) writeFiles(dir, { '1.0.0_a.sql': '-- strata:up\nINSERT INTO ev_missing VALUES (1);\n' });
      const error = await strataError(migrator.up(options));
      expect(error.code).toBe('STRATA_MIGRATION_FAILED');
      const failed = (await target.events()).filter((e) => e.outcome === 'failed');
      expect(failed.map((e) => `${e.action}:${e.migration_id}:${e.error_code}`)).toEqual([
        `apply:${'singleTransaction' in options ? 'app@1.1.0' : 'app@1.0.0'}:STRATA_MIGRATION_FAILED`,
      ]);
    } finally {
      await migrator.close();
    }
  });

  it('singleTransaction refuses a non-transactional step before anything runs', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_a.sql': table('sn0'),
      '1.1.0_b.sql': '-- strata:transaction off\n-- strata:up\nCREATE TABLE sn1 (id INTEGER);\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up({ singleTransaction: true }));
      expect(error.code).toBe('STRATA_NON_TRANSACTIONAL_STATEMENT');
      expect(await target.tableExists('sn0')).toBe(false);
      expect(await target.stateRows()).toEqual([]);
    } finally {
      await migrator.close();
    }
  });
});
