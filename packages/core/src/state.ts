/** The status of a row in the state table. */
export type MigrationStatus = 'applied' | 'running' | 'failed';

/** The checksum algorithm id stored with every checksum. */
export const CHECKSUM_ALGORITHM = 'sha256-v1';

/** One row of the state table (`strata_migrations`): a migration that is applied or was attempted. */
export interface StateRow {
  module: string;
  version: string;
  name: string;
  checksum: string;
  checksumAlgo: string;
  status: MigrationStatus;
  /** ISO 8601 timestamp. */
  appliedAt: string;
  executionMs: number;
  appliedBy: string;
  toolVersion: string;
}

/** What happened, in the append-only events table. */
export type EventAction =
  | 'apply'
  | 'revert'
  | 'baseline'
  | 'repair'
  | 'backup'
  | 'restore'
  | 'lock_timeout'
  /** `up` stopped before a migration whose maintenance window is closed. */
  | 'deferred'
  | 'failover';

export type EventOutcome = 'ok' | 'failed' | 'skipped';

/** One row of the events table (`strata_events`). Never updated, never deleted. */
export interface EventRecord {
  /** Assigned by the database; absent before insert. */
  id?: number;
  /** ISO 8601 timestamp. */
  at: string;
  action: EventAction;
  /** `module@version`, when the event concerns one migration. */
  migrationId: string | null;
  outcome: EventOutcome;
  durationMs: number | null;
  actor: string;
  host: string;
  toolVersion: string;
  backupId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  sqlState: string | null;
  /** JSON-serialisable, secret-free. */
  details: Record<string, unknown> | null;
}

/** A change to the state tables, applied by a dialect session (inside or outside a transaction). */
export type StateWrite =
  /**
   * Inserts a row that must not exist yet: fails (unique violation) when the migration already
   * has a row, so an apply can never overwrite an applied row. Used for every apply.
   */
  | { kind: 'insert'; row: StateRow }
  /** Inserts or replaces a row (a non-transactional step marking its own `running` row, repair, baseline). */
  | { kind: 'upsert'; row: StateRow }
  | { kind: 'delete'; module: string; version: string }
  | { kind: 'event'; event: EventRecord };

/** Filter for reading events, newest first. */
export interface EventQuery {
  /** At most this many rows. @default 100 */
  limit?: number;
  migrationId?: string;
  module?: string;
}

/** Names of the state tables. */
export interface StateTableNames {
  /** @default 'strata_migrations' */
  migrations: string;
  /** @default 'strata_events' */
  events: string;
}

export const DEFAULT_STATE_TABLE = 'strata_migrations';
export const DEFAULT_EVENTS_TABLE = 'strata_events';

/** Identifier rule for table and schema names given in config: refused before any SQL is built. */
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** The events table's name for a given state table name. */
export function eventsTableFor(stateTable: string): string {
  return stateTable === DEFAULT_STATE_TABLE ? DEFAULT_EVENTS_TABLE : `${stateTable}_events`;
}
