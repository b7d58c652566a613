import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStrataError } from '@strata/core';
import { backupEvent, createBackupHook, createBackupManager, type BackupProvider } from '../src/index.js';
import { createSqliteBackupProvider } from '@strata/dialect-sqlite/backup';
import { createSampleSqlite, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

const context = { runId: 'run-42', versions: { core: '1.1.0', app: '0.3.0' } };

describe('createBackupHook', () => {
  it('takes and verifies a backup, recording the run id and versions, and returns its id', async () => {
    const dbFile = join(dir.path, 'app.db');
    createSampleSqlite(dbFile);
    const manager = createBackupManager({ provider: createSqliteBackupProvider({ filename: dbFile }), directory: join(dir.path, 'b') });
    const result = await createBackupHook(manager).beforeRun(context);
    const [manifest] = await manager.list();
    expect(result).toEqual({ backupId: manifest!.id });
    expect(manifest).toMatchObject({ runId: 'run-42', schemaVersions: context.versions, verified: true });
  });

  it('applies the manager retention after a successful backup', async () => {
    const dbFile = join(dir.path, 'app.db');
    createSampleSqlite(dbFile);
    const manager = createBackupManager({
      provider: createSqliteBackupProvider({ filename: dbFile }),
      directory: join(dir.path, 'b'),
      keep: 2,
    });
    const hook = createBackupHook(manager);
    for (let i = 0; i < 4; i += 1) {
      await hook.beforeRun(context);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    expect(await manager.list()).toHaveLength(2);
  });

  it('does nothing when disabled', async () => {
    const manager = createBackupManager({ provider: failingProvider('never called'), directory: join(dir.path, 'b') });
    expect(await createBackupHook(manager, { enabled: false }).beforeRun(context)).toBeUndefined();
    expect(existsSync(join(dir.path, 'b'))).toBe(false);
  });

  for (const stage of ['check', 'create', 'verify'] as const) {
    it(`throws STRATA_BACKUP_FAILED and leaves no file when the provider fails in ${stage}`, async () => {
      const directory = join(dir.path, 'b');
      const manager = createBackupManager({ provider: failingProvider(stage), directory });
      const error = await createBackupHook(manager)
        .beforeRun(context)
        .catch((e: unknown) => e);
      expect(isStrataError(error) && error.code).toBe('STRATA_BACKUP_FAILED');
      expect(existsSync(directory) ? readdirSync(directory) : []).toEqual([]);
    });
  }
});

describe('backupEvent', () => {
  it('builds a secret-free backup event from a manifest', async () => {
    const dbFile = join(dir.path, 'app.db');
    createSampleSqlite(dbFile);
    const manager = createBackupManager({
      provider: createSqliteBackupProvider({ filename: dbFile }),
      directory: join(dir.path, 'b'),
      toolVersion: '9.9.9',
    });
    const { manifest } = await manager.create({ runId: 'r' });
    const event = backupEvent(manifest, 'ok');
    expect(event).toMatchObject({
      action: 'backup',
      outcome: 'ok',
      backupId: manifest.id,
      migrationId: null,
      toolVersion: '9.9.9',
      durationMs: manifest.durationMs,
      errorCode: null,
      details: { file: manifest.file, sha256: manifest.sha256, runId: 'r' },
    });
    expect(Date.parse(event.at)).not.toBeNaN();
  });

  it('records a failed restore with a redacted error', () => {
    const event = backupEvent({ id: '20250101T000000000Z-abcdef' }, 'failed', {
      action: 'restore',
      error: new Error('could not connect to postgres://app:hunter22@db/prod'),
    });
    expect(event).toMatchObject({ action: 'restore', outcome: 'failed', errorCode: 'STRATA_BACKUP_FAILED' });
    expect(event.errorMessage).not.toContain('hunter22');
  });
});

/** A provider that fails at one stage; create writes some bytes first, as a real tool would. */
function failingProvider(stage: 'check' | 'create' | 'verify' | string): BackupProvider {
  return {
    dialect: 'test',
    database: 'test:db',
    extension: 'bin',
    async check() {
      if (stage === 'check' || stage === 'never called') throw new Error('check failed');
    },
    async create(tempPath) {
      writeFileSync(tempPath, 'partial backup bytes');
      if (stage === 'create') throw new Error('tool crashed half way');
    },
    async verify() {
      return stage === 'verify' ? { ok: false, detail: 'corrupt' } : { ok: true, detail: 'ok' };
    },
    async restore() {
      return { target: 'test:db' };
    },
  };
}
