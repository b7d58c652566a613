import type { Dialect } from '@strata/core';
import type { WindowConfig } from './windows/window-spec.js';

/** Backup settings of a {@link StrataConfig}. */
export interface BackupConfig {
  /**
   * Folder of backups, relative to the project.
   * @default '.strata-backups'
   */
  dir?: string;
  /**
   * Take a verified backup before `up`/`down` changes anything. `true` forces it (also above
   * `maxBytes`) and fails the run (exit 6) before anything runs when no backup can be taken
   * (`pg_dump` missing, not enough free space in `dir`).
   * @default on for SQLite files; on for PostgreSQL when `pg_dump` is found; skipped (said on
   * stderr) for an empty database and above `maxBytes`
   */
  enabled?: boolean;
  /**
   * Backups kept per target: after each pre-run backup and by `backup prune` without `--keep`.
   * @default 10
   */
  keep?: number;
  /**
   * The pre-run backup is skipped (loudly) when the database is bigger than this many bytes,
   * unless `enabled: true`. Accepts a number of bytes or a size such as `'2GB'`, `'500MB'`.
   * @default 2 GiB
   */
  maxBytes?: number | string;
  /** The `pg_dump` executable (and its folder's `pg_restore`, `psql`). @default `pg_dump` on PATH */
  pgDumpPath?: string;
}

/** `strata lint` settings of a {@link StrataConfig} (rules of `@strata/lint`). */
export interface LintConfig {
  /** Severity per rule id: `{ 'pg/rename': 'off', 'pg/drop-column': 'error' }`. */
  rules?: Record<string, 'error' | 'warning' | 'off'>;
  /**
   * Findings accepted in migrations whose text cannot change any more (it is checksummed):
   * `[{ migration: 'app@1.2.0', rules: ['pg/index-not-concurrent'], reason: '…' }]`.
   */
  ignore?: { migration: string; rules: string[]; reason: string }[];
}

/** Fleet settings of a {@link StrataConfig}: defaults of `--fleet` runs over many tenants. */
export interface FleetConfig {
  /**
   * The tenants, as `--fleet` spells them: a list file, `sqlite:tenants/*.db`, `schemas:tenant_*`
   * or `query:SELECT url FROM tenants`. When set, `up`, `down`, `status`, `plan` and `validate`
   * run over the fleet unless `--fleet off` is given.
   */
  targets?: string;
  /** Tenants migrated at once. @default the cores (SQLite), or 2 × cores capped by max_connections headroom (PostgreSQL) */
  concurrency?: number;
  /** Run the first n tenants first and stop the fleet if any fails. @default 0 */
  canary?: number;
  /** Start no new tenant after the first failure. @default false */
  failFast?: boolean;
}

/** The options a dialect package's default-exported factory receives. */
export interface DialectFactoryOptions {
  url: string;
  connectionString: string;
  /** A `sqlite:` URL's database file, resolved against the project folder (other URLs: absent). */
  filename?: string;
  schema?: string;
  table?: string;
  ddlLockTimeoutMs?: number;
  statementTimeoutMs?: number;
  concurrentLockTimeoutMs?: number;
}

/** `strata.config.{ts,mts,js,mjs,json}`: every key is optional; flags and env win over it. */
export interface StrataConfig {
  /** Target database URL. @default 'sqlite:./strata.db' */
  url?: string;
  /** Failover target, used when `url` cannot be reached in time. */
  fallbackUrl?: string;
  /**
   * PostgreSQL: the URL migrations connect through when `url` goes through a connection pooler
   * in transaction mode (PgBouncer, hosted poolers), which a session lock cannot work through.
   * Wins over `DATABASE_URL` and `url`; `--direct-url` wins over it, and so does `--url`.
   */
  directUrl?: string;
  /** A dialect object, or a package name whose default export is `(options) => Dialect`. */
  dialect?: Dialect | string;
  /** A folder for module `app`, or `{ module: folder }`. @default './migrations' */
  migrations?: string | Record<string, string>;
  /** Packages exporting migration modules (e.g. `@strata/core-schema`). @default [] */
  modules?: string[];
  /** State table name. @default 'strata_migrations' */
  table?: string;
  /** PostgreSQL schema of the state tables. */
  schema?: string;
  /** How long to wait for the migration lock: `60s`, `500ms` or milliseconds. @default '60s' */
  lockTimeout?: string | number;
  /** PostgreSQL `lock_timeout` for migration DDL. @default '5s' */
  ddlLockTimeout?: string | number;
  /**
   * PostgreSQL `statement_timeout` for migrations. `0` sets 0 (no timeout) explicitly, clearing
   * one set on the role or database. @default unset (the server's, role's or database's setting)
   */
  statementTimeout?: string | number;
  /**
   * PostgreSQL `lock_timeout` of non-transactional index builds (`CREATE INDEX CONCURRENTLY`,
   * `REINDEX … CONCURRENTLY`, `DETACH PARTITION … CONCURRENTLY`), which wait for older transactions. @default '5m'
   */
  concurrentLockTimeout?: string | number;
  /**
   * How many times a transactional migration that failed on `ddlLockTimeout` (SQLSTATE 55P03) is
   * retried, after waits growing from 500 ms (with jitter). 0 turns retries off. @default 3
   */
  lockRetries?: number;
  backup?: BackupConfig;
  /**
   * The largest migration file strata reads: bytes, or a size such as `'64MiB'`. A bigger file
   * is refused (exit 3, `STRATA_FILE_TOO_LARGE`) before it is read. `STRATA_MAX_FILE_BYTES` wins.
   * @default '64MiB'
   */
  maxFileBytes?: number | string;
  /** `strata lint`: rule severities and ignores. */
  lint?: LintConfig;
  /** Runs over many tenant databases or schemas (see `--fleet`). */
  fleet?: FleetConfig;
  /**
   * Maintenance windows by name; a migration opts in with `-- strata:window <name>` (or `window`
   * in a script). `up` stops before it while the window is closed (exit 8, "deferred").
   * @example windows: { nightly: { days: 'mon-fri', from: '22:00', to: '04:00', timezone: 'Europe/Berlin' } }
   */
  windows?: Record<string, WindowConfig>;
}

/**
 * Identity function that gives `strata.config.ts` its types.
 * @example
 * import { defineConfig } from 'strata-migrate';
 * export default defineConfig({ url: process.env.DATABASE_URL, modules: ['@strata/core-schema'] });
 */
export function defineConfig(config: StrataConfig): StrataConfig {
  return config;
}

/** Every key a config file may hold. */
export const CONFIG_KEYS = [
  'url',
  'fallbackUrl',
  'directUrl',
  'dialect',
  'migrations',
  'modules',
  'table',
  'schema',
  'lockTimeout',
  'ddlLockTimeout',
  'statementTimeout',
  'concurrentLockTimeout',
  'lockRetries',
  'backup',
  'maxFileBytes',
  'lint',
  'fleet',
  'windows',
] as const satisfies readonly (keyof StrataConfig)[];

/** Every key of a config's `backup` object. */
export const BACKUP_CONFIG_KEYS = ['dir', 'enabled', 'keep', 'maxBytes', 'pgDumpPath'] as const satisfies readonly (keyof BackupConfig)[];

/** Every key of a config's `fleet` object. */
export const FLEET_CONFIG_KEYS = ['targets', 'concurrency', 'canary', 'failFast'] as const satisfies readonly (keyof FleetConfig)[];
