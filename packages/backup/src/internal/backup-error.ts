import { backupInterruptedError, type StrataError } from '@strata/core';

// The redacting error helpers are part of the backup contract in core, so that providers living
// in the dialect packages throw the same errors; the manager keeps its short local names.
export { backupError, describeBackupError as describeError } from '@strata/core';

/** An interruption by an abort signal: the CLI maps it to exit 130/143 like a signal. */
export function interruptedError(what: string): StrataError {
  return backupInterruptedError(what);
}

/** Throws {@link interruptedError} when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw interruptedError(what);
}
