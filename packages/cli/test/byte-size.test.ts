import { describe, expect, it } from 'vitest';
import { parseByteSize, toByteSize } from '../src/byte-size.js';

describe('toByteSize', () => {
  it('reads bytes and binary units', () => {
    expect(toByteSize(1000)).toBe(1000);
    expect(toByteSize('2GB')).toBe(2 * 1024 ** 3);
    expect(toByteSize('500 MB')).toBe(500 * 1024 ** 2);
    expect(toByteSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(toByteSize('4kb')).toBe(4096);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'lots', '-1', '2 PB', -5, Number.NaN, true, null]) expect(toByteSize(bad)).toBeUndefined();
  });
});

describe('parseByteSize', () => {
  it('reads a positive size and names the setting when it cannot', () => {
    expect(parseByteSize('64MiB', 'maxFileBytes')).toBe(64 * 1024 ** 2);
    expect(parseByteSize(1500, 'maxFileBytes')).toBe(1500);
    for (const bad of ['lots', 0, 1.5, '0']) {
      expect(() => parseByteSize(bad, 'maxFileBytes')).toThrow(
        expect.objectContaining({ code: 'STRATA_CONFIG_INVALID', message: expect.stringContaining('maxFileBytes') }),
      );
    }
  });
});
