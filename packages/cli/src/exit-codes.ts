import { isStrataError, type StrataErrorCode } from '@strata/core';

/**
 * The one table from error codes to exit statuses. Scripts and CI pipelines depend on these
 * classes: never move a code to another class, only add new codes.
 */
export const EXIT_CODES = {
  STRATA_MIGRATION_FAILED: 1,
  STRATA_SQL_ERROR: 1,
  STRATA_FOREIGN_KEY_VIOLATION: 1,
  STRATA_INTERNAL: 1,
  STRATA_DIALECT_CONTRACT: 1,
  STRATA_SESSION_CLOSED: 1,

  STRATA_USAGE: 2,
  STRATA_CONFIG_INVALID: 2,
  STRATA_DIALECT_MISSING: 2,
  STRATA_CONFIRMATION_REQUIRED: 2,
  STRATA_INVALID_ID: 2,
  STRATA_UNSTABLE_SESSION: 2,
  STRATA_BACKUP_OTHER_TARGET: 2,

  STRATA_INVALID_VERSION: 3,
  STRATA_INVALID_MIGRATION: 3,
  STRATA_FILE_TOO_LARGE: 3,
  STRATA_DUPLICATE_VERSION: 3,
  STRATA_UNKNOWN_DEPENDENCY: 3,
  STRATA_DEPENDENCY_CYCLE: 3,
  STRATA_FORWARD_DEPENDENCY: 3,
  STRATA_CHECKSUM_MISMATCH: 3,
  STRATA_MISSING_MIGRATION: 3,
  STRATA_OUT_OF_ORDER: 3,
  STRATA_MISSING_DOWN: 3,
  STRATA_DEPENDANT_APPLIED: 3,
  STRATA_UNMET_DEPENDENCY: 3,
  STRATA_UNKNOWN_TARGET: 3,
  STRATA_NON_TRANSACTIONAL_STATEMENT: 3,
  STRATA_UNSAFE_REBUILD: 3,
  STRATA_REPAIR_INVALID: 3,
  STRATA_PENDING_MIGRATIONS: 3,
  STRATA_LINT_FAILED: 3,

  STRATA_LOCK_TIMEOUT: 4,
  STRATA_DDL_LOCK_TIMEOUT: 4,
  STRATA_LOCK_LOST: 4,
  STRATA_MIGRATION_RUNNING: 4,

  STRATA_CONNECTION_FAILED: 5,
  STRATA_DATABASE_MISSING: 5,

  STRATA_BACKUP_FAILED: 6,

  STRATA_NEEDS_REPAIR: 7,

  /** Not a failure: `up` stopped before a migration whose maintenance window is closed. */
  STRATA_DEFERRED: 8,

  STRATA_INTERRUPTED: 130,
} as const satisfies Record<StrataErrorCode, number>;

/** Exit status of an `up` that stopped before a migration whose maintenance window is closed. */
export const EXIT_DEFERRED = 8;
/** Exit status of a run interrupted by SIGINT. */
export const EXIT_SIGINT = 130;
/** Exit status of a run interrupted by SIGTERM. */
export const EXIT_SIGTERM = 143;

/** The exit status for a code; unknown codes are internal errors (1). */
export function exitCodeForCode(code: string): number {
  return (EXIT_CODES as Record<string, number>)[code] ?? 1;
}

/**
 * The exit status for anything thrown. An interruption exits 143 when the signal was SIGTERM
 * and 130 otherwise.
 */
export function exitCodeFor(error: unknown, signal?: NodeJS.Signals): number {
  if (!isStrataError(error)) return 1;
  if (error.code === 'STRATA_INTERRUPTED') return signal === 'SIGTERM' ? EXIT_SIGTERM : EXIT_SIGINT;
  return exitCodeForCode(error.code);
}

/** The exit status for a list of problems (status, validate): 7 when one needs repair, else the highest class. */
export function exitCodeForProblems(problems: readonly { code: string }[]): number {
  if (problems.length === 0) return 0;
  if (problems.some((p) => p.code === 'STRATA_NEEDS_REPAIR')) return EXIT_CODES.STRATA_NEEDS_REPAIR;
  return Math.max(...problems.map((p) => exitCodeForCode(p.code)));
}
