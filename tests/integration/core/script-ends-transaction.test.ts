/**
 * A JS/TS migration that runs COMMIT (or ROLLBACK) itself ends strata's transaction: the run must
 * say what really happened, record the migration `failed`, and point to repair, on both engines.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { migratorFor, strataError, targetFactory, type Kind } from './fixtures/targets.js';

const factory = targetFactory();
afterAll(() => factory.cleanup());

const committing = `export default {
  up: async (ctx) => {
    await ctx.execute('CREATE TABLE half_a (id INTEGER)');
    await ctx.execute('COMMIT');
    await ctx.execute('CREATE TABLE half_b (id INTEGER)');
  },
};
`;

describe.each(['postgres', 'sqlite'] as const)('%s: a script that ends strata’s transaction', (kind: Kind) => {
  it('is reported with what committed, recorded failed, and up then asks for repair', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_first.sql': '-- strata:up\nCREATE TABLE first_t (id INTEGER);\n',
      '1.1.0_commits.mjs': committing,
      '1.2.0_after.sql': '-- strata:up\nCREATE TABLE after_t (id INTEGER);\n',
    });
    const error = await strataError(migratorFor(target.dialect(), dir).up());
    expect(error.code).toBe('STRATA_MIGRATION_FAILED');
    expect(error.message).toMatch(
      /Migration app@1\.1\.0 \(.*1\.1\.0_commits\.mjs\) ended strata's transaction itself \(a COMMIT or ROLLBACK in its code\): what it ran after that point is committed/,
    );
    expect(error.hint).toMatch(/strata repair/);
    // The truth in the database: both halves committed, the migration failed, nothing after it ran.
    expect(await target.tableExists('half_a')).toBe(true);
    expect(await target.tableExists('half_b')).toBe(true);
    expect(await target.tableExists('after_t')).toBe(false);
    expect((await target.stateRows()).map((row) => [row.version, row.status])).toEqual([
      ['1.0.0', 'applied'],
      ['1.1.0', 'failed'],
    ]);
    expect((await target.events()).filter((event) => event.outcome === 'failed').map((event) => event.migration_id)).toEqual(['app@1.1.0']);
    const again = await strataError(migratorFor(target.dialect(), dir).up());
    expect(again.code).toBe('STRATA_NEEDS_REPAIR');
  });

  it('in a single-transaction run, records every migration of the run so far as failed', async () => {
    const target = await factory.create(kind);
    const dir = factory.migrations({
      '1.0.0_first.sql': '-- strata:up\nCREATE TABLE first_t (id INTEGER);\n',
      '1.1.0_commits.mjs': committing,
    });
    const error = await strataError(migratorFor(target.dialect(), dir).up({ singleTransaction: true }));
    expect(error.message).toMatch(/strata recorded app@1\.0\.0, app@1\.1\.0 as failed/);
    expect(await target.tableExists('first_t')).toBe(true);
    expect((await target.stateRows()).map((row) => [row.version, row.status])).toEqual([
      ['1.0.0', 'failed'],
      ['1.1.0', 'failed'],
    ]);
  });
});
