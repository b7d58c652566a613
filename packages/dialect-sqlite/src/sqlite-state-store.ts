import type Database from 'better-sqlite3';
import {
  StrataError,
  type EventAction,
  type EventOutcome,
  type EventQuery,
  type EventRecord,
  type MigrationStatus,
  type StateRow,
  type StateTableNames,
  type StateWrite,
} from '@strata/core';
import { isBusyError, sqliteCodeOf } from './sqlite-errors.js';

/** Quotes an identifier for SQLite (names are validated against IDENTIFIER_PATTERN before). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * The SQL that creates the state and events tables when missing. The state table is clustered on
 * its key (`WITHOUT ROWID`: one B-tree per write instead of two). Events are never deleted, so a
 * plain INTEGER PRIMARY KEY is already monotonic: AUTOINCREMENT would only add a write to
 * sqlite_sequence per event.
 */
export function stateTablesDdl(tables: StateTableNames): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(tables.migrations)} (
  module TEXT NOT NULL,
  version TEXT NOT NULL,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  checksum_algo TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('applied', 'running', 'failed')),
  applied_at TEXT NOT NULL,
  execution_ms INTEGER NOT NULL,
  applied_by TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  PRIMARY KEY (module, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${quoteIdentifier(tables.events)} (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  action TEXT NOT NULL,
  migration_id TEXT,
  outcome TEXT NOT NULL,
  duration_ms INTEGER,
  actor TEXT NOT NULL,
  host TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  backup_id TEXT,
  error_code TEXT,
  error_message TEXT,
  sql_state TEXT,
  details TEXT
);`;
}

interface EventRow {
  id: number;
  at: string;
  action: string;
  migration_id: string | null;
  outcome: string;
  duration_ms: number | null;
  actor: string;
  host: string;
  tool_version: string;
  backup_id: string | null;
  error_code: string | null;
  error_message: string | null;
  sql_state: string | null;
  details: string | null;
}

type StateTuple = [string, string, string, string, string, string, string, number, string, string];

function tupleToStateRow(row: StateTuple): StateRow {
  return {
    module: row[0],
    version: row[1],
    name: row[2],
    checksum: row[3],
    checksumAlgo: row[4],
    status: row[5] as MigrationStatus,
    appliedAt: row[6],
    executionMs: row[7],
    appliedBy: row[8],
    toolVersion: row[9],
  };
}

function parseDetails(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
  } catch {
    return { raw: text };
  }
}

function toEventRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    at: row.at,
    action: row.action as EventAction,
    migrationId: row.migration_id,
    outcome: row.outcome as EventOutcome,
    durationMs: row.duration_ms,
    actor: row.actor,
    host: row.host,
    toolVersion: row.tool_version,
    backupId: row.backup_id,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    sqlState: row.sql_state,
    details: parseDetails(row.details),
  };
}

/** Reads and writes strata's state and events tables on one better-sqlite3 handle. */
export interface SqliteStateStore {
  ensureTables(): void;
  readState(): StateRow[];
  readEvents(query: EventQuery): EventRecord[];
  /** Applies writes in order, in the open transaction (the caller opens one when needed). */
  write(writes: readonly StateWrite[]): void;
}

/** Default number of events {@link SqliteStateStore.readEvents} returns. */
export const DEFAULT_EVENT_LIMIT = 100;

/**
 * Creates the state store of one handle. The write statements are prepared on first use and
 * kept, so applying a migration costs one `run()` per write.
 */
export function createSqliteStateStore(db: Database.Database, tables: StateTableNames, filename: string): SqliteStateStore {
  const migrations = quoteIdentifier(tables.migrations);
  const events = quoteIdentifier(tables.events);
  let upsert: Database.Statement | undefined;
  let insert: Database.Statement | undefined;
  let remove: Database.Statement | undefined;
  let insertEvent: Database.Statement | undefined;
  let tableExists: Database.Statement | undefined;

  const exists = (name: string): boolean => {
    tableExists ??= db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE").pluck();
    return tableExists.get(name) !== undefined;
  };

  const fail = (action: string, table: string, error: unknown): StrataError =>
    new StrataError(
      isBusyError(error) ? 'STRATA_LOCK_TIMEOUT' : 'STRATA_SQL_ERROR',
      `Cannot ${action} state table ${table} of SQLite database ${filename}: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: isBusyError(error)
          ? 'Another strata run or an application holds a lock on this database; retry when it is done'
          : 'Run `strata status` to check the state tables; they may have been changed by hand',
        cause: error,
        details: { sqliteCode: sqliteCodeOf(error), table },
      },
    );

  const write = (change: StateWrite): void => {
    switch (change.kind) {
      case 'insert':
      case 'upsert': {
        const row = change.row;
        // An apply inserts: a row already there fails on the primary key instead of being replaced.
        const statement =
          change.kind === 'insert'
            ? (insert ??= db.prepare(
                `INSERT INTO ${migrations} (module, version, name, checksum, checksum_algo, status, applied_at, execution_ms, applied_by, tool_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
              ))
            : (upsert ??= db.prepare(
                `INSERT INTO ${migrations} (module, version, name, checksum, checksum_algo, status, applied_at, execution_ms, applied_by, tool_version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (module, version) DO UPDATE SET name = excluded.name, checksum = excluded.checksum,
  checksum_algo = excluded.checksum_algo, status = excluded.status, applied_at = excluded.applied_at,
  execution_ms = excluded.execution_ms, applied_by = excluded.applied_by, tool_version = excluded.tool_version`,
              ));
        statement.run(
          row.module,
          row.version,
          row.name,
          row.checksum,
          row.checksumAlgo,
          row.status,
          row.appliedAt,
          row.executionMs,
          row.appliedBy,
          row.toolVersion,
        );
        return;
      }
      case 'delete':
        remove ??= db.prepare(`DELETE FROM ${migrations} WHERE module = ? AND version = ?`);
        remove.run(change.module, change.version);
        return;
      case 'event': {
        const event = change.event;
        insertEvent ??= db.prepare(
          `INSERT INTO ${events} (at, action, migration_id, outcome, duration_ms, actor, host, tool_version, backup_id, error_code, error_message, sql_state, details)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        insertEvent.run(
          event.at,
          event.action,
          event.migrationId ?? null,
          event.outcome,
          event.durationMs ?? null,
          event.actor,
          event.host,
          event.toolVersion,
          event.backupId ?? null,
          event.errorCode ?? null,
          event.errorMessage ?? null,
          event.sqlState ?? null,
          event.details == null ? null : JSON.stringify(event.details),
        );
        return;
      }
    }
  };

  return {
    ensureTables(): void {
      try {
        db.exec(stateTablesDdl(tables));
      } catch (error) {
        throw fail('create', tables.migrations, error);
      }
    },

    readState(): StateRow[] {
      try {
        if (!exists(tables.migrations)) return [];
        // Rows as arrays (`raw`): no intermediate object per row, 1,000 of them on every run.
        const rows = db
          .prepare(
            `SELECT module, version, name, checksum, checksum_algo, status, applied_at, execution_ms, applied_by, tool_version FROM ${migrations} ORDER BY module, version`,
          )
          .raw()
          .all() as StateTuple[];
        return rows.map(tupleToStateRow);
      } catch (error) {
        throw fail('read', tables.migrations, error);
      }
    },

    readEvents(query: EventQuery): EventRecord[] {
      try {
        if (!exists(tables.events)) return [];
        const where: string[] = [];
        const params: unknown[] = [];
        if (query.migrationId !== undefined) {
          where.push('migration_id = ?');
          params.push(query.migrationId);
        }
        if (query.module !== undefined) {
          const prefix = `${query.module}@`;
          where.push('substr(migration_id, 1, ?) = ?');
          params.push(prefix.length, prefix);
        }
        params.push(Math.max(0, Math.floor(query.limit ?? DEFAULT_EVENT_LIMIT)));
        const sql = `SELECT * FROM ${events}${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
        return (db.prepare(sql).all(...params) as EventRow[]).map(toEventRecord);
      } catch (error) {
        throw fail('read', tables.events, error);
      }
    },

    write(writes: readonly StateWrite[]): void {
      for (const change of writes) {
        try {
          write(change);
        } catch (error) {
          throw fail('write', change.kind === 'event' ? tables.events : tables.migrations, error);
        }
      }
    },
  };
}
