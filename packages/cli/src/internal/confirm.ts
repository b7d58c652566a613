import { StrataError } from '@strata/core';
import { escapeControl } from '../escape-control.js';
import type { WritableLike } from '../output.js';

export interface ConfirmOptions {
  /** `--yes` was given. */
  yes: boolean;
  /** stdin and stdout are terminals: a person can answer. */
  isTTY: boolean;
  stdin: NodeJS.ReadableStream | undefined;
  /** Where the question is written (stderr, so stdout stays clean). */
  prompt: WritableLike;
}

/**
 * Asks before a destructive step: passes with `--yes`, asks on a terminal (y/yes goes ahead),
 * and refuses with `STRATA_CONFIRMATION_REQUIRED` (exit 2) otherwise.
 */
export async function confirm(question: string, refusal: string, options: ConfirmOptions): Promise<void> {
  if (options.yes) return;
  if (!options.isTTY || !options.stdin) {
    throw new StrataError('STRATA_CONFIRMATION_REQUIRED', refusal, {
      hint: 'pass --yes (or -y) to confirm when not running on a terminal',
    });
  }
  const answer = await ask(options.stdin, options.prompt, `${escapeControl(question)} [y/N] `);
  if (!/^\s*y(es)?\s*$/i.test(answer)) {
    throw new StrataError('STRATA_CONFIRMATION_REQUIRED', `${refusal}: not confirmed`, { hint: 'Answer y to go ahead, or pass --yes' });
  }
}

async function ask(input: NodeJS.ReadableStream, output: WritableLike, question: string): Promise<string> {
  // Imported here: readline (with net and streams) costs start-up to every command that never asks.
  const { createInterface } = await import('node:readline');
  return new Promise((resolve) => {
    output.write(question);
    const rl = createInterface({ input, terminal: false });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!answered) resolve('');
    });
  });
}
