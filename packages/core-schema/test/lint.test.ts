import { describe, expect, it } from 'vitest';
import { lintMigrationFromBody, lintMigrations } from '@strata/lint';
import { CORE_LINT_IGNORES, CORE_MIGRATIONS } from '../src/index.js';

const bodies = (dialect: 'postgres' | 'sqlite') =>
  CORE_MIGRATIONS.map((m) => lintMigrationFromBody({ id: `core@${m.version}`, up: m.up[dialect] }));

describe('the core migrations under strata lint', () => {
  it('lint clean on SQLite', async () => {
    const report = await lintMigrations(bodies('sqlite'), { dialect: 'sqlite', ignores: CORE_LINT_IGNORES });
    expect(report.findings).toEqual([]);
    expect(report.suppressed).toBe(0);
  });

  it('lint clean on PostgreSQL, each accepted finding ignored with a reason', async () => {
    const report = await lintMigrations(bodies('postgres'), { dialect: 'postgres', ignores: CORE_LINT_IGNORES });
    expect(report.findings).toEqual([]);
    // The 40 indexes of core@1.1.0, built without CONCURRENTLY on tables core@1.0.0 created.
    expect(report.suppressed).toBe(40);
    const unignored = await lintMigrations(bodies('postgres'), { dialect: 'postgres' });
    expect(new Set(unignored.findings.map((f) => `${f.migrationId} ${f.rule}`))).toEqual(new Set(['core@1.1.0 pg/index-not-concurrent']));
  });
});
