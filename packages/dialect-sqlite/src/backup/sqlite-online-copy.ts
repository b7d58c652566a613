import { backupInterruptedError as interruptedError, type BackupProgress } from '@strata/core';
import type { SqliteDatabaseLike } from './backup-driver.js';

/** Passing this many pages to one backup step copies the whole database at once. */
const ALL_PAGES = 0x7fffffff;

/**
 * Opens a read transaction on `source` and takes its shared lock, for up to `busyTimeoutMs`.
 * SQLite's own busy handler is not used for this: in rollback-journal mode a writer that commits
 * back to back holds the PENDING or EXCLUSIVE lock nearly all the time, and the busy handler,
 * which retries at most every 100 ms after the first few tries, then keeps missing the short
 * moments between two commits until the timeout (SQLITE_BUSY under a steady writer; issue 12
 * item 9). Trying again and again catches one of those moments; once the shared lock is held, the
 * writer waits for the copy instead.
 */
export async function beginSnapshot(
  source: SqliteDatabaseLike,
  options: { signal?: AbortSignal; busyTimeoutMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.busyTimeoutMs;
  source.pragma('busy_timeout = 0');
  try {
    for (;;) {
      // Each time this process gets the CPU, try for a few milliseconds: on a loaded machine a
      // timer wakes it only every few tens of milliseconds, and one try per wake-up misses too often.
      const burstEnd = Date.now() + SNAPSHOT_BURST_MS;
      do {
        if (tryBeginRead(source, () => Date.now() >= deadline)) return;
      } while (Date.now() < burstEnd);
      if (options.signal?.aborted) throw interruptedError(options.what);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    source.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  }
}

/** How long one burst of snapshot tries lasts before the event loop gets a turn. */
const SNAPSHOT_BURST_MS = 5;

/** One try: true when the read transaction holds its lock; false on SQLITE_BUSY; throws otherwise or past the deadline. */
function tryBeginRead(source: SqliteDatabaseLike, pastDeadline: () => boolean): boolean {
  source.exec('BEGIN');
  try {
    // The first read of the transaction takes the shared lock (a WAL snapshot in WAL mode).
    source.prepare('SELECT count(*) FROM sqlite_schema').get();
    return true;
  } catch (error) {
    try {
      source.exec('ROLLBACK');
    } catch {
      // No transaction left to end: the read failed before it began.
    }
    const code = String((error as { code?: unknown }).code ?? '');
    if (!code.startsWith('SQLITE_BUSY') || pastDeadline()) throw error;
    return false;
  }
}

/** The online backup made no progress for the whole wait: another connection held a lock. */
export class LockWaitError extends Error {}

export async function onlineBackup(
  source: SqliteDatabaseLike,
  destination: string,
  options: { signal?: AbortSignal; onProgress?: (progress: BackupProgress) => void; busyTimeoutMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.busyTimeoutMs;
  const sourcePages = Number(source.pragma('page_count', { simple: true }));
  for (;;) {
    let lastRemaining = -1;
    let stalledSince = Date.now();
    const result = await source.backup(destination, {
      progress: ({ totalPages, remainingPages }) => {
        if (options.signal?.aborted) throw interruptedError(options.what);
        if (remainingPages !== lastRemaining) {
          lastRemaining = remainingPages;
          stalledSince = Date.now();
        } else if (Date.now() - stalledSince > options.busyTimeoutMs) {
          throw new LockWaitError(
            `the database stayed locked by another connection for more than ${options.busyTimeoutMs} ms (SQLITE_BUSY)`,
          );
        }
        options.onProgress?.({ stage: 'copy', done: totalPages - remainingPages, total: totalPages, unit: 'pages' });
        return ALL_PAGES;
      },
    });
    // better-sqlite3 resolves with 0 pages, as if done, when the FIRST step got SQLITE_BUSY or
    // SQLITE_LOCKED (another connection holds the write lock): nothing was copied. Wait and retry.
    if (result.totalPages > 0 || sourcePages === 0) {
      options.onProgress?.({ stage: 'copy', done: result.totalPages, total: result.totalPages, unit: 'pages' });
      return;
    }
    if (options.signal?.aborted) throw interruptedError(options.what);
    if (Date.now() >= deadline) {
      throw new LockWaitError(`the database stayed locked by another connection for more than ${options.busyTimeoutMs} ms (SQLITE_BUSY)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
