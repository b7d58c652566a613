import { describe, expect, it } from 'vitest';
import { buildStateWritesSql, escapePostgresLiteral } from './postgres-state-store.js';

describe('escapePostgresLiteral', () => {
  it('doubles quotes and backslashes inside an E string', () => {
    expect(escapePostgresLiteral("it's")).toBe("E'it''s'");
    expect(escapePostgresLiteral('a\\')).toBe("E'a\\\\'");
    expect(escapePostgresLiteral("\\'; DROP TABLE t; --")).toBe("E'\\\\''; DROP TABLE t; --'");
  });

  it('refuses NUL, which PostgreSQL text cannot hold', () => {
    expect(() => escapePostgresLiteral('a\u0000b')).toThrow(expect.objectContaining({ code: 'STRATA_INTERNAL' }));
  });
});

describe('buildStateWritesSql', () => {
  it('quotes names and escapes every value', () => {
    const [upsert, remove] = buildStateWritesSql({ schema: 'app', migrations: 'strata_migrations', events: 'strata_events' }, [
      {
        kind: 'upsert',
        row: {
          module: 'app',
          version: '1.0.0',
          name: "o'brien",
          checksum: 'abc',
          checksumAlgo: 'sha256-v1',
          status: 'applied',
          appliedAt: '2024-01-01T00:00:00.000Z',
          executionMs: 12,
          appliedBy: 'me',
          toolVersion: '0.1.0',
        },
      },
      { kind: 'delete', module: 'app', version: '1.0.0' },
    ]);
    expect(upsert).toContain('INSERT INTO "app"."strata_migrations"');
    expect(upsert).toContain("E'o''brien'");
    expect(upsert).toContain("E'2024-01-01T00:00:00.000Z'::timestamptz");
    expect(remove).toBe(`DELETE FROM "app"."strata_migrations" WHERE module = E'app' AND version = E'1.0.0'`);
  });
});
