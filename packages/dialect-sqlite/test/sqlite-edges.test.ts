// Issue 10 on real SQLite files: secrets in stored events, table rebuilds, session state between
// migrations, scripts that end strata's transaction.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createFileSource, createMigrator, defineModule, isStrataError, type MigrationDefinition, type StrataError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { createSqliteDialect } from '../src/index.js';
import { useTempDatabase } from './sqlite-fixtures.js';

const tempDatabase = useTempDatabase();

type Step = MigrationDefinition & { version: string; name?: string };
const moduleOf = (steps: Step[]) =>
  defineModule({ name: 'app', migrations: steps.map((step) => ({ name: step.name ?? `m_${step.version.replace(/\./g, '_')}`, ...step })) });

async function failure(promise: Promise<unknown>): Promise<StrataError> {
  try {
    await promise;
  } catch (error) {
    if (isStrataError(error)) return error;
    throw error;
  }
  throw new Error('expected the run to fail');
}

function read<T = Record<string, unknown>>(filename: string, sql: string): T[] {
  const db = new Database(filename, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

describe('events written by the migrator', () => {
  it('never store a secret quoted by a failing migration (message or details)', async () => {
    const filename = tempDatabase();
    const secret = 'Sqlite-Secret-9f2';
    const steps: Step[] = [
      { version: '1.0.0', up: 'CREATE TABLE a (id INTEGER);' },
      {
        version: '1.1.0',
        up: async () => {
          throw new Error(`cannot reach postgres://app:${secret}@db/x with password ${secret}`);
        },
      },
    ];
    const migrator = createMigrator({ dialect: createSqliteDialect({ filename }), sources: [moduleOf(steps)], secrets: [secret] });
    const error = await failure(migrator.up());
    expect(error.code).toBe('STRATA_MIGRATION_FAILED');
    const events = read<{ error_message: string | null; details: string | null }>(
      filename,
      'SELECT error_message, details FROM strata_events',
    );
    const failed = events.find((event) => event.error_message);
    expect(failed?.error_message).toContain('password ***');
    expect(JSON.stringify(events)).not.toContain(secret);
    const history = await migrator.history();
    expect(JSON.stringify(history)).not.toContain(secret);
  });
});

const SCHEMA = `
CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);
CREATE TABLE note (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE SET NULL);
INSERT INTO parent VALUES (1, 'a'), (2, 'b'), (3, 'c');
INSERT INTO child VALUES (10, 1), (11, 1), (12, 2), (13, 3);
INSERT INTO note VALUES (20, 1), (21, 2);
`;

/** SQLite's 12-step rebuild of `parent` (a new column with a NOT NULL default), copying `where`. */
const rebuild = (where = '1 = 1') => `
CREATE TABLE parent_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL DEFAULT 'x');
INSERT INTO parent_new (id, name) SELECT id, name FROM parent WHERE ${where};
DROP TABLE parent;
ALTER TABLE parent_new RENAME TO parent;
`;

function files(dir: string, entries: Record<string, string>): void {
  for (const [name, text] of Object.entries(entries)) writeFileSync(join(dir, name), text);
}

describe('SQLite table rebuilds', () => {
  const setUp = () => {
    const filename = tempDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'strata-rebuild-'));
    files(dir, { '1.0.0_schema.sql': `-- strata:up\n${SCHEMA}` });
    const migrator = () => createMigrator({ dialect: createSqliteDialect({ filename }), sources: [createFileSource({ directory: dir })] });
    return { filename, dir, migrator };
  };
  const counts = (filename: string) =>
    read<{ children: number; linked: number; notes: number }>(
      filename,
      'SELECT (SELECT count(*) FROM child) AS children, (SELECT count(parent_id) FROM note) AS linked, (SELECT count(*) FROM note) AS notes',
    )[0];

  it('refuses a rebuild of a table referenced ON DELETE CASCADE / SET NULL before it runs, naming the directive', async () => {
    const { filename, dir, migrator } = setUp();
    await migrator().up();
    // A harmless migration before it: the whole run is refused up front, so it does not run either.
    files(dir, {
      '1.0.5_extra.sql': '-- strata:up\nCREATE TABLE extra (id INTEGER);\n',
      '1.1.0_rebuild_parent.sql': `-- strata:up\n${rebuild()}`,
    });
    // validate (the CI check) already says so.
    const validation = await migrator().validate();
    expect(validation.ok).toBe(false);
    expect(validation.problems.map((p) => p.code)).toEqual(['STRATA_UNSAFE_REBUILD']);
    const error = await failure(migrator().up());
    expect(error.code).toBe('STRATA_UNSAFE_REBUILD');
    expect(error.message).toMatch(
      /1\.1\.0_rebuild_parent\.sql, statement 3, line 5\).*DROP TABLE parent is referenced by child\.parent_id ON DELETE CASCADE, note\.parent_id ON DELETE SET NULL/,
    );
    expect(error.hint).toContain('-- strata:foreign-keys off');
    // Nothing ran: the rows, the schema and the state are as before.
    expect(counts(filename)).toEqual({ children: 4, linked: 2, notes: 2 });
    expect(read(filename, "SELECT name FROM sqlite_schema WHERE name IN ('parent_new', 'extra')")).toEqual([]);
    expect(read(filename, 'SELECT version, status FROM strata_migrations ORDER BY version')).toEqual([
      { version: '1.0.0', status: 'applied' },
    ]);
  });

  it('refuses at the step itself a rebuild whose cascading child was created earlier in the same run', async () => {
    const { filename, dir, migrator } = setUp();
    files(dir, {
      '1.0.5_child2.sql':
        '-- strata:up\nCREATE TABLE child2 (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) ON DELETE CASCADE);\nINSERT INTO child2 VALUES (1, 1);\n',
      '1.1.0_drop_parent.sql': '-- strata:up\nDROP TABLE child;\nDROP TABLE note;\nDROP TABLE parent;\n',
    });
    const error = await failure(migrator().up());
    expect(error.code).toBe('STRATA_UNSAFE_REBUILD');
    expect(error.message).toMatch(/DROP TABLE parent is referenced by child2\.parent_id ON DELETE CASCADE/);
    expect(read(filename, 'SELECT count(*) AS n FROM child2')).toEqual([{ n: 1 }]);
    expect(read(filename, 'SELECT version FROM strata_migrations ORDER BY version')).toEqual([{ version: '1.0.0' }, { version: '1.0.5' }]);
  });

  it('with -- strata:foreign-keys off keeps every child row, passes foreign_key_check, and turns foreign keys back on', async () => {
    const { filename, dir, migrator } = setUp();
    files(dir, {
      '1.1.0_rebuild_parent.sql': `-- strata:foreign-keys off\n-- strata:up\n${rebuild()}`,
      // Runs in the same session after the rebuild: with foreign keys still off it would commit.
      '1.2.0_orphan.sql': '-- strata:up\nINSERT INTO child VALUES (99, 12345);\n',
    });
    const error = await failure(migrator().up());
    expect(error.details.migrationId).toBe('app@1.2.0');
    expect(error.message).toMatch(/FOREIGN KEY constraint failed/);
    expect(read(filename, 'SELECT version, status FROM strata_migrations ORDER BY version')).toEqual([
      { version: '1.0.0', status: 'applied' },
      { version: '1.1.0', status: 'applied' },
    ]);
    expect(counts(filename)).toEqual({ children: 4, linked: 2, notes: 2 });
    expect(read(filename, 'SELECT id, kind FROM parent ORDER BY id')).toEqual([
      { id: 1, kind: 'x' },
      { id: 2, kind: 'x' },
      { id: 3, kind: 'x' },
    ]);
    expect(read(filename, 'PRAGMA foreign_key_check')).toEqual([]);
  });

  it('fails and rolls back a rebuild that leaves a dangling reference', async () => {
    const { filename, dir, migrator } = setUp();
    await migrator().up();
    files(dir, { '1.1.0_rebuild_parent.sql': `-- strata:foreign-keys off\n-- strata:up\n${rebuild('id <> 1')}` });
    const error = await failure(migrator().up());
    expect(error.code).toBe('STRATA_MIGRATION_FAILED');
    expect(error.message).toMatch(/foreign_key_check found 3 rows with a dangling reference/);
    expect(read(filename, 'SELECT count(*) AS n FROM parent')).toEqual([{ n: 3 }]);
    expect(read(filename, "SELECT name FROM sqlite_schema WHERE name = 'parent_new'")).toEqual([]);
    expect(counts(filename)).toEqual({ children: 4, linked: 2, notes: 2 });
    expect(read(filename, 'SELECT version FROM strata_migrations ORDER BY version')).toEqual([{ version: '1.0.0' }]);
  });

  it('runs a non-transactional rebuild with foreign keys off, and marks it failed when it leaves a dangling reference', async () => {
    const { filename, dir, migrator } = setUp();
    await migrator().up();
    files(dir, {
      '1.1.0_rebuild_parent.sql': `-- strata:foreign-keys off\n-- strata:transaction off\n-- strata:up\n${rebuild('id <> 2')}`,
    });
    const error = await failure(migrator().up());
    expect(error.message).toMatch(/foreign_key_check found 2 rows with a dangling reference/);
    expect(error.hint).toMatch(/strata repair/);
    // Outside a transaction the statements stay; no cascade ran (foreign keys were off).
    expect(counts(filename)).toEqual({ children: 4, linked: 2, notes: 2 });
    expect(read(filename, 'SELECT version, status FROM strata_migrations ORDER BY version')).toEqual([
      { version: '1.0.0', status: 'applied' },
      { version: '1.1.0', status: 'failed' },
    ]);
  });

  it('refuses a foreign-keys-off migration in a single-transaction run or a dry run', async () => {
    const { dir, migrator } = setUp();
    files(dir, { '1.1.0_rebuild_parent.sql': `-- strata:foreign-keys off\n-- strata:up\n${rebuild()}` });
    for (const options of [{ singleTransaction: true }, { dryRun: true }]) {
      const error = await failure(migrator().up(options));
      expect(error.message).toMatch(/runs with foreign keys off/);
    }
  });
});

describe('session state between SQLite migrations', () => {
  it('a PRAGMA foreign_keys = OFF in a non-transactional migration does not reach the next one', async () => {
    const filename = tempDatabase();
    const steps: Step[] = [
      {
        version: '1.0.0',
        up: 'CREATE TABLE parent (id INTEGER PRIMARY KEY);\nCREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id));',
      },
      { version: '1.1.0', transaction: false, up: 'PRAGMA foreign_keys = OFF;\nPRAGMA recursive_triggers = ON;' },
      { version: '1.2.0', up: 'INSERT INTO child VALUES (1, 999);' },
    ];
    const error = await failure(createMigrator({ dialect: createSqliteDialect({ filename }), sources: [moduleOf(steps)] }).up());
    expect(error.details.migrationId).toBe('app@1.2.0');
    expect(error.message).toMatch(/FOREIGN KEY constraint failed/);
    expect(read(filename, 'SELECT count(*) AS n FROM child')).toEqual([{ n: 0 }]);
  });
});

describe('an interrupted SQLite run', () => {
  it('reports from the state table what committed: a signal handled after a migration committed does not claim a rollback', async () => {
    const filename = tempDatabase();
    const controller = new AbortController();
    const steps: Step[] = [
      { version: '1.0.0', up: 'CREATE TABLE a (id INTEGER);' },
      {
        version: '1.1.0',
        // better-sqlite3 never yields: a SIGINT is handled only once the running migration is done.
        up: async (ctx) => {
          await ctx.execute('CREATE TABLE b (id INTEGER);');
          controller.abort(new Error('received SIGINT'));
        },
      },
      { version: '1.2.0', up: 'CREATE TABLE c (id INTEGER);' },
    ];
    const error = await failure(
      createMigrator({ dialect: createSqliteDialect({ filename }), sources: [moduleOf(steps)] }).up({ signal: controller.signal }),
    );
    expect(error.code).toBe('STRATA_INTERRUPTED');
    expect(error.message).toBe(
      'Interrupted (received SIGINT): applied app@1.0.0, app@1.1.0; no migration was running; not started app@1.2.0 (read back from the state table)',
    );
    expect(error.message).not.toMatch(/rolled back/);
    expect(read(filename, 'SELECT version, status FROM strata_migrations ORDER BY version')).toEqual([
      { version: '1.0.0', status: 'applied' },
      { version: '1.1.0', status: 'applied' },
    ]);
  });

  it('names the migration that was rolled back when the signal stopped it', async () => {
    const filename = tempDatabase();
    const controller = new AbortController();
    const steps: Step[] = [
      { version: '1.0.0', up: 'CREATE TABLE a (id INTEGER);' },
      {
        version: '1.1.0',
        up: async (ctx) => {
          await ctx.execute('CREATE TABLE b (id INTEGER);');
          controller.abort(new Error('received SIGINT'));
          throw new Error('stopped by the signal');
        },
      },
    ];
    const error = await failure(
      createMigrator({ dialect: createSqliteDialect({ filename }), sources: [moduleOf(steps)] }).up({ signal: controller.signal }),
    );
    expect(error.message).toBe('Interrupted (received SIGINT): applied app@1.0.0; rolled back app@1.1.0 (read back from the state table)');
    expect(read(filename, "SELECT name FROM sqlite_schema WHERE name = 'b'")).toEqual([]);
  });
});
