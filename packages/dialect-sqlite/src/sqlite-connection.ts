import Database from 'better-sqlite3';
import { StrataError } from '@strata/core';
import { connectionFailedError } from './sqlite-errors.js';

/** The journal modes strata may switch a database to. */
export type SqliteJournalMode = 'wal' | 'delete';

/**
 * One better-sqlite3 handle and the statements every session needs on it. A file database gets
 * one per session; `:memory:` (and a caller's handle) is shared by the sessions of a dialect.
 */
export interface SqliteConnection {
  readonly db: Database.Database;
  /** Shared by several sessions: ownership of its transaction is tracked in {@link owner}. */
  readonly shared: boolean;
  /** The session whose transaction is open on a shared handle. */
  owner: object | null;
  /** Commits made by strata sessions on a shared handle (other sessions' writes are foreign). */
  commits: number;
  /** The `busy_timeout` in effect now, to skip redundant pragmas. */
  busyTimeoutMs: number;
  readonly beginImmediate: Database.Statement;
  readonly commit: Database.Statement;
  readonly rollback: Database.Statement;
  readonly dataVersion: Database.Statement;
  readonly totalChanges: Database.Statement;
  readonly busyTimeoutStatements: Map<number, Database.Statement>;
}

/** Whether a filename names a database private to one better-sqlite3 handle. */
export function isPrivateDatabase(filename: string): boolean {
  return filename === ':memory:' || filename === '';
}

/** Wraps an open handle: prepares the transaction statements. */
export function wrapConnection(db: Database.Database, shared: boolean): SqliteConnection {
  return {
    db,
    shared,
    owner: null,
    commits: 0,
    busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    beginImmediate: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    dataVersion: db.prepare('PRAGMA data_version').pluck(),
    totalChanges: db.prepare('SELECT total_changes()').pluck(),
    busyTimeoutStatements: new Map(),
  };
}

/** Sets the connection's `busy_timeout` (how long one statement waits for a lock), if it differs. */
export function setBusyTimeout(connection: SqliteConnection, milliseconds: number): void {
  const value = Math.max(0, Math.floor(milliseconds));
  if (connection.busyTimeoutMs === value) return;
  let statement = connection.busyTimeoutStatements.get(value);
  if (statement === undefined) {
    statement = connection.db.prepare(`PRAGMA busy_timeout = ${value}`);
    // a few distinct values only (statement timeout, poll slice, the last slices of a wait)
    if (connection.busyTimeoutStatements.size < 16) connection.busyTimeoutStatements.set(value, statement);
  }
  statement.run();
  connection.busyTimeoutMs = value;
}

/**
 * Switches the journal mode when it differs; SQLite keeps WAL mode in the file. Throws SQLite's
 * SQLITE_BUSY as it is (the switch needs the database to itself: the caller retries).
 */
export function applyJournalMode(db: Database.Database, filename: string, mode: SqliteJournalMode): void {
  const current = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  if (current === mode || current === 'memory') return;
  const result = String(db.pragma(`journal_mode = ${mode}`, { simple: true })).toLowerCase();
  if (result !== mode) {
    throw new StrataError('STRATA_CONNECTION_FAILED', `Cannot switch SQLite database ${filename} to journal mode ${mode}`, {
      hint: 'Another connection may hold the database open in a mode that prevents the change; retry when it is closed',
      details: { file: filename, journalMode: result },
    });
  }
}

/**
 * Opens `filename` with better-sqlite3 and proves it is a SQLite database (by reading its
 * header), so a wrong path fails at connect with `STRATA_CONNECTION_FAILED`, not at the first
 * migration.
 */
export function openDatabase(filename: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(filename, { timeout: busyTimeoutMs });
    db.pragma('schema_version', { simple: true });
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // the open failed; nothing more to release
    }
    throw connectionFailedError(filename, error);
  }
}
