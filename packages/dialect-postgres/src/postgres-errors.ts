import { StrataError, isStrataError, redactSecrets } from '@strata/core';
import type { StrataErrorDetails } from '@strata/core';

/** The fields of a pg `DatabaseError` or Node socket error that strata looks at. */
export interface DriverError {
  message?: string;
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** SQLSTATE classes and codes that mean the connection is gone, not that the SQL was wrong. */
const CONNECTION_SQLSTATES = /^(08|57P0[1-4]|53300)/;
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

export function asDriverError(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : { message: String(error) };
}

/** True when the error means the connection failed or was lost. */
export function isConnectionError(error: unknown): boolean {
  const driver = asDriverError(error);
  if (driver.code && CONNECTION_SQLSTATES.test(driver.code)) return true;
  if (driver.code && SOCKET_ERRORS.has(driver.code)) return true;
  return /Connection terminated|connection error|not queryable|Client was closed/i.test(driver.message ?? '');
}

/**
 * A copy of a driver error that is safe to keep as `cause`: message redacted, only plain
 * diagnostic fields kept. The original may carry the URL or password in other properties
 * (Node's `ERR_INVALID_URL` has `input`), so it is never surfaced.
 */
export function sanitizeCause(error: unknown, secrets: readonly string[]): Error {
  const driver = asDriverError(error);
  const copy = new Error(redactSecrets(String(driver.message ?? error), secrets)) as Error & Record<string, unknown>;
  copy.name = error instanceof Error ? error.name : 'Error';
  for (const key of ['code', 'errno', 'syscall', 'address', 'port', 'position', 'severity'] as const) {
    const value = (driver as Record<string, unknown>)[key];
    if (value !== undefined) copy[key] = typeof value === 'string' ? redactSecrets(value, secrets) : value;
  }
  for (const key of ['detail', 'hint', 'where'] as const) {
    const value = driver[key];
    if (value) copy[key] = redactSecrets(value, secrets);
  }
  return copy;
}

/** Maps a failed connect to `STRATA_CONNECTION_FAILED` with a hint for the likely cause. */
export function connectionFailedError(
  error: unknown,
  context: { target: string; secrets: readonly string[]; timedOut?: boolean; connectTimeoutMs?: number },
): StrataError {
  if (isStrataError(error)) return error;
  const driver = asDriverError(error);
  const reason = context.timedOut
    ? `timed out after ${context.connectTimeoutMs} ms`
    : redactSecrets(driver.message ?? String(error), context.secrets);
  let hint: string;
  switch (driver.code) {
    case '28P01':
    case '28000':
      hint = 'Check the user name and password (URL, PGPASSWORD or ~/.pgpass) and pg_hba.conf';
      break;
    case '3D000':
      hint = 'Create the database (createdb) or fix the database name in the URL';
      break;
    case 'ECONNREFUSED':
      hint = 'Is PostgreSQL running and listening on that host and port? (pg_isready tells)';
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      hint = 'Check the host name in the URL';
      break;
    case 'ERR_INVALID_URL':
      hint = 'Percent-encode special characters in the password (@ → %40, # → %23, / → %2F)';
      break;
    default:
      hint = context.timedOut
        ? 'Check the host, port and firewall, or raise connectTimeoutMs'
        : 'Check that the database server is reachable and the URL is right';
  }
  return new StrataError('STRATA_CONNECTION_FAILED', `Cannot connect to PostgreSQL at ${context.target}: ${reason}`, {
    hint,
    cause: sanitizeCause(error, context.secrets),
    details: { ...(driver.code ? { errorCode: redactSecrets(driver.code, context.secrets) } : {}) },
  });
}

/** `STRATA_CONNECTION_FAILED` for a connection lost while running something. */
export function connectionLostError(error: unknown, target: string, secrets: readonly string[]): StrataError {
  const driver = asDriverError(error);
  return new StrataError(
    'STRATA_CONNECTION_FAILED',
    `Lost the connection to PostgreSQL at ${target}: ${redactSecrets(driver.message ?? String(error), secrets)}`,
    {
      hint: 'The server ended the session (restart, pg_terminate_backend, network); the open transaction was rolled back, run again',
      cause: sanitizeCause(error, secrets),
      details: driver.code && /^[0-9A-Z]{5}$/.test(driver.code) ? { sqlState: driver.code } : {},
    },
  );
}

/** Where a script error happened, as far as strata could tell. */
export interface ScriptLocation {
  statement?: number;
  line?: number;
}

/** Builds the `STRATA_SQL_ERROR` for a failed statement or script. */
export function sqlError(
  error: unknown,
  location: ScriptLocation,
  secrets: readonly string[],
  extra: StrataErrorDetails = {},
): StrataError {
  const driver = asDriverError(error);
  const sqlState = driver.code && /^[0-9A-Z]{5}$/.test(driver.code) ? driver.code : undefined;
  const where = describeLocation(location);
  const message = `${where}failed: ${redactSecrets(driver.message ?? String(error), secrets)}${sqlState ? ` [${sqlState}]` : ''}`;
  const hint = driver.hint
    ? redactSecrets(driver.hint, secrets)
    : driver.detail
      ? redactSecrets(driver.detail, secrets)
      : sqlState === '57014'
        ? 'The statement ran longer than statement_timeout (statementTimeoutMs) or was cancelled'
        : 'Fix the statement and run again; the transaction was rolled back';
  return new StrataError('STRATA_SQL_ERROR', message, {
    hint,
    cause: sanitizeCause(error, secrets),
    details: {
      ...(location.statement !== undefined ? { statement: location.statement } : {}),
      ...(location.line !== undefined ? { line: location.line } : {}),
      ...(sqlState ? { sqlState } : {}),
      ...extra,
    },
  });
}

export function describeLocation(location: ScriptLocation): string {
  if (location.statement !== undefined && location.line !== undefined) return `Statement ${location.statement} (line ${location.line}) `;
  if (location.statement !== undefined) return `Statement ${location.statement} `;
  if (location.line !== undefined) return `Line ${location.line} `;
  return 'Statement ';
}
