import { readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteBackupProvider } from '@strata/dialect-sqlite/backup';
import { createBackupManager, type BackupManager } from '../src/index.js';
import { createSampleSqlite, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
let dbFile: string;
let directory: string;

function manager(options: { keep?: number; maxAgeMs?: number } = {}): BackupManager {
  return createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory, ...options });
}

async function createMany(m: BackupManager, verified: boolean[]): Promise<string[]> {
  const ids: string[] = [];
  for (const verify of verified) {
    ids.push((await m.create({ verify })).manifest.id);
    await new Promise((resolve) => setTimeout(resolve, 3)); // distinct millisecond ids
  }
  return ids;
}

beforeEach(() => {
  dir = tempDir();
  dbFile = join(dir.path, 'app.db');
  directory = join(dir.path, 'backups');
  createSampleSqlite(dbFile, { rows: 5 });
});
afterEach(() => dir.remove());

describe('BackupManager.prune', () => {
  it('keeps the newest N and removes the rest, manifest and file', async () => {
    const m = manager({ keep: 2 });
    const ids = await createMany(m, [true, true, true, true]);
    const result = await m.prune();
    expect(result.removed.map((b) => b.id)).toEqual([ids[1], ids[0]]);
    expect(result.kept.map((b) => b.id)).toEqual([ids[3], ids[2]]);
    expect(readdirSync(directory).sort()).toEqual([`${ids[2]}.json`, `${ids[2]}.sqlite`, `${ids[3]}.json`, `${ids[3]}.sqlite`]);
  });

  it('removes backups older than maxAgeMs', async () => {
    const m = manager();
    const ids = await createMany(m, [true, true, true]);
    const future = new Date(Date.now() + 60_000);
    const result = await m.prune({ maxAgeMs: 30_000, now: future });
    // All are too old, but the newest verified one is never removed.
    expect(result.protectedId).toBe(ids[2]);
    expect(result.removed.map((b) => b.id)).toEqual([ids[1], ids[0]]);
    expect((await m.list()).map((b) => b.id)).toEqual([ids[2]]);
    expect((await m.prune({ maxAgeMs: 3_600_000 })).removed).toEqual([]);
  });

  it('never removes the newest verified backup, even with keep 0 or when newer ones are unverified', async () => {
    const m = manager();
    const ids = await createMany(m, [true, true, false, false]);
    const result = await m.prune({ keep: 1 });
    expect(result.protectedId).toBe(ids[1]);
    expect(result.kept.map((b) => b.id)).toEqual([ids[3], ids[1]]);
    expect((await m.prune({ keep: 0 })).kept.map((b) => b.id)).toEqual([ids[1]]);
  });

  it('only reports in a dry run', async () => {
    const m = manager({ keep: 1 });
    await createMany(m, [true, true, true]);
    const result = await m.prune({ dryRun: true });
    expect(result.dryRun).toBe(true);
    expect(result.removed).toHaveLength(2);
    expect(await m.list()).toHaveLength(3);
  });

  it('removes nothing without a rule, and refuses an invalid one', async () => {
    const m = manager();
    await createMany(m, [true, true]);
    expect((await m.prune()).removed).toEqual([]);
    await expect(m.prune({ keep: -1 })).rejects.toMatchObject({ code: 'STRATA_CONFIG_INVALID' });
    expect(() => manager({ keep: 1.5 })).toThrow(/keep=1.5/);
  });

  it('cleans temp files left by a crashed backup once they are an hour old', async () => {
    const m = manager();
    await createMany(m, [true]);
    const fresh = join(directory, '.20250101T000000000Z-aaaaaa.sqlite.tmp');
    const stale = join(directory, '.20240101T000000000Z-bbbbbb.sqlite.tmp');
    writeFileSync(fresh, 'x');
    writeFileSync(stale, 'x');
    const old = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stale, old, old);
    const result = await m.prune();
    expect(result.removedTemporary).toEqual(['.20240101T000000000Z-bbbbbb.sqlite.tmp']);
    expect(readdirSync(directory)).toContain('.20250101T000000000Z-aaaaaa.sqlite.tmp');
  });

  it('marks an unverified backup verified once verify passes', async () => {
    const m = manager();
    const [id] = await createMany(m, [false]);
    expect((await m.list())[0]).toMatchObject({ verified: false, verifyMs: null });
    expect((await m.verify(id!)).ok).toBe(true);
    expect((await m.list())[0]).toMatchObject({ verified: true });
  });
});
