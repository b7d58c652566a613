import type { Dialect } from '@strata/core';

/** Backup settings of a {@link StrataConfig}. */
export interface BackupConfig {
  /**
   * Folder of backups, relative to the project.
   * @default '.strata-backups'
   */
  dir?: string;
  /**
   * Take a verified backup before `up`/`down` changes anything. `true` fails the run (exit 6)
   * when no backup can be taken (e.g. `pg_dump` missing).
   * @default on for SQLite files; on for PostgreSQL when `pg_dump` is on PATH
   */
  enabled?: boolean;
  /** How many backups `backup prune` keeps when given no `--keep`. */
  keep?: number;
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

/** The options a dialect package's default-exported factory receives. */
export interface DialectFactoryOptions {
  url: string;
  connectionString: string;
  schema?: string;
  table?: string;
  ddlLockTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** `strata.config.{ts,mts,js,mjs,json}`: every key is optional; flags and env win over it. */
export interface StrataConfig {
  /** Target database URL. @default 'sqlite:./strata.db' */
  url?: string;
  /** Failover target, used when `url` cannot be reached in time. */
  fallbackUrl?: string;
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
  /** PostgreSQL `statement_timeout` for migrations. @default 0 (server setting) */
  statementTimeout?: string | number;
  backup?: BackupConfig;
  /** `strata lint`: rule severities and ignores. */
  lint?: LintConfig;
}

/**
 * Identity function that gives `strata.config.ts` its types.
 * @example
 * import { defineConfig } from 'strata';
 * export default defineConfig({ url: process.env.DATABASE_URL, modules: ['@strata/core-schema'] });
 */
export function defineConfig(config: StrataConfig): StrataConfig {
  return config;
}

/** Every key a config file may hold. */
export const CONFIG_KEYS = [
  'url',
  'fallbackUrl',
  'dialect',
  'migrations',
  'modules',
  'table',
  'schema',
  'lockTimeout',
  'ddlLockTimeout',
  'statementTimeout',
  'backup',
  'lint',
] as const satisfies readonly (keyof StrataConfig)[];

/** Every key of a config's `backup` object. */
export const BACKUP_CONFIG_KEYS = ['dir', 'enabled', 'keep'] as const satisfies readonly (keyof BackupConfig)[];
