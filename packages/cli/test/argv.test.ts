import { describe, expect, it } from 'vitest';
import { countOption, listOption, parseCommandLine } from '../src/argv.js';

const usageError = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error as { code: string; message: string; hint?: string };
  }
  throw new Error('expected a usage error');
};

describe('parseCommandLine', () => {
  it('reads the command, its arguments and global options anywhere on the line', () => {
    const line = parseCommandLine(['--url', 'sqlite:x.db', 'up', '--to', '1.2.0', '--json', '-y']);
    expect(line.command).toBe('up');
    expect(line.options).toMatchObject({ url: 'sqlite:x.db', to: '1.2.0', json: true, yes: true });
  });

  it('names an unknown flag and points to --help', () => {
    const error = usageError(() => parseCommandLine(['up', '--bogus']));
    expect(error.code).toBe('STRATA_USAGE');
    expect(error.message).toBe('Unknown option --bogus');
    expect(error.hint).toContain('strata up --help');
  });

  it("refuses another command's option", () => {
    const error = usageError(() => parseCommandLine(['up', '--steps', '2']));
    expect(error.message).toBe('Option --steps is not an option of strata up');
  });

  it('refuses a missing option value', () => {
    expect(usageError(() => parseCommandLine(['status', '--url'])).message).toBe('Option --url needs a value');
  });

  it('refuses an unknown command', () => {
    expect(usageError(() => parseCommandLine(['migrate'])).message).toBe('Unknown command "migrate"');
  });

  it('treats `help <command>` as `<command> --help`', () => {
    expect(parseCommandLine(['help', 'down'])).toMatchObject({ command: 'down', options: { help: true } });
  });

  it('collects repeatable and comma-separated options', () => {
    const line = parseCommandLine([
      'repair',
      '--mark-applied',
      'app@1.0.0',
      '--mark-applied',
      'app@1.1.0,app@1.2.0',
      '--modules',
      '@a/x,@b/y',
    ]);
    expect(listOption(line.options, 'mark-applied')).toEqual(['app@1.0.0', 'app@1.1.0', 'app@1.2.0']);
    expect(listOption(line.options, 'modules')).toEqual(['@a/x', '@b/y']);
  });

  it('accepts --no-backup and --no-color as flags', () => {
    expect(parseCommandLine(['up', '--no-backup', '--no-color']).options).toMatchObject({ 'no-backup': true, 'no-color': true });
  });
});

describe('countOption', () => {
  it('takes positive whole numbers only', () => {
    expect(countOption(parseCommandLine(['down', '--steps', '3']).options, 'steps')).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'x']) {
      expect(usageError(() => countOption(parseCommandLine(['down', `--steps=${bad}`]).options, 'steps')).code).toBe('STRATA_USAGE');
    }
  });
});
