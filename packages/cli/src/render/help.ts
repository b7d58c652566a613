import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, type OptionSpec } from '../command-specs.js';

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

/** `strata --help`. */
export function renderMainHelp(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `strata ${version} — versioned, checksummed schema migrations for PostgreSQL and SQLite`,
    '',
    'Usage: strata <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Target: --url > DATABASE_URL > config url > sqlite:./strata.db',
    'Exit codes: 0 ok, 1 migration failed, 2 usage/config, 3 validation, 4 lock timeout,',
    '            5 cannot connect, 6 backup failed, 7 needs repair, 130/143 interrupted',
    '',
    'Examples:',
    '  strata init && strata new create_users && strata up',
    '  strata status --json',
    '  strata up --modules @strata/core-schema --url postgres://app@localhost/app',
    '',
    "Run `strata <command> --help` for a command's options and examples.",
  ].join('\n');
}

/** `strata <command> --help`. */
export function renderCommandHelp(command: CommandSpec): string {
  const own = Object.keys(command.options).length ? ['Options:', ...optionLines(command.options), ''] : [];
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    '',
    ...own,
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    ...(command.notes?.length ? [...command.notes, ''] : []),
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
  ].join('\n');
}
