import mysql from 'mysql2/promise';
import type { Connection, ConnectionOptions } from 'mysql2/promise';
import { DEFAULT_STATE_TABLE, IDENTIFIER_PATTERN, StrataError, eventsTableFor, isStrataError, redactSecrets } from '@strata/core';
import type { ConnectOptions, Dialect, DialectCapabilities, DialectSession } from '@strata/core';
import { openMariaDbSession, sanitizeCause } from './mariadb-session.js';
import { findMariaDbNonTransactional, splitMariaDbStatements } from './mariadb-split.js';

/** Discrete connection settings (a subset of mysql2's); they win over the same parts of `uri`. */
export interface MariaDbConnectionOptions {
  host?: string;
  port?: number;
  user?: string;
  /** Never printed. */
  password?: string;
  database?: string;
  /** A Unix socket instead of host and port. */
  socketPath?: string;
  /** mysql2 TLS options (`{ ca, rejectUnauthorized }`). */
  ssl?: Record<string, unknown>;
}

/** Options of {@link createMariaDbDialect}. */
export interface MariaDbDialectOptions {
  /** `mariadb://user:password@host:3306/database` (or `mysql://…`); percent-encode special characters. */
  uri?: string;
  connection?: MariaDbConnectionOptions;
  /** @default 'strata_migrations' */
  table?: string;
  /** @default 'strata_events' for the default table, else `<table>_events` */
  eventsTable?: string;
  /**
   * The `GET_LOCK` name (server-wide, at most 64 characters). Runs that use the same name never
   * overlap. @default `strata:<database>.<table>`
   */
  lockName?: string;
  /**
   * `lock_wait_timeout` (metadata locks, i.e. DDL) and `innodb_lock_wait_timeout` (row locks) of
   * migrate sessions, in ms, rounded up to whole seconds (MariaDB's unit; at least 1 s).
   * @default 5000
   */
  ddlLockTimeoutMs?: number;
  /** MariaDB `max_statement_time` of migrate sessions, in ms. @default 0 (the server's setting) */
  statementTimeoutMs?: number;
  /** @default 10000 */
  connectTimeoutMs?: number;
  /** Sent as the `program_name` connect attribute (shown in lock messages when performance_schema is on). @default 'strata' */
  applicationName?: string;
}

/** What MariaDB can do, as strata sees it. */
export const MARIADB_CAPABILITIES: DialectCapabilities = {
  // Every DDL statement commits implicitly: no --dry-run, no --single-transaction.
  supportsTransactionalDdl: false,
  // GET_LOCK belongs to the connection and survives COMMIT.
  supportsSessionLock: true,
  // A MySQL "schema" is a database: state tables live in the connection's database.
  supportsSchemas: false,
  // KILL QUERY <connection id> from a side connection.
  supportsCancel: true,
  // A network server: the handshake can overlap reading the migration files.
  connectsEarly: true,
};

function invalid(message: string, hint: string): StrataError {
  return new StrataError('STRATA_CONFIG_INVALID', message, { hint });
}

function checkMilliseconds(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2_147_483_647) {
    throw invalid(`Invalid ${option} ${JSON.stringify(value)}`, `Give ${option} as a whole number of milliseconds, 0 or more`);
  }
  return value;
}

function checkIdentifier(option: string, value: string): void {
  if (typeof value !== 'string' || !IDENTIFIER_PATTERN.test(value)) {
    throw invalid(
      `Invalid MariaDB ${option} name ${JSON.stringify(String(value).slice(0, 70))}`,
      'Use letters, digits and underscores only, starting with a letter or underscore',
    );
  }
}

/** `mariadb://user@host:3306/db`: no password, no query string. */
function formatTarget(parts: { host?: string; port?: number; user?: string; database?: string; socketPath?: string }): string {
  const user = parts.user ? `${encodeURIComponent(parts.user)}@` : '';
  const where = parts.socketPath ? `localhost(${parts.socketPath})` : `${parts.host ?? 'localhost'}:${parts.port ?? 3306}`;
  return `mariadb://${user}${where}/${parts.database ?? ''}`;
}

/**
 * A MariaDB (and, mostly, MySQL) dialect on mysql2, written against `@strata/core`'s contract
 * only: one dedicated connection per session, the migration lock is `GET_LOCK`, migrate sessions
 * bound metadata/row lock waits, and scripts run statement by statement so a failure names its
 * statement and line.
 * @example
 * const dialect = createMariaDbDialect({ uri: 'mariadb://app@db:3306/app' });
 * const migrator = createMigrator({ dialect, sources: [createFileSource({ directory: './migrations' })] });
 */
export function createMariaDbDialect(options: MariaDbDialectOptions = {}): Dialect {
  const connection = options.connection ?? {};
  let fromUri: URL | undefined;
  if (options.uri !== undefined) {
    try {
      fromUri = new URL(options.uri);
    } catch {
      // The URL's own error text repeats the input, password and all.
      throw invalid(
        `Invalid MariaDB uri ${JSON.stringify(redactSecrets(String(options.uri)))}`,
        'Give a URL such as mariadb://user:password@host:3306/database',
      );
    }
    if (!['mariadb:', 'mysql:'].includes(fromUri.protocol))
      throw invalid(`Invalid MariaDB uri scheme ${fromUri.protocol}`, 'Use mariadb:// or mysql://');
  }
  const decode = (text: string | undefined) => (text ? decodeURIComponent(text) : undefined);
  const host = connection.host ?? (fromUri?.hostname.replace(/^\[|\]$/g, '') || undefined);
  const port = connection.port ?? (fromUri?.port ? Number(fromUri.port) : undefined);
  const user = connection.user ?? decode(fromUri?.username);
  const password = connection.password ?? decode(fromUri?.password);
  const database = connection.database ?? decode(fromUri?.pathname.slice(1));

  const table = options.table ?? DEFAULT_STATE_TABLE;
  checkIdentifier('table', table);
  const eventsTable = options.eventsTable ?? eventsTableFor(table);
  checkIdentifier('events table', eventsTable);
  if (eventsTable.toLowerCase() === table.toLowerCase())
    throw invalid(`The events table and the state table are both named "${table}"`, 'Give eventsTable another name');
  if (
    options.lockName !== undefined &&
    (typeof options.lockName !== 'string' || options.lockName.length === 0 || options.lockName.length > 64)
  ) {
    throw invalid(`Invalid MariaDB lockName ${JSON.stringify(String(options.lockName).slice(0, 70))}`, 'Give 1 to 64 characters');
  }
  const ddlLockTimeoutMs = checkMilliseconds('ddlLockTimeoutMs', options.ddlLockTimeoutMs, 5000);
  const statementTimeoutMs = checkMilliseconds('statementTimeoutMs', options.statementTimeoutMs, 0);
  const connectTimeoutMs = checkMilliseconds('connectTimeoutMs', options.connectTimeoutMs, 10_000);

  const secrets = password ? [password, ...(fromUri?.password ? [fromUri.password] : [])] : [];
  const target = formatTarget({ host, port, user, database, socketPath: connection.socketPath });
  const config: ConnectionOptions = {
    ...(connection.socketPath ? { socketPath: connection.socketPath } : { host: host ?? 'localhost', port: port ?? 3306 }),
    ...(user !== undefined ? { user } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(database ? { database } : {}),
    ...(connection.ssl ? { ssl: connection.ssl as ConnectionOptions['ssl'] } : {}),
    multipleStatements: true,
    // mysql2 asks for IGNORE_SPACE by default, which adds it to the session's sql_mode (and makes
    // every built-in function name reserved): run migrations with the server's sql_mode, as the
    // mysql client does.
    flags: ['-IGNORE_SPACE'],
    connectTimeout: connectTimeoutMs || undefined,
    charset: 'utf8mb4',
    connectAttributes: { program_name: (options.applicationName ?? 'strata').slice(0, 64) },
  };

  /** One dedicated connection; never from a pool, so the lock and the transaction stay on it. */
  const openConnection = async (signal?: AbortSignal): Promise<Connection> => {
    if (signal?.aborted)
      throw new StrataError('STRATA_INTERRUPTED', `Interrupted before connecting to ${target}`, { cause: signal.reason });
    const pending = mysql.createConnection(config);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new StrataError('STRATA_INTERRUPTED', `Interrupted while connecting to ${target}`, { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([pending, aborted]);
    } catch (error) {
      pending.then(
        (late) => late.destroy(),
        () => {},
      );
      if (isStrataError(error)) throw error;
      const code = (error as { code?: string }).code;
      throw new StrataError(
        'STRATA_CONNECTION_FAILED',
        `Cannot connect to MariaDB at ${target}: ${redactSecrets((error as Error).message ?? String(error), secrets)}`,
        {
          hint:
            code === 'ER_ACCESS_DENIED_ERROR'
              ? 'Check the user name and password, and the host the user may connect from'
              : code === 'ER_BAD_DB_ERROR'
                ? 'Create the database (CREATE DATABASE) or fix its name in the URI'
                : code === 'ECONNREFUSED'
                  ? 'Is MariaDB running and listening on that host and port?'
                  : 'Check that the server is reachable and the URI is right',
          cause: sanitizeCause(error, secrets),
          details: code ? { errorCode: code } : {},
        },
      );
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  };

  return {
    name: 'mariadb',
    capabilities: MARIADB_CAPABILITIES,
    target,
    connect(connect: ConnectOptions): Promise<DialectSession> {
      return openMariaDbSession(
        { target, secrets, openConnection, table, eventsTable, lockName: options.lockName, ddlLockTimeoutMs, statementTimeoutMs },
        connect,
      );
    },
    splitStatements: splitMariaDbStatements,
    findNonTransactional: findMariaDbNonTransactional,
  };
}
