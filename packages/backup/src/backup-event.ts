import { hostname, userInfo } from 'node:os';
import { isStrataError, redactSecrets, type EventOutcome, type EventRecord } from '@strata/core';
import type { BackupManifest } from './backup-manifest.js';
import { BACKUP_TOOL_VERSION } from './tool-version.js';

/** Options for {@link backupEvent}. */
export interface BackupEventOptions {
  /** @default 'backup' */
  action?: 'backup' | 'restore';
  /** @default `<os user>@<host>` */
  actor?: string;
  /** @default the host name */
  host?: string;
  /** @default the manifest's durationMs */
  durationMs?: number;
  /** The error of a failed backup or restore (redacted before it is stored). */
  error?: unknown;
  /** Extra secret-free facts (the restore target, …). */
  details?: Record<string, unknown>;
  /** Literal secrets (passwords) to remove from the stored error message. @default [] */
  secrets?: readonly string[];
}

/**
 * An events-table record of a backup or restore, for the CLI to write through a dialect session
 * (the manager itself never writes to the database it backs up). Give the manifest of the
 * backup, or `{}` (or just `{ id }`) for a backup that failed before it had one.
 * @example
 * await session.writeState([{ kind: 'event', event: backupEvent(result.manifest, 'ok') }]);
 */
export function backupEvent(manifest: Partial<BackupManifest>, outcome: EventOutcome, options: BackupEventOptions = {}): EventRecord {
  const host = options.host ?? hostname();
  const error = options.error;
  const strata = isStrataError(error) ? error : undefined;
  const message = error === undefined ? null : redactSecrets(error instanceof Error ? error.message : String(error), options.secrets ?? []);
  return {
    at: new Date().toISOString(),
    action: options.action ?? 'backup',
    migrationId: null,
    outcome,
    durationMs: options.durationMs ?? manifest.durationMs ?? null,
    actor: options.actor ?? `${safeUser()}@${host}`,
    host,
    toolVersion: manifest.toolVersion ?? BACKUP_TOOL_VERSION,
    backupId: manifest.id ?? null,
    errorCode: error === undefined ? null : (strata?.code ?? 'STRATA_BACKUP_FAILED'),
    errorMessage: message,
    sqlState: typeof strata?.details.sqlState === 'string' ? strata.details.sqlState : null,
    details: {
      ...(manifest.file !== undefined ? { file: manifest.file } : {}),
      ...(manifest.size !== undefined ? { size: manifest.size } : {}),
      ...(manifest.sha256 !== undefined ? { sha256: manifest.sha256 } : {}),
      ...(manifest.dialect !== undefined ? { dialect: manifest.dialect } : {}),
      ...(manifest.database !== undefined ? { database: redactSecrets(manifest.database) } : {}),
      ...(manifest.runId ? { runId: manifest.runId } : {}),
      ...(manifest.schemaVersions ? { schemaVersions: manifest.schemaVersions } : {}),
      ...(options.details ?? {}),
    },
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
