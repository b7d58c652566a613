import { describe, expect, it } from 'vitest';
import { escapeControl, escapeJsonControl } from '../src/escape-control.js';
import { createOutput } from '../src/output.js';

function capture(color = false, json = false) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const out = createOutput({
    stdout: { write: (chunk: string) => stdout.push(chunk) },
    stderr: { write: (chunk: string) => stderr.push(chunk) },
    json,
    quiet: false,
    verbose: true,
    color,
  });
  return { out, stdout, stderr };
}

describe('escapeControl', () => {
  it('shows ESC, CR, LF, other C0 and C1 codes and bidi overrides as visible escapes; keeps TAB', () => {
    expect(escapeControl('a\u001b[2Jb\rc\nd\u0007e\u009bf\u202eg\th')).toBe('a\\e[2Jb\\rc\\nd\\x07e\\x9bf\\u202eg\th');
  });

  it('keeps strata’s own colour codes only when asked, and never any other sequence', () => {
    const red = '\u001b[31mred\u001b[39m';
    expect(escapeControl(`${red} \u001b[8mhidden\u001b[2K`, true)).toBe(`${red} \\e[8mhidden\\e[2K`);
    expect(escapeControl(red)).toBe('\\e[31mred\\e[39m');
  });

  it('leaves JSON valid while escaping DEL and C1', () => {
    const json = escapeJsonControl(JSON.stringify({ name: 'x\u009b\u007fy' }));
    expect(json).toBe('{"name":"x\\u009b\\u007fy"}');
    expect(JSON.parse(json)).toEqual({ name: 'x\u009b\u007fy' });
  });
});

describe('createOutput', () => {
  it('writes every human line as one line with no control character, colours intact', () => {
    const { out, stdout, stderr } = capture(true);
    const forged = '1.0.0\nOK: 3 migrations applied\u001b[2J.sql';
    out.info(out.colors.green(`file ${forged}`));
    out.warn(`warning: Ignoring ${forged}`);
    out.error(`error: ${forged}`);
    out.debug(`debug ${forged}`);
    for (const chunk of [...stdout, ...stderr]) {
      expect(chunk.endsWith('\n')).toBe(true);
      expect(chunk.slice(0, -1)).not.toMatch(/[\n\r]/);
      expect(chunk.replace(/\u001b\[(?:32|39)m/g, '')).not.toContain('\u001b');
    }
    expect(stdout[0]).toBe('\u001b[32mfile 1.0.0\\nOK: 3 migrations applied\\e[2J.sql\u001b[39m\n');
  });
});
