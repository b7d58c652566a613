import { setTimeout as delay } from 'node:timers/promises';
import type { LockHolder } from './dialect.js';
import { StrataError } from './errors.js';

/** What core reports while it waits for the migration lock. */
export interface LockWaitProgress {
  /** Who holds the lock, when the dialect could tell. */
  holder?: LockHolder;
  /** How long this run has waited so far, in milliseconds. */
  waitedMs: number;
}

/** Options of {@link AcquireLock}: how core is told about a wait. */
export interface AcquireLockOptions {
  /** Called when core learns who holds the lock, and again whenever the holder changes. */
  onWait?(progress: LockWaitProgress): void;
}

/** A session's lock primitives, as {@link waitForLock} uses them. */
export interface LockPrimitives {
  /** Takes the lock if it is free, without waiting; true when this session now holds it. */
  tryLock(): Promise<boolean>;
  lockHolder?(): Promise<LockHolder | undefined>;
  /** The statement that ends a stuck holder, for the hint (`SELECT pg_terminate_backend(42)`, `KILL 42`). */
  endHolderSql?(pid: number): string;
}

export interface WaitForLockOptions extends AcquireLockOptions {
  /** The redacted target and the lock's name, for the timeout message. */
  target: string;
  lockName?: string;
  lockTimeoutMs: number;
  signal?: AbortSignal;
}

/** First pause between tries; it grows by half each time up to {@link MAX_PAUSE_MS}. */
const FIRST_PAUSE_MS = 50;
const MAX_PAUSE_MS = 500;
/**
 * When the holder is first looked up, and how often again (it costs a query or two on the
 * server, per waiting runner): a wait that ends quickly never looks.
 */
const HOLDER_FIRST_MS = 500;
const HOLDER_EVERY_MS = 2000;

/** A holder in one line: `pid 42, application "strata", from 10.0.0.5, since …, running "…"`. */
export function describeLockHolder(holder: LockHolder): string {
  const parts: string[] = [];
  if (holder.pid !== undefined) parts.push(`pid ${holder.pid}`);
  if (holder.applicationName) parts.push(`application "${holder.applicationName}"`);
  if (holder.clientAddress ?? holder.host) parts.push(`from ${holder.clientAddress ?? holder.host}`);
  if (holder.since) parts.push(`since ${holder.since}`);
  if (holder.command) parts.push(`command "${holder.command.slice(0, 120)}"`);
  else if (holder.query) parts.push(`running "${holder.query.slice(0, 80)}"`);
  return parts.join(', ') || 'an unidentified session';
}

/**
 * Core's lock loop over a dialect's non-blocking {@link LockPrimitives.tryLock}: tries, pauses
 * with a growing backoff, and gives up after `lockTimeoutMs` with `STRATA_LOCK_TIMEOUT` (whose
 * `details.holder` names the holder when the dialect can). Honours `signal` between tries
 * (`STRATA_INTERRUPTED`). While waiting it reports the holder through `onWait` when it learns it
 * and whenever it changes. A dialect never writes this loop itself.
 */
export async function waitForLock(lock: LockPrimitives, options: WaitForLockOptions): Promise<void> {
  const started = performance.now();
  const name = options.lockName ? `Migration lock ${options.lockName}` : 'The migration lock';
  let pause = FIRST_PAUSE_MS;
  let lastHolder: string | undefined;
  let holder: LockHolder | undefined;
  let nextHolderLookup = HOLDER_FIRST_MS;
  for (;;) {
    if (options.signal?.aborted) {
      throw new StrataError('STRATA_INTERRUPTED', `Interrupted while waiting for the migration lock on ${options.target}`, {
        cause: options.signal.reason,
      });
    }
    if (await lock.tryLock()) return;
    const waitedMs = performance.now() - started;
    if (lock.lockHolder && waitedMs >= nextHolderLookup) {
      nextHolderLookup = waitedMs + HOLDER_EVERY_MS;
      holder = await lock.lockHolder().catch(() => undefined);
      // Another holder, not the same one's query or idle time: those change while it sits there.
      const key = holder
        ? JSON.stringify([holder.pid, holder.host, holder.clientAddress, holder.applicationName, holder.since])
        : undefined;
      if (key !== lastHolder) {
        lastHolder = key;
        options.onWait?.({ ...(holder ? { holder } : {}), waitedMs: Math.round(waitedMs) });
      }
    }
    const remaining = options.lockTimeoutMs - waitedMs;
    if (remaining <= 0) break;
    await delay(Math.min(pause, remaining), undefined, options.signal ? { signal: options.signal } : undefined).catch(() => {});
    pause = Math.min(MAX_PAUSE_MS, Math.round(pause * 1.5));
  }
  if (lock.lockHolder) holder = (await lock.lockHolder().catch(() => undefined)) ?? holder;
  throw new StrataError(
    'STRATA_LOCK_TIMEOUT',
    `${name} on ${options.target} was not acquired within ${options.lockTimeoutMs} ms: ${holder ? `held by ${describeLockHolder(holder)}` : 'its holder could not be identified'}`,
    {
      hint:
        holder?.pid !== undefined
          ? `Wait for the other run to finish or raise --lock-timeout; if session ${holder.pid} is stuck, end it${lock.endHolderSql ? ` with ${lock.endHolderSql(holder.pid)}` : ''}`
          : 'Wait for the other run to finish or raise --lock-timeout',
      details: {
        ...(holder ? { holder } : {}),
        ...(options.lockName ? { lockName: options.lockName } : {}),
        lockTimeoutMs: options.lockTimeoutMs,
      },
    },
  );
}
