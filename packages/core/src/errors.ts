/**
 * Every error strata throws is a {@link StrataError} with one of these stable codes. Scripts and
 * the CLI's exit status depend on them: never rename a code, only add new ones.
 */
export const STRATA_ERROR_CODES = {
  /** A version string is not strict SemVer 2.0 (`1.2`, `v1.2.3`, `01.2.3`, …). */
  STRATA_INVALID_VERSION: 'STRATA_INVALID_VERSION',
  /** A module name or migration id does not follow the rules. */
  STRATA_INVALID_ID: 'STRATA_INVALID_ID',
  /** A migration file could not be read, is empty, binary, not UTF-8, or malformed. */
  STRATA_INVALID_MIGRATION: 'STRATA_INVALID_MIGRATION',
  /** A migration file is over the size limit (`maxFileBytes`, default 64 MiB); it was not read. */
  STRATA_FILE_TOO_LARGE: 'STRATA_FILE_TOO_LARGE',
  /** Two migrations share one module and version. */
  STRATA_DUPLICATE_VERSION: 'STRATA_DUPLICATE_VERSION',
  /** A dependency names a migration that does not exist. */
  STRATA_UNKNOWN_DEPENDENCY: 'STRATA_UNKNOWN_DEPENDENCY',
  /** Dependencies form a cycle. */
  STRATA_DEPENDENCY_CYCLE: 'STRATA_DEPENDENCY_CYCLE',
  /** A migration depends on a later version of its own module. */
  STRATA_FORWARD_DEPENDENCY: 'STRATA_FORWARD_DEPENDENCY',
  /** An applied migration's checksum differs from its source. */
  STRATA_CHECKSUM_MISMATCH: 'STRATA_CHECKSUM_MISMATCH',
  /** An applied migration has no source any more. */
  STRATA_MISSING_MIGRATION: 'STRATA_MISSING_MIGRATION',
  /** A pending migration is older than the newest applied one of its module. */
  STRATA_OUT_OF_ORDER: 'STRATA_OUT_OF_ORDER',
  /** A revert was asked for a migration that has no down. */
  STRATA_MISSING_DOWN: 'STRATA_MISSING_DOWN',
  /** A revert would leave an applied migration without one of its dependencies. */
  STRATA_DEPENDANT_APPLIED: 'STRATA_DEPENDANT_APPLIED',
  /** A pending migration depends on one that is not applied and not in the plan. */
  STRATA_UNMET_DEPENDENCY: 'STRATA_UNMET_DEPENDENCY',
  /** The target version or id of `up`/`down` does not exist. */
  STRATA_UNKNOWN_TARGET: 'STRATA_UNKNOWN_TARGET',
  /**
   * A migration drops or renames a table that other tables reference with a cascading foreign key
   * (SQLite table rebuild under `foreign_keys = ON`): refused before it runs.
   */
  STRATA_UNSAFE_REBUILD: 'STRATA_UNSAFE_REBUILD',
  /** A migration run with foreign keys off left rows that violate a foreign key (rolled back). */
  STRATA_FOREIGN_KEY_VIOLATION: 'STRATA_FOREIGN_KEY_VIOLATION',
  /** A transactional migration holds a statement that cannot run in a transaction. */
  STRATA_NON_TRANSACTIONAL_STATEMENT: 'STRATA_NON_TRANSACTIONAL_STATEMENT',
  /** A `failed` or `running` state row is left from an earlier run. */
  STRATA_NEEDS_REPAIR: 'STRATA_NEEDS_REPAIR',
  /** A `running` state row belongs to a run that still holds the migration lock: it is not stale. */
  STRATA_MIGRATION_RUNNING: 'STRATA_MIGRATION_RUNNING',
  /** A migration (up or down) failed while running. */
  STRATA_MIGRATION_FAILED: 'STRATA_MIGRATION_FAILED',
  /** A SQL statement failed; dialects throw it and core wraps it in STRATA_MIGRATION_FAILED. */
  STRATA_SQL_ERROR: 'STRATA_SQL_ERROR',
  /** The migration lock was not acquired within the lock timeout. */
  STRATA_LOCK_TIMEOUT: 'STRATA_LOCK_TIMEOUT',
  /** A DDL statement waited longer than the database lock timeout for a table lock. */
  STRATA_DDL_LOCK_TIMEOUT: 'STRATA_DDL_LOCK_TIMEOUT',
  /** The database could not be reached or the connection was lost. */
  STRATA_CONNECTION_FAILED: 'STRATA_CONNECTION_FAILED',
  /**
   * The migration session did not stay one server session between transactions (a connection
   * pooler in transaction mode): a session lock cannot protect the run. Fix: a direct URL.
   */
  STRATA_UNSTABLE_SESSION: 'STRATA_UNSTABLE_SESSION',
  /**
   * The migration lock was no longer held by this run (a migration released it, or the session
   * changed): the run stopped before the next step, or its release found the lock gone.
   */
  STRATA_LOCK_LOST: 'STRATA_LOCK_LOST',
  /** A configuration value is missing, unknown or invalid. */
  STRATA_CONFIG_INVALID: 'STRATA_CONFIG_INVALID',
  /** A command line was not understood. */
  STRATA_USAGE: 'STRATA_USAGE',
  /** A dialect package is not installed. */
  STRATA_DIALECT_MISSING: 'STRATA_DIALECT_MISSING',
  /** A dialect broke its contract (a bug in the dialect, not in the migrations). */
  STRATA_DIALECT_CONTRACT: 'STRATA_DIALECT_CONTRACT',
  /** A backup could not be created, verified, restored or pruned. */
  STRATA_BACKUP_FAILED: 'STRATA_BACKUP_FAILED',
  /** A restore in place of a backup taken from another target (or an unknown one) was not asked for explicitly. */
  STRATA_BACKUP_OTHER_TARGET: 'STRATA_BACKUP_OTHER_TARGET',
  /** A destructive command needs confirmation (`--yes` when not on a terminal). */
  STRATA_CONFIRMATION_REQUIRED: 'STRATA_CONFIRMATION_REQUIRED',
  /** The run was interrupted by a signal or an abort signal. */
  STRATA_INTERRUPTED: 'STRATA_INTERRUPTED',
  /** `strata up` refused to run: `strata lint` found an error in a pending migration (`--allow-lint` overrides). */
  STRATA_LINT_FAILED: 'STRATA_LINT_FAILED',
  /** `strata up` stopped before a migration whose maintenance window is closed (exit 8; nothing failed). */
  STRATA_DEFERRED: 'STRATA_DEFERRED',
  /** A repair or baseline action names something it cannot act on. */
  STRATA_REPAIR_INVALID: 'STRATA_REPAIR_INVALID',
  /** The session was used after close, or concurrently on a single-connection dialect. */
  STRATA_SESSION_CLOSED: 'STRATA_SESSION_CLOSED',
  /** A command that only reads (status, validate, plan, history) was pointed at a SQLite file that does not exist. */
  STRATA_DATABASE_MISSING: 'STRATA_DATABASE_MISSING',
  /** `status --fail-on-pending` found migrations not applied yet. */
  STRATA_PENDING_MIGRATIONS: 'STRATA_PENDING_MIGRATIONS',
  /** Anything unexpected: a bug in strata. */
  STRATA_INTERNAL: 'STRATA_INTERNAL',
} as const;

export type StrataErrorCode = keyof typeof STRATA_ERROR_CODES;

/** Safe, secret-free facts attached to an error (migration id, file, statement, line, SQLSTATE …). */
export interface StrataErrorDetails {
  migrationId?: string;
  file?: string;
  /** 1-based number of the failing statement within its script. */
  statement?: number;
  /** 1-based line within the file (or script when no file). */
  line?: number;
  sqlState?: string;
  [key: string]: unknown;
}

export interface StrataErrorOptions {
  /** The next step for the user. */
  hint?: string;
  cause?: unknown;
  details?: StrataErrorDetails;
}

const BRAND = Symbol.for('strata.error');

/**
 * The one error class of strata: a stable `code`, a one-line `message` naming the failing thing,
 * a `hint` with the next step, the original error as `cause`, and secret-free `details`.
 */
export class StrataError extends Error {
  readonly code: StrataErrorCode;
  readonly hint: string | undefined;
  readonly details: StrataErrorDetails;
  readonly [BRAND] = true;

  constructor(code: StrataErrorCode, message: string, options: StrataErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }

  toJSON(): { code: StrataErrorCode; message: string; hint?: string; details: StrataErrorDetails } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}), details: this.details };
  }
}

/** Brand check that works across two copies of `@strata/core` (no `instanceof`). */
export function isStrataError(value: unknown): value is StrataError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Wraps anything thrown into a StrataError, keeping StrataErrors as they are. */
export function toStrataError(value: unknown, code: StrataErrorCode = 'STRATA_INTERNAL'): StrataError {
  if (isStrataError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new StrataError(code, redactSecrets(message), { cause: value });
}

// The password runs to the LAST `@` of the URL: a raw `@`, `#`, `/` or `?` in a password must not
// leak. Over-redacting a later `@` (in a query string) is the safe failure.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/\s:@'"]*)(:[^\s'"]*)?@/gi;
const PASSWORD_PARAM = /((?:password|passwd|pwd|sslpassword)\s*=\s*)('[^']*'|"[^"]*"|[^\s&;]+)/gi;

/**
 * Removes passwords from any text: `user:pass@` in URLs, `password=…` in connection strings and
 * query parameters, and each extra secret given (the literal value, wherever it occurs).
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_CREDENTIALS, (_m, scheme: string, user: string, pass: string | undefined) =>
    pass ? `${scheme}${user}:***@` : `${scheme}${user}@`,
  );
  out = out.replace(PASSWORD_PARAM, (_m, key: string) => `${key}***`);
  for (const secret of secrets) {
    if (secret && secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
