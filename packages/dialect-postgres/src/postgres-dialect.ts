import type { ClientConfig } from 'pg';
import { DEFAULT_STATE_TABLE, IDENTIFIER_PATTERN, StrataError, eventsTableFor, redactSecrets } from '@strata/core';
import type { ConnectOptions, Dialect, DialectSession } from '@strata/core';
import { openPostgresSession } from './postgres-session.js';
import type { PostgresSessionSettings } from './postgres-session.js';
import { findPostgresNonTransactional, splitPostgresStatements } from './postgres-split.js';
import { postgresBackupMember } from './backup/postgres-backup-member.js';
import { formatPostgresTarget, normalizePostgresUrl, passwordsInUrl, redactPostgresUrl } from './postgres-url.js';

/**
 * Discrete connection settings: a structural subset of pg's `ClientConfig`, so `@strata/core`
 * and users' configs never need pg's types. Unset fields fall back to libpq's `PG*` variables.
 */
export interface PostgresConnectionOptions {
  host?: string;
  port?: number;
  user?: string;
  /** Never printed; a function is called at connect time (e.g. for IAM tokens). */
  password?: string | (() => string | Promise<string>);
  database?: string;
  /** `true`, or Node TLS options (`ca`, `rejectUnauthorized`, …). */
  ssl?: boolean | Record<string, unknown>;
  keepAlive?: boolean;
}

/** Options of {@link createPostgresDialect}. */
export interface PostgresDialectOptions {
  /** `postgres://user:password@host:5432/database`; percent-encode special characters. */
  connectionString?: string;
  /** Discrete settings, instead of or on top of `connectionString` (the URL wins where both say). */
  connection?: PostgresConnectionOptions;
  /**
   * Schema of the state tables, created when missing; migrate sessions also set `search_path`
   * to it (alone), so unqualified names in migrations land there.
   * @default the connection's current schema (`public` on a default setup); search_path untouched
   */
  schema?: string;
  /** @default 'strata_migrations' */
  table?: string;
  /** @default 'strata_events' for the default table, else `<table>_events` */
  eventsTable?: string;
  /** Shown in `pg_stat_activity` and in lock-timeout messages of other runs. @default 'strata' */
  applicationName?: string;
  /** PostgreSQL `lock_timeout` of migrate sessions, in ms (0 disables). @default 5000 */
  ddlLockTimeoutMs?: number;
  /**
   * PostgreSQL `statement_timeout` of migrate sessions, in ms. `0` sets it to 0 explicitly (no
   * timeout), clearing one inherited from the role or the database.
   * @default undefined (left as the server, role or database sets it)
   */
  statementTimeoutMs?: number;
  /** How long a connect may take, in ms (0 = no limit). @default 10000 */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL `lock_timeout` of non-transactional index builds (`CREATE INDEX CONCURRENTLY`,
   * `REINDEX … CONCURRENTLY`, `DROP INDEX CONCURRENTLY`, `DETACH PARTITION … CONCURRENTLY`), in ms
   * (0 disables). They wait for every older transaction without blocking the application, so they
   * get longer than DDL; the sessions they wait for are named if it runs out.
   * @default 300000 (5 minutes)
   */
  concurrentLockTimeoutMs?: number;
}

export const DEFAULT_APPLICATION_NAME = 'strata';
export const DEFAULT_DDL_LOCK_TIMEOUT_MS = 5000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONCURRENT_LOCK_TIMEOUT_MS = 300_000;

function invalid(message: string, hint: string): StrataError {
  return new StrataError('STRATA_CONFIG_INVALID', message, { hint });
}

function checkIdentifier(option: string, value: string | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !IDENTIFIER_PATTERN.test(value)) {
    // The value itself may be hostile; show it JSON-quoted and cut short.
    throw invalid(
      `Invalid PostgreSQL ${option} name ${JSON.stringify(String(value).slice(0, 70))}`,
      'Use letters, digits and underscores only, starting with a letter or underscore, at most 63 characters',
    );
  }
}

function checkMilliseconds(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2_147_483_647) {
    throw invalid(`Invalid ${option} ${JSON.stringify(value)}`, `Give ${option} as a whole number of milliseconds, 0 or more`);
  }
  return value;
}

/**
 * The PostgreSQL dialect on `pg`: one dedicated connection per session, a session advisory lock,
 * `lock_timeout`/`statement_timeout` on migrate sessions, state tables in any schema, and
 * statement splitting with the real PostgreSQL parser.
 * @example
 * const dialect = createPostgresDialect({ connectionString: process.env.DATABASE_URL, schema: 'app' });
 * const migrator = createMigrator({ dialect, sources: [fileSource('./migrations')] });
 */
export function createPostgresDialect(options: PostgresDialectOptions = {}): Dialect {
  if (options.connectionString !== undefined && typeof options.connectionString !== 'string') {
    throw invalid('Invalid PostgreSQL connectionString: not a string', 'Give a URL such as postgres://user@host:5432/database');
  }
  checkIdentifier('schema', options.schema);
  const table = options.table ?? DEFAULT_STATE_TABLE;
  checkIdentifier('table', table);
  const eventsTable = options.eventsTable ?? eventsTableFor(table);
  checkIdentifier('events table', eventsTable);
  if (eventsTable === table)
    throw invalid(`The events table and the state table are both named "${table}"`, 'Give eventsTable another name');
  const ddlLockTimeoutMs = checkMilliseconds('ddlLockTimeoutMs', options.ddlLockTimeoutMs, DEFAULT_DDL_LOCK_TIMEOUT_MS);
  const statementTimeoutMs =
    options.statementTimeoutMs === undefined ? undefined : checkMilliseconds('statementTimeoutMs', options.statementTimeoutMs, 0);
  const connectTimeoutMs = checkMilliseconds('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const concurrentLockTimeoutMs = checkMilliseconds(
    'concurrentLockTimeoutMs',
    options.concurrentLockTimeoutMs,
    DEFAULT_CONCURRENT_LOCK_TIMEOUT_MS,
  );
  const applicationName = (options.applicationName ?? DEFAULT_APPLICATION_NAME).slice(0, 63);

  const connection = options.connection ?? {};
  const secrets = [
    ...(options.connectionString ? passwordsInUrl(options.connectionString) : []),
    ...(typeof connection.password === 'string' && connection.password ? [connection.password] : []),
    ...(process.env.PGPASSWORD ? [process.env.PGPASSWORD] : []),
  ];
  const target = options.connectionString
    ? redactPostgresUrl(options.connectionString)
    : formatPostgresTarget({
        host: connection.host,
        port: connection.port,
        user: connection.user,
        database: connection.database,
        hasPassword: connection.password !== undefined || process.env.PGPASSWORD !== undefined,
      });

  const clientConfig: ClientConfig = {
    ...(connection as ClientConfig),
    // Credentials up to the last `@`, re-encoded: pg connects to the host the target names.
    ...(options.connectionString ? { connectionString: normalizePostgresUrl(options.connectionString) } : {}),
    application_name: applicationName,
    connectionTimeoutMillis: connectTimeoutMs,
  };
  const settings: PostgresSessionSettings = {
    clientConfig,
    target,
    secrets,
    schema: options.schema,
    table,
    eventsTable,
    ddlLockTimeoutMs,
    statementTimeoutMs,
    connectTimeoutMs,
    concurrentLockTimeoutMs,
  };

  return {
    name: 'postgres',
    capabilities: {
      supportsTransactionalDdl: true,
      supportsSessionLock: true,
      supportsSchemas: true,
      supportsCancel: true,
      connectsEarly: true,
    },
    target,
    connect(connectOptions: ConnectOptions): Promise<DialectSession> {
      return openPostgresSession(settings, connectOptions);
    },
    splitStatements: splitPostgresStatements,
    findNonTransactional: findPostgresNonTransactional,
    redact: (text) => redactSecrets(text, secrets),
    backupProvider: postgresBackupMember(options),
  };
}
