/**
 * Migrations that fail while running: transactional (rolled back whole), non-transactional
 * (marked failed, repair needed), statements that cannot run in a transaction, failing downs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { migratorFor, strataError, targetFactory, writeFiles, type Kind, type Target } from './fixtures/targets.js';

const factory = targetFactory();
afterAll(() => factory.cleanup());

const table = (name: string) => `-- strata:up\nCREATE TABLE ${name} (id INTEGER);\n-- strata:down\nDROP TABLE ${name};\n`;

/** Migration 3 of 5: statement 3 (on file line 8) inserts into a table that does not exist. */
const BROKEN_THREE = [
  '-- three: two tables and a row', // 1
  '-- strata:up', // 2
  '', // 3
  'CREATE TABLE m3a (', // 4
  '  id INTEGER', // 5
  ');', // 6
  'INSERT INTO m3a VALUES (1);', // 7
  'INSERT INTO no_such_table VALUES (1);', // 8  <- statement 3
  'CREATE TABLE m3b (id INTEGER);', // 9
  '-- strata:down',
  'DROP TABLE m3b;',
  'DROP TABLE m3a;',
  '',
].join('\n');

async function tables(target: Target, names: string[]): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {};
  for (const name of names) out[name] = await target.tableExists(name);
  return out;
}

describe.each(['postgres', 'sqlite'] as const)('%s: failing migrations', (kind: Kind) => {
  it('an error in statement 3 of migration 3 of 5 rolls 3 back whole, skips 4-5, names file, statement and line; a fixed file resumes at 3', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_one.sql': table('m1'),
      '1.1.0_two.sql': table('m2'),
      '1.2.0_three.sql': BROKEN_THREE,
      '1.3.0_four.sql': table('m4'),
      '1.4.0_five.sql': table('m5'),
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_MIGRATION_FAILED');
      expect(error.message).toContain('app@1.2.0');
      expect(error.message).toContain('1.2.0_three.sql');
      expect(error.message).toContain('statement 3');
      expect(error.message).toContain('line 8');
      expect(error.message).toMatch(/no_such_table/);
      expect(error.details).toMatchObject({ migrationId: 'app@1.2.0', statement: 3, line: 8 });
      expect(error.details.file).toContain('1.2.0_three.sql');
      if (kind === 'postgres') expect(error.details.sqlState).toBe('42P01');

      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:applied']);
      expect(await tables(target, ['m1', 'm2', 'm3a', 'm3b', 'm4', 'm5'])).toEqual({
        m1: true,
        m2: true,
        m3a: false,
        m3b: false,
        m4: false,
        m5: false,
      });
      const events = await target.events();
      expect(events.map((e) => `${e.action}:${e.migration_id}:${e.outcome}`)).toEqual([
        'apply:app@1.0.0:ok',
        'apply:app@1.1.0:ok',
        'apply:app@1.2.0:failed',
      ]);
      expect(events[2]!.error_code).toBe('STRATA_MIGRATION_FAILED');

      // The file is still pending, so it may be fixed; the next run resumes at 3.
      writeFiles(dir, { '1.2.0_three.sql': BROKEN_THREE.replace('INSERT INTO no_such_table VALUES (1);', 'INSERT INTO m3a VALUES (2);') });
      const report = await migrator.up();
      expect(report.steps.map((s) => s.id)).toEqual(['app@1.2.0', 'app@1.3.0', 'app@1.4.0']);
      expect(await target.query('SELECT id FROM m3a ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      await migrator.close();
    }
  });

  it('a non-transactional migration failing half way keeps its first statement, is marked failed, blocks up until repair', async () => {
    const target = await factory.create(kind);
    const broken = [
      '-- strata:transaction off', // 1
      '-- strata:up', // 2
      'CREATE TABLE nt_a (id INTEGER);', // 3
      'INSERT INTO nt_missing VALUES (1);', // 4 <- statement 2
      'CREATE TABLE nt_b (id INTEGER);', // 5
      '',
    ].join('\n');
    const dir = factory.migrations({ '1.0.0_first.sql': table('first_t'), '1.1.0_nt.sql': broken, '1.2.0_later.sql': table('later_t') });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_MIGRATION_FAILED');
      expect(error.message).toContain('1.1.0_nt.sql');
      expect(error.message).toContain('statement 2');
      expect(error.message).toContain('line 4');
      expect(error.hint).toMatch(/repair/);
      expect(await tables(target, ['first_t', 'nt_a', 'nt_b', 'later_t'])).toEqual({
        first_t: true,
        nt_a: true,
        nt_b: false,
        later_t: false,
      });
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:failed']);
      const failed = (await target.events()).filter((e) => e.outcome === 'failed');
      expect(failed.map((e) => `${e.action}:${e.migration_id}:${e.error_code}`)).toEqual(['apply:app@1.1.0:STRATA_MIGRATION_FAILED']);

      // Fixing the file is not enough: the failed row needs a human.
      writeFiles(dir, {
        '1.1.0_nt.sql': broken
          .replace('INSERT INTO nt_missing', 'CREATE TABLE IF NOT EXISTS nt_a (id INTEGER);\nINSERT INTO nt_a')
          .replace('CREATE TABLE nt_a (id INTEGER);\n', ''),
      });
      const refused = await strataError(migrator.up());
      expect(refused.code).toBe('STRATA_NEEDS_REPAIR');
      expect(refused.message).toContain('app@1.1.0');
      expect(refused.hint).toMatch(/repair/);
      const status = await migrator.status();
      expect(status.migrations.find((m) => m.id === 'app@1.1.0')!.state).toBe('failed');
      expect(status.problems.map((p) => p.code)).toContain('STRATA_NEEDS_REPAIR');
      expect((await migrator.validate()).ok).toBe(false);

      const repaired = await migrator.repair({ dropFailed: 'all' });
      expect(repaired.actions.map((a) => `${a.kind}:${a.id}`)).toEqual(['drop-failed:app@1.1.0']);
      const report = await migrator.up();
      expect(report.steps.map((s) => s.id)).toEqual(['app@1.1.0', 'app@1.2.0']);
      expect(await tables(target, ['nt_a', 'later_t'])).toEqual({ nt_a: true, later_t: true });
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual([
        '1.0.0:applied',
        '1.1.0:applied',
        '1.2.0:applied',
      ]);
    } finally {
      await migrator.close();
    }
  });

  it('one migration opting out of transactions does not change the mode of the next one', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_off.sql': '-- strata:transaction off\n-- strata:up\nCREATE TABLE off_t (id INTEGER);\n',
      '1.1.0_on.sql': '-- strata:up\nCREATE TABLE on_a (id INTEGER);\nINSERT INTO on_a VALUES (1);\nINSERT INTO on_missing VALUES (1);\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_MIGRATION_FAILED');
      expect(error.details.migrationId).toBe('app@1.1.0');
      // Transactional: nothing of it remains, and it is not marked failed.
      expect(await tables(target, ['off_t', 'on_a'])).toEqual({ off_t: true, on_a: false });
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied']);
      expect((await migrator.status()).problems).toEqual([]);
    } finally {
      await migrator.close();
    }
  });

  it('a failing down in down({ to }) reverts the later ones and keeps the failing one intact', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_a.sql': table('d0'),
      '1.1.0_b.sql': '-- strata:up\nCREATE TABLE d1 (id INTEGER);\n-- strata:down\nDROP TABLE d1;\nDROP TABLE no_such_table;\n',
      '1.2.0_c.sql': table('d2'),
      '1.3.0_d.sql': table('d3'),
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up();
      const error = await strataError(migrator.down({ to: '1.0.0' }));
      expect(error.code).toBe('STRATA_MIGRATION_FAILED');
      expect(error.message).toContain('app@1.1.0');
      expect(error.message).toContain('1.1.0_b.sql');
      expect(error.message).toContain('statement 2');
      // `-- strata:down` is line 3, so the failing DROP is on line 5.
      expect(error.message).toContain('line 5');
      expect(await tables(target, ['d0', 'd1', 'd2', 'd3'])).toEqual({ d0: true, d1: true, d2: false, d3: false });
      expect((await target.stateRows()).map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);
      const events = await target.events();
      expect(events.filter((e) => e.action === 'revert').map((e) => `${e.migration_id}:${e.outcome}`)).toEqual([
        'app@1.3.0:ok',
        'app@1.2.0:ok',
        'app@1.1.0:failed',
      ]);
    } finally {
      await migrator.close();
    }
  });
});

describe('postgres: statements that cannot run in a transaction', () => {
  it('CREATE INDEX CONCURRENTLY in a transactional migration is refused before anything runs', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_t.sql': '-- strata:up\nCREATE TABLE cic (id INTEGER, v TEXT);\n-- strata:down\nDROP TABLE cic;\n',
      '1.1.0_idx.sql': '-- strata:up\nSELECT 1;\nCREATE INDEX CONCURRENTLY cic_v ON cic (v);\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_NON_TRANSACTIONAL_STATEMENT');
      expect(error.message).toContain('app@1.1.0');
      expect(error.message).toContain('statement 2');
      expect(error.message).toContain('line 3');
      expect(error.hint).toContain('-- strata:transaction off');
      // Refused up front: the earlier pending migration did not run either.
      expect(await target.tableExists('cic')).toBe(false);
      expect(await target.stateRows()).toEqual([]);
      expect((await migrator.validate()).problems.map((p) => p.code)).toEqual(['STRATA_NON_TRANSACTIONAL_STATEMENT']);
    } finally {
      await migrator.close();
    }
  });

  it('with -- strata:transaction off it applies and the index is valid', async () => {
    const target = await factory.create('postgres');
    const dir = factory.migrations({
      '1.0.0_t.sql':
        '-- strata:up\nCREATE TABLE cic (id INTEGER, v TEXT);\nINSERT INTO cic SELECT g, md5(g::text) FROM generate_series(1, 20000) g;\n',
      '1.1.0_idx.sql':
        '-- strata:transaction off\n-- strata:up\nCREATE INDEX CONCURRENTLY cic_v ON cic (v);\n-- strata:down\nDROP INDEX CONCURRENTLY cic_v;\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      await migrator.up();
      const index = await target.query<{ indisvalid: boolean }>("SELECT indisvalid FROM pg_index WHERE indexrelid = 'cic_v'::regclass");
      expect(index).toEqual([{ indisvalid: true }]);
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:applied']);
      await migrator.down();
      expect(await target.tableExists('cic_v')).toBe(false);
    } finally {
      await migrator.close();
    }
  });
});

describe('sqlite: statements that cannot run in a transaction', () => {
  it('VACUUM in a transactional migration is refused before anything runs; with transaction off it runs', async () => {
    const target = await factory.create('sqlite');
    const dir = factory.migrations({
      '1.0.0_t.sql': table('vac'),
      '1.1.0_vacuum.sql': '-- strata:up\nDELETE FROM vac;\nVACUUM;\n',
    });
    const migrator = migratorFor(target.dialect(), dir);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_NON_TRANSACTIONAL_STATEMENT');
      expect(error.message).toContain('app@1.1.0');
      expect(error.message).toContain('statement 2');
      expect(error.message).toContain('line 3');
      expect(error.hint).toContain('-- strata:transaction off');
      expect(await target.tableExists('vac')).toBe(false);
      expect(await target.stateRows()).toEqual([]);

      writeFiles(dir, { '1.1.0_vacuum.sql': '-- strata:transaction off\n-- strata:up\nDELETE FROM vac;\nVACUUM;\n' });
      const report = await migrator.up();
      expect(report.steps.map((s) => s.id)).toEqual(['app@1.0.0', 'app@1.1.0']);
      expect((await target.stateRows()).map((r) => `${r.version}:${r.status}`)).toEqual(['1.0.0:applied', '1.1.0:applied']);
    } finally {
      await migrator.close();
    }
  });
});
