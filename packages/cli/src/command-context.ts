import type { Migrator } from '@strata/core';
import type { CommandLine } from './argv.js';
import type { ResolvedDialect } from './dialect-loader.js';
import type { Output } from './output.js';
import type { RunCliOptions } from './run-cli.js';
import type { Settings } from './settings.js';
import type { ResolvedSources } from './sources.js';

/** What a command function gets from the run that calls it (run-cli.ts's CommandRun). */
export interface CommandContext {
  readonly command: string;
  readonly line: CommandLine;
  readonly options: RunCliOptions;
  readonly out: Output;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** Whether stdin and stderr are a terminal (prompts, live lines). */
  readonly isTTY: boolean;
  /** A string option's value. */
  opt(name: string): string | undefined;
  /** Whether a boolean flag is set. */
  flag(name: string): boolean;
  /** Prints `result` as the JSON document with --json, else through `renderText`. */
  emit(result: object, renderText: () => void): void;
  /** Asks on a terminal (or takes --yes); throws `refusal` otherwise. */
  confirm(question: string, refusal: string): Promise<void>;
  /** Throws a usage error when more than `max` positional arguments were given. */
  noArgs(max?: number): void;
}

/** What a command that runs on a migrator works with. */
export interface MigratorRun {
  migrator: Migrator;
  sources: ResolvedSources;
  settings: Settings;
  resolved: ResolvedDialect;
  signal: AbortSignal | undefined;
}

/** A command run on a migrator: its exit status. */
export type MigratorCommand = (run: CommandContext, on: MigratorRun) => Promise<number>;
