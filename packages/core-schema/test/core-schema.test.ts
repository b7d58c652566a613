import { isMigrationModule } from '@strata/core';
import { describe, expect, it } from 'vitest';
import defaultExport, {
  CORE_MODULE_NAME,
  CORE_TABLES,
  POSTGRES_ADD_INDEXES_UP,
  POSTGRES_INITIAL_SCHEMA_DOWN,
  POSTGRES_INITIAL_SCHEMA_UP,
  SQLITE_ADD_INDEXES_UP,
  SQLITE_INITIAL_SCHEMA_DOWN,
  SQLITE_INITIAL_SCHEMA_UP,
  coreSchema,
} from '../src/index.js';

describe('coreSchema', () => {
  it('is module core, also the default export', () => {
    expect(defaultExport).toBe(coreSchema);
    expect(isMigrationModule(coreSchema)).toBe(true);
    expect(coreSchema.name).toBe(CORE_MODULE_NAME);
    expect(CORE_MODULE_NAME).toBe('core');
    expect(CORE_TABLES).toHaveLength(8);
  });

  it('loads core@1.0.0 and core@1.1.0 without problems, both transactional and reversible', async () => {
    const { migrations, problems } = await coreSchema.load();
    expect(problems).toEqual([]);
    expect(migrations.map(({ id, name, dependsOn, transaction, hasDown }) => ({ id, name, dependsOn, transaction, hasDown }))).toEqual([
      { id: 'core@1.0.0', name: 'initial_schema', dependsOn: [], transaction: true, hasDown: true },
      { id: 'core@1.1.0', name: 'add_indexes', dependsOn: ['core@1.0.0'], transaction: true, hasDown: true },
    ]);
  });

  it('resolves the body written for each dialect', async () => {
    const [initialSchema, addIndexes] = (await coreSchema.load()).migrations;
    expect(await initialSchema!.resolve('postgres')).toMatchObject({ up: POSTGRES_INITIAL_SCHEMA_UP, down: POSTGRES_INITIAL_SCHEMA_DOWN });
    expect(await initialSchema!.resolve('sqlite')).toMatchObject({ up: SQLITE_INITIAL_SCHEMA_UP, down: SQLITE_INITIAL_SCHEMA_DOWN });
    expect((await addIndexes!.resolve('postgres')).up).toBe(POSTGRES_ADD_INDEXES_UP);
    expect((await addIndexes!.resolve('sqlite')).up).toBe(SQLITE_ADD_INDEXES_UP);
  });

  it('refuses a dialect it has no body for, naming the migration', async () => {
    const [initialSchema] = (await coreSchema.load()).migrations;
    await expect(initialSchema!.resolve('mysql')).rejects.toMatchObject({ code: 'STRATA_INVALID_MIGRATION' });
    await expect(initialSchema!.resolve('mysql')).rejects.toThrow(/core@1\.0\.0/);
  });
});
