// Issue 12, items 1–4 and 8: a backup belongs to one target (list, prune, keep, restore), retention
// that a skewed clock cannot fool, a default keep, no backup of an empty database, and the size
// and free-space rules of the pre-run backup. End to end with the built bin, real SQLite files
// and a real PostgreSQL database sharing one backup folder.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { BIN, project as makeProject, type Ran, strata } from './bin.js';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof import('better-sqlite3');

const project = (files: Record<string, string>) => makeProject(files, 'strata-bk-targets-');

function json(ran: Ran, code = 0): any {
  expect(ran.code, ran.stderr).toBe(code);
  return JSON.parse(ran.stdout);
}

const sql = (up: string, down: string) => `-- strata:up\n${up}\n-- strata:down\n${down}\n`;
const MIGRATIONS = {
  'migrations/1.0.0_items.sql': sql(
    "CREATE TABLE items (id integer primary key, name text not null);\nINSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b');",
    'DROP TABLE items;',
  ),
};

/** A SQLite file with one table and `name` in it. */
function sqliteFile(path: string, name: string): void {
  const db = new Database(path);
  db.exec(`CREATE TABLE t (v text); INSERT INTO t VALUES ('${name}')`);
  db.close();
}
const valueOf = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT v FROM t').get() as { v: string }).v;
  } finally {
    db.close();
  }
};
const manifests = (dir: string) =>
  readdirSync(join(dir, '.strata-backups'))
    .filter((f) => f.endsWith('.json'))
    .sort();

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first`);
});

describe('backups of several targets in one folder', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_bk_targets');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('list, prune and the automatic keep only ever touch the current target; old manifests are an unknown target', () => {
    const dir = project(MIGRATIONS);
    sqliteFile(join(dir, 'a.db'), 'a');
    sqliteFile(join(dir, 'b.db'), 'b');
    const A = ['--url', 'sqlite:a.db'];
    const B = ['--url', 'sqlite:b.db'];
    const PG = { DATABASE_URL: database.url };
    const idsA = [1, 2, 3].map(() => json(strata(dir, ['backup', 'create', '--json', ...A])).backup.id);
    const idsB = [1, 2].map(() => json(strata(dir, ['backup', 'create', '--json', ...B])).backup.id);
    json(strata(dir, ['up', '--no-backup', '--json'], PG));
    const idsPg = [1, 2].map(() => json(strata(dir, ['backup', 'create', '--json'], PG)).backup.id);

    // Each manifest names its target: the real path, or host:port/database (no user, no password).
    const listA = json(strata(dir, ['backup', 'list', '--json', ...A]));
    expect(listA.target).toBe(`sqlite:${realpathSync(join(dir, 'a.db'))}`);
    expect(listA.backups.map((b: any) => b.id)).toEqual([...idsA].reverse());
    expect(new Set(listA.backups.map((b: any) => b.target))).toEqual(new Set([listA.target]));
    const listPg = json(strata(dir, ['backup', 'list', '--json'], PG));
    expect(listPg.target).toBe(`postgres://127.0.0.1:5432/${database.name}`);
    expect(listPg.backups.map((b: any) => b.id)).toEqual([...idsPg].reverse());
    const all = json(strata(dir, ['backup', 'list', '--all', '--json', ...A]));
    expect(all.backups).toHaveLength(7);
    expect(strata(dir, ['backup', 'list', ...B]).stdout).toContain(`sqlite:${realpathSync(join(dir, 'b.db'))} (this one)`);

    // An old manifest without a target: listed with --all only, as unknown.
    const legacyId = idsB[0];
    const legacyPath = join(dir, '.strata-backups', `${legacyId}.json`);
    const legacy = JSON.parse(readFileSync(legacyPath, 'utf8'));
    delete legacy.target;
    delete legacy.sequence;
    writeFileSync(legacyPath, JSON.stringify(legacy));
    expect(json(strata(dir, ['backup', 'list', '--json', ...B])).backups.map((b: any) => b.id)).toEqual([idsB[1]]);
    expect(json(strata(dir, ['backup', 'list', '--all', '--json', ...B])).backups.find((b: any) => b.id === legacyId)).toMatchObject({
      target: null,
    });

    // prune --keep 1 on SQLite a: only a's backups go (dry run first).
    const dry = json(strata(dir, ['backup', 'prune', '--keep', '1', '--dry-run', '--json', ...A]));
    expect(dry.result).toMatchObject({ dryRun: true });
    expect(dry.result.removed.map((b: any) => b.id).sort()).toEqual(idsA.slice(0, 2).sort());
    expect(manifests(dir)).toHaveLength(7);
    const pruned = json(strata(dir, ['backup', 'prune', '--keep', '1', '--json', ...A]));
    expect(pruned.result.removed.map((b: any) => b.id).sort()).toEqual(idsA.slice(0, 2).sort());
    expect(manifests(dir)).toEqual([idsA[2], ...idsB, ...idsPg].map((id) => `${id}.json`).sort());

    // backup.keep: 1 in the config and an ordinary `up` on PostgreSQL: only PostgreSQL's go.
    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ backup: { keep: 1 } }));
    writeFileSync(join(dir, 'migrations/1.1.0_more.sql'), sql('CREATE TABLE more (id integer);', 'DROP TABLE more;'));
    const up = json(strata(dir, ['up', '--json'], PG));
    expect(up.backupId).toEqual(expect.any(String));
    expect(manifests(dir)).toEqual([idsA[2], ...idsB, up.backupId].map((id) => `${id}.json`).sort());
    // The unknown-target backup is never pruned, even by its own target.
    json(strata(dir, ['backup', 'prune', '--keep', '1', '--json', ...B]));
    expect(manifests(dir)).toContain(`${legacyId}.json`);
  });

  it("restore of another target's backup is refused with whose it is, unless --from-other-target", () => {
    const dir = project({});
    sqliteFile(join(dir, 'a.db'), 'a');
    sqliteFile(join(dir, 'b.db'), 'b');
    const idB = json(strata(dir, ['backup', 'create', '--json', '--url', 'sqlite:b.db'])).backup.id;

    const refused = strata(dir, ['backup', 'restore', idB, '--yes', '--url', 'sqlite:a.db']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toContain(
      `STRATA_BACKUP_OTHER_TARGET: Backup ${idB} belongs to sqlite:${realpathSync(join(dir, 'b.db'))}, not to this target sqlite:${realpathSync(join(dir, 'a.db'))}`,
    );
    expect(refused.stderr).not.toMatch(/verification/);
    expect(refused.stderr).toContain('--from-other-target');
    expect(valueOf(join(dir, 'a.db'))).toBe('a');

    // With the flag it still needs a confirmation, which names the other target.
    const unconfirmed = strata(dir, ['backup', 'restore', idB, '--from-other-target', '--url', 'sqlite:a.db']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toMatch(/STRATA_CONFIRMATION_REQUIRED/);
    expect(valueOf(join(dir, 'a.db'))).toBe('a');
    json(strata(dir, ['backup', 'restore', idB, '--from-other-target', '--yes', '--json', '--url', 'sqlite:a.db']));
    expect(valueOf(join(dir, 'a.db'))).toBe('b');

    // Another dialect: always refused.
    const pgDir = join(dir, '.strata-backups');
    const fake = JSON.parse(readFileSync(join(pgDir, `${idB}.json`), 'utf8'));
    const pgId = idB.replace(/-[0-9a-f]{6}$/, '-abcdef');
    copyFileSync(join(pgDir, fake.file), join(pgDir, `${pgId}.dump`));
    writeFileSync(
      join(pgDir, `${pgId}.json`),
      JSON.stringify({ ...fake, id: pgId, file: `${pgId}.dump`, dialect: 'postgres', target: 'postgres://db:5432/prod' }),
    );
    const otherDialect = strata(dir, ['backup', 'restore', pgId, '--from-other-target', '--yes', '--url', 'sqlite:a.db']);
    expect(otherDialect.code).toBe(2);
    expect(otherDialect.stderr).toMatch(/is of a postgres database/);
  });
});

describe('retention', () => {
  it('a clock a year ahead on another host never gets the fresh pre-run backup pruned', () => {
    const dir = project({ ...MIGRATIONS, 'strata.config.json': JSON.stringify({ backup: { keep: 2 } }) });
    json(strata(dir, ['up', '--json']));
    const real = json(strata(dir, ['backup', 'create', '--json'])).backup;
    // Two backups of this target written by a host whose clock was a year ahead.
    const folder = join(dir, '.strata-backups');
    const future = [1, 2].map((n) => {
      const at = new Date(Date.now() + 365 * 86_400_000 + n * 1000);
      const id = `${at.toISOString().replace(/[-:.]/g, '')}-f0000${n}`;
      copyFileSync(join(folder, real.file), join(folder, `${id}.sqlite`));
      writeFileSync(
        join(folder, `${id}.json`),
        JSON.stringify({ ...real, id, file: `${id}.sqlite`, createdAt: at.toISOString(), sequence: real.sequence + n }),
      );
      return id;
    });
    writeFileSync(join(dir, 'migrations/1.1.0_more.sql'), sql('CREATE TABLE more (id integer);', 'DROP TABLE more;'));
    const up = json(strata(dir, ['up', '--json']));
    expect(up.backupId).toEqual(expect.any(String));
    // The run's backup stays (history points at it), with the newest of the others by sequence.
    expect(manifests(dir)).toEqual([future[1], up.backupId].map((id) => `${id}.json`).sort());
    expect(existsSync(join(folder, `${up.backupId}.sqlite`))).toBe(true);
    // An age limit does not take it either.
    json(strata(dir, ['backup', 'prune', '--max-age', '1d', '--json']));
    expect(manifests(dir)).toContain(`${up.backupId}.json`);
  });

  it('keeps 10 backups per target by default', () => {
    const dir = project({});
    sqliteFile(join(dir, 'strata.db'), 'x');
    const ids = Array.from({ length: 11 }, () => json(strata(dir, ['backup', 'create', '--json'])).backup.id);
    const pruned = json(strata(dir, ['backup', 'prune', '--json']));
    expect(pruned.result.removed.map((b: any) => b.id)).toEqual([ids[0]]);
    expect(manifests(dir)).toHaveLength(10);
  });
});

describe('when the pre-run backup is taken', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_bk_when');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('no backup of an empty PostgreSQL database, said on stderr', () => {
    const dir = project(MIGRATIONS);
    const ran = strata(dir, ['up', '--json'], { DATABASE_URL: database.url });
    expect(json(ran).backupId).toBeNull();
    expect(ran.stderr).toMatch(/no backup: postgres:\/\/.* holds nothing yet/);
    expect(existsSync(join(dir, '.strata-backups'))).toBe(false);
  });

  it('skips (loudly, with numbers) a database over backup.maxBytes unless backup.enabled: true', () => {
    const dir = project({ ...MIGRATIONS, 'strata.config.json': JSON.stringify({ backup: { maxBytes: '4kB' } }) });
    json(strata(dir, ['up', '--no-backup', '--json']));
    writeFileSync(join(dir, 'migrations/1.1.0_more.sql'), sql('CREATE TABLE more (id integer);', 'DROP TABLE more;'));
    const skipped = strata(dir, ['up', '--json']);
    expect(json(skipped).backupId).toBeNull();
    expect(skipped.stderr).toMatch(
      /no backup: sqlite:.* is \d+(\.\d)? kB, over the pre-run backup limit of 4\.0 kB \(backup\.maxBytes\).*backup\.enabled: true/,
    );

    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ backup: { maxBytes: '4kB', enabled: true } }));
    writeFileSync(join(dir, 'migrations/1.2.0_most.sql'), sql('CREATE TABLE most (id integer);', 'DROP TABLE most;'));
    expect(json(strata(dir, ['up', '--json'])).backupId).toEqual(expect.any(String));
  });

  it('refuses to start (exit 6, nothing applied) when the backup folder lacks the space', () => {
    const dir = project({ ...MIGRATIONS, 'strata.config.json': JSON.stringify({ backup: { dir: 'small' } }) });
    const small = join(dir, 'small');
    mkdirSync(small);
    // A 1 MiB file system for the backups (the tests run as root here, as in CI).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
    try {
      const db = new Database(join(dir, 'strata.db'));
      db.exec('CREATE TABLE blobs (data blob)');
      const insert = db.prepare('INSERT INTO blobs VALUES (randomblob(4096))');
      for (let i = 0; i < 600; i += 1) insert.run();
      db.close();
      const ran = strata(dir, ['up', '--json']);
      expect(ran.code, ran.stderr).toBe(6);
      expect(JSON.parse(ran.stdout).error.message).toMatch(
        /Not enough free space for a backup of sqlite:.* needs about \d+\.\d MB .* \d+(\.\d)? (kB|MB) is free/,
      );
      expect(json(strata(dir, ['status', '--json'])).migrations.map((m: any) => m.state)).toEqual(['pending']);
      expect(readdirSync(small)).toEqual([]);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});

describe('backup.pgDumpPath', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('strata_bk_pgdump');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('is a config key: a pg_dump off PATH is used (with its pg_restore), a wrong one is named', () => {
    const dir = project(MIGRATIONS);
    // No pg_dump on PATH at all.
    const env = { DATABASE_URL: database.url, PATH: '/nonexistent' };
    json(strata(dir, ['up', '--no-backup', '--json'], env));
    writeFileSync(join(dir, 'migrations/1.1.0_more.sql'), sql('CREATE TABLE more (id integer);', 'DROP TABLE more;'));
    const off = strata(dir, ['up', '--json'], env);
    expect(json(off).backupId).toBeNull();
    expect(off.stderr).toContain('no backup: pg_dump is not on PATH (set backup.pgDumpPath');

    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ backup: { pgDumpPath: '/usr/lib/postgresql/15/bin/pg_dump' } }));
    writeFileSync(join(dir, 'migrations/1.1.5_again.sql'), sql('CREATE TABLE again (id integer);', 'DROP TABLE again;'));
    const up = json(strata(dir, ['up', '--json'], env));
    expect(up.backupId).toEqual(expect.any(String));
    json(strata(dir, ['backup', 'verify', up.backupId, '--json'], env));

    writeFileSync(join(dir, 'strata.config.json'), JSON.stringify({ backup: { pgDumpPath: './no/pg_dump', enabled: true } }));
    writeFileSync(join(dir, 'migrations/1.2.0_most.sql'), sql('CREATE TABLE most (id integer);', 'DROP TABLE most;'));
    const wrong = strata(dir, ['up', '--json'], env);
    expect(wrong.code).toBe(6);
    expect(JSON.parse(wrong.stdout).error).toMatchObject({
      message: expect.stringContaining(`${join(realpathSync(dir), 'no/pg_dump')} (backup.pgDumpPath) is not an executable`),
    });
  });
});
