import type Database from 'better-sqlite3';
import {
  DEFAULT_STATE_TABLE,
  IDENTIFIER_PATTERN,
  StrataError,
  eventsTableFor,
  isStrataError,
  type ConnectOptions,
  type Dialect,
  type DialectCapabilities,
  type DialectSession,
} from '@strata/core';
import {
  isPrivateDatabase,
  openDatabase,
  wrapConnection,
  applyJournalMode,
  type SqliteConnection,
  type SqliteJournalMode,
} from './sqlite-connection.js';
import { connectionFailedError, interruptedError } from './sqlite-errors.js';
import { DEFAULT_LOCK_TIMEOUT_MS, retryWhileBusy } from './sqlite-lock.js';
import { findSqliteNonTransactional } from './sqlite-non-transactional.js';
import { createSqliteSession } from './sqlite-session.js';
import { splitSqliteStatements } from './sqlite-split.js';
import { sqliteBackupMember } from './backup/sqlite-backup-member.js';

/** Options of {@link createSqliteDialect}. */
export interface SqliteDialectOptions {
  /** Path of the database file (created when missing), or `':memory:'`. */
  filename: string;
  /**
   * Name of the state table.
   * @default 'strata_migrations'
   */
  table?: string;
  /**
   * Name of the events table.
   * @default 'strata_events' for the default state table, `<table>_events` otherwise
   */
  eventsTable?: string;
  /**
   * How long one ordinary statement waits for a lock held by another connection (SQLite's
   * `busy_timeout`), in milliseconds. Waiting for the migration lock is bounded by
   * `lockTimeoutMs` instead, and polls without blocking the event loop.
   * @default 5000 (for a caller's `database`: its current busy timeout)
   */
  busyTimeoutMs?: number;
  /**
   * Switches the database to this journal mode on connect. SQLite stores WAL mode in the file,
   * so this changes the database for every application that uses it.
   * @default undefined (the database's mode is left as it is)
   */
  journalMode?: SqliteJournalMode;
  /**
   * An open better-sqlite3 handle owned by the caller, shared by every session of the dialect
   * (mainly for `':memory:'` databases the application already uses). strata never closes it.
   * @default undefined (strata opens `filename` itself, one connection per session)
   */
  database?: Database.Database;
}

/** What SQLite can do, as strata sees it. */
export const SQLITE_CAPABILITIES: DialectCapabilities = {
  supportsTransactionalDdl: true,
  supportsSessionLock: false,
  supportsSchemas: false,
  supportsCancel: false,
  // Opening creates the database file: not before the migration files are known to be sound.
  connectsEarly: false,
};

/** better-sqlite3's default busy timeout, kept as strata's. */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

function invalidOption(message: string, hint: string, option: string): StrataError {
  return new StrataError('STRATA_CONFIG_INVALID', message, { hint, details: { option } });
}

function validateTableName(option: string, name: string): void {
  if (typeof name !== 'string' || !IDENTIFIER_PATTERN.test(name)) {
    throw invalidOption(
      `Invalid SQLite ${option} name ${JSON.stringify(name)}`,
      'Use a letter or underscore followed by up to 62 letters, digits or underscores',
      option,
    );
  }
}

function validateOptions(options: SqliteDialectOptions): void {
  if (typeof options?.filename !== 'string' || (options.filename === '' && options.database === undefined)) {
    throw invalidOption('The SQLite database filename is missing', "Give a file path, or ':memory:'", 'filename');
  }
  if (options.busyTimeoutMs !== undefined && !(Number.isInteger(options.busyTimeoutMs) && options.busyTimeoutMs >= 0)) {
    throw invalidOption(
      `Invalid SQLite busyTimeoutMs ${String(options.busyTimeoutMs)}`,
      'Give a whole number of milliseconds, 0 or more',
      'busyTimeoutMs',
    );
  }
  if (options.journalMode !== undefined && options.journalMode !== 'wal' && options.journalMode !== 'delete') {
    throw invalidOption(`Invalid SQLite journalMode ${JSON.stringify(options.journalMode)}`, "Use 'wal' or 'delete'", 'journalMode');
  }
}

/**
 * Creates the SQLite dialect on better-sqlite3. The migration lock is the database file's own
 * write lock (`BEGIN IMMEDIATE`), taken for every migration and waited for without blocking the
 * event loop. A file database gets a fresh connection per session; `':memory:'` and a caller's
 * `database` are shared by the dialect's sessions and closed (when strata opened them) by
 * `destroy()`.
 * @example
 * import { createSqliteDialect } from '@strata/dialect-sqlite';
 * const dialect = createSqliteDialect({ filename: './app.db', journalMode: 'wal' });
 * const session = await dialect.connect({ purpose: 'migrate', lockTimeoutMs: 60_000 });
 */
export function createSqliteDialect(options: SqliteDialectOptions): Dialect {
  validateOptions(options);
  const filename = options.filename;
  const table = options.table ?? DEFAULT_STATE_TABLE;
  validateTableName('table', table);
  const eventsTable = options.eventsTable ?? eventsTableFor(table);
  validateTableName('eventsTable', eventsTable);
  if (eventsTable.toLowerCase() === table.toLowerCase()) {
    throw invalidOption(`The SQLite eventsTable and table are both named ${table}`, 'Give the events table another name', 'eventsTable');
  }
  const tables = { migrations: table, events: eventsTable };
  const sharedHandle = options.database !== undefined || isPrivateDatabase(filename);
  let shared: Promise<SqliteConnection> | undefined;
  let sharedBusyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;

  /**
   * Switches the journal mode when asked. The switch needs the database to itself, so it waits
   * like the lock does (bounded by lockTimeoutMs, polling without blocking the event loop).
   */
  const prepareConnection = async (connection: SqliteConnection, connect: ConnectOptions, busyTimeoutMs: number): Promise<void> => {
    const mode = options.journalMode;
    if (mode === undefined) return;
    const waitOptions = {
      filename,
      timeoutMs: connect.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      signal: connect.signal,
      statementBusyTimeoutMs: busyTimeoutMs,
    };
    try {
      await retryWhileBusy(connection, waitOptions, () => applyJournalMode(connection.db, filename, mode));
    } catch (error) {
      throw isStrataError(error) ? error : connectionFailedError(filename, error);
    }
  };

  const openSharedConnection = async (connect: ConnectOptions): Promise<SqliteConnection> => {
    let db: Database.Database;
    if (options.database !== undefined) {
      db = options.database;
      if (!db.open) throw connectionFailedError(filename, new Error('the better-sqlite3 handle given as `database` is closed'));
      sharedBusyTimeoutMs = options.busyTimeoutMs ?? (db.pragma('busy_timeout', { simple: true }) as number);
    } else {
      db = openDatabase(filename, sharedBusyTimeoutMs);
    }
    const connection = wrapConnection(db, true);
    try {
      await prepareConnection(connection, connect, sharedBusyTimeoutMs);
    } catch (error) {
      if (options.database === undefined) db.close();
      throw error;
    }
    return connection;
  };

  /** The dialect's one shared connection; concurrent first connects wait for the same one. */
  const sharedConnection = async (connect: ConnectOptions): Promise<SqliteConnection> => {
    const current = await shared;
    if (current?.db.open) return current;
    shared = openSharedConnection(connect);
    shared.catch(() => {
      shared = undefined;
    });
    return shared;
  };

  return {
    name: 'sqlite',
    capabilities: SQLITE_CAPABILITIES,
    target: `sqlite:${filename}`,
    backupProvider: sqliteBackupMember(filename),

    async connect(connect: ConnectOptions): Promise<DialectSession> {
      if (connect.signal?.aborted) throw interruptedError(filename, connect.signal);
      if (sharedHandle) {
        return createSqliteSession({
          connection: await sharedConnection(connect),
          filename,
          tables,
          busyTimeoutMs: sharedBusyTimeoutMs,
          connect,
          release: () => {},
        });
      }
      const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS;
      const db = openDatabase(filename, busyTimeoutMs);
      try {
        const connection = wrapConnection(db, false);
        await prepareConnection(connection, connect, busyTimeoutMs);
        return createSqliteSession({ connection, filename, tables, busyTimeoutMs, connect, release: () => db.close() });
      } catch (error) {
        db.close();
        throw isStrataError(error) ? error : connectionFailedError(filename, error);
      }
    },

    splitStatements: splitSqliteStatements,

    findNonTransactional: findSqliteNonTransactional,

    async destroy(): Promise<void> {
      const current = await shared?.catch(() => undefined);
      shared = undefined;
      if (current !== undefined && options.database === undefined && current.db.open) current.db.close();
    },
  };
}
