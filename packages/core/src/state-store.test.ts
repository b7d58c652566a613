import { describe, expect, it } from 'vitest';
import { type StateFlavour, stateStoreSql, toEventRecord } from './state-store.js';

const flavour = (overrides: Partial<StateFlavour> = {}): StateFlavour => ({
  tables: { migrations: 'strata_migrations', events: 'strata_events' },
  quote: (name) => `"${name}"`,
  placeholder: (n) => `$${n}`,
  types: {
    key: 'text',
    ref: 'text',
    text: 'text',
    timestamp: 'timestamptz',
    integer: 'integer',
    json: 'jsonb',
    id: 'bigserial PRIMARY KEY',
  },
  upsert: 'on-conflict',
  tableExistsSql: 'SELECT to_regclass($1) IS NOT NULL AS found',
  ...overrides,
});

describe('stateStoreSql', () => {
  it('builds the DDL from the flavour: types, NOT NULL, the status check, options', () => {
    const sql = stateStoreSql(flavour({ tableOptions: 'ENGINE=InnoDB' }));
    expect(sql.createMigrations).toContain('"applied_at" timestamptz NOT NULL');
    expect(sql.createMigrations).toContain(`CHECK ("status" IN ('applied', 'running', 'failed'))`);
    expect(sql.createMigrations).toMatch(/PRIMARY KEY \("module", "version"\)\n\) ENGINE=InnoDB$/);
    expect(sql.createEvents).toContain('"id" bigserial PRIMARY KEY');
    expect(sql.createEvents).toContain('"details" jsonb,'.slice(0, -1));
    expect(sql.createEvents).not.toMatch(/"details" jsonb NOT NULL/);
  });

  it('writes an upsert per engine and an insert that never replaces', () => {
    expect(stateStoreSql(flavour()).upsert).toContain('ON CONFLICT ("module", "version") DO UPDATE SET "name" = excluded."name"');
    expect(stateStoreSql(flavour({ upsert: 'on-duplicate-key', placeholder: () => '?' })).upsert).toContain(
      'ON DUPLICATE KEY UPDATE "name" = VALUES("name")',
    );
    expect(stateStoreSql(flavour()).insert).not.toMatch(/CONFLICT|DUPLICATE/);
    expect(stateStoreSql(flavour()).insert).toMatch(/VALUES \(\$1, \$2, .*\$10\)$/);
  });

  it('filters events by module with an exact prefix (no LIKE wildcards), newest first, limited', () => {
    const { sql, params } = stateStoreSql(flavour({ placeholder: () => '?' })).selectEvents({
      module: 'a_b',
      migrationId: 'a_b@1',
      limit: 5,
    });
    expect(sql).toContain('"migration_id" = ? AND substr("migration_id", 1, 4) = ?');
    expect(sql).toMatch(/ORDER BY "id" DESC LIMIT 5$/);
    expect(params).toEqual(['a_b@1', 'a_b@']);
  });

  it('reads timestamps through the flavour', () => {
    const sql = stateStoreSql(flavour({ timestampSelect: (c) => `iso(${c})` }));
    expect(sql.selectState).toContain('iso("applied_at") AS "applied_at"');
  });
});

describe('toEventRecord', () => {
  it('parses JSON text details and keeps parsed ones', () => {
    const row = {
      id: '3',
      at: '2026-01-02 03:04:05.000Z',
      action: 'apply',
      outcome: 'ok',
      actor: 'a',
      host: 'h',
      tool_version: '1',
      details: '{"a":1}',
    };
    expect(toEventRecord(row)).toMatchObject({
      id: 3,
      at: '2026-01-02T03:04:05.000Z',
      details: { a: 1 },
      migrationId: null,
      durationMs: null,
    });
    expect(toEventRecord({ ...row, details: { b: 2 } }).details).toEqual({ b: 2 });
  });
});
