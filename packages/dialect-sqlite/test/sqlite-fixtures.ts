import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectOptions, EventRecord, StateRow } from '@strata/core';
import { afterEach } from 'vitest';

/** A fresh temp directory per test, removed after it. Returns the path of a database file in it. */
export function useTempDatabase(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-sqlite-'));
    dirs.push(dir);
    return join(dir, 'test.db');
  };
}

export const MIGRATE: ConnectOptions = { purpose: 'migrate', lockTimeoutMs: 5000 };

export function stateRow(version: string, fields: Partial<StateRow> = {}): StateRow {
  return {
    module: 'app',
    version,
    name: `step_${version.replace(/\./g, '_')}`,
    checksum: 'a'.repeat(64),
    checksumAlgo: 'sha256-v1',
    status: 'applied',
    appliedAt: '2024-05-01T10:00:00.000Z',
    executionMs: 12,
    appliedBy: 'tester',
    toolVersion: '0.1.0',
    ...fields,
  };
}

export function eventRecord(fields: Partial<EventRecord> = {}): EventRecord {
  return {
    at: '2024-05-01T10:00:00.000Z',
    action: 'apply',
    migrationId: 'app@1.0.0',
    outcome: 'ok',
    durationMs: 12,
    actor: 'tester',
    host: 'ci-host',
    toolVersion: '0.1.0',
    backupId: null,
    errorCode: null,
    errorMessage: null,
    sqlState: null,
    details: null,
    ...fields,
  };
}
