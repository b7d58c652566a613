import { describe, expect, it } from 'vitest';
import type { StateRow } from '@strata/core';
import { buildStateWritesSql, escapePostgresLiteral, stateSelectSql, unpackStateRows } from './postgres-state-store.js';

const SAMPLE_ROW: StateRow = {
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
};

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
        row: SAMPLE_ROW,
      },
      { kind: 'delete', module: 'app', version: '1.0.0' },
    ]);
    expect(upsert).toContain('INSERT INTO "app"."strata_migrations"');
    expect(upsert).toContain("E'o''brien'");
    expect(upsert).toContain("E'2024-01-01T00:00:00.000Z'::timestamptz");
    expect(remove).toBe(`DELETE FROM "app"."strata_migrations" WHERE module = E'app' AND version = E'1.0.0'`);
  });
});

describe('packed state rows', () => {
  const packed = (...fields: string[]) => ({ s: fields.join('\u001f') });
  const fields = ['app', '1.0.0', "o'brien", 'abc', 'sha256-v1', 'applied', '2024-01-01T00:00:00.000Z', '12', 'me', '0.1.0'];

  it('selects the ten columns as one text, sorted on the stored timestamp', () => {
    const sql = stateSelectSql({ schema: 'app', migrations: 'strata_migrations', events: 'strata_events' });
    expect(sql.match(/E'\\x1f'/g)).toHaveLength(9);
    expect(sql).toContain('FROM "app"."strata_migrations" m ORDER BY m.module, m.applied_at, m.version');
  });

  it('unpacks rows of exactly ten fields', () => {
    expect(unpackStateRows([packed(...fields)])).toEqual([SAMPLE_ROW]);
    expect(unpackStateRows([])).toEqual([]);
  });

  it('gives up on a row that does not split into ten fields (a value holding U+001F), or is NULL', () => {
    expect(unpackStateRows([packed(...fields), packed(...fields.slice(0, 2), 'a\u001fb', ...fields.slice(3))])).toBeUndefined();
    expect(unpackStateRows([{ s: null }])).toBeUndefined();
  });
});
