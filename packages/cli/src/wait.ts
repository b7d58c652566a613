import { setTimeout as delay } from 'node:timers/promises';
import { type Dialect, isCompositeDialect, isStrataError } from '@strata/core';

/**
 * Driver error codes that waiting will not fix: bad credentials, a missing database, a malformed
 * URL. Anything else that fails a connect (refused, reset, DNS not yet there, "the database system
 * is starting up") is retried.
 */
const FINAL_ERROR_CODES = new Set(['28P01', '28000', '3D000', '42501', 'ERR_INVALID_URL']);

/** Options of {@link waitForDatabase}. */
export interface WaitOptions {
  /** How long to keep trying, in milliseconds. */
  waitMs: number;
  lockTimeoutMs: number;
  signal?: AbortSignal;
  /** Called before each pause, with the failure and the attempt number (1-based). */
  onRetry?: (error: unknown, attempt: number, remainingMs: number) => void;
}

/**
 * `--wait`: opens and closes one session, retrying a failed connect with backoff (250 ms doubling
 * to 2 s) until `waitMs` has passed, so a run can start while its database container is still
 * starting. The last failure is thrown as it is (`STRATA_CONNECTION_FAILED`, exit 5).
 */
export async function waitForDatabase(dialect: Dialect, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.waitMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      const target = isCompositeDialect(dialect)
        ? (await dialect.select(options.signal ? { signal: options.signal } : {})).dialect
        : dialect;
      const session = await target.connect({
        purpose: 'read',
        lockTimeoutMs: options.lockTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      await session.close();
      return;
    } catch (error) {
      const remaining = deadline - Date.now();
      if (!isRetryable(error) || remaining <= 0 || options.signal?.aborted) throw error;
      options.onRetry?.(error, attempt, remaining);
      await pause(Math.min(delay, remaining), options.signal);
      delay = Math.min(delay * 2, 2_000);
    }
  }
}

function isRetryable(error: unknown): boolean {
  if (!isStrataError(error) || error.code !== 'STRATA_CONNECTION_FAILED') return false;
  const code = (error.details as { errorCode?: unknown } | undefined)?.errorCode;
  return !(typeof code === 'string' && FINAL_ERROR_CODES.has(code));
}

/** Waits `ms`, or less when `signal` aborts (the caller checks it); never rejects. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined).catch(() => {});
}
