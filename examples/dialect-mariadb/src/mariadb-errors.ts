import { StrataError, redactSecrets } from '@strata/core';
import type { LockHolder } from '@strata/core';

/** A lock holder with the facts MariaDB has and {@link LockHolder} has no field for. */
export interface MariaDbLockHolder extends LockHolder {
  user?: string;
  database?: string;
  /** PROCESSLIST `COMMAND` (`Sleep` for an idle holder) and how long it has been in it. */
  command?: string;
  secondsInCommand?: number;
}

/** The fields of a mysql2 error (server or socket) that strata looks at. */
export interface DriverError {
  message?: string;
  code?: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  fatal?: boolean;
}

export const asDriverError = (error: unknown): DriverError =>
  typeof error === 'object' && error !== null ? (error as DriverError) : { message: String(error) };

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
]);
/** 1927 ER_CONNECTION_KILLED (MariaDB), 2006/2013 server gone / lost during query, 1053 shutdown. */
const CONNECTION_ERRNOS = new Set([1053, 1927, 2006, 2013]);
export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_QUERY_INTERRUPTED = 1317;
export const ER_PARSE_ERROR = 1064;

export function isConnectionError(error: unknown): boolean {
  const driver = asDriverError(error);
  if (driver.fatal === true) return true;
  if (driver.code && CONNECTION_CODES.has(driver.code)) return true;
  if (driver.errno !== undefined && CONNECTION_ERRNOS.has(driver.errno)) return true;
  return /closed state|Connection lost/i.test(driver.message ?? '');
}

/** A copy of a driver error that is safe to keep as `cause`: message redacted, plain fields only. */
export function sanitizeCause(error: unknown, secrets: readonly string[]): Error {
  const driver = asDriverError(error);
  const copy = new Error(redactSecrets(String(driver.message ?? error), secrets)) as Error & Record<string, unknown>;
  for (const key of ['code', 'errno', 'sqlState'] as const) if (driver[key] !== undefined) copy[key] = driver[key];
  return copy;
}

export interface Location {
  statement?: number;
  line?: number;
}

export function where(location: Location): string {
  if (location.statement !== undefined && location.line !== undefined) return `Statement ${location.statement} (line ${location.line}) `;
  if (location.statement !== undefined) return `Statement ${location.statement} `;
  return 'Statement ';
}

/** `STRATA_SQL_ERROR` with `statement`, `line`, `sqlState` and MariaDB's own `errno`. */
export function sqlError(error: unknown, location: Location, secrets: readonly string[], hint?: string): StrataError {
  const driver = asDriverError(error);
  const sqlState = driver.sqlState && /^[0-9A-Z]{5}$/.test(driver.sqlState) ? driver.sqlState : undefined;
  const code = [sqlState, driver.errno].filter((part) => part !== undefined).join('/');
  const text = redactSecrets(driver.sqlMessage ?? driver.message ?? String(error), secrets);
  return new StrataError('STRATA_SQL_ERROR', `${where(location)}failed: ${text}${code ? ` [${code}]` : ''}`, {
    hint: hint ?? 'Fix the statement and run again',
    cause: sanitizeCause(error, secrets),
    details: {
      ...(location.statement !== undefined ? { statement: location.statement } : {}),
      ...(location.line !== undefined ? { line: location.line } : {}),
      ...(sqlState ? { sqlState } : {}),
      ...(driver.errno !== undefined ? { errno: driver.errno } : {}),
    },
  });
}

export const truncate = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function toHolder(row: Record<string, unknown>): MariaDbLockHolder {
  const holder: MariaDbLockHolder = {};
  if (row.id !== null && row.id !== undefined) holder.pid = Number(row.id);
  if (row.user) holder.user = String(row.user);
  if (row.host) {
    holder.clientAddress = String(row.host);
    holder.host = String(row.host).replace(/:\d+$/, '');
  }
  if (row.db) holder.database = String(row.db);
  if (row.command) holder.command = String(row.command);
  if (row.time !== null && row.time !== undefined) holder.secondsInCommand = Number(row.time);
  // UNIX_TIMESTAMP reads the DATETIME in the session time zone, so this is right whatever it is.
  if (row.since_epoch !== null && row.since_epoch !== undefined) holder.since = new Date(Number(row.since_epoch) * 1000).toISOString();
  if (row.info)
    holder.query = truncate(
      redactSecrets(String(row.info).replace(/\s+/g, ' ').trim())
        .replace(/(IDENTIFIED\s+(?:BY|WITH\s+\S+\s+(?:BY|AS))\s+)'(?:[^'\\]|\\.|'')*'/gi, "$1'***'")
        .replace(/(PASSWORD\s*\(\s*)'(?:[^'\\]|\\.|'')*'/gi, "$1'***'"),
      200,
    );
  return holder;
}

export function describeHolder(holder: MariaDbLockHolder): string {
  const parts: string[] = [];
  if (holder.pid !== undefined) parts.push(`connection ${holder.pid}`);
  if (holder.user) parts.push(`user ${holder.user}`);
  if (holder.applicationName) parts.push(`application "${holder.applicationName}"`);
  if (holder.clientAddress) parts.push(`from ${holder.clientAddress}`);
  if (holder.command) parts.push(`${holder.command}${holder.secondsInCommand !== undefined ? ` for ${holder.secondsInCommand} s` : ''}`);
  if (holder.since) parts.push(`since ${holder.since}`);
  if (holder.query) parts.push(`running "${truncate(holder.query, 80)}"`);
  return parts.join(', ');
}
