import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteBackupProvider } from '@strata/dialect-sqlite/backup';
import { createBackupManager } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { runBackupChild } from './child-runner.js';
import { Database, tempDir } from './helpers.js';

const FAIL_UNDER_LIMIT = `
  const manager = backup.createBackupManager({ provider: args.provider === 'sqlite'
    ? backup.createSqliteBackupProvider({ filename: args.target, inMemoryCopyMaxBytes: args.inMemoryCopyMaxBytes ?? undefined })
    : backup.createPostgresBackupProvider({ connectionString: args.target }), directory: args.directory });
  try {
    const created = await manager.create();
    return { ok: true, id: created.manifest.id };
  } catch (error) {
    return { ok: false, ...(error.toJSON?.() ?? { message: String(error) }) };
  }
`;

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

describe('a backup that runs out of space', () => {
  for (const [path, inMemoryCopyMaxBytes, reason] of [
    ['in-memory copy', undefined, /file-size limit \(EFBIG\)/],
    ['online backup API', 0, /SQLITE_(IOERR|FULL)/],
  ] as const) {
    it(`SQLite (${path}): fails with STRATA_BACKUP_FAILED and leaves only the earlier valid backup`, async () => {
      const dbFile = join(dir.path, 'big.db');
      const db = new Database(dbFile);
      db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
      const insert = db.prepare('INSERT INTO blobs (data) VALUES (randomblob(4096))');
      for (let i = 0; i < 300; i += 1) insert.run();
      db.close();
      const directory = join(dir.path, 'backups');
      const manager = createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory });
      const previous = await manager.create();

      const child = runBackupChild(dir.path, FAIL_UNDER_LIMIT, {
        fileSizeLimitKb: 64,
        args: { provider: 'sqlite', target: dbFile, directory, inMemoryCopyMaxBytes },
      });
      expect(child.stderr).toBe('');
      expect(child.result).toMatchObject({
        ok: false,
        code: 'STRATA_BACKUP_FAILED',
        message: expect.stringMatching(reason),
        hint: expect.stringContaining('Free space'),
      });
      expect(readdirSync(directory).sort()).toEqual([`${previous.manifest.id}.json`, `${previous.manifest.id}.sqlite`]);
      expect((await manager.list()).map((m) => m.id)).toEqual([previous.manifest.id]);
      expect((await manager.verify(previous.manifest.id)).ok).toBe(true);
    });
  }

  describe('PostgreSQL', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase('strata_backup_nospace');
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query(
        'CREATE TABLE noise AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS data FROM generate_series(1, 30000) g',
      );
      await client.end();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('pg_dump hitting the file-size limit: STRATA_BACKUP_FAILED naming pg_dump, no file left', () => {
      const directory = join(dir.path, 'backups');
      const child = runBackupChild(dir.path, FAIL_UNDER_LIMIT, {
        fileSizeLimitKb: 64,
        args: { provider: 'postgres', target: database.url, directory },
      });
      expect(child.result).toMatchObject({
        ok: false,
        code: 'STRATA_BACKUP_FAILED',
        message: expect.stringMatching(/pg_dump failed .*file-size limit/),
      });
      expect(readdirSync(directory)).toEqual([]);
    });
  });
});
