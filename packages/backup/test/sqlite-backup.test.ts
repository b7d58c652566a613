import { existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStrataError } from '@strata/core';
import { createSqliteBackupProvider } from '@strata/dialect-sqlite/backup';
import { createBackupManager, type BackupManager } from '../src/index.js';
import { createSampleSqlite, Database, snapshotSqlite, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
let dbFile: string;
let backupDir: string;
let manager: BackupManager;

beforeEach(() => {
  dir = tempDir();
  dbFile = join(dir.path, 'app.db');
  backupDir = join(dir.path, 'backups');
  createSampleSqlite(dbFile);
  manager = createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory: backupDir, toolVersion: 'test' });
});
afterEach(() => dir.remove());

describe('createSqliteBackupProvider with createBackupManager', () => {
  it('backs up, then restores the live file to exactly the schema and rows it had', async () => {
    const before = snapshotSqlite(dbFile);
    const { manifest, path, manifestPath } = await manager.create({ runId: 'run-1', versions: { app: '1.2.0' } });

    expect(manifest).toMatchObject({
      dialect: 'sqlite',
      database: `sqlite:${dbFile}`,
      schemaVersions: { app: '1.2.0' },
      runId: 'run-1',
      toolVersion: 'test',
      verified: true,
      file: `${manifest.id}.sqlite`,
    });
    expect(manifest.id).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    expect(manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.size).toBe(statSync(path).size);
    expect(JSON.parse(readFileSync(manifestPath, 'utf8'))).toEqual(manifest);
    expect(readdirSync(backupDir).sort()).toEqual([`${manifest.id}.json`, `${manifest.id}.sqlite`]);

    const db = new Database(dbFile);
    db.exec("UPDATE users SET name = 'changed'; DELETE FROM users WHERE id > 10; DROP VIEW user_emails; CREATE TABLE extra (x)");
    db.close();
    expect(snapshotSqlite(dbFile)).not.toEqual(before);

    const restored = await manager.restore(manifest.id);
    expect(restored).toMatchObject({ id: manifest.id, replacedLive: true, target: `sqlite:${dbFile}` });
    expect(snapshotSqlite(dbFile)).toEqual(before);
  });

  it('restores into a new file, leaving the live database alone', async () => {
    const before = snapshotSqlite(dbFile);
    const { manifest } = await manager.create();
    const db = new Database(dbFile);
    db.exec('DELETE FROM users');
    db.close();

    const copy = join(dir.path, 'copy.db');
    const result = await manager.restore(manifest.id, { into: copy });
    expect(result).toMatchObject({ replacedLive: false, target: `sqlite:${copy}` });
    expect(snapshotSqlite(copy)).toEqual(before);
    expect(snapshotSqlite(dbFile).rows.users).toEqual([]);
    expect(readdirSync(dir.path).filter((name) => name.includes('strata-restore'))).toEqual([]);
  });

  it('refuses to restore into an existing file', async () => {
    const { manifest } = await manager.create();
    const other = join(dir.path, 'other.db');
    writeFileSync(other, 'keep me');
    await expect(manager.restore(manifest.id, { into: other })).rejects.toMatchObject({ code: 'STRATA_BACKUP_FAILED' });
    expect(readFileSync(other, 'utf8')).toBe('keep me');
  });

  it('keeps a WAL database in WAL mode through a restore, and writes a copy that opens read-only', async () => {
    const walFile = join(dir.path, 'wal.db');
    createSampleSqlite(walFile, { wal: true });
    const walManager = createBackupManager({ provider: createSqliteBackupProvider({ filename: walFile }), directory: backupDir });
    const { manifest, path } = await walManager.create();
    expect(readdirSync(backupDir).filter((name) => /-(wal|shm|journal)$/.test(name))).toEqual([]);
    await walManager.restore(manifest.id);
    const db = new Database(walFile);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    expect((await walManager.verify(manifest.id)).ok).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  for (const wal of [false, true]) {
    it(`backs up while a migrator holds the write lock (BEGIN IMMEDIATE, ${wal ? 'WAL' : 'rollback journal'})`, async () => {
      const file = join(dir.path, `locked-${wal}.db`);
      createSampleSqlite(file, { wal });
      const holder = new Database(file);
      holder.exec("BEGIN IMMEDIATE; INSERT INTO users (email) VALUES ('uncommitted@example.com')");
      try {
        const locked = createBackupManager({
          provider: createSqliteBackupProvider({ filename: file, busyTimeoutMs: 2000 }),
          directory: backupDir,
        });
        const { path } = await locked.create();
        // The backup holds the committed state only.
        const copy = new Database(path, { readonly: true });
        expect(copy.prepare("SELECT count(*) AS n FROM users WHERE email = 'uncommitted@example.com'").get()).toEqual({ n: 0 });
        copy.close();
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
    });
  }

  it('lists manifests newest first and ignores files that are not backups', async () => {
    const first = await manager.create();
    const second = await manager.create();
    writeFileSync(join(backupDir, 'notes.json'), '{}');
    writeFileSync(join(backupDir, '20990101T000000000Z-abcdef.json'), '{"id":"broken"}');
    const listed = await manager.list();
    expect(listed.map((m) => m.id)).toEqual([second.manifest.id, first.manifest.id]);
  });

  it('verify detects a changed byte and a missing file, and restore then refuses', async () => {
    const { manifest, path } = await manager.create();
    expect(await manager.verify(manifest.id)).toMatchObject({ ok: true, hashOk: true, providerOk: true, problems: [] });

    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(path, bytes);
    const tampered = await manager.verify(manifest.id);
    expect(tampered.ok).toBe(false);
    expect(tampered.problems.join('\n')).toContain('SHA-256');
    await expect(manager.restore(manifest.id)).rejects.toMatchObject({ code: 'STRATA_BACKUP_FAILED' });
    await expect(manager.verify('nope')).rejects.toMatchObject({ code: 'STRATA_BACKUP_FAILED' });
  });

  it('fails verification of a corrupt database before publishing anything', async () => {
    const bad = join(dir.path, 'bad.db');
    writeFileSync(bad, Buffer.alloc(8192, 7));
    const badManager = createBackupManager({ provider: createSqliteBackupProvider({ filename: bad }), directory: backupDir });
    const error = await badManager.create().catch((e: unknown) => e);
    expect(isStrataError(error) && error.code).toBe('STRATA_BACKUP_FAILED');
    expect(readdirSync(backupDir)).toEqual([]);
  });

  it('fails clearly when the database file does not exist, before creating anything', async () => {
    const missing = createBackupManager({
      provider: createSqliteBackupProvider({ filename: join(dir.path, 'missing.db') }),
      directory: backupDir,
    });
    await expect(missing.create()).rejects.toMatchObject({
      code: 'STRATA_BACKUP_FAILED',
      message: expect.stringContaining('does not exist'),
    });
    expect(existsSync(backupDir)).toBe(false);
    expect(existsSync(join(dir.path, 'missing.db'))).toBe(false);
  });

  it('stops on an aborted signal and leaves nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(manager.create({ signal: controller.signal })).rejects.toMatchObject({ code: 'STRATA_INTERRUPTED' });
    const late = new AbortController();
    const result = manager.create({ signal: late.signal, onProgress: (p) => p.stage === 'copy' && late.abort() });
    await expect(result).rejects.toMatchObject({ code: 'STRATA_INTERRUPTED' });
    expect(existsSync(backupDir) ? readdirSync(backupDir) : []).toEqual([]);
  });
});

describe('backup file modes', () => {
  for (const umask of [0o000, 0o022, 0o077]) {
    it(`writes files 0600 in a created directory 0700 under umask ${umask.toString(8).padStart(3, '0')}`, async () => {
      const previous = process.umask(umask);
      try {
        const { path, manifestPath } = await manager.create();
        expect(statSync(backupDir).mode & 0o777).toBe(0o700);
        expect(statSync(path).mode & 0o777).toBe(0o600);
        expect(statSync(manifestPath).mode & 0o777).toBe(0o600);
      } finally {
        process.umask(previous);
      }
    });
  }

  it('keeps the mode of an existing directory, and refuses a directory that is a symlink', async () => {
    const own = join(dir.path, 'own');
    await createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory: own }).create();
    const { chmodSync } = await import('node:fs');
    chmodSync(own, 0o750);
    await createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory: own }).create();
    expect(statSync(own).mode & 0o777).toBe(0o750);

    const link = join(dir.path, 'link');
    symlinkSync(own, link);
    const viaLink = createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory: link });
    await expect(viaLink.create()).rejects.toMatchObject({
      code: 'STRATA_BACKUP_FAILED',
      message: expect.stringContaining('symbolic link'),
    });
  });
});

describe('symlinks planted in the backup directory', () => {
  const id = '20250101T000000000Z-abcdef';
  const fixedId = () => id;

  for (const [where, name] of [
    ['final backup path', `${id}.sqlite`],
    ['temp path', `.${id}.sqlite.tmp`],
    ['manifest path', `${id}.json`],
    ['manifest temp path', `.${id}.json.tmp`],
  ] as const) {
    it(`refuses a symlink at the ${where} and leaves its target untouched`, async () => {
      const victim = join(dir.path, 'victim.txt');
      writeFileSync(victim, 'precious');
      const before = statSync(victim);
      const planted = createBackupManager({
        provider: createSqliteBackupProvider({ filename: dbFile }),
        directory: backupDir,
        createId: fixedId,
      });
      const { mkdirSync } = await import('node:fs');
      mkdirSync(backupDir, { mode: 0o700 });
      symlinkSync(victim, join(backupDir, name));

      const error = await planted.create().catch((e: unknown) => e);
      expect(isStrataError(error) && error.code).toBe('STRATA_BACKUP_FAILED');
      expect(readFileSync(victim, 'utf8')).toBe('precious');
      expect(statSync(victim).mode).toBe(before.mode);
      // Only the planted link remains: no temp file, no backup, no manifest.
      expect(readdirSync(backupDir)).toEqual([name]);
      expect(lstatSync(join(backupDir, name)).isSymbolicLink()).toBe(true);
      expect(await planted.list()).toEqual([]);
    });
  }
});
