// `strata backup create|list|verify|restore|prune` end to end: the documented --json shapes
// (packages/cli/README.md), confirmation, and the backup/restore events in `strata history`.
import { appendFileSync, existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project as makeProject, type Ran, strata } from './bin.js';

const project = (files: Record<string, string>) => makeProject(files, 'strata-backup-e2e-');

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof import('better-sqlite3');

/** The single JSON document of a `--json` run, after checking the exit status. */
function json(ran: Ran, code = 0): any {
  expect(ran.code, ran.stderr).toBe(code);
  return JSON.parse(ran.stdout);
}

const sql = (up: string, down: string) => `-- strata:up\n${up}\n-- strata:down\n${down}\n`;

const MIGRATIONS = {
  'migrations/1.0.0_items.sql': sql(
    "CREATE TABLE items (id integer primary key, name text not null);\nINSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');",
    'DROP TABLE items;',
  ),
  'migrations/1.1.0_tags.sql': sql('CREATE TABLE tags (id integer primary key);', 'DROP TABLE tags;'),
};

const MANIFEST_KEYS = [
  'createdAt',
  'database',
  'dialect',
  'durationMs',
  'file',
  'format',
  'id',
  'runId',
  'schemaVersions',
  'sequence',
  'sha256',
  'size',
  'target',
  'toolVersion',
  'verified',
  'verifyMs',
];
const EVENT_KEYS = [
  'action',
  'actor',
  'at',
  'backupId',
  'details',
  'durationMs',
  'errorCode',
  'errorMessage',
  'host',
  'id',
  'migrationId',
  'outcome',
  'sqlState',
  'toolVersion',
];

beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: run \`npx turbo run build --filter=strata-migrate...\` first (the root test script does)`);
});

describe('strata backup on SQLite', () => {
  it('create → list → verify → restore (confirmed) → prune, each with its documented --json shape, all in history', () => {
    const dir = project(MIGRATIONS);
    const rows = () => {
      const db = new Database(join(dir, 'strata.db'), { readonly: true });
      try {
        return (db.prepare('SELECT name FROM items ORDER BY id').all() as { name: string }[]).map((r) => r.name);
      } finally {
        db.close();
      }
    };

    // A new database holds nothing: no backup, said on stderr.
    const first = strata(dir, ['up', '--to', '1.0.0', '--json']);
    expect(json(first).backupId).toBeNull();
    expect(first.stderr).toMatch(/no backup: .*holds nothing yet/);
    // `up` takes a backup first; its apply events carry that backup's id, in JSON and in text.
    const up = json(strata(dir, ['up', '--json']));
    expect(up.backupId).toEqual(expect.any(String));
    const applies = json(strata(dir, ['history', '--json'])).events.filter((e: any) => e.action === 'apply');
    expect(applies.map((e: any) => [e.migrationId, e.backupId])).toEqual([
      ['app@1.1.0', up.backupId],
      ['app@1.0.0', null],
    ]);
    expect(strata(dir, ['history']).stdout).toMatch(new RegExp(`apply\\s+app@1\\.1\\.0\\s+ok.*backup ${up.backupId}`));

    // create
    const created = json(strata(dir, ['backup', 'create', '--json']));
    expect(Object.keys(created).sort()).toEqual(['action', 'backup', 'path', 'recorded']);
    expect(created).toMatchObject({ action: 'create', recorded: true, path: join(dir, '.strata-backups', created.backup.file) });
    expect(Object.keys(created.backup).sort()).toEqual(MANIFEST_KEYS);
    expect(created.backup).toMatchObject({ format: 1, dialect: 'sqlite', schemaVersions: { app: '1.1.0' }, verified: true, runId: null });
    expect(created.backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    const id: string = created.backup.id;
    expect(existsSync(created.path)).toBe(true);

    // … and its event in the history, newest first.
    const afterCreate = json(strata(dir, ['history', '--json']));
    expect(Object.keys(afterCreate.events[0]).sort()).toEqual(EVENT_KEYS);
    expect(afterCreate.events[0]).toMatchObject({ action: 'backup', outcome: 'ok', migrationId: null, backupId: id, errorCode: null });
    expect(afterCreate.events[0].details).toMatchObject({ sha256: created.backup.sha256, dialect: 'sqlite' });
    expect(strata(dir, ['history']).stdout).toMatch(new RegExp(`backup\\s+-\\s+ok.*backup ${id}`));

    // list: newest first, the run's backup and the manual one.
    const list = json(strata(dir, ['backup', 'list', '--json']));
    expect(Object.keys(list).sort()).toEqual(['action', 'all', 'backups', 'directory', 'target']);
    expect(list).toMatchObject({
      action: 'list',
      all: false,
      directory: join(dir, '.strata-backups'),
      target: `sqlite:${realpathSync(join(dir, 'strata.db'))}`,
    });
    expect(list.backups.map((b: any) => b.id)).toEqual([id, up.backupId]);
    expect(Object.keys(list.backups[0]).sort()).toEqual(MANIFEST_KEYS);

    // verify
    const verified = json(strata(dir, ['backup', 'verify', id, '--json']));
    expect(Object.keys(verified).sort()).toEqual(['action', 'result']);
    expect(Object.keys(verified.result).sort()).toEqual(['durationMs', 'hashOk', 'id', 'manifest', 'ok', 'problems', 'providerOk']);
    expect(verified.result).toMatchObject({ id, ok: true, hashOk: true, providerOk: true, problems: [] });

    // change the data
    const db = new Database(join(dir, 'strata.db'));
    db.exec("DELETE FROM items WHERE name = 'b'; INSERT INTO items (name) VALUES ('z');");
    db.close();
    expect(rows()).toEqual(['a', 'c', 'z']);

    // restore needs --yes off a terminal, and changes nothing without it.
    const refused = strata(dir, ['backup', 'restore', id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toMatch(/^error STRATA_CONFIRMATION_REQUIRED: /);
    expect(refused.stderr).toContain('--yes');
    expect(json(strata(dir, ['backup', 'restore', id, '--json']), 2).error).toMatchObject({
      code: 'STRATA_CONFIRMATION_REQUIRED',
      hint: expect.stringContaining('--yes'),
    });
    expect(rows()).toEqual(['a', 'c', 'z']);

    const restored = json(strata(dir, ['backup', 'restore', id, '--yes', '--json']));
    expect(Object.keys(restored).sort()).toEqual(['action', 'recorded', 'result']);
    expect(Object.keys(restored.result).sort()).toEqual(['durationMs', 'id', 'manifest', 'replacedLive', 'target']);
    expect(restored).toMatchObject({
      action: 'restore',
      recorded: true,
      result: { id, replacedLive: true, target: `sqlite:${join(dir, 'strata.db')}` },
    });
    expect(rows()).toEqual(['a', 'b', 'c']);

    // The restored database has the history of the backup's moment, plus the restore.
    const afterRestore = json(strata(dir, ['history', '--json'])).events;
    expect(afterRestore[0]).toMatchObject({ action: 'restore', outcome: 'ok', backupId: id, details: { replacedLive: true } });
    expect(afterRestore.filter((e: any) => e.action === 'apply')).toHaveLength(2);
    expect(strata(dir, ['history']).stdout).toMatch(new RegExp(`restore\\s+-\\s+ok.*backup ${id}`));
    expect(json(strata(dir, ['status', '--json'])).migrations.map((m: any) => m.state)).toEqual(['applied', 'applied']);

    // prune --keep 1: the newest stays.
    const pruned = json(strata(dir, ['backup', 'prune', '--keep', '1', '--json']));
    expect(Object.keys(pruned).sort()).toEqual(['action', 'result']);
    expect(Object.keys(pruned.result).sort()).toEqual(['dryRun', 'kept', 'protectedId', 'removed', 'removedTemporary']);
    expect(pruned.result).toMatchObject({ dryRun: false, protectedId: id });
    expect(pruned.result.removed.map((b: any) => b.id)).toEqual([up.backupId]);
    expect(pruned.result.kept.map((b: any) => b.id)).toEqual([id]);
    expect(json(strata(dir, ['backup', 'list', '--json'])).backups.map((b: any) => b.id)).toEqual([id]);

    // A damaged backup fails verification with exit 6, and is not restored.
    appendFileSync(created.path, 'x');
    const damaged = json(strata(dir, ['backup', 'verify', id, '--json']), 6);
    expect(damaged.result).toMatchObject({ ok: false, hashOk: false });
    const notRestored = strata(dir, ['backup', 'restore', id, '--yes', '--json']);
    expect(notRestored.code).toBe(6);
    expect(JSON.parse(notRestored.stdout).error.code).toBe('STRATA_BACKUP_FAILED');
    const failedEvent = json(strata(dir, ['history', '--json'])).events[0];
    expect(failedEvent).toMatchObject({ action: 'restore', outcome: 'failed', backupId: id, errorCode: 'STRATA_BACKUP_FAILED' });
  });

  it('restore --into writes a new file, leaves the live database alone and records it', () => {
    const dir = project(MIGRATIONS);
    json(strata(dir, ['up', '--no-backup', '--json']));
    const id = json(strata(dir, ['backup', 'create', '--json'])).backup.id;
    const restored = json(strata(dir, ['backup', 'restore', id, '--into', 'copy.db', '--json']));
    expect(restored.result).toMatchObject({ id, replacedLive: false });
    const copy = new Database(join(dir, 'copy.db'), { readonly: true });
    expect(copy.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 3 });
    copy.close();
    expect(json(strata(dir, ['history', '--json'])).events[0]).toMatchObject({
      action: 'restore',
      backupId: id,
      details: { replacedLive: false, into: 'copy.db' },
    });
  });
});

describe('strata backup on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_bk_e2e');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('create and restore write backup/restore events that history shows', async () => {
    const dir = project(MIGRATIONS);
    const env = { DATABASE_URL: database.url };
    json(strata(dir, ['up', '--no-backup', '--json'], env));
    const created = json(strata(dir, ['backup', 'create', '--json'], env));
    expect(created).toMatchObject({ action: 'create', recorded: true, backup: { dialect: 'postgres', schemaVersions: { app: '1.1.0' } } });
    expect(json(strata(dir, ['history', '--json'], env)).events[0]).toMatchObject({
      action: 'backup',
      outcome: 'ok',
      backupId: created.backup.id,
    });

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query("DELETE FROM items WHERE name = 'a'");
      expect(strata(dir, ['backup', 'restore', created.backup.id], env).code).toBe(2);
      const restored = json(strata(dir, ['backup', 'restore', created.backup.id, '--yes', '--json'], env));
      expect(restored).toMatchObject({ action: 'restore', recorded: true, result: { replacedLive: true } });
      expect((await client.query('SELECT name FROM items ORDER BY id')).rows.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    } finally {
      await client.end();
    }
    const events = json(strata(dir, ['history', '--json'], env)).events;
    expect(events[0]).toMatchObject({ action: 'restore', outcome: 'ok', backupId: created.backup.id });
    expect(strata(dir, ['history'], env).stdout).toMatch(/restore\s+-\s+ok/);
  });
});
