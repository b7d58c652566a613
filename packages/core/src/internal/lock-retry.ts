import { setTimeout as delay } from 'node:timers/promises';
import { isStrataError, type StrataError } from '../errors.js';
import type { StepOutcome } from '../migrator-types.js';
import type { LoadedMigration } from './load-migrations.js';
import { runStep, type StepContext } from './run-step.js';

/** Retries of a transactional step that failed on the DDL lock timeout. @default 3 */
export const DEFAULT_LOCK_RETRIES = 3;
/** First wait before a retry; it doubles each time (pgroll: 1 s to 1 min; Reshape: 10 tries from 100 ms). */
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

export interface LockRetry {
  /** 1-based number of the retry about to happen. */
  attempt: number;
  retries: number;
  delayMs: number;
  /** The lock timeout that failed the attempt before (names the blocking sessions). */
  error: StrataError;
}

/**
 * The wait before retry `attempt`: exponential, capped, with jitter (between half and all of it)
 * so that several runners blocked by one transaction do not come back in step.
 */
export function lockRetryDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs a step, and when it fails on the database's lock timeout for DDL (`STRATA_DDL_LOCK_TIMEOUT`,
 * PostgreSQL 55P03) runs it again after a growing wait, at most `retries` times. Only for steps
 * whose own transaction was rolled back (the caller passes 0 otherwise): nothing of the step
 * changed, so running it again is safe. A non-transactional step is never retried blindly.
 */
export async function runStepWithLockRetries(
  context: StepContext,
  migration: LoadedMigration,
  direction: 'up' | 'down',
  lock: { inTransaction: boolean },
  options: { retries: number; signal?: AbortSignal; onRetry: (retry: LockRetry) => Promise<void> },
): Promise<{ outcome: StepOutcome; reason?: string; durationMs?: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runStep(context, migration, direction, lock);
    } catch (error) {
      if (attempt > options.retries || !isStrataError(error) || error.code !== 'STRATA_DDL_LOCK_TIMEOUT' || lock.inTransaction) throw error;
      if (options.signal?.aborted) throw error;
      const delayMs = lockRetryDelay(attempt);
      await options.onRetry({ attempt, retries: options.retries, delayMs, error });
      await sleep(delayMs, options.signal);
      if (options.signal?.aborted) throw error;
    }
  }
}

/** Waits `ms`, or less when `signal` aborts (the caller checks it); never rejects. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined).catch(() => {});
}
