import { setBusyTimeout, type SqliteConnection } from './sqlite-connection.js';
import { interruptedError, isBusyError, lockTimeoutError, statementError } from './sqlite-errors.js';

/**
 * How long one `BEGIN IMMEDIATE` attempt may block the event loop in SQLite's busy handler
 * before strata sleeps asynchronously and tries again.
 */
export const LOCK_POLL_SLICE_MS = 25;

/** Wait for the lock when the caller gives no `lockTimeoutMs` (core always gives one). */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

/** The longest asynchronous sleep between two attempts. */
const MAX_BACKOFF_MS = 50;

/** Options of one wait for the database's write lock. */
export interface WriteLockWaitOptions {
  filename: string;
  /** Give up after this long, with `STRATA_LOCK_TIMEOUT`. */
  timeoutMs: number;
  signal: AbortSignal | undefined;
  /** The busy timeout to restore once the lock is taken (ordinary statements use it). */
  statementBusyTimeoutMs: number;
  /** The session taking the transaction (owner of a shared handle's transaction). */
  owner?: object;
}

function sleep(milliseconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, milliseconds);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `attempt` until it stops failing with SQLITE_BUSY. Each attempt blocks for at most
 * {@link LOCK_POLL_SLICE_MS} in SQLite's busy handler; between attempts strata sleeps
 * asynchronously with backoff, so a long wait never freezes the process. Throws
 * `STRATA_LOCK_TIMEOUT` after `timeoutMs`, `STRATA_INTERRUPTED` when `signal` aborts; any other
 * error of `attempt` is thrown as it is.
 */
export async function retryWhileBusy(connection: SqliteConnection, options: WriteLockWaitOptions, attempt: () => void): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let backoff = 2;
  let lastBusy: unknown;
  try {
    for (;;) {
      if (options.signal?.aborted) throw interruptedError(options.filename, options.signal);
      // On a shared handle, a transaction opened by another session (or by the application that
      // owns the handle) is the lock holder: SQLite cannot nest transactions.
      if (!(connection.shared && connection.db.inTransaction)) {
        setBusyTimeout(connection, Math.min(LOCK_POLL_SLICE_MS, Math.max(0, deadline - Date.now())));
        try {
          attempt();
          return;
        } catch (error) {
          if (!isBusyError(error)) throw error;
          lastBusy = error;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw lockTimeoutError(options.filename, options.timeoutMs, lastBusy);
      await sleep(Math.min(backoff, remaining), options.signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  } finally {
    setBusyTimeout(connection, options.statementBusyTimeoutMs);
  }
}

/**
 * Opens a write transaction (`BEGIN IMMEDIATE`), which takes the database file's write lock,
 * waiting for it as {@link retryWhileBusy} does.
 */
export async function beginWriteTransaction(connection: SqliteConnection, options: WriteLockWaitOptions): Promise<void> {
  await retryWhileBusy(connection, options, () => {
    try {
      connection.beginImmediate.run();
    } catch (error) {
      if (isBusyError(error)) throw error;
      throw statementError(error, undefined, options.filename);
    }
    connection.owner = options.owner ?? null;
  });
}
