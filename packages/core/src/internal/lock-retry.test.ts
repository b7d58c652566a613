import { describe, expect, it } from 'vitest';
import { lockRetryDelay } from './lock-retry.js';

describe('lockRetryDelay', () => {
  it('doubles from 500 ms, with jitter between half and all of the step, capped at 30 s', () => {
    expect([1, 2, 3, 4].map((n) => lockRetryDelay(n, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3].map((n) => lockRetryDelay(n, () => 0))).toEqual([250, 500, 1000]);
    expect(lockRetryDelay(20, () => 1)).toBe(30_000);
  });
});
