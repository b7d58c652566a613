import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CORE_INDEXES, CORE_INDEXES_BY_DIALECT } from '../src/indexes.js';
import { CORE_MIGRATIONS } from '../src/migrations.js';
import { CORE_TABLES } from '../src/tables.js';

const DIALECTS = ['postgres', 'sqlite'] as const;
const [initialSchema, addIndexes] = CORE_MIGRATIONS;

function names(sql: string, pattern: RegExp): string[] {
  return [...sql.matchAll(pattern)].map((match) => match[1] as string);
}

describe('CORE_MIGRATIONS', () => {
  it('holds core@1.0.0 initial_schema and core@1.1.0 add_indexes, in that order', () => {
    expect(CORE_MIGRATIONS.map(({ version, name, dependsOn }) => ({ version, name, dependsOn }))).toEqual([
      { version: '1.0.0', name: 'initial_schema', dependsOn: [] },
      { version: '1.1.0', name: 'add_indexes', dependsOn: ['core@1.0.0'] },
    ]);
  });

  it('has an up and a down body for every dialect', () => {
    for (const migration of CORE_MIGRATIONS) {
      for (const dialect of DIALECTS) {
        expect(migration.up[dialect].trim(), `${migration.version} up ${dialect}`).not.toBe('');
        expect(migration.down[dialect].trim(), `${migration.version} down ${dialect}`).not.toBe('');
      }
    }
  });

  it('uses only statements that can run inside a transaction', () => {
    const forbidden = /\b(CONCURRENTLY|VACUUM|PRAGMA|BEGIN|COMMIT|ROLLBACK|ATTACH)\b/i;
    for (const migration of CORE_MIGRATIONS) {
      for (const dialect of DIALECTS) {
        expect(migration.up[dialect]).not.toMatch(forbidden);
        expect(migration.down[dialect]).not.toMatch(forbidden);
      }
    }
  });

  it('creates CORE_TABLES in order and drops them in reverse', () => {
    for (const dialect of DIALECTS) {
      expect(names(initialSchema!.up[dialect], /^CREATE TABLE (\w+)/gm)).toEqual([...CORE_TABLES]);
      expect(names(initialSchema!.down[dialect], /^DROP TABLE IF EXISTS (\w+);/gm)).toEqual([...CORE_TABLES].reverse());
    }
  });

  it('creates the indexes listed for each dialect and drops them in reverse', () => {
    for (const dialect of DIALECTS) {
      const created = names(addIndexes!.up[dialect], /^CREATE INDEX (\w+) ON /gm);
      expect(created).toEqual([...CORE_INDEXES_BY_DIALECT[dialect]]);
      expect(names(addIndexes!.down[dialect], /^DROP INDEX IF EXISTS (\w+);/gm)).toEqual([...created].reverse());
    }
    expect(CORE_INDEXES.length).toBeGreaterThanOrEqual(32);
  });

  it('names every index idx_<table>_<columns> after the table it is on', () => {
    for (const dialect of DIALECTS) {
      for (const [, index, table] of addIndexes!.up[dialect].matchAll(/^CREATE INDEX (\w+) ON (\w+)/gm)) {
        expect(index!.startsWith(`idx_${table}_`), `${index} on ${table}`).toBe(true);
      }
    }
  });

  // Released bodies are frozen: databases store their checksum, so an edit (even whitespace)
  // makes every applied database report a mismatch. Ship a change as a new migration instead.
  // Update these hashes only for a body that has never been released.
  it('keeps the released bodies byte for byte', () => {
    const hashes = Object.fromEntries(
      CORE_MIGRATIONS.flatMap((migration) =>
        DIALECTS.flatMap((dialect) => [
          [`${migration.version} up ${dialect}`, sha256(migration.up[dialect])],
          [`${migration.version} down ${dialect}`, sha256(migration.down[dialect])],
        ]),
      ),
    );
    expect(hashes).toEqual(RELEASED_HASHES);
  });
});

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const RELEASED_HASHES: Record<string, string> = {
  '1.0.0 up postgres': '09bbf1cf95478f7fcb8e9003a758b2f4fef135f7088241254af38ba7dea02e38',
  '1.0.0 down postgres': 'd148d9fa39fa683f672dd90e9f339c70d966a478f688991e15ed9fa252dfb10b',
  '1.0.0 up sqlite': '489951941984e4679c3cfd91c4b6e777cc8aacaf0f8e44668c8235148c91876f',
  '1.0.0 down sqlite': 'd148d9fa39fa683f672dd90e9f339c70d966a478f688991e15ed9fa252dfb10b',
  '1.1.0 up postgres': '27359523e91ede4b44b211d2f9b566aad86d93e20c3421f9214bd36cc41b9c89',
  '1.1.0 down postgres': 'd92ce0d4ce755d00fb7bf68fb0344f7ff250f54cc66791494409fc2d8dc34b18',
  '1.1.0 up sqlite': '5507e6929061c19798d61220da9c41e0345415a3b82a380594d8e49c37fffd03',
  '1.1.0 down sqlite': '1d63ffe748aab3275992b03a7bd4846178132bc3ea72e3181d6c06400f97c925',
};
