import { StrataError, type SqlStatement } from '@strata/core';

/** The `code` of better-sqlite3's `SqliteError` (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, …). */
export function sqliteCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLITE_BUSY and its extended codes: another connection holds a lock SQLite needs. */
export function isBusyError(error: unknown): boolean {
  return sqliteCodeOf(error)?.startsWith('SQLITE_BUSY') === true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The write lock of `filename` was not taken within `timeoutMs`. */
export function lockTimeoutError(filename: string, timeoutMs: number, cause?: unknown): StrataError {
  return new StrataError(
    'STRATA_LOCK_TIMEOUT',
    `Timed out after ${timeoutMs} ms waiting for the write lock on SQLite database ${filename}`,
    {
      hint: 'Another strata run or an application holds the write lock on this database; wait for it to finish, or raise --lock-timeout',
      cause,
      // SQLite cannot tell who holds its lock: the holder is unknown.
      details: { holder: {}, file: filename, lockTimeoutMs: timeoutMs, sqliteCode: sqliteCodeOf(cause) },
    },
  );
}

/** A wait was aborted through `ConnectOptions.signal`. */
export function interruptedError(filename: string, signal: AbortSignal): StrataError {
  return new StrataError('STRATA_INTERRUPTED', `Interrupted while waiting for the write lock on SQLite database ${filename}`, {
    cause: signal.reason,
  });
}

/**
 * better-sqlite3's compiled addon is missing or was built for another Node.js: pnpm 10 skips
 * dependency build scripts until they are approved, and a Node upgrade leaves the old build.
 * https://github.com/WiseLibs/better-sqlite3/blob/master/docs/troubleshooting.md
 */
export function isNativeBindingError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return (
    (error as { code?: unknown } | null)?.code === 'ERR_DLOPEN_FAILED' ||
    /Could not locate the bindings file|was compiled against a different Node\.js version|NODE_MODULE_VERSION|better_sqlite3\.node/.test(
      message,
    )
  );
}

/** The native addon of better-sqlite3 cannot be loaded: an install problem, not a database one. */
export function nativeBindingError(error: unknown): StrataError {
  const first = (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);
  return new StrataError('STRATA_DIALECT_MISSING', `better-sqlite3 is installed but its native addon cannot be loaded (${first})`, {
    hint: 'Build it: with pnpm 10, `pnpm approve-builds` (allow better-sqlite3) then `pnpm rebuild better-sqlite3`; with npm, `npm rebuild better-sqlite3` (needs python3, make and a C++ compiler when no prebuilt binary fits)',
    cause: error,
  });
}

/** The database file could not be opened or is not a SQLite database. */
export function connectionFailedError(filename: string, error: unknown): StrataError {
  if (isNativeBindingError(error)) return nativeBindingError(error);
  const code = sqliteCodeOf(error);
  const hint =
    code === 'SQLITE_NOTADB'
      ? 'The file exists but is not a SQLite database: check the path'
      : 'Check that the directory exists and is writable, and that the path names a SQLite database file';
  return new StrataError('STRATA_CONNECTION_FAILED', `Cannot open SQLite database ${filename}: ${messageOf(error)}`, {
    hint,
    cause: error,
    details: { file: filename, sqliteCode: code },
  });
}

/**
 * A statement of a script failed. SQLITE_BUSY becomes `STRATA_LOCK_TIMEOUT` (another connection
 * held a lock for longer than the busy timeout); everything else `STRATA_SQL_ERROR`.
 */
export function statementError(error: unknown, statement: SqlStatement | undefined, filename: string): StrataError {
  const sqliteCode = sqliteCodeOf(error);
  const where = statement ? `Statement ${statement.index} (line ${statement.line}) failed` : 'Statement failed';
  const details = { statement: statement?.index, line: statement?.line, sqlState: undefined, sqliteCode };
  if (isBusyError(error)) {
    return new StrataError('STRATA_LOCK_TIMEOUT', `${where}: SQLite database ${filename} is locked (${messageOf(error)})`, {
      hint: 'Another strata run or an application holds a lock on this database; retry when it is done, or raise busyTimeoutMs',
      cause: error,
      details: { ...details, holder: {}, file: filename },
    });
  }
  return new StrataError('STRATA_SQL_ERROR', `${where}: ${messageOf(error)}`, {
    hint: 'Fix the statement and run again',
    cause: error,
    details,
  });
}

/** The session was used after `close()`. */
export function sessionClosedError(filename: string): StrataError {
  return new StrataError('STRATA_SESSION_CLOSED', `The session on SQLite database ${filename} is closed`, {
    hint: 'Open a new session with dialect.connect()',
  });
}
