import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../src/byte-size.js';

describe('parseByteSize', () => {
  it('reads bytes and binary units', () => {
    expect(parseByteSize(1000)).toBe(1000);
    expect(parseByteSize('2GB')).toBe(2 * 1024 ** 3);
    expect(parseByteSize('500 MB')).toBe(500 * 1024 ** 2);
    expect(parseByteSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseByteSize('4kb')).toBe(4096);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'lots', '-1', '2 PB', -5, Number.NaN, true, null]) expect(parseByteSize(bad)).toBeUndefined();
  });
});
