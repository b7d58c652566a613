import { StrataError, type StrataErrorCode } from '../errors.js';
import type { Problem } from '../problem.js';

/** The code that decides the exit class when several problems are found at once. */
const PRIORITY: readonly StrataErrorCode[] = ['STRATA_CONFIG_INVALID', 'STRATA_USAGE', 'STRATA_NEEDS_REPAIR'];

/**
 * One error for a list of problems: the most decisive problem's code and message, every problem
 * in `details.problems` (the CLI prints one line each).
 */
export function problemsError(problems: readonly Problem[]): StrataError {
  const first = PRIORITY.map((code) => problems.find((p) => p.code === code)).find(Boolean) ?? problems[0]!;
  const others = problems.length - 1;
  return new StrataError(
    first.code,
    others > 0 ? `${first.message} (and ${others} more problem${others === 1 ? '' : 's'})` : first.message,
    {
      ...(first.hint ? { hint: first.hint } : {}),
      details: {
        problems: [...problems],
        ...(first.migrationId ? { migrationId: first.migrationId } : {}),
        ...(first.file ? { file: first.file } : {}),
      },
    },
  );
}
