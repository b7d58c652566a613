import { randomBytes } from 'node:crypto';

/** Version of the manifest's shape; bumped only for incompatible changes. */
export const MANIFEST_FORMAT = 1;

/**
 * The JSON file written beside every backup (`<id>.json`, mode 0600). It is written last: a
 * backup without a manifest is not a backup. Secret-free.
 */
export interface BackupManifest {
  /** Shape of this file: {@link MANIFEST_FORMAT}. */
  format: number;
  /** Sortable by time: `YYYYMMDDTHHMMSSmmmZ-<6 hex>` (UTC). */
  id: string;
  /** ISO 8601 time the backup started. */
  createdAt: string;
  /** The provider's dialect (`sqlite`, `postgres`, …). */
  dialect: string;
  /** The database that was backed up, described without any password. */
  database: string;
  /**
   * The target's canonical identity ({@link BackupProvider.identity}): `sqlite:<real path>`, or
   * `postgres://host:port/database` plus `?schemas=a,b` when only some schemas are covered. No
   * user, no password. `null` in manifests written before strata recorded it: such a backup
   * belongs to an unknown target (listed with `--all`, never pruned, restored only on request).
   */
  target: string | null;
  /**
   * Position of this backup among all backups of its directory: one more than the highest
   * sequence found there when it was taken. Retention orders by it (then by id), never by a
   * clock, so a host whose clock is ahead cannot make a fresh backup look old. `0` for old
   * manifests without it.
   */
  sequence: number;
  /** Newest applied version per module when the backup was taken (from the migrator's hook). */
  schemaVersions: Record<string, string>;
  /** Size of the backup file in bytes. */
  size: number;
  /** SHA-256 (hex) of the backup file. */
  sha256: string;
  /** How long writing the backup took, in milliseconds (verification excluded). */
  durationMs: number;
  /** Version of the tool that wrote it. */
  toolVersion: string;
  /** The migrator run this backup was taken for, if any. */
  runId: string | null;
  /** File name of the backup, relative to the manifest's directory: `<id>.<extension>`. */
  file: string;
  /** The backup passed verification (hash and the provider's check). */
  verified: boolean;
  /** The fleet tenant the backup was taken for (`strata up --fleet`); absent outside fleets. */
  tenant?: string;
  /** How long the verification took, in milliseconds; `null` when not verified. */
  verifyMs: number | null;
}

/** Pattern of a backup id. */
export const BACKUP_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

/**
 * A new backup id, sortable by time: `20250131T142501123Z-a1b2c3`.
 * @example
 * createBackupId(new Date('2025-01-31T14:25:01.123Z')); // '20250131T142501123Z-…'
 */
export function createBackupId(now: Date = new Date(), random: string = randomBytes(3).toString('hex')): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${random}`;
}

/** True when `id` is a well-formed backup id (so it is safe to use in a file name). */
export function isBackupId(id: string): boolean {
  return BACKUP_ID_PATTERN.test(id);
}

/** Reads a manifest from parsed JSON; `undefined` when it is not a valid manifest. Pure. */
export function parseManifest(value: unknown): BackupManifest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const isString = (x: unknown): x is string => typeof x === 'string';
  const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  if (!isString(v.id) || !isBackupId(v.id)) return undefined;
  if (!isString(v.createdAt) || Number.isNaN(Date.parse(v.createdAt))) return undefined;
  if (!isString(v.dialect) || !isString(v.database) || !isString(v.sha256) || !isString(v.file)) return undefined;
  if (!/^[0-9a-f]{64}$/.test(v.sha256)) return undefined;
  // The file must sit beside the manifest and carry the id: never a path elsewhere.
  if (!v.file.startsWith(`${v.id}.`) || v.file.includes('/') || v.file.includes('\\')) return undefined;
  if (!isNumber(v.size) || !isNumber(v.durationMs)) return undefined;
  const versions = v.schemaVersions;
  if (typeof versions !== 'object' || versions === null || Array.isArray(versions)) return undefined;
  if (!Object.values(versions).every(isString)) return undefined;
  return {
    format: isNumber(v.format) ? v.format : MANIFEST_FORMAT,
    id: v.id,
    createdAt: v.createdAt,
    dialect: v.dialect,
    database: v.database,
    target: isString(v.target) && v.target !== '' ? v.target : null,
    sequence: isNumber(v.sequence) && Number.isInteger(v.sequence) && v.sequence > 0 ? v.sequence : 0,
    schemaVersions: { ...(versions as Record<string, string>) },
    size: v.size,
    sha256: v.sha256,
    durationMs: v.durationMs,
    toolVersion: isString(v.toolVersion) ? v.toolVersion : 'unknown',
    runId: isString(v.runId) ? v.runId : null,
    file: v.file,
    verified: v.verified === true,
    verifyMs: isNumber(v.verifyMs) ? v.verifyMs : null,
    ...(isString(v.tenant) && v.tenant !== '' ? { tenant: v.tenant } : {}),
  };
}
