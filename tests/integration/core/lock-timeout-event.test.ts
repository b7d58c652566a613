/**
 * SQLite: a run that timed out waiting for the write lock records a lock_timeout event when the
 * lock comes free right after (the event needs the very lock the run waited for).
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migratorFor, strataError, targetFactory } from './fixtures/targets.js';

const factory = targetFactory();
afterAll(() => factory.cleanup());

describe('sqlite: lock_timeout event', () => {
  it('is written when the holder lets go within half a second of the timeout', async () => {
    const target = await factory.create('sqlite');
    const dir = factory.migrations({ '1.0.0_a.sql': '-- strata:up\nCREATE TABLE a (id INTEGER);\n-- strata:down\nDROP TABLE a;\n' });
    const migrator = migratorFor(target.dialect(), dir, { lockTimeoutMs: 300 });
    const holder = new Database(target.location);
    holder.exec('BEGIN IMMEDIATE');
    const release = setTimeout(() => holder.exec('ROLLBACK'), 450);
    try {
      const error = await strataError(migrator.up());
      expect(error.code).toBe('STRATA_LOCK_TIMEOUT');
    } finally {
      clearTimeout(release);
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      await migrator.close();
    }
    expect((await target.events()).map((e) => `${e.action}:${e.outcome}`)).toContain('lock_timeout:failed');
  });
});
