import { describe, expect, it } from 'vitest';
import { parseAge, parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it('reads ms, s, m, h and bare milliseconds', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1500')).toBe(1500);
    expect(parseDuration('0.5s')).toBe(500);
    expect(parseDuration(250)).toBe(250);
  });

  it('refuses anything else as a usage error naming the option', () => {
    for (const bad of ['', 'abc', '5 s', '-1s', '1d', '2sec', '1e3']) {
      expect(() => parseDuration(bad, '--lock-timeout')).toThrow(
        expect.objectContaining({ code: 'STRATA_USAGE', message: expect.stringContaining('--lock-timeout') }),
      );
    }
    expect(() => parseDuration(-5)).toThrow(expect.objectContaining({ code: 'STRATA_USAGE' }));
  });
});

describe('parseAge', () => {
  it('adds days to the duration units', () => {
    expect(parseAge('30d')).toBe(30 * 86_400_000);
    expect(parseAge('12h')).toBe(12 * 3_600_000);
  });
});
