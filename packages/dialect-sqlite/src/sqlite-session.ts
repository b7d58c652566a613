import type Database from 'better-sqlite3';
import {
  StrataError,
  isStrataError,
  type ConnectOptions,
  type DialectSession,
  type EventQuery,
  type StateTableNames,
  type StateWrite,
} from '@strata/core';
import type { SqliteConnection } from './sqlite-connection.js';
import { sessionClosedError, statementError } from './sqlite-errors.js';
import { beginWriteTransaction, DEFAULT_LOCK_TIMEOUT_MS, LOCK_POLL_SLICE_MS } from './sqlite-lock.js';
import { findRebuildHazards, foreignKeyViolations } from './sqlite-rebuild.js';
import { trackSessionSettings } from './sqlite-session-settings.js';
import { readHolder, removeHolder, writeHolder } from './sqlite-holder.js';
import { splitSqliteStatements } from './sqlite-split.js';
import { createSqliteStateStore } from './sqlite-state-store.js';

/** What a session needs from its dialect. */
export interface SqliteSessionOptions {
  connection: SqliteConnection;
  filename: string;
  tables: StateTableNames;
  /** `busy_timeout` for ordinary statements (everything except waiting for the lock). */
  busyTimeoutMs: number;
  connect: ConnectOptions;
  /** Called once by `close()`: closes a private handle, or leaves a shared one open. */
  release(): void;
}

const PRAGMA_WORD = /pragma/i;

/** Prepared statements kept by `query()`; bounded so ad-hoc SQL cannot grow it forever. */
const QUERY_CACHE_SIZE = 64;

/**
 * Opens a session on a connection. The migration lock is the database file's write lock: it is
 * held while a write transaction (`BEGIN IMMEDIATE`) is open, by {@link DialectSession.acquireLock}
 * and by every {@link DialectSession.begin}.
 */
export function createSqliteSession(options: SqliteSessionOptions): DialectSession {
  const { connection, filename } = options;
  const db = connection.db;
  const store = createSqliteStateStore(db, options.tables, filename);
  const queryCache = new Map<string, Database.Statement>();
  const session = {} as DialectSession;
  let closed = false;
  /** The transaction opened by acquireLock is still open (the "lock transaction"). */
  let lockTransactionOpen = false;

  /** A value that changes when anyone but this session commits. */
  const writeVersion = connection.shared
    ? (): string => `${connection.dataVersion.get() as number}:${connection.commits}:${connection.totalChanges.get() as number}`
    : (): string => String(connection.dataVersion.get() as number);
  let seenVersion = writeVersion();
  /** The session settings every transaction starts from (a migration's PRAGMA never reaches the next). */
  const settings = trackSessionSettings(db);
  /** A statement that may have changed a setting ran since the last check: a setting changes only through a PRAGMA. */
  let pragmaSeen = false;
  const notePragma = (text: string): void => {
    if (!pragmaSeen && PRAGMA_WORD.test(text)) pragmaSeen = true;
  };

  const ensureOpen = (): void => {
    if (closed) throw sessionClosedError(filename);
  };

  /** This session's transaction is open (on a shared handle, another session's does not count). */
  const inOwnTransaction = (): boolean => db.inTransaction && (!connection.shared || connection.owner === session);

  const waitForWriteLock = (): Promise<void> =>
    beginWriteTransaction(connection, {
      filename,
      timeoutMs: options.connect.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      signal: options.connect.signal,
      statementBusyTimeoutMs: options.busyTimeoutMs,
      owner: session,
    }).catch((error: unknown) => {
      // SQLite's lock names no owner: a strata run that holds it has left its label.
      if (isStrataError(error) && error.code === 'STRATA_LOCK_TIMEOUT') {
        const holder = readHolder(filename);
        if (holder) error.details.holder = holder;
      }
      throw error;
    });
  let labelled = false;

  const beginTransaction = async (): Promise<void> => {
    ensureOpen();
    if (inOwnTransaction()) {
      // core may go straight from acquireLock to the first step: that transaction already holds
      // the write lock and the state was read under it.
      if (lockTransactionOpen) {
        lockTransactionOpen = false;
        return;
      }
      throw new StrataError('STRATA_INTERNAL', `begin() was called while a transaction is open on SQLite database ${filename}`, {
        hint: 'This is a bug in strata: commit or roll back before beginning again',
      });
    }
    if (pragmaSeen) {
      settings.restore();
      pragmaSeen = false;
    }
    await waitForWriteLock();
  };

  const executeSync = (script: string): void => {
    notePragma(script);
    const statements = splitSqliteStatements(script);
    for (const statement of statements) {
      try {
        db.exec(statement.text);
      } catch (error) {
        throw statementError(error, statement, filename);
      }
    }
  };

  const commitSync = (): void => {
    if (!inOwnTransaction()) {
      lockTransactionOpen = false;
      throw new StrataError('STRATA_INTERNAL', `commit() was called with no open transaction on SQLite database ${filename}`, {
        hint: 'This is a bug in strata, or a statement of the migration ended the transaction itself',
      });
    }
    try {
      connection.commit.run();
    } catch (error) {
      // SQLITE_BUSY at COMMIT (readers in rollback-journal mode) leaves the transaction open
      throw statementError(error, undefined, filename);
    }
    lockTransactionOpen = false;
    connection.owner = null;
    if (connection.shared) {
      connection.commits++;
      seenVersion = writeVersion();
    }
  };

  const rollbackSync = (): void => {
    lockTransactionOpen = false;
    if (!inOwnTransaction()) return;
    connection.owner = null;
    try {
      connection.rollback.run();
    } catch {
      // never throws: SQLite has already rolled back, or the handle is gone
    }
  };

  Object.assign(session, {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      ensureOpen();
      notePragma(sql);
      let statement = queryCache.get(sql);
      try {
        if (statement === undefined) {
          statement = db.prepare(sql);
          if (queryCache.size >= QUERY_CACHE_SIZE) queryCache.delete(queryCache.keys().next().value as string);
          queryCache.set(sql, statement);
        }
        if (statement.reader) return statement.all(...params) as Row[];
        statement.run(...params);
        return [];
      } catch (error) {
        throw statementError(error, { index: 1, line: 1, text: sql }, filename);
      }
    },

    async execute(script: string): Promise<void> {
      ensureOpen();
      executeSync(script);
    },

    begin: beginTransaction,

    async commit(): Promise<void> {
      ensureOpen();
      commitSync();
    },

    async rollback(): Promise<void> {
      if (closed) return;
      rollbackSync();
    },

    async acquireLock(): Promise<void> {
      await beginTransaction();
      lockTransactionOpen = true;
      seenVersion = writeVersion();
      writeHolder(filename);
      labelled = true;
    },

    async releaseLock(): Promise<void> {
      if (labelled) removeHolder(filename);
      labelled = false;
      if (closed) return;
      if (inOwnTransaction()) rollbackSync();
      lockTransactionOpen = false;
    },

    async hasForeignWrites(): Promise<boolean> {
      ensureOpen();
      const version = writeVersion();
      const changed = version !== seenVersion;
      seenVersion = version;
      return changed;
    },

    async ensureStateTables(): Promise<void> {
      ensureOpen();
      store.ensureTables();
    },

    async readState() {
      ensureOpen();
      // taken before reading: a commit in between makes hasForeignWrites say true, never miss it
      if (!db.inTransaction) seenVersion = writeVersion();
      return store.readState();
    },

    async readEvents(query: EventQuery) {
      ensureOpen();
      return store.readEvents(query);
    },

    async writeState(writes: readonly StateWrite[]): Promise<void> {
      ensureOpen();
      if (writes.length <= 1 || db.inTransaction) {
        store.write(writes);
        return;
      }
      // several writes outside a transaction still land together
      await waitForWriteLock();
      try {
        store.write(writes);
        commitSync();
      } catch (error) {
        rollbackSync();
        throw error;
      }
    },

    async applyScript(script: string, writes: readonly StateWrite[], ownTransaction: boolean): Promise<number> {
      ensureOpen();
      if (!ownTransaction) {
        const started = performance.now();
        executeSync(script);
        const ms = Math.round(performance.now() - started);
        store.write(timed(writes, ms));
        return ms;
      }
      await beginTransaction();
      try {
        // the plan was made before this transaction: refuse to run it on a changed database
        if (writeVersion() !== seenVersion) {
          throw new StrataError('STRATA_INTERNAL', `Another connection changed SQLite database ${filename} since the plan was made`, {
            hint: 'This is a bug in strata: with a dialect without session lock, call begin() and hasForeignWrites() before applyScript(…, false)',
            details: { foreignWrites: true },
          });
        }
        const started = performance.now();
        executeSync(script);
        const ms = Math.round(performance.now() - started);
        store.write(timed(writes, ms));
        commitSync();
        return ms;
      } catch (error) {
        rollbackSync();
        throw error;
      }
    },

    async inTransaction(): Promise<boolean> {
      ensureOpen();
      return inOwnTransaction();
    },

    async setForeignKeys(enabled: boolean): Promise<boolean> {
      ensureOpen();
      if (inOwnTransaction()) {
        throw new StrataError('STRATA_INTERNAL', `setForeignKeys() was called inside a transaction on SQLite database ${filename}`, {
          hint: 'This is a bug in strata: PRAGMA foreign_keys is a no-op inside a transaction',
        });
      }
      const before = settings.expected('foreign_keys');
      settings.expect('foreign_keys', enabled);
      return before;
    },

    async checkForeignKeys() {
      ensureOpen();
      return foreignKeyViolations(db);
    },

    async findRebuildHazards(script: string) {
      ensureOpen();
      return findRebuildHazards(db, script);
    },

    async describe(): Promise<Record<string, string>> {
      ensureOpen();
      return {
        filename,
        sqliteVersion: String(db.prepare('SELECT sqlite_version()').pluck().get()),
        journalMode: String(db.pragma('journal_mode', { simple: true })),
        busyTimeoutMs: String(options.busyTimeoutMs),
        lockPollSliceMs: String(LOCK_POLL_SLICE_MS),
        lockTimeoutMs: String(options.connect.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS),
        foreignKeys: db.pragma('foreign_keys', { simple: true }) ? 'on' : 'off',
        sharedConnection: String(connection.shared),
      };
    },

    async close(): Promise<void> {
      if (labelled) removeHolder(filename);
      labelled = false;
      if (closed) return;
      closed = true;
      rollbackSync();
      options.release();
    },
  } satisfies DialectSession);

  return session;
}

/** Fills in core's `-1` placeholders with the time the script took (see DialectSession.applyScript). */
function timed(writes: readonly StateWrite[], elapsedMs: number): readonly StateWrite[] {
  const ms = Math.round(elapsedMs);
  return writes.map((write) => {
    if ((write.kind === 'upsert' || write.kind === 'insert') && write.row.executionMs === -1)
      return { ...write, row: { ...write.row, executionMs: ms } };
    if (write.kind === 'event' && write.event.durationMs === -1) return { ...write, event: { ...write.event, durationMs: ms } };
    return write;
  });
}
