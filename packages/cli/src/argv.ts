import { parseArgs, type ParseArgsConfig } from 'node:util';
import { StrataError } from '@strata/core';
import { COMMANDS, findCommand, GLOBAL_OPTIONS, type OptionSpec } from './command-specs.js';

/** Option values as parsed: strings, booleans, or string lists for repeatable options. */
export type ParsedOptions = Record<string, string | boolean | string[] | undefined>;

/** A command line understood. */
export interface CommandLine {
  /** The command, or `undefined` for `strata`, `strata --help` or `strata --version`. */
  command: string | undefined;
  /** Positional arguments after the command. */
  args: string[];
  options: ParsedOptions;
}

const ALL_OPTIONS: Record<string, OptionSpec> = (() => {
  const all: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
  for (const command of COMMANDS) Object.assign(all, command.options);
  return all;
})();

function usage(message: string, command?: string): StrataError {
  return new StrataError('STRATA_USAGE', message, { hint: `Run \`strata ${command ? `${command} ` : ''}--help\` for usage` });
}

/**
 * Parses argv (without `node` and the script) strictly: an unknown option, an option of
 * another command or a missing value is a `STRATA_USAGE` error naming it.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const options: ParseArgsConfig['options'] = {};
  for (const [name, spec] of Object.entries(ALL_OPTIONS)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let parsed: { values: ParsedOptions; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (error) {
    const firstPositional = argv.find((arg) => !arg.startsWith('-'));
    const known = firstPositional && findCommand(firstPositional) ? firstPositional : undefined;
    throw usage(describeParseError(error as Error), known);
  }
  const [command, ...args] = parsed.positionals;
  const values = parsed.values;
  if (command === undefined) {
    const stray = Object.keys(values).filter((name) => !(name in GLOBAL_OPTIONS));
    if (stray.length) throw usage(`Option --${stray[0]} needs a command`);
    return { command: undefined, args: [], options: values };
  }
  if (command === 'help') {
    return { command: args[0], args: [], options: { ...values, help: true } };
  }
  const spec = findCommand(command);
  if (!spec) throw usage(`Unknown command ${JSON.stringify(command)}`);
  for (const name of Object.keys(values)) {
    if (!(name in GLOBAL_OPTIONS) && !(name in spec.options)) {
      throw usage(`Option --${name} is not an option of strata ${command}`, command);
    }
  }
  return { command, args, options: values };
}

function describeParseError(error: Error): string {
  const code = (error as { code?: string }).code;
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  const name = option?.split(/[ ,]/)[0];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && name) return `Unknown option ${name}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && name) {
    return /argument missing/.test(error.message) ? `Option ${name} needs a value` : `Option ${name} takes no value`;
  }
  return error.message.split('\n')[0]!.replace(/\.$/, '');
}

/** A string option's value (the last one when repeated). */
export function stringOption(options: ParsedOptions, name: string): string | undefined {
  const value = options[name];
  if (Array.isArray(value)) return value[value.length - 1];
  return typeof value === 'string' ? value : undefined;
}

/** A repeatable option's values, each also split on commas. */
export function listOption(options: ParsedOptions, name: string): string[] {
  const value = options[name];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter(Boolean);
}

/** A positive whole number option (`--steps`, `--limit`, `--keep`). */
export function countOption(options: ParsedOptions, name: string): number | undefined {
  const value = stringOption(options, name);
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(value)) throw usage(`Option --${name} must be a positive whole number, not ${JSON.stringify(value)}`);
  return Number(value);
}
