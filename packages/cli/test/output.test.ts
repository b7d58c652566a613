import { describe, expect, it } from 'vitest';
import { createColors } from '../src/output.js';

describe('createColors', () => {
  it('wraps text in SGR codes that reset only their own attribute', () => {
    const c = createColors(true);
    expect(c.bold('x')).toBe('\x1b[1mx\x1b[22m');
    expect(c.red('x')).toBe('\x1b[31mx\x1b[39m');
    expect(c.green('x')).toBe('\x1b[32mx\x1b[39m');
    expect(c.yellow('x')).toBe('\x1b[33mx\x1b[39m');
    expect(c.bold(c.red('x'))).toBe('\x1b[1m\x1b[31mx\x1b[39m\x1b[22m');
  });

  it('is the identity when colour is off', () => {
    const c = createColors(false);
    for (const style of [c.bold, c.red, c.green, c.yellow]) expect(style('plain text')).toBe('plain text');
  });
});
