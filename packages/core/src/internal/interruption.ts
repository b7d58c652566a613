import type { DialectSession } from '../dialect.js';
import { StrataError } from '../errors.js';

/**
 * The interruption error of a run, rewritten from the state table as it is after the rollback:
 * which migrations of the run are applied (or reverted), which one was rolled back, which are
 * marked failed/running, which never started. A signal handled between two migrations of a
 * synchronous driver (SQLite) lands after the running one committed: "rolled back" would be false.
 */
export async function describeInterruption(
  error: StrataError,
  session: DialectSession,
  direction: 'up' | 'down',
  runIds: readonly string[],
  current: string | undefined,
): Promise<StrataError> {
  let rows: Map<string, string>;
  try {
    rows = new Map((await session.readState()).map((row) => [`${row.module}@${row.version}`, row.status]));
  } catch {
    return error; // the state cannot be read: keep the plain message rather than guess
  }
  const done: string[] = [];
  const rolledBack: string[] = [];
  const broken: string[] = [];
  const notStarted: string[] = [];
  for (const id of runIds) {
    const status = rows.get(id);
    if (status === 'failed' || status === 'running') broken.push(`${id} (${status})`);
    else if (direction === 'up' ? status === 'applied' : status === undefined) done.push(id);
    else if (id === current) rolledBack.push(id);
    else notStarted.push(id);
  }
  const reason = error.message.match(/^Interrupted \(([^)]*)\)/)?.[1] ?? 'interrupted';
  const parts = [
    done.length
      ? `${direction === 'up' ? 'applied' : 'reverted'} ${done.join(', ')}`
      : `nothing was ${direction === 'up' ? 'applied' : 'reverted'}`,
    rolledBack.length ? `rolled back ${rolledBack.join(', ')}` : current ? undefined : 'no migration was running',
    broken.length ? `marked ${broken.join(', ')}` : undefined,
    notStarted.length ? `not started ${notStarted.join(', ')}` : undefined,
  ].filter(Boolean);
  return new StrataError('STRATA_INTERRUPTED', `Interrupted (${reason}): ${parts.join('; ')} (read back from the state table)`, {
    hint: broken.length
      ? 'Check the database, then run `strata repair` for the failed/running rows'
      : 'Run the command again to continue from where it stopped',
    cause: error.cause ?? error,
    details: { ...error.details, [direction === 'up' ? 'applied' : 'reverted']: done, rolledBack, notStarted },
  });
}
