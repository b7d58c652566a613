import { describe, expect, it } from 'vitest';
import { canonicalText } from './checksum.js';
import { isStrataError } from './errors.js';
import type { MigrationContext } from './migration.js';
import { defineModule, isMigrationModule, pickBody, resolveDefinition } from './module-source.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const billing = defineModule({
  name: 'billing',
  migrations: [
    {
      version: '1.0.0',
      name: 'invoices',
      up: { postgres: 'CREATE TABLE invoices (id bigserial)', default: 'CREATE TABLE invoices (id integer)' },
      down: 'DROP TABLE invoices',
    },
    {
      version: '1.1.0',
      name: 'pg_only',
      up: { postgres: 'CREATE EXTENSION pgcrypto' },
      dependsOn: ['core@1.0.0'],
      transaction: false,
    },
    {
      version: '1.2.0',
      name: 'down_per_dialect',
      up: 'CREATE TABLE x (id int)',
      down: { postgres: 'DROP TABLE x CASCADE' },
    },
  ],
});

describe('defineModule', () => {
  it('is a module source named after the module', () => {
    expect(billing.kind).toBe('strata-module');
    expect(billing.name).toBe('billing');
    expect(billing.description).toBe('module billing');
    expect(billing.definitions).toHaveLength(3);
    expect(isMigrationModule(billing)).toBe(true);
    expect(isMigrationModule({ kind: 'other' })).toBe(false);
    expect(isMigrationModule(null)).toBe(false);
  });

  it('lists its migrations with ids, versions and metadata', async () => {
    const { migrations, problems } = await billing.load();
    expect(problems).toEqual([]);
    expect(
      migrations.map((m) => ({
        id: m.id,
        module: m.module,
        version: m.version.text,
        name: m.name,
        dependsOn: m.dependsOn,
        transaction: m.transaction,
        hasDown: m.hasDown,
        file: m.file,
      })),
    ).toEqual([
      {
        id: 'billing@1.0.0',
        module: 'billing',
        version: '1.0.0',
        name: 'invoices',
        dependsOn: [],
        transaction: true,
        hasDown: true,
        file: 'module billing',
      },
      {
        id: 'billing@1.1.0',
        module: 'billing',
        version: '1.1.0',
        name: 'pg_only',
        dependsOn: ['core@1.0.0'],
        transaction: false,
        hasDown: false,
        file: 'module billing',
      },
      {
        id: 'billing@1.2.0',
        module: 'billing',
        version: '1.2.0',
        name: 'down_per_dialect',
        dependsOn: [],
        transaction: true,
        hasDown: true,
        file: 'module billing',
      },
    ]);
    expect(migrations.every((m) => m.load === undefined)).toBe(true);
  });

  it('resolves the dialect body, falling back to default', async () => {
    const [invoices] = (await billing.load()).migrations;
    const pg = await invoices!.resolve('postgres');
    expect(pg.up).toBe('CREATE TABLE invoices (id bigserial)');
    expect(pg.down).toBe('DROP TABLE invoices');
    expect(pg.checksumText).toBe('CREATE TABLE invoices (id bigserial)\n-- strata:down\nDROP TABLE invoices');
    const sqlite = await invoices!.resolve('sqlite');
    expect(sqlite.up).toBe('CREATE TABLE invoices (id integer)');
    expect(sqlite.checksumText).toBe('CREATE TABLE invoices (id integer)\n-- strata:down\nDROP TABLE invoices');
    expect(pg.checksumText).not.toBe(sqlite.checksumText);
    expect(await invoices!.resolve('postgres')).toBe(pg); // resolved once per dialect
  });

  it('rejects resolving a dialect that has no up body', async () => {
    const pgOnly = (await billing.load()).migrations[1]!;
    expect((await pgOnly.resolve('postgres')).up).toBe('CREATE EXTENSION pgcrypto');
    const error = await rejection(pgOnly.resolve('sqlite'));
    expect(isStrataError(error)).toBe(true);
    if (!isStrataError(error)) return;
    expect(error.code).toBe('STRATA_INVALID_MIGRATION');
    expect(error.message).toBe('Migration billing@1.1.0 (module billing) has no up body for dialect sqlite');
    expect(error.details).toEqual({ migrationId: 'billing@1.1.0', file: 'module billing' });
  });

  it('rejects resolving a dialect that has no down body when others have one', async () => {
    const perDialect = (await billing.load()).migrations[2]!;
    expect((await perDialect.resolve('postgres')).down).toBe('DROP TABLE x CASCADE');
    const error = await rejection(perDialect.resolve('sqlite'));
    expect(isStrataError(error) && error.code).toBe('STRATA_INVALID_MIGRATION');
    expect((error as Error).message).toBe('Migration billing@1.2.0 (module billing) has no down body for dialect sqlite');
  });

  it('refuses an invalid module name with STRATA_INVALID_ID', () => {
    for (const name of ['Billing', '1billing', 'bill ing', '']) {
      let caught: unknown;
      try {
        defineModule({ name, migrations: [] });
      } catch (error) {
        caught = error;
      }
      expect(isStrataError(caught) && caught.code, name).toBe('STRATA_INVALID_ID');
    }
  });

  it('reports an invalid version as a problem and keeps the valid migrations', async () => {
    const module = defineModule({
      name: 'shop',
      migrations: [
        { version: '1.0', name: 'bad', up: 'SELECT 1' },
        { version: 'v1.1.0', name: 'worse', up: 'SELECT 1' },
        { version: '1.2.0', name: 'good', up: 'SELECT 1' },
      ],
    });
    const { migrations, problems } = await module.load();
    expect(migrations.map((m) => m.id)).toEqual(['shop@1.2.0']);
    expect(problems).toEqual([
      {
        code: 'STRATA_INVALID_VERSION',
        message: 'Invalid version "1.0" in module shop: it needs three numbers MAJOR.MINOR.PATCH, found 2',
        file: 'module shop',
      },
      {
        code: 'STRATA_INVALID_VERSION',
        message: 'Invalid version "v1.1.0" in module shop: it starts with "v"; write 1.2.3, not v1.2.3',
        file: 'module shop',
      },
    ]);
  });
});

describe('pickBody', () => {
  const fn = async (_context: MigrationContext) => {};

  it('returns a plain body for every dialect', () => {
    expect(pickBody('SELECT 1', 'sqlite')).toBe('SELECT 1');
    expect(pickBody(fn, 'postgres')).toBe(fn);
  });

  it('picks the dialect entry, then default, else null', () => {
    expect(pickBody({ postgres: 'A', default: 'B' }, 'postgres')).toBe('A');
    expect(pickBody({ postgres: 'A', default: 'B' }, 'sqlite')).toBe('B');
    expect(pickBody({ postgres: 'A' }, 'sqlite')).toBeNull();
  });

  it('returns undefined when there is no body at all', () => {
    expect(pickBody(undefined, 'sqlite')).toBeUndefined();
  });
});

describe('resolveDefinition', () => {
  it('hashes up and down together, so editing either changes the checksum text', () => {
    const a = resolveDefinition('m@1.0.0', 'f', { up: 'UP', down: 'DOWN' }, 'sqlite');
    const b = resolveDefinition('m@1.0.0', 'f', { up: 'UP', down: 'DOWN2' }, 'sqlite');
    const c = resolveDefinition('m@1.0.0', 'f', { up: 'UP' }, 'sqlite');
    expect(a.checksumText).toBe('UP\n-- strata:down\nDOWN');
    expect(b.checksumText).not.toBe(a.checksumText);
    expect(c).toEqual({ up: 'UP', down: undefined, checksumText: 'UP\n-- strata:down\n' });
  });

  it('hashes a function body by its source text, canonicalised', () => {
    const up = async (context: MigrationContext) => {
      await context.execute('CREATE TABLE t (id int)');
    };
    const resolved = resolveDefinition('m@1.0.0', 'f', { up }, 'sqlite');
    expect(resolved.up).toBe(up);
    expect(resolved.checksumText).toBe(canonicalText(`${up.toString()}\n-- strata:down\n`));
    // toString() is the *transpiled* source, so the quote style depends on the build tool.
    expect(resolved.checksumText).toMatch(/context\.execute\(["']CREATE TABLE t \(id int\)["']\)/);
    expect(resolveDefinition('m@1.0.0', 'f', { up: 'A\r\nB' }, 'sqlite').checksumText).toBe('A\nB\n-- strata:down\n');
  });
});
