import Database from 'better-sqlite3';
import { createMigrator, defineModule } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { createSqliteDialect } from '../src/index.js';
import { useTempDatabase } from './sqlite-fixtures.js';

const tempDatabase = useTempDatabase();

// Each migration inserts a row: applied twice, it would leave two rows (no DDL error to stop it).
const module = defineModule({
  name: 'app',
  migrations: Array.from({ length: 12 }, (_, i) => ({
    version: `1.${i}.0`,
    name: `step_${i}`,
    up:
      i === 0
        ? "CREATE TABLE applied (version TEXT NOT NULL);\nINSERT INTO applied VALUES ('1.0.0');"
        : `INSERT INTO applied VALUES ('1.${i}.0');`,
  })),
});

describe('SQLite dialect under core’s migrator', () => {
  it('applies every migration exactly once when 6 runners start at the same time', async () => {
    const filename = tempDatabase();
    const runners = Array.from({ length: 6 }, () =>
      createMigrator({ dialect: createSqliteDialect({ filename }), sources: [module], lockTimeoutMs: 20_000 }),
    );
    const reports = await Promise.all(runners.map((runner) => runner.up()));
    const applied = reports.flatMap((report) => report.steps.filter((step) => step.outcome === 'applied').map((step) => step.id));
    expect(applied.sort()).toEqual(module.definitions.map((migration) => `app@${migration.version}`).sort());

    const db = new Database(filename, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM applied').pluck().get()).toBe(12);
    expect(db.prepare('SELECT count(DISTINCT version) FROM applied').pluck().get()).toBe(12);
    expect(db.prepare("SELECT count(*) FROM strata_migrations WHERE status = 'applied'").pluck().get()).toBe(12);
    db.close();
  });

  it('re-plans when another runner commits between two migrations', async () => {
    // the checksum core records for 1.1.0, taken from a run on a scratch database
    const scratch = tempDatabase();
    await createMigrator({ dialect: createSqliteDialect({ filename: scratch }), sources: [module] }).up();
    const reference = new Database(scratch, { readonly: true });
    const checksum = reference.prepare("SELECT checksum FROM strata_migrations WHERE version = '1.1.0'").pluck().get();
    reference.close();

    const filename = tempDatabase();
    const other = new Database(filename);
    const events: string[] = [];
    const migrator = createMigrator({
      dialect: createSqliteDialect({ filename }),
      sources: [module],
      lockTimeoutMs: 5000,
      onEvent: (event) => {
        events.push(event.type);
        if (event.type !== 'step-end' || event.id !== 'app@1.0.0') return;
        // the write lock is free between two migrations: another runner applies 1.1.0 there
        other.exec("INSERT INTO applied VALUES ('1.1.0 by the other runner')");
        other
          .prepare('INSERT INTO strata_migrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run('app', '1.1.0', 'step_1', checksum, 'sha256-v1', 'applied', new Date().toISOString(), 1, 'other', '0.0.0');
      },
    });
    const report = await migrator.up().catch((error: unknown) => error);
    expect(events).toContain('replanned');
    // 1.1.0 was not run again by this runner: it went on with 1.2.0
    expect(report).toMatchObject({ steps: expect.any(Array) });
    expect((report as { steps: { id: string }[] }).steps.map((step) => step.id)).not.toContain('app@1.1.0');
    expect((report as { steps: unknown[] }).steps).toHaveLength(11);
    expect(other.prepare("SELECT version FROM applied WHERE version LIKE '1.1.0%'").pluck().all()).toEqual(['1.1.0 by the other runner']);
    other.close();
  });
});
