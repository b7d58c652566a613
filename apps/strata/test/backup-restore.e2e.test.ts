// Issue 12, items 5–7: a restore restores. After an in-place restore the covered schemas hold
// exactly what they held at backup time (catalogue and rows), all or nothing, under the migration
// lock, followed by a `restore` event; `--into` takes a name or URL (PostgreSQL) or a path
// (SQLite) and refuses a non-empty target. End to end with the built bin.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project as makeProject, type Ran, strata } from './bin.js';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof import('better-sqlite3');

const project = (files: Record<string, string>) => makeProject(files, 'strata-bk-restore-');

function json(ran: Ran, code = 0): any {
  expect(ran.code, ran.stderr).toBe(code);
  return JSON.parse(ran.stdout);
}

const sql = (up: string, down: string) => `-- strata:up\n${up}\n-- strata:down\n${down}\n`;

const PG_MIGRATIONS = {
  'migrations/1.0.0_parent.sql': sql(
    "CREATE TYPE mood AS ENUM ('ok', 'sad');\nCREATE TABLE parent (id integer PRIMARY KEY, name text NOT NULL, extra text, m mood);\nINSERT INTO parent VALUES (1, 'a', 'x', 'ok'), (2, 'b', 'y', 'sad');",
    'DROP TABLE parent;\nDROP TYPE mood;',
  ),
  'migrations/1.1.0_later.sql': sql(
    [
      'CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent (id));',
      'INSERT INTO child VALUES (10, 1);',
      'ALTER TABLE parent DROP COLUMN extra;',
      "UPDATE parent SET name = 'changed';",
      "INSERT INTO parent VALUES (3, 'c', 'ok');",
      'CREATE SCHEMA later;',
      'CREATE TABLE later.t (id integer);',
      "CREATE TYPE color AS ENUM ('red');",
      'CREATE SEQUENCE counter;',
      'CREATE EXTENSION IF NOT EXISTS pgcrypto;',
    ].join('\n'),
    'DROP EXTENSION pgcrypto;\nDROP SEQUENCE counter;\nDROP TYPE color;\nDROP SCHEMA later CASCADE;\nDROP TABLE child;\nALTER TABLE parent ADD COLUMN extra text;',
  ),
};

const notSystem = (column: string) => `${column} NOT IN ('pg_catalog', 'information_schema') AND ${column} NOT LIKE 'pg\\_%'`;

/** Everything a restore must bring back: catalogue, rows, strata's state and events. */
async function snapshot(url: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const col = async (query: string) => (await client.query(query)).rows.map((row) => Object.values(row).join('|'));
  try {
    return {
      schemas: await col(`SELECT nspname FROM pg_namespace WHERE ${notSystem('nspname')} ORDER BY 1`),
      relations: await col(
        `SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${notSystem('n.nspname')} ORDER BY 1, 2`,
      ),
      columns: await col(
        `SELECT table_schema, table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE ${notSystem('table_schema')} ORDER BY 1, 2, 3`,
      ),
      types: await col(
        `SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype = 'e' ORDER BY 1, 2`,
      ),
      constraints: await col(
        `SELECT conrelid::regclass::text, conname, contype FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE ${notSystem('n.nspname')} ORDER BY 1, 2`,
      ),
      extensions: await col('SELECT extname FROM pg_extension ORDER BY 1'),
      parent: await col('SELECT * FROM parent ORDER BY id'),
      state: await col('SELECT module, version, checksum, status, applied_at FROM strata_migrations ORDER BY 1, 2'),
      events: await col('SELECT id, action, migration_id, outcome FROM strata_events ORDER BY id'),
    };
  } finally {
    await client.end();
  }
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first`);
});

describe('strata backup restore in place on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_bk_restore');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('brings back exactly the backed-up schemas and rows (later objects gone, dropped ones back), then `up` re-applies cleanly', async () => {
    const dir = project(PG_MIGRATIONS);
    const env = { DATABASE_URL: database.url };
    json(strata(dir, ['up', '--to', '1.0.0', '--json'], env));
    const before = await snapshot(database.url);
    const up = json(strata(dir, ['up', '--json'], env));
    expect(up.backupId).toEqual(expect.any(String));
    const after = await snapshot(database.url);
    expect(after.relations).toContain('public|child|r');
    expect(after.extensions).toContain('pgcrypto');

    // A failed restore (another session holds a lock the restore needs) changes nothing.
    const blocker = new pg.Client({ connectionString: database.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE child IN ACCESS SHARE MODE');
      const failed = strata(dir, ['backup', 'restore', up.backupId, '--yes', '--lock-timeout', '1s', '--json'], env);
      expect(failed.code, failed.stderr).toBe(6);
      expect(JSON.parse(failed.stdout).error.message).toMatch(/lock timeout/);
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      await blocker.end();
    }
    const unchanged = await snapshot(database.url);
    expect({ ...unchanged, events: undefined }).toEqual({ ...after, events: undefined });

    const restored = json(strata(dir, ['backup', 'restore', up.backupId, '--yes', '--json'], env));
    expect(restored).toMatchObject({ action: 'restore', recorded: true, result: { replacedLive: true } });
    const now = await snapshot(database.url);
    const { events, ...rest } = now;
    const { events: eventsBefore, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    // The events of the backup's moment, then the restore.
    expect((events as string[]).slice(0, (eventsBefore as string[]).length)).toEqual(eventsBefore);
    expect((events as string[]).slice((eventsBefore as string[]).length).map((e) => e.split('|')[1])).toEqual(['restore']);

    // `up` again applies 1.1.0 cleanly (no "relation already exists").
    const again = json(strata(dir, ['up', '--json'], env));
    expect(again.steps.map((s: any) => s.id)).toEqual(['app@1.1.0']);
  });

  it('waits for the migration lock: a restore during a running `up` times out with exit 4 and changes nothing', async () => {
    const db = await createTestDatabase('strata_bk_restore_lock');
    try {
      const dir = project({
        'migrations/1.0.0_t.sql': sql("CREATE TABLE t (v text);\nINSERT INTO t VALUES ('backed up');", 'DROP TABLE t;'),
      });
      const env = { DATABASE_URL: db.url };
      json(strata(dir, ['up', '--json'], env));
      const id = json(strata(dir, ['backup', 'create', '--json'], env)).backup.id;
      writeFileSync(
        join(dir, 'migrations/1.1.0_slow.sql'),
        sql("UPDATE t SET v = 'migrated';\nSELECT pg_sleep(6);", "UPDATE t SET v = 'backed up';"),
      );
      const running = spawn(process.execPath, [BIN, 'up', '--no-backup'], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? dir,
          XDG_CACHE_HOME: join(tmpdir(), 'strata-e2e-xdg-cache'),
          ...env,
        },
        stdio: 'ignore',
      });
      const done = new Promise<number | null>((resolve) => running.on('close', resolve));
      // Wait until the run holds the lock (its migration is sleeping).
      for (let i = 0; i < 100; i += 1) {
        const rows = await adminQuery<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()",
          [db.name],
        );
        if (Number(rows[0]?.n) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const refused = strata(dir, ['backup', 'restore', id, '--yes', '--lock-timeout', '1s', '--json'], env);
      expect(refused.code, refused.stderr).toBe(4);
      expect(await done).toBe(0);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        expect((await client.query('SELECT v FROM t')).rows).toEqual([{ v: 'migrated' }]);
      } finally {
        await client.end();
      }
    } finally {
      await db.drop();
    }
  });

  it('--into takes a database name or a URL, and refuses a non-empty database', async () => {
    const dir = project(PG_MIGRATIONS);
    const db = await createTestDatabase('strata_bk_into');
    const name = `${db.name}_copy`;
    try {
      const env = { DATABASE_URL: db.url };
      json(strata(dir, ['up', '--no-backup', '--json'], env));
      const id = json(strata(dir, ['backup', 'create', '--json'], env)).backup.id;
      json(strata(dir, ['backup', 'restore', id, '--into', name, '--json'], env));
      const copyUrl = db.url.replace(/\/[^/]*$/, `/${name}`);
      expect(await snapshot(copyUrl)).toMatchObject({ parent: (await snapshot(db.url)).parent });
      // By URL, into an existing empty database.
      await adminQuery(`CREATE DATABASE "${name}_2"`);
      json(strata(dir, ['backup', 'restore', id, '--into', `${copyUrl}_2`, '--json'], env));
      expect((await snapshot(`${copyUrl}_2`)).relations).toContain('public|child|r');
      // Non-empty: refused, with the reason.
      const refused = strata(dir, ['backup', 'restore', id, '--into', name, '--json'], env);
      expect(refused.code).toBe(6);
      expect(JSON.parse(refused.stdout).error.message).toMatch(new RegExp(`${name}: the database exists and is not empty`));
      const bad = strata(dir, ['backup', 'restore', id, '--into', 'no such db', '--json'], env);
      expect(bad.code).toBe(6);
      expect(JSON.parse(bad.stdout).error.message).toMatch(/not a PostgreSQL database name or URL/);
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await adminQuery(`DROP DATABASE IF EXISTS "${name}_2" WITH (FORCE)`);
      await db.drop();
    }
  });
});

describe('strata backup restore --into on SQLite', () => {
  it('takes a path, refuses a URL of another kind and an existing file', () => {
    const dir = project({ 'migrations/1.0.0_t.sql': sql("CREATE TABLE t (v text);\nINSERT INTO t VALUES ('x');", 'DROP TABLE t;') });
    json(strata(dir, ['up', '--json']));
    const id = json(strata(dir, ['backup', 'create', '--json'])).backup.id;
    json(strata(dir, ['backup', 'restore', id, '--into', 'sqlite:copy.db', '--json']));
    const copy = new Database(join(dir, 'copy.db'), { readonly: true });
    expect(copy.prepare('SELECT v FROM t').all()).toEqual([{ v: 'x' }]);
    copy.close();
    const exists = strata(dir, ['backup', 'restore', id, '--into', 'copy.db', '--json']);
    expect(exists.code).toBe(6);
    expect(JSON.parse(exists.stdout).error.message).toMatch(/already exists and is not empty/);
    const url = strata(dir, ['backup', 'restore', id, '--into', 'postgres://db/x', '--json']);
    expect(url.code).toBe(6);
    expect(JSON.parse(url.stdout).error.message).toMatch(/give the path of a new database file/);
  });
});

const SQLITE_MIGRATIONS = {
  'migrations/1.0.0_parent.sql': sql(
    "CREATE TABLE parent (id integer PRIMARY KEY, name text NOT NULL, extra text);\nINSERT INTO parent VALUES (1, 'a', 'x'), (2, 'b', 'y');",
    'DROP TABLE parent;',
  ),
  'migrations/1.1.0_later.sql': sql(
    [
      'CREATE TABLE child (id integer PRIMARY KEY, parent_id integer NOT NULL REFERENCES parent (id));',
      'INSERT INTO child VALUES (10, 1);',
      'ALTER TABLE parent DROP COLUMN extra;',
      "UPDATE parent SET name = 'changed';",
      'CREATE INDEX child_parent ON child (parent_id);',
      'CREATE VIEW names AS SELECT name FROM parent;',
      'CREATE TRIGGER parent_touch AFTER UPDATE ON parent BEGIN SELECT 1; END;',
    ].join('\n'),
    'DROP TRIGGER parent_touch;\nDROP VIEW names;\nDROP TABLE child;\nALTER TABLE parent ADD COLUMN extra text;',
  ),
};

function sqliteSnapshot(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  try {
    return {
      schema: db
        .prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        .all(),
      parent: db.prepare('SELECT * FROM parent ORDER BY id').all(),
      state: db.prepare('SELECT * FROM strata_migrations ORDER BY module, version').all(),
      events: db.prepare('SELECT id, action, migration_id FROM strata_events ORDER BY id').all(),
      integrity: db.pragma('integrity_check', { simple: true }),
    };
  } finally {
    db.close();
  }
}

describe('strata backup restore in place on SQLite', () => {
  for (const mode of ['wal', 'delete'] as const) {
    it(`(${mode} journal) brings back exactly the backed-up schema and rows, then \`up\` re-applies cleanly`, () => {
      const dir = project(SQLITE_MIGRATIONS);
      const file = join(dir, 'strata.db');
      const db = new Database(file);
      db.pragma(`journal_mode = ${mode}`);
      db.close();
      json(strata(dir, ['up', '--to', '1.0.0', '--no-backup', '--json']));
      const before = sqliteSnapshot(file);
      const up = json(strata(dir, ['up', '--json']));
      expect(up.backupId).toEqual(expect.any(String));
      expect((sqliteSnapshot(file).schema as any[]).map((o) => o.name)).toContain('child');

      json(strata(dir, ['backup', 'restore', up.backupId, '--yes', '--json']));
      const { events, ...now } = sqliteSnapshot(file);
      const { events: eventsBefore, ...was } = before;
      expect(now).toEqual(was);
      expect((events as any[]).slice(0, (eventsBefore as any[]).length)).toEqual(eventsBefore);
      expect((events as any[]).slice((eventsBefore as any[]).length).map((e) => e.action)).toEqual(['restore']);
      const check = new Database(file, { readonly: true });
      expect(check.pragma('journal_mode', { simple: true })).toBe(mode);
      check.close();

      const again = json(strata(dir, ['up', '--json']));
      expect(again.steps.map((s: any) => s.id)).toEqual(['app@1.1.0']);
    });
  }

  it('waits for the write lock (the migration lock) for --lock-timeout, then exits 4 and changes nothing', () => {
    const dir = project(SQLITE_MIGRATIONS);
    const file = join(dir, 'strata.db');
    json(strata(dir, ['up', '--json']));
    const id = json(strata(dir, ['backup', 'create', '--json'])).backup.id;
    const holder = new Database(file);
    try {
      holder.exec("BEGIN IMMEDIATE; UPDATE parent SET name = 'held'");
      const refused = strata(dir, ['backup', 'restore', id, '--yes', '--lock-timeout', '1s', '--json']);
      expect(refused.code, refused.stderr).toBe(4);
      expect(JSON.parse(refused.stdout).error.message).toMatch(/waited 1000 ms for the database's write lock/);
      holder.exec('COMMIT');
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    expect((sqliteSnapshot(file).parent as any[]).map((r) => r.name)).toEqual(['held', 'held']);
  });

  it('kill -9 during a restore leaves the old or the new database, never a torn one', async () => {
    const dir = project(SQLITE_MIGRATIONS);
    const file = join(dir, 'strata.db');
    json(strata(dir, ['up', '--json']));
    const db = new Database(file);
    db.exec('CREATE TABLE blobs (data blob)');
    const insert = db.prepare('INSERT INTO blobs VALUES (randomblob(65536))');
    db.transaction(() => {
      for (let i = 0; i < 1500; i += 1) insert.run();
    })();
    db.close();
    const id = json(strata(dir, ['backup', 'create', '--json'])).backup.id;
    const changed = new Database(file);
    changed.exec("DELETE FROM blobs WHERE rowid % 2 = 0; UPDATE parent SET name = 'after'");
    changed.close();
    for (const delayMs of [150, 400]) {
      const child = spawn(process.execPath, [BIN, 'backup', 'restore', id, '--yes'], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, XDG_CACHE_HOME: join(tmpdir(), 'strata-e2e-xdg-cache') },
        stdio: 'ignore',
      });
      const closed = new Promise((resolve) => child.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      child.kill('SIGKILL');
      await closed;
      const after = new Database(file);
      try {
        expect(after.pragma('integrity_check', { simple: true })).toBe('ok');
        const names = (after.prepare('SELECT name FROM parent').all() as { name: string }[]).map((r) => r.name);
        const blobs = (after.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n;
        // All old or all new.
        expect([JSON.stringify([names, blobs])]).toContain(
          JSON.stringify(names[0] === 'after' ? [['after', 'after'], 750] : [names, 1500]),
        );
      } finally {
        after.close();
      }
    }
  });
});
