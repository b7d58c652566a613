import { describe, expect, it } from 'vitest';
import { isStrataError } from './errors.js';
import type { LockHolder } from './dialect.js';
import { type LockWaitProgress, waitForLock } from './lock-wait.js';

/**
 * Core's lock loop, over hand-made primitives: what is tested is the loop (backoff, deadline,
 * abort, holder reports), not a database. The dialects' real locks are in the conformance suite.
 */
describe('waitForLock', () => {
  const base = { target: 'db://x', lockName: 'L' };

  it('returns at once when the lock is free', async () => {
    let tries = 0;
    await waitForLock({ tryLock: async () => ++tries > 0 }, { ...base, lockTimeoutMs: 1000 });
    expect(tries).toBe(1);
  });

  it('tries until the lock is free, reporting the holder once while it stays the same', async () => {
    let tries = 0;
    const waits: LockWaitProgress[] = [];
    const holder: LockHolder = { pid: 7, since: '2026-01-01T00:00:00.000Z' };
    const started = performance.now();
    await waitForLock(
      { tryLock: async () => (++tries, performance.now() - started > 3000), lockHolder: async () => ({ ...holder, query: `q${tries}` }) },
      { ...base, lockTimeoutMs: 10_000, onWait: (w) => waits.push(w) },
    );
    expect(tries).toBeGreaterThan(3);
    // Looked up at least twice (0.5 s, 2.5 s), reported once: only the query changed.
    expect(waits).toEqual([{ holder: { ...holder, query: expect.stringMatching(/^q\d+$/) }, waitedMs: expect.any(Number) }]);
  });

  it('reports again when another session holds the lock', async () => {
    const waits: LockWaitProgress[] = [];
    let tries = 0;
    const started = performance.now();
    await waitForLock(
      // Holder 1 for the first 1.5 s, then holder 2 until 3.5 s (looked up at 0.5 s and 2.5 s).
      {
        tryLock: async () => (tries++, performance.now() - started > 3500),
        lockHolder: async () => ({ pid: performance.now() - started < 1500 ? 1 : 2 }),
      },
      { ...base, lockTimeoutMs: 30_000, onWait: (w) => waits.push(w) },
    );
    expect(waits.map((w) => w.holder?.pid)).toEqual([1, 2]);
  });

  it('times out with STRATA_LOCK_TIMEOUT naming the holder and how to end it', async () => {
    const error = await waitForLock(
      {
        tryLock: async () => false,
        lockHolder: async () => ({ pid: 42, applicationName: 'strata' }),
        endHolderSql: (pid) => `KILL ${pid}`,
      },
      { ...base, lockTimeoutMs: 200 },
    ).catch((e: unknown) => e);
    expect(isStrataError(error) && error.code).toBe('STRATA_LOCK_TIMEOUT');
    expect(isStrataError(error) && error.details).toMatchObject({ holder: { pid: 42 }, lockName: 'L', lockTimeoutMs: 200 });
    expect(String((error as Error).message)).toContain('held by pid 42, application "strata"');
    expect(isStrataError(error) && error.hint).toContain('KILL 42');
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const error = await waitForLock({ tryLock: async () => false }, { ...base, lockTimeoutMs: 60_000, signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    expect(isStrataError(error) && error.code).toBe('STRATA_INTERRUPTED');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
