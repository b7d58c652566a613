import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteBackupProvider } from '@strata/dialect-sqlite/backup';
import { createBackupManager } from '../src/index.js';
import { Database, perTestFolder, startWriter } from './helpers.js';

/** A writer in another process: one committed insert every 10 ms (~100 rows/s). */
const WRITER = `
const Database = require(process.env.BETTER_SQLITE3);
const db = new Database(process.env.DB_FILE, { timeout: 10000 });
db.pragma('journal_mode = WAL');
const insert = db.prepare('INSERT INTO events (payload) VALUES (?)');
let n = 0;
setInterval(() => {
  insert.run('x'.repeat(200) + n++);
  if (n === 20) process.stdout.write('ready\\n');
}, 10);
`;

const scratch = perTestFolder();

describe('createSqliteBackupProvider under concurrent writes', () => {
  it('backs up a WAL database while another process inserts ~100 rows/s: integrity ok, every earlier row present', async () => {
    const dbFile = join(scratch.path, 'busy.db');
    const setup = new Database(dbFile);
    setup.pragma('journal_mode = WAL');
    setup.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    // Some bulk so the copy spans many pages.
    const insert = setup.prepare('INSERT INTO events (payload) VALUES (?)');
    setup.transaction(() => {
      for (let i = 0; i < 5000; i += 1) insert.run(`seed-${i}-${'y'.repeat(300)}`);
    })();
    setup.close();

    scratch.writer = await startWriter(WRITER, dbFile);

    const reader = new Database(dbFile, { readonly: true });
    const { count: committedBefore, maxId } = reader.prepare('SELECT count(*) AS count, max(id) AS maxId FROM events').get() as {
      count: number;
      maxId: number;
    };
    reader.close();

    const manager = createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory: join(scratch.path, 'b') });
    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(await manager.create());

    const backup = new Database(results[0]!.path, { readonly: true });
    expect(backup.pragma('integrity_check', { simple: true })).toBe('ok');
    const inBackup = backup.prepare('SELECT count(*) AS count FROM events WHERE id <= ?').get(maxId) as { count: number };
    expect(inBackup.count).toBe(committedBefore);
    backup.close();

    // The writer kept going during the backups, and every backup verifies.
    const live = new Database(dbFile, { readonly: true });
    expect((live.prepare('SELECT count(*) AS count FROM events').get() as { count: number }).count).toBeGreaterThan(committedBefore);
    live.close();
    for (const result of results) expect((await manager.verify(result.manifest.id)).ok).toBe(true);

    // And a backup taken under load restores into a usable file.
    const copy = join(scratch.path, 'copy.db');
    await manager.restore(results[2]!.manifest.id, { into: copy });
    const restored = new Database(copy, { readonly: true });
    expect(restored.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((restored.prepare('SELECT count(*) AS count FROM events').get() as { count: number }).count).toBeGreaterThanOrEqual(
      committedBefore,
    );
    restored.close();
  });
});
