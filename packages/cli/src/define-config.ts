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
  /** Runs over many tenant databases or schemas (see `--fleet`). */
  fleet?: FleetConfig;
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
  'fleet',
] as const satisfies readonly (keyof StrataConfig)[];

/** Every key of a config's `backup` object. */
export const BACKUP_CONFIG_KEYS = ['dir', 'enabled', 'keep'] as const satisfies readonly (keyof BackupConfig)[];

/** Every key of a config's `fleet` object. */
export const FLEET_CONFIG_KEYS = ['targets', 'concurrency', 'canary', 'failFast'] as const satisfies readonly (keyof FleetConfig)[];
