import { StrataError, isStrataError, redactSecrets, type StrataErrorDetails } from '@strata/core';

/**
 * A `STRATA_BACKUP_FAILED` error whose message, hint, details and cause are all redacted: the
 * cause is replaced by a plain Error carrying the redacted message (and errno code), so that
 * printing the error with `util.inspect` can never reveal a secret held by a driver error.
 */
export function backupError(
  message: string,
  options: { hint?: string; cause?: unknown; details?: StrataErrorDetails; secrets?: readonly string[] } = {},
): StrataError {
  const secrets = options.secrets ?? [];
  const details: StrataErrorDetails = {};
  for (const [key, value] of Object.entries(options.details ?? {})) {
    details[key] = typeof value === 'string' ? redactSecrets(value, secrets) : value;
  }
  return new StrataError('STRATA_BACKUP_FAILED', redactSecrets(message, secrets), {
    ...(options.hint ? { hint: redactSecrets(options.hint, secrets) } : {}),
    ...(options.cause === undefined ? {} : { cause: sanitizeCause(options.cause, secrets) }),
    details,
  });
}

/** An interruption by an abort signal: the CLI maps it to exit 130/143 like a signal. */
export function interruptedError(what: string): StrataError {
  return new StrataError('STRATA_INTERRUPTED', `${what} was interrupted`, {
    hint: 'Nothing was kept: the partial backup was removed. Run the command again',
  });
}

/** Throws {@link interruptedError} when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw interruptedError(what);
}

/** The message of anything thrown, redacted. */
export function describeError(error: unknown, secrets: readonly string[] = []): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactSecrets(message, secrets);
}

function sanitizeCause(cause: unknown, secrets: readonly string[]): unknown {
  if (isStrataError(cause)) return cause;
  const copy = new Error(describeError(cause, secrets));
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string') (copy as Error & { code?: string }).code = code;
  return copy;
}
